# SPDX-License-Identifier: GPL-2.0-only
"""Rates come from when each VM was read, not from the end of the whole
sample: a VM beside one whose monitor is slow to answer keeps its exact
rate (issue 17: 1799/s shown for a true 1000/s)."""
import json
import tempfile
import shutil
from pathlib import Path

import pytest

import os
import time

from conftest import WRAPPER, run
from fake_qmp import FakeQmp, vm_tree

RATE = 100000.0		# async_pf_queued per second of the fast VM
SLOW = 0.8		# the slow VM's first answer, seconds
# Scheduling noise between the fake stamping a value and apfctl stamping
# its read, over a ~1.8 s interval: 1% is 18 ms, which one preemption on a
# loaded 2-core machine exceeds (an ASan run failed so in a make check
# beside the lab).  The bug these tests guard against is 80% off (1799/s
# shown for 1000/s), so 5% natively (90 ms) and 20% under a checker
# (ASan, valgrind: one valgrind run came out 9% off) still catch it
# without depending on how busy the machine is.
UNDER_CHECKER = bool(WRAPPER) or bool(os.environ.get("APFCTL_CHECKER"))
TOL = 0.2 if UNDER_CHECKER else 0.05


@pytest.fixture
def two_vms():
    base = Path(tempfile.mkdtemp(prefix="apfr-"))
    tree = vm_tree(base, {1000: ("fast", "/run/fast.qmp"),
                          2000: ("slow", "/run/slow.qmp")})
    fast = FakeQmp(tree / "run/fast.qmp", rate=RATE)
    # The slow VM's counter rises too, and its first answer is late the
    # way QEMU's is: the main loop busy, the stats read when the command
    # is taken up, the reply at once.  Its rate needs its read time.
    slow = FakeQmp(tree / "run/slow.qmp", rate=RATE / 2, delays=[SLOW])
    yield tree, fast, slow
    fast.close()
    slow.close()
    shutil.rmtree(base, ignore_errors=True)


def test_rate_exact_beside_a_slow_vm(two_vms):
    """Sample 1 reads fast at t, then waits SLOW for the slow VM; sample 2
    reads both at once.  The old code divided the fast VM's growth over
    SLOW + 1 s by the 1 s between sample ends: 1.8x the true rate."""
    tree, fast, slow = two_vms
    r = run("--qmp-timeout", "5000", "stats", "-1", "-s", "1", "-j",
            sysroot=tree, timeout=180 if WRAPPER else 30)
    assert r.rc == 0, r.err
    doc = r.json()
    vms = {v["name"]: v for v in doc["vms"]}
    assert vms["fast"]["source"] == "qmp" and vms["slow"]["source"] == "qmp"
    assert slow.queries == 2
    rate = vms["fast"]["rates"]["async_pf_queued"]
    assert abs(rate - RATE) <= TOL * RATE, (rate, vms["fast"]["interval_s"])
    # The fast VM's own interval spans the slow answer; the sample's not.
    assert vms["fast"]["interval_s"] >= 1.0 + SLOW * 0.9
    assert doc["interval_s"] < vms["fast"]["interval_s"]
    srate = vms["slow"]["rates"]["async_pf_queued"]
    assert abs(srate - RATE / 2) <= TOL * RATE / 2, (srate, vms["slow"]["interval_s"])
    # The host total, summed over the VMs, is the sum of their rates.
    total = doc["total"]
    assert total["source"] == "sum"
    assert abs(total["rates"]["async_pf_queued"] - 1.5 * RATE) <= TOL * RATE


@pytest.mark.parametrize("mode", [[], ["-l"], ["-c"]])
def test_text_modes_use_the_same_rates(two_vms, mode):
    tree, fast, slow = two_vms
    r = run("--qmp-timeout", "5000", "stats", "-1", "-s", "1", *mode,
            sysroot=tree, timeout=180 if WRAPPER else 30)
    assert r.rc == 0, r.err
    line = next(l for l in r.out.splitlines()
                if "async_pf_queued" in l and ("fast" in l or "," not in l))
    if mode == ["-c"]:
        rate = float(line.rsplit(",", 1)[1])
    elif mode == ["-l"]:
        rate = float(line.split("async_pf_queued=")[1].split("(")[1].split("/")[0])
    else:
        rate = float(line.split()[-1].rstrip("/s"))
    assert abs(rate - RATE) <= TOL * RATE, line


def test_silent_monitor_backs_off():
    """A monitor that accepts and never answers costs its timeout once, then
    is left alone for 1, 2, 4 ... s; the VM beside it keeps its rate."""
    base = Path(tempfile.mkdtemp(prefix="apfr-"))
    tree = vm_tree(base, {1000: ("fast", "/run/fast.qmp"),
                          2000: ("busy", "/run/busy.qmp")})
    fast = FakeQmp(tree / "run/fast.qmp", rate=RATE)
    busy = FakeQmp(tree / "run/busy.qmp", silent=True)
    try:
        r = run("--qmp-timeout", "300", "stats", "-s", "0.2", "-n", "6", "-j",
                sysroot=tree, timeout=180 if WRAPPER else 30)
        assert r.rc == 0, r.err
        docs = r.json_lines()
        assert len(docs) == 6
        # 7 samples over ~1.5 s: without backoff 7 connections, each a
        # 0.3 s timeout; with it the first, and one retry after 1 s.
        assert busy.accepted <= 2, busy.accepted
        assert r.err.count("apfctl: warning: VM 2000 (busy): QMP") == 1
        for d in docs:
            vms = {v["name"]: v for v in d["vms"]}
            assert vms["fast"]["source"] == "qmp"
            assert vms["busy"]["source"] == "none"
            rate = vms["fast"]["rates"]["async_pf_queued"]
            assert abs(rate - RATE) <= 4 * TOL * RATE, rate
    finally:
        fast.close()
        busy.close()
        shutil.rmtree(base, ignore_errors=True)


def test_slow_monitors_cost_one_timeout_not_one_each():
    """Eight monitors that never answer in time (four silent, four that
    answer every command half a timeout late: within the timeout per reply
    but not for a whole sample of five exchanges) beside one exact-rate
    VM: they are asked at once, each within one timeout, so a sample waits
    about one timeout for all of them (it waited 8 timeouts and more), and
    the fast VM's rate stays exact.  Under a checker everything is ten
    times slower, the timeout too."""
    timeout = 3.0 if UNDER_CHECKER else 0.3
    base = Path(tempfile.mkdtemp(prefix="apfr-"))
    vms = {1000: ("fast", "/run/fast.qmp")}
    vms.update({2000 + i: (f"slow{i}", f"/run/slow{i}.qmp") for i in range(8)})
    tree = vm_tree(base, vms)
    fast = FakeQmp(tree / "run/fast.qmp", rate=RATE)
    slow = [FakeQmp(tree / f"run/slow{i}.qmp", silent=i < 4, drip=timeout / 2)
            for i in range(8)]
    try:
        t0 = time.monotonic()
        r = run("--qmp-timeout", str(int(timeout * 1000)), "stats", "-1", "-s", "0.2", "-j",
                sysroot=tree, timeout=180 if WRAPPER else 30)
        took = time.monotonic() - t0
        assert r.rc == 0, r.err
        doc = r.json()
        rows = {v["name"]: v for v in doc["vms"]}
        assert rows["fast"]["source"] == "qmp"
        assert all(rows[f"slow{i}"]["source"] == "none" for i in range(8))
        rate = rows["fast"]["rates"]["async_pf_queued"]
        assert abs(rate - RATE) <= 4 * TOL * RATE, rate
        # Every slow monitor was asked in the first sample.
        assert all(m.accepted == 1 for m in slow), [m.accepted for m in slow]
        assert r.err.count("apfctl: warning: VM ") == 8
        if not UNDER_CHECKER:
            # Two samples (the first, and one after 0.2 s; the second
            # leaves the failed monitors alone), each about one 0.3 s
            # timeout: well under the 2 x 8 x 0.3 s of asking in turn.
            assert took < 0.2 + 2 * timeout + 0.8, took
    finally:
        fast.close()
        for m in slow:
            m.close()
        shutil.rmtree(base, ignore_errors=True)
