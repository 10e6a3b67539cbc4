#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# arm64-check.sh: the arm64 async PF series (patches/arm64/, issue 19) on
# top of the host and guest series, in its own tree (build/arm64/tree;
# build/tree is left alone):
#   1. hard-linked copy of the pristine source + host + guest + arm64
#      series, each patch with --fuzz=0;
#   2. checkpatch --strict on every arm64 patch (FILE_PATH_CHANGES allowed,
#      as in check.sh);
#   3. cross build for ARCH=arm64 (CROSS_COMPILE=aarch64-linux-gnu-, from
#      Debian's gcc-aarch64-linux-gnu) of arch/arm64/kvm/ (which includes
#      virt/kvm/) and the other objects the arm64 series touches, with W=1,
#      on defconfig + KVM=y + tracing; if it warns at all, the same build of
#      the tree without the arm64 series (base + host + guest, in
#      build/arm64/base) is done and only new warnings fail.
#   4. with ARM64_LINK=1, also a link of vmlinux from tinyconfig + KVM +
#      tracing (build/arm64/out-link; ~7 min the first time on 2 cores), which
#      catches undefined symbols that the object build cannot.
# Not part of `make check` yet: the arm64 series is not proven (no guest
# side, no lab).  JOBS=N (default 2); runs under nice -n 10.
. "$(dirname "$0")/common.sh"

T0=$(now)
step() { log "arm64: [$(( $(now) - T0 ))s] $*"; }
CROSS_COMPILE=${CROSS_COMPILE:-aarch64-linux-gnu-}
command -v "${CROSS_COMPILE}gcc" >/dev/null ||
	die "no ${CROSS_COMPILE}gcc: apt-get install gcc-aarch64-linux-gnu"
NICE="nice -n 10"

arm64_series() {
	local f
	for f in "$KDIR"/patches/arm64/*.patch; do
		[ -e "$f" ] && echo "$f"
	done
	return 0
}
arm64_files() {
	arm64_series | xargs -r sed -n 's|^+++ b/||p' | sort -u
}

"$KDIR/scripts/source.sh" newest
BASE=$(base_version)
[ -n "$(arm64_series)" ] || die "no patches in patches/arm64/"
step "source ready ($SRC_PKG $BASE), $(arm64_series | wc -l) arm64 patches"

A=$BUILD/arm64
mkdir -p "$A"
take_lock arm64

# mktree DIR WITH_ARM64: hard-linked copy of the source, own copies of the
# files the series change, then the series.
mktree() {
	local t=$1 with=$2 f p
	rm -rf "$t"
	cp -al "$SRC_DIR" "$t"
	for f in $(series_files) $(arm64_files); do
		if [ -f "$t/$f" ]; then
			cp -p "$t/$f" "$t/$f.unlink" && mv "$t/$f.unlink" "$t/$f"
		fi
	done
	apply_series "$t" 2>/dev/null
	[ "$with" = 1 ] || return 0
	for p in $(arm64_series); do
		patch -d "$t" -p1 --forward --batch --fuzz=0 --no-backup-if-mismatch -s <"$p" ||
			die "patch does not apply: ${p#"$KDIR"/}"
		log "applied ${p#"$KDIR"/}"
	done
}
tree=$A/tree
mktree "$tree" 1
step "host + guest + arm64 series apply on $BASE (${tree#"$KDIR"/})"

# shellcheck disable=SC2046 # patch paths: no blanks, one a word
checkpatch_strict "$tree" $(arm64_series)
step "checkpatch --strict clean"

targets="arch/arm64/kvm/"
for f in $(arm64_files); do
	case $f in
	arch/arm64/kvm/* | virt/kvm/*) continue ;;
	*.c) t=${f%.c}.o ;;
	*) continue ;;
	esac
	case " $targets " in *" $t "*) ;; *) targets="$targets $t" ;; esac
done
log "arm64 W=1 targets: $targets"

mk() { $NICE make -C "$1" O="$2" ARCH=arm64 CROSS_COMPILE="$CROSS_COMPILE" "${@:3}"; }
config() { # $1 = source tree, $2 = O= dir
	mk "$1" "$2" -s defconfig >/dev/null
	# Tracing on, so that the kvm tracepoint calls are compiled too.
	"$1"/scripts/config --file "$2/.config" -e VIRTUALIZATION -e KVM -d WERROR -d KVM_WERROR \
		-e FTRACE -e ENABLE_DEFAULT_TRACERS
	mk "$1" "$2" -s olddefconfig >/dev/null
	for o in CONFIG_KVM=y CONFIG_TRACEPOINTS=y ${4:-}; do
		grep -qx "$o" "$2/.config" || die "arm64 config: $o did not stick"
	done
}
warnings() {
	{ grep -E '(warning|error):' "$1" || true; } |
		sed -E 's/:[0-9]+:[0-9]+:/:/; s/^.*\/(tree|base|linux-source-6.12)\///' | sort -u
}
w1build() { # $1 = apf|base, $2 = tree
	local side=$1 src=$2 obj=$A/out-$1 want='' t side_targets=''
	[ "$side" = base ] || want="CONFIG_KVM_ASYNC_PF=y CONFIG_ARM64_KVM_ASYNC_PF_GUEST=y"
	# Objects of files that the arm64 series adds do not exist in base.
	for t in $targets; do
		case $t in *.o) [ -f "$src/${t%.o}.c" ] || continue ;; esac
		side_targets="$side_targets $t"
	done
	mkdir -p "$obj"
	config "$src" "$obj" "" "$want"
	# shellcheck disable=SC2086
	if ! mk "$src" "$obj" -j"$JOBS" W=1 $side_targets >"$obj/w1.log" 2>&1; then
		tail -40 "$obj/w1.log" >&2
		die "arm64 W=1 build failed on the $side tree (log: ${obj#"$KDIR"/}/w1.log)"
	fi
	warnings "$obj/w1.log" >"$A/warnings-$side"
	step "arm64 W=1 build ($side): $(wc -l <"$A/warnings-$side") warnings"
}
w1build apf "$tree"
if [ -s "$A/warnings-apf" ]; then
	mktree "$A/base" 0
	w1build base "$A/base"
	new=$(comm -13 "$A/warnings-base" "$A/warnings-apf")
	if [ -n "$new" ]; then
		echo "$new" >&2
		die "the arm64 series adds W=1 warnings"
	fi
fi
step "no new W=1 warnings"

if [ "${ARM64_LINK:-0}" = 1 ]; then
	obj=$A/out-link
	mkdir -p "$obj"
	mk "$tree" "$obj" -s tinyconfig >/dev/null
	"$tree"/scripts/config --file "$obj/.config" -e VIRTUALIZATION -e KVM -e MULTIUSER \
		-e EVENTFD -e FTRACE -e ENABLE_DEFAULT_TRACERS -e ARM_PSCI_FW \
		-e ARM64_KVM_ASYNC_PF_GUEST -d WERROR
	mk "$tree" "$obj" -s olddefconfig >/dev/null
	for o in CONFIG_KVM=y CONFIG_KVM_ASYNC_PF=y CONFIG_ARM64_KVM_ASYNC_PF_GUEST=y \
		CONFIG_TRACEPOINTS=y; do
		grep -qx "$o" "$obj/.config" || die "arm64 link config: $o did not stick"
	done
	if ! mk "$tree" "$obj" -j"$JOBS" vmlinux >"$obj/build.log" 2>&1; then
		tail -40 "$obj/build.log" >&2
		die "arm64 vmlinux link failed (log: ${obj#"$KDIR"/}/build.log)"
	fi
	step "vmlinux (tinyconfig + KVM) links: $(grep -c 'warning:' "$obj/build.log" || true) warnings"
fi
log "arm64 check passed in $(( $(now) - T0 ))s on $BASE"
