#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# ppc64-pnv-selftest.sh: run the powerpc KVM selftest of the ppc64 series
# (tools/testing/selftests/powerpc/kvm/async_pf_test, ppc64 0005) on a
# KVM-HV host: QEMU's POWER9 PowerNV machine (TCG), booting a small kernel
# of the host + guest + ppc64 series with KVM_BOOK3S_64_HV built in, and
# an initramfs that holds only the static test and lab/ppc64-init.c.
#   1. build/ppc64/pnv-tree: source + host + guest + ppc64 series (fuzz 0);
#   2. build/ppc64/out-pnv: tinyconfig + 64-bit little-endian PowerNV,
#      radix, 4K pages, VSX (Debian's ppc64el userspace needs it), KVM-HV,
#      userfaultfd, OPAL console; vmlinux and the uapi headers;
#   3. the test and the init, static, cross-built with -Wall -Werror;
#   4. qemu-system-ppc64 -M powernv9 -cpu power9 (Debian's qemu-system-ppc
#      and qemu-system-data, for skiboot), console to
#      build/ppc64/pnv-console.log; passes if both of the test's cases
#      (kvm_async_pf, kvm_async_pf_notify) say "success" (a skip fails).
# This runs the controls, H_REG_SNS, the supervisor-state rule and one
# expropriation notification with its "page ready" and subvention
# interrupt on an emulated POWER9 KVM-HV; nothing on POWER hardware.
# Not part of `make check`.
# JOBS=N (default 2); builds run under nice -n 10.
. "$(dirname "$0")/common.sh"

XNAME=ppc64
XARCH=powerpc
CROSS_COMPILE=${CROSS_COMPILE:-powerpc64le-linux-gnu-}
QEMU=${QEMU:-qemu-system-ppc64}
TIMEOUT=${PNV_TIMEOUT:-600}

command -v "$QEMU" >/dev/null ||
	die "no $QEMU: apt-get install -t bookworm-backports qemu-system-ppc qemu-system-data"

xinit
tree=$XDIR/pnv-tree obj=$XDIR/out-pnv rd=$XDIR/pnv-initramfs
xmktree "$tree" 1
xstep "host + guest + ppc64 series apply (${tree#"$KDIR"/})"

mkdir -p "$obj"
xmake "$tree" "$obj" -s tinyconfig >/dev/null
"$tree"/scripts/config --file "$obj/.config" \
	-e PPC64 -e PPC_BOOK3S_64 -d CPU_BIG_ENDIAN -e CPU_LITTLE_ENDIAN \
	-e PPC_POWERNV -e PPC_RADIX_MMU -e SMP -e PPC_4K_PAGES -d PPC_64K_PAGES \
	-e PPC_FPU -e ALTIVEC -e VSX -e PPC_DISABLE_WERROR -d WERROR \
	-e VIRTUALIZATION -e KVM_BOOK3S_64 -e KVM_BOOK3S_64_HV -e KVM_XICS \
	-e BLK_DEV_INITRD -e RD_GZIP -e DEVTMPFS -e PROC_FS -e SYSFS -e TTY \
	-e HVC_CONSOLE -e HVC_OPAL -e PRINTK -e BINFMT_ELF -e MULTIUSER \
	-e FUTEX -e POSIX_TIMERS -e EVENTFD -e EPOLL -e SHMEM -e USERFAULTFD
xmake "$tree" "$obj" -s olddefconfig >/dev/null
for o in CONFIG_PPC_POWERNV=y CONFIG_CPU_LITTLE_ENDIAN=y CONFIG_PPC_RADIX_MMU=y \
	CONFIG_VSX=y CONFIG_KVM_BOOK3S_64_HV=y CONFIG_KVM_ASYNC_PF=y \
	CONFIG_HVC_OPAL=y CONFIG_USERFAULTFD=y CONFIG_BLK_DEV_INITRD=y; do
	grep -qx "$o" "$obj/.config" || die "ppc64 pnv config: $o did not stick"
done
if ! xmake "$tree" "$obj" -j"$JOBS" vmlinux >"$obj/build.log" 2>&1; then
	tail -40 "$obj/build.log" >&2
	die "ppc64 pnv vmlinux build failed (log: ${obj#"$KDIR"/}/build.log)"
fi
xmake "$tree" "$obj" -s headers_install >/dev/null
xstep "vmlinux and headers (${obj#"$KDIR"/})"

rm -rf "$rd"
mkdir -p "$rd/dev" "$rd/proc" "$rd/sys"
st=$tree/tools/testing/selftests/powerpc
nice -n 10 "${CROSS_COMPILE}gcc" -static -std=gnu99 -O2 -Wall -Werror \
	-DGIT_VERSION='"apf"' -I"$st/include" -isystem "$obj/usr/include" \
	"$st/kvm/async_pf_test.c" "$st/harness.c" "$st/utils.c" -lpthread \
	-o "$rd/async_pf_test"
nice -n 10 "${CROSS_COMPILE}gcc" -static -O2 -Wall -Wextra -Werror \
	"$KDIR/lab/ppc64-init.c" -o "$rd/init"
# The console before /init opens it: initramfs entries need no root.
cat >"$XDIR/pnv-initramfs.list" <<EOF
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
file /init $rd/init 0755 0 0
file /async_pf_test $rd/async_pf_test 0755 0 0
EOF
"$obj/usr/gen_init_cpio" "$XDIR/pnv-initramfs.list" | gzip -n >"$XDIR/pnv-initramfs.cpio.gz"
xstep "initramfs ($(du -k "$XDIR/pnv-initramfs.cpio.gz" | cut -f1) KiB)"

log="$XDIR/pnv-console.log"
timeout "$TIMEOUT" "$QEMU" -M powernv9 -cpu power9 -smp 1 -m 2G -nographic -no-reboot \
	-kernel "$obj/vmlinux" -initrd "$XDIR/pnv-initramfs.cpio.gz" \
	-append "console=hvc0 quiet" </dev/null >"$log" 2>&1 || true
sed -n '/^test: kvm_async_pf/,/^APF-TEST-EXIT/p' "$log" >&2
# The OPAL console ends lines with CR LF.
for t in kvm_async_pf kvm_async_pf_notify; do
	tr -d '\r' <"$log" | grep -qx "success: $t" ||
		die "async_pf_test $t did not pass on powernv9 (console: ${log#"$KDIR"/})"
done
xstep "async_pf_test passed on KVM-HV under QEMU powernv9 (console: ${log#"$KDIR"/})"
log "ppc64 pnv selftest passed in $(($(now) - XT0))s on $(base_version)"
