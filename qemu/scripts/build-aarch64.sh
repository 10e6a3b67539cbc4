#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make -C qemu build-aarch64 | build-arm64-host: qemu-system-aarch64 for the
# aarch64 virt machine (issue 19) from build/tree/qemu (the pinned source
# with our series), in the smallest configuration that does the job:
#
#   build-aarch64.sh native   x86_64 host, TCG (and qtest), in build/aarch64:
#                             the qtests (qmp-cmd-test, async-pf-test), and
#                             QMP/HMP under TCG; KVM code is not compiled
#                             here (no arm64 KVM on an x86_64 host)
#   build-aarch64.sh arm64    cross-built for an arm64 host
#                             (aarch64-linux-gnu-gcc, the :arm64 -dev
#                             packages of scripts/install-deps), KVM only,
#                             in build/arm64-host: the aarch64 lab's L1 VMM,
#                             and async-pf-test, whose KVM cases need an
#                             arm64 host with /dev/kvm (run it there with
#                             QTEST_QEMU_BINARY=./qemu-system-aarch64)
#
# Both: --target-list=aarch64-softmmu, no default features or devices,
# libfdt from the system; the boards: natively QEMU's
# configs/devices/aarch64-softmmu/minimal.mak (virt and sbsa-ref), for arm64
# hosts configs/aarch64-kvm.mak (virt alone: sbsa-ref needs TCG).  Incremental, like build.sh; the time of each
# build is appended to build/times.log.
. "$(dirname "$0")/common.sh"

kind=${1:-}
T0=$(now)
tree=$BUILD/tree/qemu
[ -f "$tree/VERSION" ] || die "no ${tree#"$QDIR"/}; run make apply"
load_base_from "$BUILD/tree/base"

opts="--python=$PYTHON --firmwarepath=/usr/share/qemu"
case $kind in
native)
	obj=$BUILD/aarch64
	opts="$opts $AARCH64_OPTS --with-devices-aarch64=minimal --enable-tcg"
	targets="qemu-system-aarch64 tests/qtest/qmp-cmd-test tests/qtest/async-pf-test"
	;;
arm64)
	obj=$BUILD/arm64-host
	prepare_cross_host arm64 "$tree" "$BUILD/arm64-fdt"
	opts="$opts $CROSS_OPTS"
	targets="qemu-system-aarch64 tests/qtest/async-pf-test"
	;;
*) die "usage: build-aarch64.sh native|arm64" ;;
esac

# shellcheck disable=SC2086
configure_and_build "$tree" "$obj" "$opts" $targets
if grep -E ' warning: ' "$obj/ninja.log" >&2; then
	die "the build has warnings (log: ${obj#"$QDIR"/}/ninja.log)"
fi
commit_series_stamp "$obj"
bin=$obj/qemu-system-aarch64
if [ "$kind" = native ]; then
	"$bin" --version | head -1 | grep -qF "($APF_PKGVERSION)" ||
		die "qemu-system-aarch64 --version does not show $APF_PKGVERSION"
else
	for f in "$bin" "$obj/tests/qtest/async-pf-test"; do
		file -b "$f" | grep -q 'ARM aarch64' || die "$f is not an arm64 binary"
	done
	# grep -a on the file itself: "strings | grep -q" fails under pipefail
	# (SIGPIPE) exactly when it finds the string
	grep -aqF "($APF_PKGVERSION)" "$bin" || die "$bin does not carry $APF_PKGVERSION"
fi
secs=$(( $(now) - T0 ))
echo "$(date -u +%FT%TZ) build-aarch64 $kind ${secs}s jobs=$JOBS $(nproc)cpu $APF_PKGVERSION" >>"$BUILD/times.log"
log "built ${bin#"$QDIR"/} ($kind) in ${secs}s"
