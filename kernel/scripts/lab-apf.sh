#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Manual end-to-end run of both series in the VM lab layout of DESIGN.md
# ("Test lab"), until the VM lab issue provides the real harness:
#   L1: build/lab/bzImage-host under QEMU TCG (-cpu EPYC,+svm), swap on a
#       virtio disk, the L2 QEMU in a memory cgroup (memory.max), kvm
#       tracepoints on;
#   L2: build/lab/bzImage-guest under KVM in L1 (-cpu host), running
#       lab/touch.c on more memory than the cgroup allows, three phases:
#         P1  guest async PF on, host kvm.async_pf=Y
#         P2  guest /sys/kernel/kvm_async_pf/enabled=0
#         P3  guest enabled=1 again, host kvm.async_pf=N (set by L1)
# L1 prints its async_pf_* debugfs sums and the kvm_async_pf_not_present
# event count after each phase, L2 prints its /sys/kernel/kvm_async_pf.
# Usage: lab-apf.sh [timeout-seconds] ; output in build/lab-apf/.
. "$(dirname "$0")/common.sh"

limit=${1:-1500}
MB=${APF_MB:-256} SECS=${APF_SECS:-30} MAX=${APF_MEMMAX:-160M}
# P3 runs with synchronous faults only, which is slow under TCG: smaller.
MB3=${APF_MB3:-64} SECS3=${APF_SECS3:-15}
lab=$BUILD/lab
for r in host guest; do [ -f "$lab/bzImage-$r" ] || die "no $lab/bzImage-$r; run make lab"; done
qemu=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 missing"
file /bin/busybox | grep -q static || die "busybox-static missing"

work=$BUILD/lab-apf
rm -rf "$work"
mkdir -p "$work"

# ---- L2 initramfs -----------------------------------------------------------
r2=$work/l2root
mkdir -p "$r2/bin" "$r2/dev" "$r2/proc" "$r2/sys"
cp /bin/busybox "$r2/bin/"
gcc -O2 -static -Wall -o "$r2/bin/touch_mem" "$KDIR/lab/touch.c"
cat >"$r2/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
D=/sys/kernel/kvm_async_pf
show() {
	for f in enabled page_not_present page_ready wake_before_wait wait_ns_total wait_ns_max; do
		echo "L2STAT \$1 \$f=\$(cat \$D/\$f)"
	done
	echo "L2HYP \$1 \$(grep HYP /proc/interrupts | tr -s ' ')"
}
echo "L2: kernel \$(uname -r)"
show boot
/bin/touch_mem $MB $SECS; show P1; echo "MARK P1"; sleep 20
echo 0 >\$D/enabled; echo "L2: enabled=\$(cat \$D/enabled)"
/bin/touch_mem $MB $SECS; show P2; echo "MARK P2"; sleep 20
echo 1 >\$D/enabled; echo "L2: enabled=\$(cat \$D/enabled)"
/bin/touch_mem $MB3 $SECS3; show P3; echo "MARK P3"
poweroff -f
INIT
chmod +x "$r2/init"
(cd "$r2" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$work/l2-initramfs.gz"

# ---- L1 initramfs: busybox, QEMU with its libraries and firmware, L2 --------
r1=$work/l1root
mkdir -p "$r1/bin" "$r1/dev" "$r1/proc" "$r1/sys" "$r1/tmp" "$r1/l2"
cp /bin/busybox "$r1/bin/"
cp --parents "$qemu" "$r1/"
ldd "$qemu" | grep -o '/[^ ]*' | sort -u | while read -r l; do cp -L --parents "$l" "$r1/"; done
mkdir -p "$r1/usr/share/qemu"
for f in /usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin \
	/usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/linuxboot.bin; do
	cp -L --parents "$f" "$r1/"
	cp -L "$f" "$r1/usr/share/qemu/"
done
cp "$lab/bzImage-guest" "$r1/l2/bzImage"
cp "$work/l2-initramfs.gz" "$r1/l2/initramfs.gz"
cat >"$r1/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t tmpfs tmpfs /tmp
echo "L1: kernel \$(uname -r) kvm.async_pf=\$(cat /sys/module/kvm/parameters/async_pf)"
mkswap /dev/vda >/dev/null && swapon /dev/vda && echo "L1: swap on /dev/vda"
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
mkdir /sys/fs/cgroup/l2
echo $MAX >/sys/fs/cgroup/l2/memory.max
T=/sys/kernel/tracing
echo 16384 >\$T/buffer_size_kb
for e in kvm_async_pf_not_present kvm_async_pf_completed kvm_async_pf_ready; do
	echo 1 >\$T/events/kvm/\$e/enable
done
K=/sys/kernel/debug/kvm
snap() {
	for s in queued completed sync not_present halted ready; do
		echo "L1STAT \$1 async_pf_\$s=\$(cat \$K/async_pf_\$s)"
	done
	for e in kvm_async_pf_not_present kvm_async_pf_completed kvm_async_pf_ready; do
		echo "L1TRACE \$1 \$e=\$(grep -c " \$e:" \$T/trace)"
	done
}
sh -c 'echo \$\$ >/sys/fs/cgroup/l2/cgroup.procs; exec qemu-system-x86_64 -enable-kvm -cpu host -m 512 -smp 1 \
	-kernel /l2/bzImage -initrd /l2/initramfs.gz -append "console=ttyS0 panic=-1" \
	-display none -nodefaults -serial file:/tmp/l2.log -monitor none -no-reboot' &
qpid=\$!
# Mirror the L2 console on L1's, so that a hung run still shows where.
(sleep 1; tail -f /tmp/l2.log | sed 's/^/L2| /') &
for p in P1 P2 P3; do
	n=0
	while ! grep -q "MARK \$p" /tmp/l2.log 2>/dev/null; do
		kill -0 \$qpid 2>/dev/null || break
		sleep 1
		n=\$((n + 1))
		[ \$((n % 120)) = 0 ] && snap wait-\$p-\${n}s
	done
	snap \$p
	[ \$p = P2 ] && echo N >/sys/module/kvm/parameters/async_pf && echo "L1: kvm.async_pf=N"
done
wait \$qpid
echo Y >/sys/module/kvm/parameters/async_pf
echo "L1: done"
poweroff -f
INIT
chmod +x "$r1/init"
(cd "$r1" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$work/l1-initramfs.gz"
truncate -s 1G "$work/swap.img"
log "L1 initramfs $(du -h "$work/l1-initramfs.gz" | cut -f1); running QEMU (limit ${limit}s)"

t0=$(now)
timeout "$limit" "$qemu" -accel tcg -cpu EPYC,+svm -m 2G -smp 2 \
	-kernel "$lab/bzImage-host" -initrd "$work/l1-initramfs.gz" \
	-append "console=ttyS0 panic=-1" \
	-drive file="$work/swap.img",if=virtio,format=raw,cache=unsafe \
	-nographic -nodefaults -serial stdio -monitor none -no-reboot >"$work/serial.log" 2>&1 || true
log "QEMU ran $(( $(now) - t0 ))s; serial log in ${work#"$KDIR"/}/serial.log"
grep -E "^(L1|L2)|L2\\| |touch:|Kernel panic|BUG:|soft lockup|WARNING:" "$work/serial.log" | tr -d '\r' >&2 || true
grep -q "L1: done" "$work/serial.log" || die "lab run did not finish"
