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
# Downloads (never installed: nothing on the host changes, no root needed).
DL=$BUILD/dl
SRC_DIR=$BUILD/src/$SRC_PKG
# scripts/diffconfig comes from here (rebase points it at the new tree).
DIFFCONFIG_TREE=${DIFFCONFIG_TREE:-$SRC_DIR}
# Debian's configs the packages start from, carried in the repository:
# linux-config-6.12 is arch-specific and bookworm-security keeps only its
# newest build (see configs/debian/PROVENANCE).
DEBCFG=$KDIR/configs/debian
# checkpatch's SPDX check needs python3-ply and python3-git from Debian;
# a python3 earlier on PATH (pyenv) may lack them.
export PATH=/usr/bin:/bin:$PATH

# What a suite build is called (issue 14).  The build is in `uname -r` and
# in the package name, as Debian's ABI names and Proxmox's
# proxmox-kernel-6.8.12-4-pve carry theirs, so that builds install side by
# side and the rollout tells apf1 from apf2:
#   kernel_release ROLE [REL]  6.12.118-apf1-host   (uname -r; LOCALVERSION -apf1-host)
#   image_package ROLE [REL]   linux-image-6.12.118-apf1-host
#   pkg_version [REL]          6.12.118-apf1        (the .deb version)
#   meta_package ROLE          linux-image-apf-host (follows the newest build)
# REL defaults to APF_RELEASE of base.mk.
kernel_release() { echo "$KERNEL_VERSION-apf${2:-$APF_RELEASE}-$1"; }
image_package() { echo "linux-image-$(kernel_release "$@")"; }
pkg_version() { echo "$KERNEL_VERSION-apf${1:-$APF_RELEASE}"; }
meta_package() { echo "linux-image-apf-$1"; }

log() { echo "kernel: $*" >&2; }
warn() { echo "kernel: WARNING: $*" >&2; }
die() { echo "kernel: error: $*" >&2; exit 1; }
now() { date +%s; }

# take_lock NAME: hold $BUILD/.lock-NAME until this script exits, so that
# concurrent makes (make -j2 kernel-deb kernel-rpm) do not race on a path.
take_lock() {
	mkdir -p "$BUILD"
	exec 9>"$BUILD/.lock-$1"
	flock 9
}

# apt options: APF_APT_PREFERENCES=FILE adds a preferences file (Pin-Priority
# -1 hides a version), to rehearse the archive dropping the pinned base.
apt_opts() {
	[ -z "${APF_APT_PREFERENCES:-}" ] || echo "-o Dir::Etc::Preferences=$APF_APT_PREFERENCES"
	[ "$(id -u)" != 0 ] || echo "-o APT::Sandbox::User=root"
}
# apt reads a relative preferences path from /etc/apt and skips a missing
# file: a rehearsal would then hide nothing and pass.
if [ -n "${APF_APT_PREFERENCES:-}" ]; then
	[ -f "$APF_APT_PREFERENCES" ] || { echo "kernel: error: APF_APT_PREFERENCES=$APF_APT_PREFERENCES: no such file" >&2; exit 2; }
	APF_APT_PREFERENCES=$(realpath "$APF_APT_PREFERENCES")
fi

# Versions of package $1 that apt offers (priority >= 0), newest first.
apt_versions() {
	# shellcheck disable=SC2046
	apt-cache $(apt_opts) policy "$1" 2>/dev/null |
		sed -n '/Version table:/,$p' | sed -nE 's/^ (\*\*\*| {3}) ([^ ]+) ([0-9]+)$/\2/p'
}

# Is version $2 of package $1 offered by apt (and not hidden)?
apt_has() {
	apt_versions "$1" | grep -qxF "$2"
}

# Is version $2 of package $1 hidden (a negative Pin-Priority)?  A hidden
# version counts as gone, also when build/dl has it: a rehearsal of the
# archive moving on behaves as a fresh machine would.
apt_hidden() {
	# shellcheck disable=SC2046
	apt-cache $(apt_opts) policy "$1" 2>/dev/null | sed -n '/Version table:/,$p' |
		awk -v v="$2" '($1 == v || ($1 == "***" && $2 == v)) && $NF < 0 { hidden = 1 } END { exit !hidden }'
}

# Refresh the host's apt lists once per run where we can (root); a fresh
# machine's `make deps` did it already.
apt_refresh() {
	if [ "$(id -u)" = 0 ]; then
		mkdir -p "$BUILD"
		log "apt-get update"
		apt-get update -q >"$BUILD/apt-update.log" 2>&1 ||
			{ tail -5 "$BUILD/apt-update.log" >&2; die "apt-get update failed"; }
	else
		warn "not root: using the apt lists as they are (run apt-get update for newer ones)"
	fi
}

# fetch_deb PKG VERSION: Debian's .deb into $DL (apt-get download); prints
# its path.
fetch_deb() {
	local pkg=$1 ver=$2 f
	mkdir -p "$DL"
	f=$(ls "$DL/${pkg}_${ver}"_*.deb 2>/dev/null | head -1)
	if [ -z "$f" ]; then
		# shellcheck disable=SC2046
		(cd "$DL" && apt-get -q $(apt_opts) download "$pkg=$ver" >"$DL/download.log" 2>&1) ||
			{ tail -5 "$DL/download.log" >&2; die "cannot download $pkg $ver"; }
		f=$(ls "$DL/${pkg}_${ver}"_*.deb 2>/dev/null | head -1)
	fi
	[ -n "$f" ] || die "apt-get download gave no ${pkg}_${ver} .deb"
	echo "$f"
}

# The linux-source tarball of Debian version $1, extracted from its .deb
# once (the .deb is then deleted); prints its path.
source_tarball() {
	local ver=$1 tar=$DL/$SRC_PKG-$1.tar.xz deb
	if [ ! -s "$tar" ]; then
		deb=$(fetch_deb "$SRC_PKG" "$ver")
		# One pass over the 150 MB .deb: the tarball and the changelog.
		rm -rf "$DL/x-$ver" && mkdir -p "$DL/x-$ver"
		dpkg-deb --fsys-tarfile "$deb" | tar -xf - -C "$DL/x-$ver" "./usr/src/$SRC_PKG.tar.xz" \
			"./usr/share/doc/$SRC_PKG/changelog.Debian.gz" ||
			die "no $SRC_PKG.tar.xz or changelog in ${deb##*/}"
		mv "$DL/x-$ver/usr/share/doc/$SRC_PKG/changelog.Debian.gz" "$DL/changelog-$ver.gz"
		mv "$DL/x-$ver/usr/src/$SRC_PKG.tar.xz" "$tar"
		rm -rf "$DL/x-$ver" "$deb"
	fi
	echo "$tar"
}

# The base this build uses: the pinned one, or (mode "newest", for checks
# and the lab) the newest linux-source-6.12 when the pinned one has left the
# archive.  Release packages use mode "exact" and fail instead.
# Prints the Debian version.
choose_base() {
	local mode=$1 newest
	if ! apt_hidden "$SRC_PKG" "$KERNEL_DEB_VERSION" &&
		{ [ -s "$DL/$SRC_PKG-$KERNEL_DEB_VERSION.tar.xz" ] || apt_has "$SRC_PKG" "$KERNEL_DEB_VERSION"; }; then
		echo "$KERNEL_DEB_VERSION"
		return 0
	fi
	apt_refresh
	if apt_has "$SRC_PKG" "$KERNEL_DEB_VERSION"; then
		echo "$KERNEL_DEB_VERSION"
		return 0
	fi
	newest=$(apt_versions "$SRC_PKG" | head -1)
	if [ -n "$newest" ] && dpkg --compare-versions "$newest" lt "$KERNEL_DEB_VERSION"; then
		warn "apt offers nothing as new as the pin (newest: $newest): apt lists older than the pin? run apt-get update"
	fi
	if [ "$mode" = exact ]; then
		die "pinned $SRC_PKG $KERNEL_DEB_VERSION is gone from the archive${newest:+ (newest: $newest)}; release packages build exactly what is pinned: run make rebase"
	fi
	[ -n "$newest" ] || die "apt offers no $SRC_PKG at all (bookworm-security in the apt sources?)"
	warn_gone "$newest"
	echo "$newest"
}

# Debian's configs that the packages start from (configs/debian/), as
# carried for version $1 (default: the pinned base): PROVENANCE names the
# version and the sha256 of each file.
DEBCFG_FILES="config.amd64_none_amd64 config.amd64_none_cloud-amd64"
check_debian_configs() {
	local ver=${1:-$KERNEL_DEB_VERSION} f want
	[ "$(sed -n 's/^Version: //p' "$DEBCFG/PROVENANCE" 2>/dev/null)" = "$ver" ] ||
		die "configs/debian/ is not from $CFG_PKG $ver (PROVENANCE); run make -C kernel configs"
	for f in $DEBCFG_FILES; do
		want=$(sed -n "s/^SHA256 $f: //p" "$DEBCFG/PROVENANCE")
		[ -n "$want" ] && [ "$(sha256sum <"$DEBCFG/$f" | cut -d' ' -f1)" = "$want" ] ||
			die "configs/debian/$f does not match its sha256 in PROVENANCE"
	done
}

# The one line scripts and people grep for: the pin left the archive.
warn_gone() {
	warn "pinned $KERNEL_DEB_VERSION is gone from the archive; checked against $1; run make rebase"
}

# Upstream version of a Debian version: 6.12.118-1~deb12u1 -> 6.12.118
upstream_of() { echo "${1%%-*}"; }

# The base build/src holds (source.sh writes it).
base_version() {
	cat "$BUILD/src/.unpacked" 2>/dev/null || die "no unpacked source; run make source"
}

# The patches of the named directories under patches/, in order.
patches_of() {
	local d f
	for d in "$@"; do
		for f in "$KDIR/patches/$d"/*.patch; do
			[ -e "$f" ] && echo "$f"
		done
	done
	return 0
}

# Paths (b/...) that the patches named on stdin touch.
touched_files() { xargs -r sed -n 's|^+++ b/||p' | sort -u; }

# The series, in the order it is applied: host, then guest.
series() { patches_of host guest; }

# Paths (b/...) that the series touches.
series_files() { series | touched_files; }

# Identifies the patched tree: the pinned base and the diffs of the series
# (not the commit messages, so rewording a patch does not force rebuilds).
series_key() {
	local p
	{
		base_version
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

# checkpatch_strict TREE PATCH...: TREE's scripts/checkpatch.pl --strict on
# each patch; dies when any has a finding beyond these:
# FILE_PATH_CHANGES ("added file, does MAINTAINERS need updating?")
# for new files that an existing MAINTAINERS entry already covers (the
# selftests under tools/testing/selftests/kvm/, Documentation/virt/kvm/).
# UNKNOWN_COMMIT_ID for the upstream commits that patches/upstream-commits
# lists: the unpacked source has no git history, so checkpatch cannot look
# up any commit id; that file names each one cited (Fixes:) with its
# subject, checked against upstream by hand, and the citation must carry
# that subject.  Anything else fails.
known_commit() { # $1 = patch, $2 = 12-hex id: listed, and cited with its subject
	local subj
	subj=$(sed -n "s/^$2 //p" "$KDIR/patches/upstream-commits" 2>/dev/null)
	[ -n "$subj" ] && grep -qF "Fixes: $2 (\"$subj\")" "$1"
}
checkpatch_strict() {
	local tree=$1 p out rest id bad
	shift
	bad=0
	for p in "$@"; do
		out=$("$tree"/scripts/checkpatch.pl --strict --show-types --no-summary -q "$p" 2>&1 || true)
		if echo "$out" | grep -q "Traceback"; then
			echo "$out" >&2
			die "checkpatch helper failed (python3-ply, python3-git installed?)"
		fi
		rest=$(echo "$out" | grep -E '^(ERROR|WARNING|CHECK):' | grep -v '^WARNING:FILE_PATH_CHANGES:' || true)
		for id in $(echo "$rest" | sed -n "s/^WARNING:UNKNOWN_COMMIT_ID: Unknown commit id '\([0-9a-f]\{12\}\)'.*/\1/p"); do
			if known_commit "$p" "$id"; then
				rest=$(echo "$rest" | grep -v "^WARNING:UNKNOWN_COMMIT_ID: Unknown commit id '$id'" || true)
			fi
		done
		if [ -n "$rest" ]; then
			echo "$out" >&2
			log "checkpatch --strict: ${p#"$KDIR"/}: FAIL"
			bad=1
		else
			log "checkpatch --strict: ${p#"$KDIR"/}: ok"
		fi
	done
	[ $bad = 0 ] || die "checkpatch found problems"
}

# --- Cross checks of an architecture's series (arm64-check.sh,
# ppc64-check.sh): patches/$XNAME/ on top of the host and guest series, in
# its own tree under $BUILD/$XNAME (build/tree is left alone).  The caller
# sets XNAME, XARCH (make ARCH=) and CROSS_COMPILE, and defines
# xconfig SRC OBJ WANT..., which writes OBJ/.config and checks that each
# CONFIG_X=y of WANT stuck.  JOBS=N; builds run under nice -n 10.

# xinit: the source (newest 6.12 where the pin is gone), the lock, timing.
xinit() {
	XT0=$(now)
	XDIR=$BUILD/$XNAME
	command -v "${CROSS_COMPILE}gcc" >/dev/null ||
		die "no ${CROSS_COMPILE}gcc: apt-get install gcc-${CROSS_COMPILE%-}"
	"$KDIR/scripts/source.sh" newest
	[ -n "$(xseries)" ] || die "no patches in patches/$XNAME/"
	mkdir -p "$XDIR"
	take_lock "$XNAME"
	xstep "source ready ($SRC_PKG $(base_version)), $(xseries | wc -l) $XNAME patches"
}
xstep() { log "$XNAME: [$(($(now) - XT0))s] $*"; }

# The arch series in order, and the paths (b/...) it touches.
xseries() { patches_of "$XNAME"; }
xseries_files() { xseries | touched_files; }

# xmktree DIR WITH: hard-linked copy of the source with own copies of the
# files that the series change, the host and guest series, and with
# WITH=1 the arch series, each patch with --fuzz=0.
xmktree() {
	local t=$1 with=$2 f p
	rm -rf "$t"
	cp -al "$SRC_DIR" "$t"
	for f in $(series_files) $(xseries_files); do
		if [ -f "$t/$f" ]; then
			cp -p "$t/$f" "$t/$f.unlink" && mv "$t/$f.unlink" "$t/$f"
		fi
	done
	apply_series "$t" 2>/dev/null
	[ "$with" = 1 ] || return 0
	for p in $(xseries); do
		patch -d "$t" -p1 --forward --batch --fuzz=0 --no-backup-if-mismatch -s <"$p" ||
			die "patch does not apply: ${p#"$KDIR"/}"
		log "applied ${p#"$KDIR"/}"
	done
}

# xtargets DIR...: the series' .c files outside DIR... as .o targets.
xtargets() {
	local f d t out=''
	for f in $(xseries_files); do
		case $f in *.c) ;; *) continue ;; esac
		for d in "$@"; do
			case $f in "$d"*) continue 2 ;; esac
		done
		t=${f%.c}.o
		case " $out " in *" $t "*) ;; *) out="$out $t" ;; esac
	done
	echo "${out# }"
}

xmake() { nice -n 10 make -C "$1" O="$2" ARCH="$XARCH" CROSS_COMPILE="$CROSS_COMPILE" "${@:3}"; }

# Compiler warnings of a build log (file:line[:col]: warning:, so not the
# bison notes of a first build's host tools), without line numbers and
# tree paths.
xwarnings() {
	{ grep -E ':[0-9]+(:[0-9]+)?: (warning|error):' "$1" || true; } |
		sed -E 's/:[0-9]+(:[0-9]+)?:/:/; s/^.*\/(tree|base|linux-source-6.12)\///' | sort -u
}

# xw1build SIDE SRC CFG TARGETS WANT: W=1 build of TARGETS in
# $XDIR/out-SIDE-CFG; xconfig gets CFG as $XCFG.  Objects of files that
# the series adds are skipped where SRC lacks them (the base side).
xw1build() {
	local side=$1 src=$2 XCFG=$3 targets=$4 want=$5 obj t side_targets=''
	obj=$XDIR/out-$side-$XCFG
	for t in $targets; do
		case $t in *.o) [ -f "$src/${t%.o}.c" ] || continue ;; esac
		side_targets="$side_targets $t"
	done
	mkdir -p "$obj"
	# shellcheck disable=SC2086
	xconfig "$src" "$obj" $want
	# shellcheck disable=SC2086
	if ! xmake "$src" "$obj" -j"$JOBS" W=1 $side_targets >"$obj/w1.log" 2>&1; then
		tail -40 "$obj/w1.log" >&2
		die "$XNAME W=1 build failed on the $side tree, $XCFG (log: ${obj#"$KDIR"/}/w1.log)"
	fi
	xwarnings "$obj/w1.log" >"$XDIR/warnings-$side-$XCFG"
	xstep "W=1 build ($side, $XCFG): $(wc -l <"$XDIR/warnings-$side-$XCFG") warnings"
}

# xbase_targets CFG TARGETS: what the base side has to build to compare
# the warnings of the series' build for CFG: the objects of the .c files
# they are in (arch/arm64/kvm/at.c's two upstream warnings: at.o, not all
# of arch/arm64/kvm/), or all of TARGETS where one is in another file (a
# header, a generated file).
xbase_targets() {
	local f out=''
	while IFS= read -r f; do
		case $f in
		/* | *[!a-zA-Z0-9_./-]*) echo "$2"; return 0 ;;
		*.c) out="$out ${f%.c}.o" ;;
		*) echo "$2"; return 0 ;;
		esac
	done < <(sed -E 's/: (warning|error):.*//' "$XDIR/warnings-apf-$1" | sort -u)
	echo "${out# }"
}

# xcheck TARGETS WANT CFG...: tree with the series, checkpatch --strict on
# it, a W=1 build per CFG; where one warns, the same build of the tree
# without the series (base + host + guest, $XDIR/base) of the objects that
# warned (xbase_targets), and only new warnings fail.
xcheck() {
	local targets=$1 want=$2 cfg new tree=$XDIR/tree base=''
	shift 2
	xmktree "$tree" 1
	xstep "host + guest + $XNAME series apply on $(base_version) (${tree#"$KDIR"/})"
	# shellcheck disable=SC2046 # patch paths: no blanks, one a word
	checkpatch_strict "$tree" $(xseries)
	xstep "checkpatch --strict clean"
	log "$XNAME W=1 targets: $targets"
	for cfg in "$@"; do
		xw1build apf "$tree" "$cfg" "$targets" "$want"
	done
	for cfg in "$@"; do
		[ -s "$XDIR/warnings-apf-$cfg" ] || continue
		[ -n "$base" ] || { xmktree "$XDIR/base" 0 && base=1; }
		xw1build base "$XDIR/base" "$cfg" "$(xbase_targets "$cfg" "$targets")" ""
		new=$(comm -13 "$XDIR/warnings-base-$cfg" "$XDIR/warnings-apf-$cfg")
		if [ -n "$new" ]; then
			echo "$new" >&2
			die "the $XNAME series adds W=1 warnings ($cfg)"
		fi
	done
	xstep "no new W=1 warnings"
}
