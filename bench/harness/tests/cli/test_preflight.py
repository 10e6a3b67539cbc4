# SPDX-License-Identifier: GPL-2.0-only
"""Preflight refusals against fixture sysroots: each with its exit code and
a message that says what is wrong and what to do.  `run` refuses the same
way before it starts anything."""
import os
import shutil
import tempfile
from pathlib import Path

from conftest import APF_BENCH, STANDIN, run


def preflight(root, *args, **kw):
    return run("preflight", "--qemu", STANDIN, *args, sysroot=root, **kw)


def test_ok(sysroot):
    r = preflight(sysroot())
    assert r.rc == 0, r.err
    assert "preflight: ok" in r.out
    assert "/dev/vdb partition 4095 MiB, priority -2" in r.out
    assert "kvm.async_pf   Y (writable)" in r.out
    assert "mode off       host kvm.async_pf=N during its runs" in r.out
    assert "apf-bench stand-in" in r.out
    assert "memory.max 256M for a 600 MB buffer; guest 1112 MB, 2 vCPUs, -cpu host" in r.out
    assert r.err == ""


def test_no_swap(sysroot):
    r = preflight(sysroot(swaps="none"))
    assert r.rc == 5
    assert "no swap is active" in r.err
    assert "mkswap /swapfile && swapon" in r.err
    assert "preflight: refused" in r.out


def test_zram_only(sysroot):
    r = preflight(sysroot(swaps="zram"))
    assert r.rc == 5
    assert "only zram swap is active (/dev/zram0)" in r.err
    assert "zram swaps in synchronously" in r.err
    assert "no async page faults" in r.err
    assert "add swap on a disk" in r.err
    assert "/dev/zram0 partition 4095 MiB, priority 100 (zram)" in r.out


def test_zram_above_disk(sysroot):
    r = preflight(sysroot(swaps="zram-first"))
    assert r.rc == 5
    assert ("zram swap /dev/zram0 (priority 100) is used before the disk swap /swapfile "
            "(priority -2)") in r.err
    assert "swapoff /swapfile && swapon -p 101 /swapfile" in r.err


def test_no_cgroup2(sysroot):
    r = preflight(sysroot(cgroup="none"))
    assert r.rc == 3
    assert "no cgroup v2 at /sys/fs/cgroup" in r.err
    assert "mount -t cgroup2 none /sys/fs/cgroup" in r.err


def test_hybrid_cgroup(sysroot):
    r = preflight(sysroot(cgroup="hybrid"))
    assert r.rc == 3
    assert "hybrid hierarchy" in r.err
    assert "systemd.unified_cgroup_hierarchy=1" in r.err


def test_no_memory_controller(sysroot):
    r = preflight(sysroot(cgroup="nomem"))
    assert r.rc == 3
    assert "has no memory controller" in r.err


def test_no_kvm(sysroot):
    r = preflight(sysroot(kvm="none"))
    assert r.rc == 3
    assert "no /dev/kvm: load kvm_intel or kvm_amd" in r.err


def test_pvm(sysroot):
    r = preflight(sysroot(kvm="pvm"))
    assert r.rc == 3
    assert "this /dev/kvm is PVM" in r.err
    assert "make bench-lab" in r.err


def test_every_problem_is_reported_first_code_wins(sysroot):
    r = preflight(sysroot(kvm="pvm", cgroup="none", swaps="zram"))
    assert r.rc == 3                           # /dev/kvm is checked first
    assert "PVM" in r.err and "no cgroup v2" in r.err and "zram" in r.err


def test_memory_max_at_buffer_refused_unless_forced(sysroot):
    root = sysroot()
    r = preflight(root, "--memory-max", "1G")
    assert r.rc == 2
    r = preflight(root, "--memory-max", "1G", "--force")
    assert r.rc == 0, r.err


def test_zswap_warning(sysroot):
    r = preflight(sysroot(zswap="Y"))
    assert r.rc == 0
    assert "zswap is on" in r.err


def test_missing_kernel_and_initrd(sysroot, tmp_path):
    r = preflight(sysroot(), "--kernel", tmp_path / "nope", "--initrd", tmp_path / "nada")
    assert r.rc == 2
    assert "kernel" in r.err and "is not a readable file" in r.err
    assert "make -C bench/workload all initrd" in r.err


def test_qemu_missing(sysroot):
    r = run("preflight", "--qemu", "/nonexistent/qemu", sysroot=sysroot())
    assert r.rc == 3
    assert "QEMU /nonexistent/qemu not found" in r.err


def test_off_needs_a_switch(sysroot):
    # A stock host kernel and a QEMU without the property: off is skipped.
    r = preflight(sysroot(param=None))
    assert r.rc == 0
    assert "mode off       skipped: no way to switch APF off" in r.out
    # ... unless the QEMU has -accel kvm,async-pf (asked over QMP).
    r = preflight(sysroot(param=None), env={"STANDIN_ASYNC_PF": "1"})
    assert r.rc == 0
    assert "mode off       -accel kvm,async-pf=off (QMP qom-list-properties kvm-accel)" in r.out
    # Asked for by name but missing: unsupported.
    r = preflight(sysroot(param=None), "--off-method", "param")
    assert r.rc == 3
    assert "--off-method param: /sys/module/kvm/parameters/async_pf is missing" in r.err
    r = preflight(sysroot(), "--off-method", "qemu")
    assert r.rc == 3
    assert "has no -accel kvm,async-pf property" in r.err
    # Not asked for: no probe, no verdict.
    r = preflight(sysroot(param=None), "--modes", "pv,halt")
    assert r.rc == 0 and "mode off" not in r.out


def test_not_root(sysroot):
    # Everything readable by nobody, so only the euid differs.
    base = Path(tempfile.mkdtemp(prefix="apf-bench-fx-"))
    try:
        os.chmod(base, 0o755)
        root = base / "root"
        shutil.copytree(sysroot(), root)
        r = run("preflight", "--qemu", STANDIN, sysroot=root, user=65534)
        assert r.rc == 4
        assert "apf-bench needs root" in r.err
        r = run("run", "--kernel", APF_BENCH, "--initrd", APF_BENCH, "--qemu", STANDIN,
                "--out", base / "out", sysroot=root, user=65534)
        assert r.rc == 4
        assert not (base / "out").exists()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_run_refuses_before_starting_anything(sysroot, files, tmp_path):
    k, i = files
    root = sysroot(swaps="zram")
    r = run("run", "--kernel", k, "--initrd", i, "--qemu", STANDIN,
            "--out", tmp_path / "out", sysroot=root)
    assert r.rc == 5
    assert "preflight failed: nothing was run" in r.err
    assert not (tmp_path / "out").exists()
    assert not list((root / "sys/fs/cgroup").glob("apf-bench.*"))
