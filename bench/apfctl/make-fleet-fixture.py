#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Write a patched-host sysroot with N VMs x V vCPUs for apfctl's benchmark.

Generated, not committed: 100 x 8 is ~40,000 small files, 1000 x 8 ten
times that.  --slow-qmp N gives N VMs spread over the fleet (every
VMS/N-th) a QMP socket on their command line (-qmp unix:/run/slowK.qmp),
which the benchmark serves with monitors that never answer in time.
"""
import argparse
import os
from pathlib import Path

SIX = ["async_pf_queued", "async_pf_not_present", "async_pf_halted",
       "async_pf_ready", "async_pf_completed", "async_pf_sync"]
CONTEXT = ["exits", "halt_exits", "halt_wakeup", "pf_taken", "pf_fixed",
           "pf_guest", "insn_emulation", "irq_injections", "hypercalls"]
# Other stats a real 6.12 debugfs dir has, so "-a" and readdir cost what
# they cost on a real host.
OTHER = ["blocking", "fpu_reload", "halt_attempted_poll", "halt_poll_invalid",
         "halt_successful_poll", "host_state_reload", "insn_emulation_fail",
         "invlpg", "io_exits", "irq_exits", "irq_window_exits", "l1d_flush",
         "mmio_exits", "nmi_injections", "nmi_window_exits", "req_event",
         "request_irq_exits", "signal_exits", "tlb_flush", "pf_fast",
         "pf_spurious", "pf_emulate", "pf_mmio_spte_created",
         "preemption_reported", "preemption_other", "directed_yield_attempted",
         "directed_yield_successful", "guest_mode", "notify_window_exits"]


def write(path, value):
    path.write_text(f"{value}\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--vms", type=int, default=100)
    ap.add_argument("--vcpus", type=int, default=8)
    ap.add_argument("--slow-qmp", type=int, default=0)
    a = ap.parse_args()
    root = Path(a.dir)
    kvm = root / "sys/kernel/debug/kvm"
    kvm.mkdir(parents=True, exist_ok=True)
    (root / "dev").mkdir(exist_ok=True)
    (root / "dev/kvm").touch()
    params = root / "sys/module/kvm/parameters"
    params.mkdir(parents=True, exist_ok=True)
    write(params / "async_pf", "Y")
    (root / "sys/module/kvm_amd/parameters").mkdir(parents=True, exist_ok=True)
    (root / "proc").mkdir(exist_ok=True)
    (root / "run").mkdir(exist_ok=True)
    write(root / "proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda1")
    write(root / "proc/interrupts", "           CPU0       CPU1\n  0:  1 2  IO-APIC timer")
    names = SIX + CONTEXT + OTHER
    for n in names:
        write(kvm / n, 0)
    for vm in range(a.vms):
        pid = 10000 + vm
        d = kvm / f"{pid}-{11 + vm % 5}"
        d.mkdir(exist_ok=True)
        for i, n in enumerate(names):
            write(d / n, a.vcpus * (vm + i))
        for c in range(a.vcpus):
            v = d / f"vcpu{c}"
            v.mkdir(exist_ok=True)
            write(v / "pid", pid + 1 + c)
            for i, n in enumerate(names):
                write(v / n, vm + i)
        p = root / f"proc/{pid}"
        (p / "task").mkdir(parents=True, exist_ok=True)
        # The VM fd, as /proc shows it: apfctl keeps a VM's stat files
        # open only while its VMM still holds the VM.
        (p / "fd").mkdir(exist_ok=True)
        fd = p / f"fd/{11 + vm % 5}"
        if not fd.is_symlink():
            fd.symlink_to("anon_inode:kvm-vm")
        (p / "comm").write_text("qemu-system-x86\n")
        # The slow ones spread over the fleet (every vms/N-th), so that a
        # sampler asking in turn would hold the VMs after each of them.
        step = a.vms // a.slow_qmp if a.slow_qmp else 0
        slow = vm // step if step and vm % step == step - 1 else -1
        # libvirt's VMs (guest=) are not asked over QMP; the slow ones
        # are plain QEMU with a monitor socket of their own.
        name = f"guest=vm{vm:03d}" if slow < 0 else f"slow{slow}"
        argv = ["qemu-system-x86_64", "-enable-kvm", "-name",
                f"{name},debug-threads=on", "-smp", str(a.vcpus), "-m", "4096"]
        if slow >= 0:
            argv += ["-qmp", f"unix:/run/slow{slow}.qmp,server=on,wait=off"]
        (p / "cmdline").write_bytes(b"\0".join(x.encode() for x in argv) + b"\0")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
