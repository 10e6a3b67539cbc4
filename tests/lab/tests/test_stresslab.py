# SPDX-License-Identifier: GPL-2.0-only
"""lab.py stress without a VM: the exact binomial interval of the crash
rate (against published Clopper-Pearson values), trial records from a
serial log and labexit's line, and the summary's counts."""
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

LAB = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(LAB))
import lab  # noqa: E402
import stresslab  # noqa: E402


@pytest.mark.parametrize("k,n,lo,hi", [
    (0, 50, 0.0, 0.0711),      # the rule of three's exact cousin
    (1, 50, 0.0005, 0.1065),
    (25, 50, 0.3553, 0.6447),
    (5, 11, 0.1675, 0.7662),
    (50, 50, 0.9289, 1.0),
])
def test_clopper_pearson(k, n, lo, hi):
    got = stresslab.clopper_pearson(k, n)
    assert got[0] == pytest.approx(lo, abs=2e-4)
    assert got[1] == pytest.approx(hi, abs=2e-4)


def test_clopper_pearson_no_trials():
    assert stresslab.clopper_pearson(0, 0) == (0.0, 1.0)


def att(outcome, reason=""):
    return SimpleNamespace(outcome=outcome, reason=reason, wall=12.34)


def test_trial_record_reads_labexit_and_svmdbg():
    serial = "[ 1.0] SVMDBG: host kernel entered\n[ 1.1] SVMDBG:   R cpu0\nL1LAB: up\n"
    rec = stresslab.trial_record(3, att("ok"), serial,
                                 "LABEXIT: vcpus=2 secs=60 io_exits=21436 sweeps=2679\n")
    assert rec["trial"] == 3 and rec["outcome"] == "ok" and rec["wall_s"] == 12.3
    assert rec["labexit"]["io_exits"] == "21436"
    assert rec["svmdbg"] == 2


def test_trial_record_without_results():
    rec = stresslab.trial_record(1, att("crash", "BUG: TASK stack guard page was hit"), "", "")
    assert rec["labexit"] == {} and rec["svmdbg"] == 0


def test_summary_counts_crashes_and_hangs():
    trials = [stresslab.trial_record(i, att(o), "", "LABEXIT: io_exits=%d" % (i * 10))
              for i, o in enumerate(["ok", "crash", "ok", "hang", "error", "ok"], 1)]
    s = stresslab.summary(trials, "x", {"mode": "exits"})
    assert (s["trials"], s["ok"], s["crash"], s["hang"], s["error"]) == (6, 3, 1, 1, 1)
    assert s["crash_or_hang_rate"] == round(2 / 6, 4)
    lo, hi = s["rate_ci95"]
    assert lo < 2 / 6 < hi
    assert s["io_exits_median"] == 40


def test_a_trial_fails_when_l1_or_an_l2_fails():
    lines = ["LABEXIT: l2_cycles=4 l2_done=4 l2_crash=0 l2_incomplete=0",
             "LABEXIT: l2_cycles=4 l2_done=3 l2_crash=0 l2_incomplete=1",
             "LABEXIT: l2_cycles=3 l2_done=2 l2_crash=1 l2_incomplete=0", ""]
    trials = [stresslab.trial_record(i, att(o), "", lx)
              for i, (o, lx) in enumerate(zip(["ok", "ok", "ok", "crash"], lines), 1)]
    s = stresslab.summary(trials, "x", {"mode": "swap"})
    assert (s["crash"], s["trials_failed"]) == (1, 3)
    assert (s["l2_cycles"], s["l2_done"], s["l2_crash"], s["l2_incomplete"]) == (11, 9, 1, 1)
    assert s["failed_rate_ci95"][0] < 3 / 4 < s["failed_rate_ci95"][1]


def test_l0_qemu_prefers_override_then_ours_then_debian(monkeypatch, tmp_path):
    ours = tmp_path / "qemu-system-x86_64"
    ours.write_text("#!/bin/sh\n")
    ours.chmod(0o755)
    monkeypatch.setenv("LAB_L0_QEMU", "/opt/diag/qemu")
    assert lab.l0_qemu() == "/opt/diag/qemu"
    monkeypatch.delenv("LAB_L0_QEMU")
    monkeypatch.setenv("LAB_APF_QEMU", str(ours))
    assert lab.l0_qemu() == str(ours)
    monkeypatch.setenv("LAB_APF_QEMU", str(tmp_path / "missing"))
    assert lab.l0_qemu() == lab.HOST_QEMU


def test_resume_pools_only_matching_configs(tmp_path):
    assert stresslab.resume_state(tmp_path) == ([], None)
    cfg = {"mode": "swap", "secs": 300, "wl": "--mb,256", "l0_version": "QEMU 10.0.13",
           "load_before": [0.1, 0.2, 0.3]}
    (tmp_path / "trials.jsonl").write_text('{"trial": 1, "outcome": "ok"}\n\n'
                                           '{"trial": 2, "outcome": "crash"}\n')
    (tmp_path / "summary.json").write_text(json.dumps({"config": cfg}))
    trials, old = stresslab.resume_state(tmp_path)
    assert [t["outcome"] for t in trials] == ["ok", "crash"] and old == cfg
    assert stresslab.config_mismatch(old, dict(cfg, load_before=[2, 2, 2])) == []
    assert stresslab.config_mismatch(old, dict(cfg, secs=120, l0_version="QEMU 10.0.2")) \
        == ["secs", "l0_version"]


def test_resume_refuses_a_damaged_trials_file(tmp_path):
    (tmp_path / "trials.jsonl").write_text('{"trial": 1}\n{"trial": 2, \n')
    with pytest.raises(ValueError, match="trials.jsonl:2"):
        stresslab.resume_state(tmp_path)
