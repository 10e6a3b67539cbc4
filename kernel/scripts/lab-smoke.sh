#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Quick manual smoke test of the lab host kernel (not the VM lab itself):
# boot build/lab/bzImage-host under QEMU TCG with nested SVM and a busybox
# initramfs, show the kvm.async_pf switch and the async_pf_* debugfs stats,
# and run the async_pf_test KVM selftest (built static) inside it.
# Usage: lab-smoke.sh [timeout-seconds]
. "$(dirname "$0")/common.sh"

limit=${1:-600}
tree=$BUILD/tree
img=$BUILD/lab/bzImage-host
[ -f "$img" ] || die "no $img; run make lab"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing"
[ -x /bin/busybox ] && file /bin/busybox | grep -q static || die "busybox-static missing"

work=$BUILD/lab-smoke
rm -rf "$work"
mkdir -p "$work/root/bin" "$work/root/proc" "$work/root/sys" "$work/root/dev" "$work/root/tmp"

# The selftest, static, so that the initramfs needs no libraries.
obj=$BUILD/lab-host
make -s -C "$tree" O="$obj" headers >/dev/null
st=$work/kselftest
make -s -C "$tree/tools/testing/selftests/kvm" OUTPUT="$st" KHDR_INCLUDES="-isystem $obj/usr/include" \
	LDFLAGS="-static -no-pie -pthread" "$st/x86_64/async_pf_test" >"$work/selftest.log" 2>&1 ||
	{ tail -20 "$work/selftest.log" >&2; die "selftest build failed"; }
cp "$st/x86_64/async_pf_test" "$work/root/bin/"
cp /bin/busybox "$work/root/bin/busybox"
cat >"$work/root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
echo "SMOKE: kernel $(uname -r)"
echo "SMOKE: kvm.async_pf=$(cat /sys/module/kvm/parameters/async_pf)"
echo "SMOKE: debugfs stats: $(ls /sys/kernel/debug/kvm | grep async_pf | tr '\n' ' ')"
echo N >/sys/module/kvm/parameters/async_pf
echo "SMOKE: after writing N: $(cat /sys/module/kvm/parameters/async_pf)"
echo Y >/sys/module/kvm/parameters/async_pf
echo "SMOKE: selftest start"
/bin/async_pf_test
echo "SMOKE: selftest rc=$?"
for s in /sys/kernel/debug/kvm/async_pf_*; do echo "SMOKE: $(basename $s)=$(cat $s)"; done
echo "SMOKE: done"
poweroff -f
INIT
chmod +x "$work/root/init"
(cd "$work/root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$work/initramfs.gz"

t0=$(now)
timeout "$limit" qemu-system-x86_64 -accel tcg -cpu EPYC,+svm -m 2G -smp 2 \
	-kernel "$img" -initrd "$work/initramfs.gz" \
	-append "console=ttyS0 panic=-1" -nographic -nodefaults -serial stdio \
	-monitor none -no-reboot >"$work/serial.log" 2>&1 || true
log "QEMU ran $(( $(now) - t0 ))s; serial log in ${work#"$KDIR"/}/serial.log"
grep -E "SMOKE|ok |not ok|PASS|FAIL|page [0-9]:|Kernel panic|BUG:|WARNING:" "$work/serial.log" >&2 || true
grep -q "SMOKE: selftest rc=0" "$work/serial.log" || die "smoke test failed"
log "smoke test passed"
