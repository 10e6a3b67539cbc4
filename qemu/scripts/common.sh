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
QEMU_DEB_PACKAGES=$(sed -n 's/^QEMU_DEB_PACKAGES *:= *//p' "$QDIR/base.mk")
APF_RELEASE=$(sed -n 's/^APF_RELEASE *:= *//p' "$QDIR/base.mk")
SEABIOS_DEB_VERSION=$(sed -n 's/^SEABIOS_DEB_VERSION *:= *//p' "$QDIR/base.mk")
SEABIOS_SHA256=$(sed -n 's/^SEABIOS_SHA256 *:= *//p' "$QDIR/base.mk")
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
# Firmware comes from Debian's seabios and ipxe-qemu packages, as in
# Debian's own build; the +ds source has no ROMs.
FIRMWARE_DIRS="/usr/share/seabios /usr/lib/ipxe/qemu"
FIRMWARE_PATH=/usr/share/qemu:${FIRMWARE_DIRS// /:}

log() { echo "qemu: $*" >&2; }
die() { echo "qemu: error: $*" >&2; exit 1; }
now() { date +%s; }

# Run from the build directory $1, QEMU looks for firmware under
# qemu-bundle/<firmware path> only; point those at Debian's firmware.
bundle_firmware() {
	local d
	for d in $FIRMWARE_DIRS; do
		[ -d "$d" ] || die "no $d: install seabios and ipxe-qemu (make deps)"
		mkdir -p "$1/qemu-bundle${d%/*}"
		ln -sfn "$d" "$1/qemu-bundle$d"
	done
}

# run_qtest OBJ TEST TAP [ARGS...]: the qtest OBJ/TEST against
# OBJ/qemu-system-x86_64 (the caller's environment passes on, LD_PRELOAD
# say), TAP output in OBJ/TAP; fails, with the lines that are not "ok",
# when it does.
run_qtest() {
	local obj=$1 t=$2 tap=$3
	shift 3
	if ! QTEST_QEMU_BINARY=$obj/qemu-system-x86_64 timeout 600 "$obj/$t" --tap -k "$@" \
		>"$obj/$tap" 2>&1; then
		grep -v '^ok' "$obj/$tap" | tail -20 >&2
		return 1
	fi
}

# cross_triplet ARCH: the GNU triplet of the Debian architecture ARCH that
# the cross builds here support (its compiler is TRIPLET-gcc).
cross_triplet() {
	case $1 in
	arm64) echo aarch64-linux-gnu ;;
	ppc64el) echo powerpc64le-linux-gnu ;;
	*) die "unknown cross architecture $1 (arm64, ppc64el)" ;;
	esac
}

# cross_packages ARCH: the packages a cross build for ARCH links against
# (fdt_link_dir says why libfdt-dev stays amd64).
cross_packages() {
	echo "libglib2.0-dev:$1 zlib1g-dev:$1 libfdt1:$1 libfdt-dev:amd64"
}

# cross_deps_present ARCH: whether the cross compiler and
# cross_packages ARCH are installed (check.sh skips an architecture
# without them, as on CI; fdt_link_dir names the missing one).
cross_deps_present() {
	# shellcheck disable=SC2046
	command -v "$(cross_triplet "$1")-gcc" >/dev/null &&
		dpkg -s $(cross_packages "$1") >/dev/null 2>&1
}

# fdt_link_dir ARCH DIR: what the cross builds for Debian architecture
# ARCH (arm64: build-aarch64.sh; ppc64el: build-ppc64.sh; and check.sh)
# link libfdt with.  libfdt-dev is not Multi-Arch: same (its headers are
# in /usr/include), so installing libfdt-dev:ARCH removes the amd64 one
# that every x86 build here needs.  Instead: the amd64 package's headers
# (the same version) and libfdt1:ARCH's library, through a libfdt.so
# link in DIR (-L DIR).  Also checks the cross compiler and the other
# :ARCH packages.
fdt_link_dir() {
	local arch=$1 dir=$2 triplet p
	triplet=$(cross_triplet "$arch")
	command -v "$triplet-gcc" >/dev/null ||
		die "no $triplet-gcc: apt-get install gcc-$triplet (scripts/install-deps)"
	for p in $(cross_packages "$arch"); do
		dpkg -s "$p" >/dev/null 2>&1 ||
			die "no $p: APF_CROSS_ARCHES=$arch scripts/install-deps (never libfdt-dev:$arch: it removes libfdt-dev:amd64)"
	done
	mkdir -p "$dir"
	ln -sfn "/usr/lib/$triplet/libfdt.so.1" "$dir/libfdt.so"
}

# softmmu_opts TARGET: configure's options of every qemu-system build
# here: one target, only the devices a configuration names, device trees
# from the system's libfdt.
softmmu_opts() {
	echo "--target-list=$1-softmmu --without-default-features --without-default-devices" \
		"--enable-fdt=system --disable-docs --disable-user --disable-install-blobs"
}
AARCH64_OPTS=$(softmmu_opts aarch64)

# prepare_cross_host ARCH TREE FDTDIR: the QEMU of the nested labs' L1 on
# a Debian ARCH host, cross-compiled: arm64 (build-aarch64.sh arm64, the
# aarch64 lab) runs L2 under KVM on virt; ppc64el (build-ppc64.sh, the
# ppc64 lab, issue 23) under KVM-HV on pseries.  KVM only (TCG's front
# ends are most of the build time), only the devices of
# configs/TARGET-kvm.mak, which it installs into TREE; libfdt through
# fdt_link_dir in FDTDIR.  Sets CROSS_OPTS, configure's options but
# --python and --firmwarepath.
prepare_cross_host() {
	local arch=$1 target
	case $arch in
	arm64) target=aarch64 ;;
	ppc64el) target=ppc64 ;;
	*) die "prepare_cross_host: unknown architecture $arch" ;;
	esac
	fdt_link_dir "$arch" "$3"
	cp "$QDIR/configs/$target-kvm.mak" "$2/configs/devices/$target-softmmu/apf-kvm.mak"
	CROSS_OPTS="$(softmmu_opts "$target") --with-devices-$target=apf-kvm
		--cross-prefix=$(cross_triplet "$arch")- --enable-kvm --disable-tcg --extra-ldflags=-L$3"
}

# ninja_strict OBJ WHAT TARGET...: build the targets, failing on an error
# or on a warning (WHAT names them in the message).
ninja_strict() {
	local obj=$1 what=$2
	shift 2
	if ! ninja -C "$obj" -j"$JOBS" "$@" >"$obj/ninja.log" 2>&1; then
		grep -E -A5 'error|warning' "$obj/ninja.log" | head -60 >&2
		die "$what do not compile"
	fi
	if grep -E ' warning: ' "$obj/ninja.log" >&2; then
		die "$what compile with warnings"
	fi
}

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

# Configure $2 (build dir) from $1 (tree) with options $3 unless it was
# configured with them already, then build the ninja targets $4...: a file
# the last build's series patched and this one does not is a hard link to
# build/src again, with the source's old mtime, so ninja would keep the
# patched object (seen when a patch left the series): such a file gets a
# fresh copy first.  Leaves $2/ninja.log; the caller commits the series
# stamp (commit_series_stamp) once it has checked the result.
configure_and_build() {
	local tree=$1 obj=$2 opts=$3 want f
	shift 3
	want=$(printf '%s\n' "$opts" "$APF_PKGVERSION" | sha256sum)
	if [ ! -f "$obj/build.ninja" ] || [ "$(cat "$obj/.apf-configured" 2>/dev/null)" != "$want" ]; then
		rm -rf "$obj"
		mkdir -p "$obj"
		log "configuring ${obj#"$QDIR"/}"
		# shellcheck disable=SC2086
		if ! (cd "$obj" && "$tree/configure" $opts --with-pkgversion="$APF_PKGVERSION" \
			>configure.log 2>&1); then
			tail -30 "$obj/configure.log" >&2
			die "configure failed"
		fi
		echo "$want" >"$obj/.apf-configured"
	fi
	series_files >"$obj/.apf-series-files.now"
	if [ -f "$obj/.apf-series-files" ]; then
		comm -23 "$obj/.apf-series-files" "$obj/.apf-series-files.now" | while read -r f; do
			if [ -f "$tree/$f" ]; then
				cp "$tree/$f" "$tree/$f.fresh" && mv "$tree/$f.fresh" "$tree/$f"
			fi
		done
	fi
	if ! ninja -C "$obj" -j"$JOBS" "$@" >"$obj/ninja.log" 2>&1; then
		grep -E -B2 -A8 'error' "$obj/ninja.log" | head -80 >&2
		die "build failed (log: ${obj#"$QDIR"/}/ninja.log)"
	fi
}

commit_series_stamp() {
	mv "$1/.apf-series-files.now" "$1/.apf-series-files"
}

# The base in use (set_base VERSION): the pinned one, or under source.sh's
# fallback the newest of the same line.  BASE_VERSION is the upstream
# version its VERSION file must say.
set_base() {
	BASE_DEB_VERSION=$1
	BASE_NOEPOCH=${1#*:}
	BASE_UPSTREAM_DS=${BASE_NOEPOCH%-*}
	BASE_VERSION=${BASE_UPSTREAM_DS%%+*}
	BASE_DSC=$DL/qemu_${BASE_NOEPOCH}.dsc
}
set_base "$QEMU_DEB_VERSION"
# The stable line the series follows (10.0 for 10.0.13).
QEMU_LINE=${QEMU_VERSION%.*}

# load_base: the base that source.sh last unpacked into build/src/qemu
# ($BUILD/src/base: "MODE VERSION"); the callers of source.sh use this.
# load_base_from FILE: the same from another copy (build/tree/base).
# Both set BASE_* and APF_PKGVERSION.
load_base() {
	load_base_from "$BUILD/src/base"
}
load_base_from() {
	local mode ver f=$1
	read -r mode ver <"$f" || die "no ${f#"$QDIR"/}; run source.sh"
	set_base "$ver"
	BASE_MODE=$mode
	if [ "$BASE_DEB_VERSION" = "$QEMU_DEB_VERSION" ]; then
		APF_PKGVERSION="${QEMU_DEB_VERSION}+apf${APF_RELEASE}, APF Suite build"
	else
		# Not a release: say so in `qemu-system-x86_64 --version`.
		APF_PKGVERSION="${BASE_DEB_VERSION}+apf${APF_RELEASE}~unpinned, APF Suite build"
	fi
}

# git_base_tree SRC DEST: DEST, a git tree of SRC (an unpacked base) with
# one commit, tagged apf-base, on which patches go by `git am`.
git_base_tree() {
	local src=$1 dest=$2
	rm -rf "$dest"
	mkdir -p "$(dirname "$dest")"
	cp -a "$src" "$dest"
	rm -rf "$dest/.pc"
	git -C "$dest" init -q
	git -C "$dest" config user.name "APF Suite Maintainers"
	git -C "$dest" config user.email maintainers@apf-suite.invalid
	git -C "$dest" add -A >/dev/null
	git -C "$dest" commit -q -m "Debian qemu $BASE_DEB_VERSION"
	git -C "$dest" tag apf-base
}

# patch_notes PATCH: the notes of a git format-patch file, the text between
# its `---` line and the diffstat (which `git am` drops; dev.sh keeps them
# as git notes, export.sh puts them back).  The diffstat is found from the
# end: the lines before the first "diff --git", its summary ("N files
# changed") and the mode lines after it.
patch_notes() {
	awk '
		/^---$/ && !start { start = NR; next }
		start && /^diff --git / { end = NR; exit }
		start { line[NR] = $0 }
		END {
			if (!start || !end)
				exit
			i = end - 1
			while (i > start && line[i] == "")
				i--
			while (i > start && line[i] ~ /^ (create|delete) mode |^ mode change |^ rename |^ copy /)
				i--
			if (i > start && line[i] ~ /^ [0-9]+ files? changed/)
				i--
			while (i > start && line[i] ~ /^ .*\|/)
				i--
			while (i > start && line[i] == "")
				i--
			for (j = start + 1; j <= i; j++)
				print line[j]
		}
	' "$1"
}

# new_files PATCH: the files that PATCH adds.
new_files() {
	awk '/^diff --git /{ f = $4 } /^new file mode/{ sub(/^b\//, "", f); print f }' "$1"
}

# maintained TREE FILE...: whether an existing MAINTAINERS section of TREE
# (where the files are) has a maintainer or reviewer for each file.
maintained() {
	local tree=$1 f
	shift
	[ $# -gt 0 ] || return 1
	for f in "$@"; do
		(cd "$tree" && perl scripts/get_maintainer.pl --no-git --no-git-fallback -f "$f" 2>/dev/null) |
			grep -qE '\((maintainer|odd fixer|supporter|reviewer):' || return 1
	done
}

# checkpatch_clean TREE PATCH...: QEMU's scripts/checkpatch.pl (from TREE,
# with the patches applied) on each patch; fails unless every one is clean.
# Allowed: checkpatch's reminder to use scripts/update-linux-headers.sh, in
# a patch that touches linux-headers/ only: our KVM capability is not in
# upstream Linux, so its definition is added by hand (see that patch); and
# its "does MAINTAINERS need updating?" in a patch that only adds files
# (no MAINTAINERS change, no move or deletion) which a section of
# MAINTAINERS already covers, by a pattern such as hw/*/spapr*
# (get_maintainer.pl -f): a MAINTAINERS hunk would be redundant there.
checkpatch_clean() {
	local tree=$1 p out rest bad=0
	local mwarn='^WARNING: added, moved or deleted file(s), does MAINTAINERS need updating?'
	shift
	for p in "$@"; do
		out=$(cd "$tree" && perl scripts/checkpatch.pl --no-color "$p" 2>&1 || true)
		rest=$(echo "$out" | grep -E '^(ERROR|WARNING):' || true)
		if [ -z "$(sed -n 's|^+++ b/||p' "$p" | grep -v '^linux-headers/')" ]; then
			rest=$(echo "$rest" | grep -v '^WARNING: added, moved or deleted file(s) imported from Linux' || true)
		fi
		# shellcheck disable=SC2046
		if echo "$rest" | grep -q "$mwarn" &&
			! grep -qE '^(\+\+\+|---) [ab]/MAINTAINERS$|^(deleted file mode|rename from|copy from) ' "$p" &&
			maintained "$tree" $(new_files "$p"); then
			rest=$(echo "$rest" | grep -v "$mwarn" || true)
			log "checkpatch: ${p#"$QDIR"/}: its new files are in MAINTAINERS already"
		fi
		if [ -n "$rest" ] || ! echo "$out" | grep -q '^total: 0 errors'; then
			echo "$out" >&2
			log "checkpatch: ${p#"$QDIR"/}: FAIL"
			bad=1
		else
			log "checkpatch: ${p#"$QDIR"/}: ok"
		fi
	done
	return $bad
}

# Unpack the Debian source package of the base (set_base) into $1 (with
# Debian's own patches applied, as dpkg-source does).
unpack_to() {
	local dest=$1
	rm -rf "$dest"
	mkdir -p "$(dirname "$dest")"
	dpkg-source --no-check -x "$BASE_DSC" "$dest" >/dev/null ||
		die "dpkg-source -x ${BASE_DSC##*/} failed"
	[ "$(cat "$dest/VERSION")" = "$BASE_VERSION" ] ||
		die "$dest/VERSION is $(cat "$dest/VERSION"), expected $BASE_VERSION (from $BASE_DEB_VERSION)"
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

# --- building the Debian packages ------------------------------------------------
# deb_build DSC DIR: dpkg-source -x DSC in DIR (fresh), dpkg-buildpackage -b;
# the .debs land in DIR (deb.sh, repro-check.sh).  Build options:
# DEB_BUILD_OPTIONS nocheck and the nocheck profile (no block test suite
# and its build dependencies), which do not change the packages.
deb_build() {
	local dsc=$1 dir=$2 tree nc=
	tree=$dir/$(sed -n 's/^Version: \([0-9]*:\)\{0,1\}\([^-+]*\).*/qemu-\2/p' "$dsc")
	if [ "${QEMU_DEB_RESUME:-0}" = 1 ] && [ -f "$tree/debian/rules" ]; then
		log "resuming in ${tree#"$QDIR"/} (QEMU_DEB_RESUME=1: not for release)"
		nc=-nc
	else
		rm -rf "$dir"
		mkdir -p "$dir"
		dpkg-source -x "$dsc" "$tree" >"$dir/extract.log" 2>&1 ||
			{ cat "$dir/extract.log" >&2; die "dpkg-source -x ${dsc##*/} failed"; }
	fi
	"$QDIR/scripts/deb-deps.sh" "$tree"
	log "dpkg-buildpackage -b in ${tree#"$QDIR"/}: $(cd "$tree" && dh_listpackages | tr '\n' ' ')(log: ${dir#"$QDIR"/}/build.log)"
	# shellcheck disable=SC2086
	(cd "$tree" && DEB_BUILD_OPTIONS="nocheck parallel=$JOBS" DEB_BUILD_PROFILES=nocheck \
		dpkg-buildpackage -b -uc -us $nc >"$dir/build.log" 2>&1) ||
		{ tail -60 "$dir/build.log" >&2; die "dpkg-buildpackage failed (log: ${dir#"$QDIR"/}/build.log)"; }
}
# --- Debian's archive through private apt states ----------------------------
# Everything from other suites than the host's (trixie's qemu source and
# qemu-system-data, bookworm-backports' seabios) goes through an apt state
# of its own under $BUILD/apt/NAME: the host's /etc/apt and its lists stay
# as they are, and no root is needed.  The host's apt.conf (a proxy) still
# applies.
#
# APF_APT_SOURCES=FILE: more one-line sources for every private state (a
#   mirror, or snapshot.debian.org to build a version that left the archive).
# APF_APT_PREFERENCES=FILE: an apt_preferences(5) file for the private
#   states; versions with a negative Pin-Priority count as gone from the
#   archive (apt_hidden).  apt-get source and apt-get download PKG=VERSION
#   ignore pins, so the scripts choose versions themselves and honour this
#   file there too.  It simulates drift: hide the pinned versions and the
#   scripts behave as on a fresh machine after Debian dropped them (the
#   copies cached in build/dl are not used for hidden versions either).

# apt_state_sources NAME: the one-line sources of private state NAME.
apt_state_sources() {
	local k='[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]'
	local deb=http://deb.debian.org/debian sec=http://deb.debian.org/debian-security
	case $1 in
	trixie-src) # the qemu source package
		echo "deb-src $k $deb trixie main"
		echo "deb-src $k $deb trixie-updates main"
		echo "deb-src $k $sec trixie-security main" ;;
	trixie) # qemu-system-data
		echo "deb $k $deb trixie main"
		echo "deb $k $deb trixie-updates main"
		echo "deb $k $sec trixie-security main" ;;
	bookworm-backports) # seabios (make rebase)
		echo "deb $k $deb bookworm-backports main" ;;
	*) die "no private apt state $1" ;;
	esac
	if [ -n "${APF_APT_SOURCES:-}" ]; then
		[ -f "$APF_APT_SOURCES" ] || die "APF_APT_SOURCES=$APF_APT_SOURCES: no such file"
		grep -E "^$( [ "$1" = trixie-src ] && echo deb-src || echo deb) " "$APF_APT_SOURCES" || true
	fi
}

# papt NAME apt-get|apt-cache ARGS...: run apt in private state NAME.
papt() {
	local d=$BUILD/apt/$1 tool=$2 prefs=${APF_APT_PREFERENCES:-/dev/null}
	shift 2
	[ -f "$prefs" ] || [ "$prefs" = /dev/null ] || die "APF_APT_PREFERENCES=$prefs: no such file"
	"$tool" -q -o "Dir::Etc::SourceList=$d/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o "Dir::Etc::Preferences=$prefs" -o "Dir::Etc::PreferencesParts=$d/preferences.d" \
		-o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache" -o Dir::State::status=/dev/null \
		-o APT::Architectures::=amd64 -o Acquire::Languages=none -o Debug::NoLocking=1 "$@"
}

# apt_update NAME [force]: refresh the lists of private state NAME when
# its sources changed, they are older than an hour, or on `force`.
apt_update() {
	local name=$1 d=$BUILD/apt/$1 want
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/preferences.d"
	want=$(apt_state_sources "$name")
	if [ "${2:-}" != force ] && [ -f "$d/updated" ] && [ "$(cat "$d/sources.list" 2>/dev/null)" = "$want" ] &&
		[ -z "$(find "$d/updated" -mmin +60)" ]; then
		return 0
	fi
	echo "$want" >"$d/sources.list"
	rm -f "$d/updated"
	papt "$name" apt-get update >"$d/update.log" 2>&1 ||
		{ cat "$d/update.log" >&2; die "apt-get update (private state ${d#"$QDIR"/}) failed"; }
	touch "$d/updated"
}

# apt_hidden PKG VERSION [SOURCE]: does APF_APT_PREFERENCES give this
# version (of binary PKG built from SOURCE, or of source PKG) a negative
# priority?  Stanzas: Package (names, src:NAME, globs), Pin: version V
# (globs), Pin-Priority.
apt_hidden() {
	[ -n "${APF_APT_PREFERENCES:-}" ] || return 1
	awk -v pkg="$1" -v ver="$2" -v src="${3:-$1}" '
	function glob(p) { gsub(/[.+^$()|]/, "\\\\&", p); gsub(/\*/, ".*", p); gsub(/\?/, ".", p); return "^" p "$" }
	function done_() {
		if (pr != "" && pr + 0 < 0 && vp != "" && ver ~ glob(vp)) {
			n = split(pk, a, /[ \t]+/)
			for (i = 1; i <= n; i++)
				if (a[i] != "" && (pkg ~ glob(a[i]) || ("src:" src) ~ glob(a[i]))) hit = 1
		}
		pk = vp = pr = ""
	}
	/^[ \t]*$/ { done_(); next }
	/^Package:/ { sub(/^Package:[ \t]*/, ""); pk = $0 }
	/^Pin:[ \t]*version[ \t]/ { sub(/^Pin:[ \t]*version[ \t]+/, ""); sub(/[ \t]+$/, ""); vp = $0 }
	/^Pin-Priority:/ { pr = $2 }
	END { done_(); exit !hit }' "$APF_APT_PREFERENCES"
}

# source_versions: the versions of the qemu source package in the
# private trixie-src state, not hidden, newest first.
source_versions() {
	local v
	papt trixie-src apt-cache showsrc qemu 2>/dev/null | sed -n 's/^Version: //p' | sort -u |
		while read -r v; do apt_hidden qemu "$v" || echo "$v"; done |
		sort_versions
}

# sort_versions: versions on stdin, newest first (dpkg's order).
sort_versions() {
	"$PYTHON" -c '
import functools, subprocess, sys
def cmp(a, b):
    if a == b: return 0
    return -1 if subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0 else 1
vs = [l.strip() for l in sys.stdin if l.strip()]
if vs:
    print("\n".join(sorted(vs, key=functools.cmp_to_key(cmp), reverse=True)))'
}

# in_line VERSION: is this Debian version of qemu in the series' stable
# line (upstream $QEMU_LINE.*)?
in_line() {
	local up=${1#*:}
	up=${up%-*}
	case ${up%%+*} in "$QEMU_LINE".*) return 0 ;; *) return 1 ;; esac
}

# line_versions: the qemu sources of the stable line, newest first.
line_versions() {
	local v
	source_versions | while read -r v; do
		if in_line "$v"; then echo "$v"; fi
	done
}

# newest_in_line: the newest qemu source of the stable line (empty if none).
# (sed, not head: with pipefail, a writer cut off by head fails the pipe.)
newest_in_line() {
	line_versions | sed -n 1p
}

# listed VERSION: does the archive (private trixie-src lists) list this
# qemu source version (not hidden)?
listed() {
	local all
	all=$(source_versions)
	grep -qxF "$1" <<<"$all"
}

# download_source VERSION: the qemu source package VERSION into $DL; fails
# (status 1, apt's output in build/apt/trixie-src/source.log) when the
# archive lists it but does not have its files (seen: trixie-security's
# 10.0.2, a 404).
download_source() {
	mkdir -p "$DL"
	(cd "$DL" && papt trixie-src apt-get source --download-only "qemu=$1" >"$BUILD/apt/trixie-src/source.log" 2>&1)
}

# first_downloadable VERSION...: download the first of these that the
# archive really has; print it (nothing if none).
first_downloadable() {
	local v
	for v in "$@"; do
		if download_source "$v"; then
			echo "$v"
			return 0
		fi
		log "note: qemu $v is listed in the archive but cannot be downloaded; skipped ($(grep -m1 -o '[0-9][0-9][0-9] *Not Found' "$BUILD/apt/trixie-src/source.log" || echo 'see build/apt/trixie-src/source.log'))"
	done
}

# debian_download STATE PKG=VERSION: Debian's own .deb from a private apt
# state (trixie, bookworm-backports) into $DL, named as in the pool without
# the epoch's %3a.  An exact version, checked against APF_APT_PREFERENCES.
debian_download() {
	local name=$1 spec=$2 d=$BUILD/apt/$1 f base
	case $spec in *=*) ;; *) die "debian_download $spec: no version" ;; esac
	apt_hidden "${spec%%=*}" "${spec#*=}" qemu && die "$spec is hidden by APF_APT_PREFERENCES"
	apt_update "$name"
	mkdir -p "$DL"
	(cd "$DL" && papt "$name" apt-get download "$spec" >"$d/download.log" 2>&1) ||
		{ cat "$d/download.log" >&2; die "cannot download $spec ($name)"; }
	for f in "$DL"/*%3a*.deb; do
		[ -e "$f" ] || continue
		base=${f##*/}
		mv "$f" "$DL/${base%%_*}_${base#*%3a}"
	done
	return 0
}
