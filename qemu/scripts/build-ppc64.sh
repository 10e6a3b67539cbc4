#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make -C qemu build-ppc64-host: qemu-system-ppc64 cross-built for a
# ppc64el host (issue 23) from build/tree/qemu (the pinned source with our
# series), in build/ppc64-host: the ppc64 lab's L1 VMM, which runs the
# pseries L2 guest under KVM-HV.  KVM only, pseries only
# (configs/ppc64-kvm.mak), libfdt from the system (common.sh,
# prepare_cross_host).  Incremental, like build.sh; the time of each build
# is appended to build/times.log.
. "$(dirname "$0")/common.sh"

T0=$(now)
tree=$BUILD/tree/qemu
[ -f "$tree/VERSION" ] || die "no ${tree#"$QDIR"/}; run make apply"
load_base_from "$BUILD/tree/base"

obj=$BUILD/ppc64-host
prepare_cross_host ppc64el "$tree" "$BUILD/ppc64-fdt"
opts="--python=$PYTHON --firmwarepath=/usr/share/qemu $CROSS_OPTS"

# shellcheck disable=SC2086
configure_and_build "$tree" "$obj" "$opts" qemu-system-ppc64
if grep -E ' warning: ' "$obj/ninja.log" >&2; then
	die "the build has warnings (log: ${obj#"$QDIR"/}/ninja.log)"
fi
commit_series_stamp "$obj"
bin=$obj/qemu-system-ppc64
file -b "$bin" | grep -q '64-bit LSB.*PowerPC' || die "$bin is not a ppc64el binary"
# grep -a on the file itself: "strings | grep -q" fails under pipefail
grep -aqF "($APF_PKGVERSION)" "$bin" || die "$bin does not carry $APF_PKGVERSION"
secs=$(( $(now) - T0 ))
echo "$(date -u +%FT%TZ) build-ppc64-host ${secs}s jobs=$JOBS $(nproc)cpu $APF_PKGVERSION" >>"$BUILD/times.log"
log "built ${bin#"$QDIR"/} (ppc64el host, KVM) in ${secs}s"
