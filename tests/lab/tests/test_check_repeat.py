# SPDX-License-Identifier: GPL-2.0-only
"""check_repeat_summary without a VM: a clean streak passes; a crash that a
retry hid, a failed run, or a short streak does not."""
import json
import sys
from pathlib import Path

LAB = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(LAB))
import check_repeat_summary as crs  # noqa: E402


def write_run(out, i, rc=0, outcomes=("pass",), scenarios="bcdef", verdict="pass"):
    with open(out / "runs.jsonl", "a") as f:
        f.write(json.dumps({"run": i, "rc": rc, "wall_s": 600, "load_before": "0.1 0.2 0.3"}) + "\n")
    d = out / f"run{i}"
    d.mkdir()
    for scen in scenarios:
        atts = [{"n": k + 1, "outcome": o} for k, o in enumerate(outcomes)]
        (d / f"{scen}.json").write_text(json.dumps(
            {"scenario": scen, "verdict": verdict, "attempts": atts, "wall_s": 100}))


def test_clean_streak(tmp_path):
    for i in range(1, 6):
        write_run(tmp_path, i)
    s = crs.summarize(tmp_path, 5)
    assert s["ok"] and s["l1_crashes_or_hangs"] == 0 and s["runs"] == 5
    assert sorted(s["scenarios"]) == ["all"] + list("bcdef")
    assert s["scenarios"]["all"]["l1_boots"] == 25 and s["scenarios"]["all"]["rate_ci95"] == [0.0, 0.1372]
    b = s["scenarios"]["b"]
    assert (b["runs"], b["l1_boots"], b["l1_crashes_or_hangs"], b["rate"]) == (5, 5, 0, 0.0)
    assert b["rate_ci95"] == [0.0, 0.5218]   # 0 of 5


def test_retried_crash_counts(tmp_path):
    write_run(tmp_path, 1)
    write_run(tmp_path, 2, outcomes=("crash", "pass"))
    s = crs.summarize(tmp_path, 2)
    assert not s["ok"]
    assert s["l1_crashes_or_hangs"] == 5  # one per scenario
    assert s["per_run"][1]["scenarios"]["b"]["attempts"] == 2
    assert s["scenarios"]["c"]["l1_boots"] == 3 and s["scenarios"]["c"]["rate"] == 0.3333


def test_failed_or_short_streak(tmp_path):
    write_run(tmp_path, 1)
    write_run(tmp_path, 2, rc=2)
    s = crs.summarize(tmp_path, 5)
    assert not s["ok"]
    assert "2 of 5 runs made" in s["problems"] and "run 2: rc 2" in s["problems"]


def test_run_without_results(tmp_path):
    with open(tmp_path / "runs.jsonl", "w") as f:
        f.write(json.dumps({"run": 1, "rc": 0}) + "\n")
    (tmp_path / "run1").mkdir()
    s = crs.summarize(tmp_path, 1)
    assert not s["ok"] and s["problems"] == ["run 1: no result for scenario(s) b c d e f"]


def test_skipped_or_missing_scenario_fails(tmp_path):
    """A scenario skipped (no APF QEMU) or absent did not check anything."""
    write_run(tmp_path, 1, outcomes=(), verdict="skip")
    write_run(tmp_path, 2, scenarios="bcde")
    s = crs.summarize(tmp_path, 2)
    assert not s["ok"]
    assert "run 1: scenario f: skip in 0 attempt(s)" in s["problems"]
    assert "run 2: no result for scenario(s) f" in s["problems"]
    assert s["l1_crashes_or_hangs"] == 0
