# SPDX-License-Identifier: GPL-2.0-only
"""PID 1 mode without a VM: the program as init of a new PID namespace.

There it mounts /proc, /sys and devtmpfs (in a private mount namespace),
writes its records to APFWL_CONSOLE, and its reboot(RB_POWER_OFF) ends the
namespace with SIGINT, which is how the kernel reports a power-off from a
child PID namespace.  It never touches the host."""
import os
import shutil
import signal
import subprocess

import pytest

from conftest import APFWL, parse_records

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare"),
    reason="needs root and unshare(1) for a PID namespace")


def boot(tmp_path, *args, env_extra=None):
    console = tmp_path / "console"
    console.write_text("")
    env = dict(os.environ, APFWL_CONSOLE=str(console), **(env_extra or {}))
    # Not under the checker wrapper: the namespace's init must be us.
    proc = subprocess.run(["unshare", "--pid", "--fork", "--mount",
                           "--propagation", "private", "--", APFWL,
                           *[str(a) for a in args]],
                          capture_output=True, text=True, timeout=120, env=env)
    return proc, parse_records(console.read_text())


def test_pid1_runs_and_powers_off(tmp_path):
    proc, records = boot(tmp_path, "-m", "8", "-t", "1", "-i", "0", "-f", "1",
                         "-c", "1", "--unit-iters", "10000")
    # unshare reports the init's death by SIGINT as 128 + SIGINT.
    assert proc.returncode in (128 + signal.SIGINT, -signal.SIGINT), proc
    kinds = [r["type"] for r in records]
    assert kinds == ["boot", "start", "fill", "window", "result", "done"], records
    boot_rec = records[0]
    assert boot_rec["machine"] == os.uname().machine
    assert boot_rec["release"] == os.uname().release
    assert boot_rec["nproc"] >= 1 and boot_rec["mem_total_kb"] > 0
    assert boot_rec["cmdline"] == open("/proc/cmdline").read().strip()
    assert records[4]["compute_units"] > 0 and records[4]["fault_pages"] > 0
    assert records[-1] == {"type": "done", "rc": 0}


def test_pid1_usage_error_still_powers_off(tmp_path):
    proc, records = boot(tmp_path, "-f", "lots")
    assert proc.returncode in (128 + signal.SIGINT, -signal.SIGINT), proc
    assert [r["type"] for r in records] == ["boot", "error", "done"]
    assert records[1]["message"].startswith("-f: 'lots' is not a number")
    assert records[2] == {"type": "done", "rc": 2}
