# SPDX-License-Identifier: GPL-2.0-only
"""`apf-bench run` with the real QEMU, a real kernel and bench/workload's
real initramfs, under TCG (qemu-tcg swaps -accel kvm for tcg: this machine's
/dev/kvm cannot boot guests).  The host side comes from a fixture sysroot,
so the cgroup limit is not real: this checks the console, the workload's
lines, QEMU's life cycle and the outputs, not APF.  The tracepoint ids are
the live ones, so the counters are opened and read for real.

Needs: a guest kernel ($APF_BENCH_KERNEL, else the lab's Debian 6.12
vmlinuz) and the workload initrd (make -C bench/workload all initrd);
skipped without them."""
import glob
import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import HERE, run

REPO = HERE.parents[3]
INITRD = REPO / "bench/workload/build/apf-workload-initrd.cpio.gz"
KERNELS = [os.environ.get("APF_BENCH_KERNEL", ""),
           *sorted(glob.glob(str(REPO / "tests/lab/build/stock/linux-image-*/boot/vmlinuz-*")))]
KERNEL = next((k for k in KERNELS if k and Path(k).is_file()), None)
LIVE_KVM_EVENTS = Path("/sys/kernel/tracing/events/kvm")


def copy_live_tracepoints(root):
    """The live ids and formats of the APF tracepoints, under the fixture."""
    dst = root / "sys/kernel/tracing/events/kvm"
    dst.mkdir(parents=True)
    names = []
    for d in LIVE_KVM_EVENTS.iterdir():
        if "async_pf" in d.name or "try_async" in d.name:
            (dst / d.name).mkdir()
            for f in ("id", "format"):
                shutil.copy(d / f, dst / d.name / f)
            names.append(d.name)
    return sorted(names)


@pytest.mark.skipif(not KERNEL or not INITRD.is_file() or not shutil.which("qemu-system-x86_64"),
                    reason="needs a guest kernel, the workload initrd and QEMU")
def test_real_guest_under_tcg(sysroot, tmp_path):
    root, out = sysroot(), tmp_path / "out"
    names = copy_live_tracepoints(root) if os.access(LIVE_KVM_EVENTS, os.R_OK) else []
    r = run("run", "--kernel", KERNEL, "--initrd", INITRD, "--qemu", HERE / "qemu-tcg",
            "--modes", "pv,halt", "--reps", "1", "--memory-max", "32M", "--guest-mem", "512",
            "--workload", "-f 1 -c 1 -m 64 -t 3 -i 1", "--out", out, "--apfctl", "none",
            "--boot-timeout", "120", "--timeout", "300", "--source-commit", "fixture",
            sysroot=root, timeout=700)
    assert r.rc == 0, r.err
    doc = json.loads((out / "results.json").read_text())
    assert [x["outcome"] for x in doc["runs"]] == ["ok", "ok"]
    for x in doc["runs"]:
        assert x["start"]["mb"] == 64 and x["start"]["fault_threads"] == 1
        assert x["compute_units_per_s"] > 0 and x["fault_pages_per_s"] > 0
        assert x["elapsed_s"] == pytest.approx(3, abs=1)
        assert len(x["intervals"]) >= 2
        assert x["done_rc"] == 0 and x["qemu_status"] == 0     # powered off
        assert x["bad_apfwl_lines"] == 0
        assert 0 < x["boot_s"] < x["wall_s"]
        log = (out / x["serial_log"]).read_text(errors="replace")
        assert '"type":"boot"' in log and "reboot: Power down" in log
        cmdline = json.loads(log.split("APFWL ", 1)[1].split("\n", 1)[0])["cmdline"]
        assert ("no-kvmapf" in cmdline.split()) == (x["mode"] == "halt")
        if names:
            assert sorted(x["tracepoints"]) == names
        # The new workload's window: opened at t 0 (no -w), counters kept.
        assert x["window"]["t_s"] == 0
        assert x["window"]["elapsed_s"] == pytest.approx(3, abs=1)
        assert x["window"]["load"]["wall_s"] > 0
        assert x["busy"] == {"flag": False, "reasons": []}
    assert doc["summary"]["line"].startswith("pv/halt ")
    header = (out / "results.csv").read_text().splitlines()[0].split(",")
    assert all(n in header for n in names)
