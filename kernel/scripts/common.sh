# SPDX-License-Identifier: GPL-2.0-only
# Shared by the kernel/ scripts: pinned versions, paths, helpers.
# shellcheck shell=bash disable=SC2034
set -euo pipefail

KDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${KERNEL_BUILD_DIR:-$KDIR/build}
JOBS=${JOBS:-2}
# The base and the release are pinned in base.mk only.
KERNEL_DEB_VERSION=$(sed -n 's/^KERNEL_DEB_VERSION *:= *//p' "$KDIR/base.mk")
KERNEL_VERSION=$(sed -n 's/^KERNEL_VERSION *:= *//p' "$KDIR/base.mk")
APF_RELEASE=$(sed -n 's/^APF_RELEASE *:= *//p' "$KDIR/base.mk")
SRC_PKG=linux-source-6.12
CFG_PKG=linux-config-6.12
SRC_TAR=/usr/src/$SRC_PKG.tar.xz
SRC_DIR=$BUILD/src/$SRC_PKG
# checkpatch's SPDX check needs python3-ply and python3-git from Debian;
# a python3 earlier on PATH (pyenv) may lack them.
export PATH=/usr/bin:/bin:$PATH

log() { echo "kernel: $*" >&2; }
die() { echo "kernel: error: $*" >&2; exit 1; }
now() { date +%s; }

# The series, in the order it is applied: host, then guest.
series() {
	local f
	for f in "$KDIR"/patches/host/*.patch "$KDIR"/patches/guest/*.patch; do
		[ -e "$f" ] && echo "$f"
	done
	return 0
}

# Paths (b/...) that the series touches.
series_files() {
	series | xargs sed -n 's|^+++ b/||p' | sort -u
}

# Identifies the patched tree: the pinned base and the diffs of the series
# (not the commit messages, so rewording a patch does not force rebuilds).
series_key() {
	local p
	{
		echo "$KERNEL_DEB_VERSION"
		for p in $(series); do sed -n '/^diff --git /,$p' "$p"; done
	} | sha256sum | cut -d' ' -f1
}

# Apply the whole series to the tree in $1; fails loudly on the first patch
# that does not apply exactly (no fuzz).
apply_series() {
	local tree=$1 p
	for p in $(series); do
		if ! patch -d "$tree" -p1 --forward --batch --fuzz=0 \
			--no-backup-if-mismatch -s <"$p"; then
			die "patch does not apply: ${p#"$KDIR"/}"
		fi
		log "applied ${p#"$KDIR"/}"
	done
}

# Merge a config fragment into $1/.config (O= dir $1, source tree $2) and
# check that every option of the fragment ended up as asked.
merge_fragment() {
	local obj=$1 tree=$2 frag=$3 line opt want got bad=0
	"$tree"/scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" "$frag" >"$obj/merge.log" 2>&1 ||
		{ cat "$obj/merge.log" >&2; die "merge_config failed for $frag"; }
	make -s -C "$tree" O="$obj" olddefconfig >/dev/null
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*) opt=${line%%=*}; want=$line ;;
		"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}; want="" ;;
		*) continue ;;
		esac
		got=$(grep -E "^$opt=" "$obj/.config" || true)
		if [ "$want" != "$got" ]; then
			# "is not set" is satisfied by an absent option, too.
			[ -z "$want" ] && [ -z "$got" ] && continue
			log "config: $frag asks '${want:-# $opt is not set}', got '${got:-unset}'"
			bad=1
		fi
	done <"$frag"
	[ $bad = 0 ] || die "config fragment ${frag#"$KDIR"/} not fully applied (dependencies?)"
}
