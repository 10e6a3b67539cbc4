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
#   4. the tree's uapi headers installed (build/arm64/out-apf-defconfig/usr)
#      and the arm64 KVM selftest of the series (aarch64/async_pf_test)
#      cross-built against them, static, as the aarch64 lab runs it
#      (build/arm64/selftests/aarch64/async_pf_test), with the two upstream
#      selftests that look at what the series adds (aarch64/hypercalls: the
#      vendor hypervisor bitmap, where bit 48 is valid but clear by default;
#      get-reg-list: the firmware registers 0x4150 and 0x4151, listed only
#      once bit 48 is set), which the series must leave passing unchanged,
#      so that at least a test that no longer compiles against the series'
#      headers is caught; a compiler warning in any of their sources fails
#      the check;
#   5. with ARM64_LINK=1, also a link of vmlinux from tinyconfig + KVM +
#      tracing (build/arm64/out-link; ~7 min the first time on 2 cores), which
#      catches undefined symbols that the object build cannot.
# Steps 1-3 are common.sh's xcheck, shared with ppc64-check.sh.
# Part of `make -C kernel check` (and so of the top-level make check) since
# the series and its selftest passed in the aarch64 lab (issue 19); step 5
# is not.  JOBS=N (default 2); runs under nice -n 10.
. "$(dirname "$0")/common.sh"

XNAME=arm64
XARCH=arm64
CROSS_COMPILE=${CROSS_COMPILE:-aarch64-linux-gnu-}

xconfig() { # $1 = source tree, $2 = O= dir, then CONFIG_X=y that must stick
	local src=$1 obj=$2 o
	shift 2
	xmake "$src" "$obj" -s defconfig >/dev/null
	# Tracing on, so that the kvm tracepoint calls are compiled too.
	"$src"/scripts/config --file "$obj/.config" -e VIRTUALIZATION -e KVM -d WERROR -d KVM_WERROR \
		-e FTRACE -e ENABLE_DEFAULT_TRACERS
	xmake "$src" "$obj" -s olddefconfig >/dev/null
	for o in CONFIG_KVM=y CONFIG_TRACEPOINTS=y "$@"; do
		grep -qx "$o" "$obj/.config" || die "arm64 config: $o did not stick"
	done
}

# xselftest: the uapi headers of the tree, and the arm64 async PF selftest
# and the upstream ones the series updates cross-built against them, static
# (L1 of the aarch64 lab has no libraries).
XSELFTESTS="aarch64/async_pf_test aarch64/hypercalls get-reg-list"
xselftest() {
	local tree=$XDIR/tree obj=$XDIR/out-apf-defconfig out=$XDIR/selftests t w
	xmake "$tree" "$obj" -s headers_install >/dev/null
	rm -rf "$out"
	mkdir -p "$out"
	if ! nice -n 10 make -C "$tree/tools/testing/selftests/kvm" ARCH=arm64 \
		CROSS_COMPILE="$CROSS_COMPILE" OUTPUT="$out" \
		KHDR_INCLUDES="-isystem $obj/usr/include" LDFLAGS="-static -no-pie -pthread" \
		-j"$JOBS" $(printf "$out/%s " $XSELFTESTS) >"$out/build.log" 2>&1; then
		tail -40 "$out/build.log" >&2
		die "the arm64 KVM selftests do not build (log: ${out#"$KDIR"/}/build.log)"
	fi
	for t in $XSELFTESTS; do
		[ -x "$out/$t" ] || die "no ${out#"$KDIR"/}/$t"
		# get-reg-list is built from get-reg-list.c and aarch64/get-reg-list.c
		w=$(grep -E "(^|/)${t#*/}\.c:[0-9]+(:[0-9]+)?: (warning|error):" "$out/build.log" || true)
		if [ -n "$w" ]; then
			echo "$w" >&2
			die "$t.c has compiler warnings"
		fi
		# grep -c reads all of readelf's output (no SIGPIPE under pipefail)
		[ "$("${CROSS_COMPILE}readelf" -l "$out/$t" | grep -c 'Requesting program interpreter')" = 0 ] ||
			die "$t is not static"
	done
	xstep "selftests/kvm/{${XSELFTESTS// /,}} cross-build, static, 0 warnings (${out#"$KDIR"/})"
}

xinit
xcheck "arch/arm64/kvm/ $(xtargets arch/arm64/kvm/ virt/kvm/ tools/)" \
	"CONFIG_KVM_ASYNC_PF=y CONFIG_ARM64_KVM_ASYNC_PF_GUEST=y" defconfig
xselftest

if [ "${ARM64_LINK:-0}" = 1 ]; then
	tree=$XDIR/tree obj=$XDIR/out-link
	mkdir -p "$obj"
	xmake "$tree" "$obj" -s tinyconfig >/dev/null
	"$tree"/scripts/config --file "$obj/.config" -e VIRTUALIZATION -e KVM -e MULTIUSER \
		-e EVENTFD -e FTRACE -e ENABLE_DEFAULT_TRACERS -e ARM_PSCI_FW \
		-e ARM64_KVM_ASYNC_PF_GUEST -d WERROR
	xmake "$tree" "$obj" -s olddefconfig >/dev/null
	for o in CONFIG_KVM=y CONFIG_KVM_ASYNC_PF=y CONFIG_ARM64_KVM_ASYNC_PF_GUEST=y \
		CONFIG_TRACEPOINTS=y; do
		grep -qx "$o" "$obj/.config" || die "arm64 link config: $o did not stick"
	done
	if ! xmake "$tree" "$obj" -j"$JOBS" vmlinux >"$obj/build.log" 2>&1; then
		tail -40 "$obj/build.log" >&2
		die "arm64 vmlinux link failed (log: ${obj#"$KDIR"/}/build.log)"
	fi
	xstep "vmlinux (tinyconfig + KVM) links: $(grep -c 'warning:' "$obj/build.log" || true) warnings"
fi
log "arm64 check passed in $(($(now) - XT0))s on $(base_version)"
