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
#                             in build/arm64-host: the aarch64 lab's L1 VMM
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

opts="--python=$PYTHON --target-list=aarch64-softmmu --without-default-features
	--without-default-devices --enable-fdt=system
	--disable-docs --disable-user --disable-install-blobs --firmwarepath=/usr/share/qemu"
case $kind in
native)
	obj=$BUILD/aarch64
	opts="$opts --with-devices-aarch64=minimal --enable-tcg"
	targets="qemu-system-aarch64 tests/qtest/qmp-cmd-test tests/qtest/async-pf-test"
	;;
arm64)
	obj=$BUILD/arm64-host
	command -v aarch64-linux-gnu-gcc >/dev/null ||
		die "no aarch64-linux-gnu-gcc: apt-get install gcc-aarch64-linux-gnu (scripts/install-deps)"
	fdt_link_dir "$BUILD/arm64-fdt"
	# KVM only: the lab's L1 runs L2 under KVM, and TCG's arm front end is
	# most of the build time.
	cp "$QDIR/configs/aarch64-kvm.mak" "$tree/configs/devices/aarch64-softmmu/apf-kvm.mak"
	opts="$opts --with-devices-aarch64=apf-kvm --cross-prefix=aarch64-linux-gnu- --enable-kvm
		--disable-tcg --extra-ldflags=-L$BUILD/arm64-fdt"
	targets="qemu-system-aarch64"
	;;
*) die "usage: build-aarch64.sh native|arm64" ;;
esac

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
# As build.sh: a file the last series patched and this one does not is a
# hard link to build/src again, with its old mtime; copy it so that ninja
# compiles it again.
stamp=$obj/.apf-series-files
series_files >"$obj/.apf-series-files.now"
if [ -f "$stamp" ]; then
	comm -23 "$stamp" "$obj/.apf-series-files.now" | while read -r f; do
		if [ -f "$tree/$f" ]; then
			cp "$tree/$f" "$tree/$f.fresh" && mv "$tree/$f.fresh" "$tree/$f"
		fi
	done
fi
# shellcheck disable=SC2086
if ! ninja -C "$obj" -j"$JOBS" $targets >"$obj/ninja.log" 2>&1; then
	grep -E -B2 -A8 'error' "$obj/ninja.log" | head -80 >&2
	die "build failed (log: ${obj#"$QDIR"/}/ninja.log)"
fi
if grep -E ' warning: ' "$obj/ninja.log" >&2; then
	die "the build has warnings (log: ${obj#"$QDIR"/}/ninja.log)"
fi
mv "$obj/.apf-series-files.now" "$stamp"
bin=$obj/qemu-system-aarch64
if [ "$kind" = native ]; then
	"$bin" --version | head -1 | grep -qF "($APF_PKGVERSION)" ||
		die "qemu-system-aarch64 --version does not show $APF_PKGVERSION"
else
	file -b "$bin" | grep -q 'ARM aarch64' || die "$bin is not an arm64 binary"
	# grep -a on the file itself: "strings | grep -q" fails under pipefail
	# (SIGPIPE) exactly when it finds the string
	grep -aqF "($APF_PKGVERSION)" "$bin" || die "$bin does not carry $APF_PKGVERSION"
fi
secs=$(( $(now) - T0 ))
echo "$(date -u +%FT%TZ) build-aarch64 $kind ${secs}s jobs=$JOBS $(nproc)cpu $APF_PKGVERSION" >>"$BUILD/times.log"
log "built ${bin#"$QDIR"/} ($kind) in ${secs}s"
