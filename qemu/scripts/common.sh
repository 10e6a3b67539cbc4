# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the qemu/ scripts: pinned versions, paths, helpers.
# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables are for the scripts that source this
set -euo pipefail

QDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${QEMU_BUILD_DIR:-$QDIR/build}
JOBS=${JOBS:-2}
# The base and the release are pinned in base.mk only.
QEMU_DEB_VERSION=$(sed -n 's/^QEMU_DEB_VERSION *:= *//p' "$QDIR/base.mk")
QEMU_VERSION=$(sed -n 's/^QEMU_VERSION *:= *//p' "$QDIR/base.mk")
APF_RELEASE=$(sed -n 's/^APF_RELEASE *:= *//p' "$QDIR/base.mk")
# Debian's file names carry no epoch: 10.0.13+ds-0+deb13u1
QEMU_DEB_NOEPOCH=${QEMU_DEB_VERSION#*:}
QEMU_UPSTREAM_DS=${QEMU_DEB_NOEPOCH%-*}
# Version of our package and the string `qemu-system-x86_64 --version` shows.
APF_DEB_VERSION=${QEMU_DEB_VERSION}+apf${APF_RELEASE}
APF_PKGVERSION="${QEMU_DEB_VERSION}+apf${APF_RELEASE}, APF Suite build"
DL=$BUILD/dl
SRC_DIR=$BUILD/src/qemu
# Debian's python3, with meson from bookworm-backports; a pyenv python3
# earlier on PATH has neither.
export PATH=/usr/bin:/bin:/usr/sbin:/sbin:$PATH
PYTHON=/usr/bin/python3

log() { echo "qemu: $*" >&2; }
die() { echo "qemu: error: $*" >&2; exit 1; }
now() { date +%s; }

# The series, in the order it is applied.
series() {
	local f
	for f in "$QDIR"/patches/[0-9]*.patch; do
		[ -e "$f" ] && echo "$f"
	done
	return 0
}

# Paths (b/...) that the series touches.
series_files() {
	series | xargs -r sed -n 's|^+++ b/||p' | sort -u
}

# Unpack the pinned Debian source package into $1 (with Debian's own
# patches applied, as dpkg-source does).
unpack_to() {
	local dest=$1
	rm -rf "$dest"
	mkdir -p "$(dirname "$dest")"
	dpkg-source --no-check -x "$DL/qemu_${QEMU_DEB_NOEPOCH}.dsc" "$dest" >/dev/null ||
		die "dpkg-source -x failed"
	[ "$(cat "$dest/VERSION")" = "$QEMU_VERSION" ] ||
		die "$dest/VERSION is $(cat "$dest/VERSION"), base.mk says $QEMU_VERSION"
}

# Apply the whole series to the tree in $1 (which has Debian's patches
# already); fails loudly on the first patch that does not apply exactly.
apply_series() {
	local tree=$1 p
	for p in $(series); do
		if ! patch -d "$tree" -p1 --forward --batch --fuzz=0 \
			--no-backup-if-mismatch -s <"$p"; then
			die "patch does not apply: ${p#"$QDIR"/}"
		fi
		log "applied ${p#"$QDIR"/}"
	done
}

# debian_download SUITE PKG[=VERSION|/SUITE]: Debian's own .deb from another
# suite than the host's (trixie, bookworm-backports) into $DL, through a
# private apt state under $BUILD/apt-SUITE so the host's sources stay as
# they are.  The file is named as in the pool, without the epoch's %3a.
debian_download() {
	local suite=$1 spec=$2 d=$BUILD/apt-$1 f base
	local opts=(-o "Dir::Etc::SourceList=$d/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache" -o APT::Architectures::=amd64
		-o Debug::NoLocking=1)
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$DL"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" \
		>"$d/sources.list"
	if ! { apt-get -q "${opts[@]}" update >"$d/apt.log" 2>&1 &&
		(cd "$DL" && apt-get -q "${opts[@]}" download "$spec" >>"$d/apt.log" 2>&1); }; then
		cat "$d/apt.log" >&2
		die "cannot download $spec from $suite"
	fi
	for f in "$DL"/*%3a*.deb; do
		[ -e "$f" ] || continue
		base=${f##*/}
		mv "$f" "$DL/${base%%_*}_${base#*%3a}"
	done
	return 0
}
