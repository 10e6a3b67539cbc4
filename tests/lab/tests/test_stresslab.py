# SPDX-License-Identifier: GPL-2.0-only
"""lab.py stress without a VM: the exact binomial interval of the crash
rate (against published Clopper-Pearson values), trial records from a
serial log and labexit's line, and the summary's counts."""
import json
import re
import subprocess
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
    assert s["crash_or_hang_rate"] == round(2 / 5, 4)   # the error trial measured nothing
    lo, hi = s["rate_ci95"]
    assert (lo, hi) == tuple(round(x, 4) for x in stresslab.clopper_pearson(2, 5))
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


def fake_qemu(path, release, base="1:10.0.13+ds-0+deb13u1"):
    path.write_text("#!/bin/sh\necho 'QEMU emulator version 10.0.13 "
                    f"({base}+apf{release}, APF Suite build)'\n")
    path.chmod(0o755)
    return path


def test_l0_qemu_prefers_override_then_ours_then_debian(monkeypatch, tmp_path, capsys):
    ours = fake_qemu(tmp_path / "qemu-system-x86_64", lab.LAB_MIN_APF_RELEASE + 1)
    monkeypatch.setenv("LAB_L0_QEMU", "/opt/diag/qemu")
    assert lab.l0_qemu() == "/opt/diag/qemu"
    monkeypatch.delenv("LAB_L0_QEMU")
    monkeypatch.setenv("LAB_APF_QEMU", str(ours))
    assert lab.l0_qemu() == str(ours)
    monkeypatch.setenv("LAB_APF_QEMU", str(tmp_path / "missing"))
    assert lab.l0_qemu() == lab.HOST_QEMU
    assert "without the TCG nested-SVM fixes" in capsys.readouterr().err


def test_l0_qemu_falls_back_to_debian_when_not_strict(monkeypatch, tmp_path, capsys):
    """smoke (also in make check, where QEMU is not built) only warns."""
    stale = fake_qemu(tmp_path / "qemu-system-x86_64", lab.LAB_MIN_APF_RELEASE - 1)
    monkeypatch.delenv("LAB_L0_QEMU", raising=False)
    monkeypatch.setenv("LAB_APF_QEMU", str(stale))
    assert lab.l0_qemu() == lab.HOST_QEMU
    assert "older build" in capsys.readouterr().err


@pytest.mark.parametrize("release", [None, lab.LAB_MIN_APF_RELEASE - 1])
def test_l0_qemu_strict_refuses_an_l0_without_the_tcg_fixes(monkeypatch, tmp_path, capsys, release):
    """check, bench, stress: a missing or stale build is refused (exit 8),
    not silently replaced by Debian's QEMU; LAB_ALLOW_UNFIXED_L0=1 goes on."""
    path = tmp_path / "qemu-system-x86_64"
    if release is not None:
        fake_qemu(path, release)
    monkeypatch.delenv("LAB_L0_QEMU", raising=False)
    monkeypatch.delenv("LAB_ALLOW_UNFIXED_L0", raising=False)
    monkeypatch.setenv("LAB_APF_QEMU", str(path))
    with pytest.raises(SystemExit) as e:
        lab.l0_qemu(strict=True)
    assert e.value.code == lab.EXIT_UNFIXED_L0 == 8
    assert "lacks the TCG nested-SVM fixes" in capsys.readouterr().err
    monkeypatch.setenv("LAB_ALLOW_UNFIXED_L0", "1")
    assert lab.l0_qemu(strict=True) == lab.HOST_QEMU


def test_l0_qemu_strict_takes_an_explicit_override(monkeypatch, tmp_path, capsys):
    """LAB_L0_QEMU is the operator's choice (Debian's, for the before set):
    taken, with a note when it lacks the fixes."""
    monkeypatch.setenv("LAB_L0_QEMU", str(tmp_path / "debian-qemu"))
    assert lab.l0_qemu(strict=True) == str(tmp_path / "debian-qemu")
    assert "not our QEMU" in capsys.readouterr().err


def test_l0_qemu_takes_an_older_release_with_the_tcg_fixes(monkeypatch, tmp_path):
    """A series release after the fixes (machine types, CPU properties)
    does not make the built L0 unusable for the lab."""
    fixed = fake_qemu(tmp_path / "qemu-system-x86_64", lab.LAB_MIN_APF_RELEASE)
    monkeypatch.delenv("LAB_L0_QEMU", raising=False)
    monkeypatch.setenv("LAB_APF_QEMU", str(fixed))
    assert lab.l0_qemu() == str(fixed)


def test_a_wrapper_digest_follows_the_binary_it_runs(tmp_path):
    binary = tmp_path / "qemu.bin"
    binary.write_bytes(b"one")
    wrapper = tmp_path / "qemu"
    wrapper.write_text(f"#!/bin/sh\nexec {binary} \"$@\"\n")
    d1 = lab.file_digest(wrapper)
    binary.write_bytes(b"two")
    assert lab.file_digest(wrapper) != d1
    assert lab.file_digest(tmp_path / "missing") is None


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


def test_the_first_svmdbg_report_is_kept_whole():
    ring = [f"SVMDBG:   X cpu0 rip {i:016x}" for i in range(256)]
    text = "\n".join(["qemu-system-x86_64: warning: TCG doesn't support xsavec",
                      "SVMDBG: host kernel entered with non-kernel GS base: cpu 0 int 0xfd",
                      "SVMDBG: rsp ffffcf58009d7a90 rax 0", "RAX=0000000107c88000 RBX=0",
                      "CR0=80050033 CR2=ffffffffc045cc60"] + ring +
                     ["SVMDBG: L1 double fault: cpu 0 int 0xe"] + ring)
    kept = lab.first_svmdbg_report(text)
    assert kept[0].startswith("SVMDBG: host kernel entered")
    assert "SVMDBG:   X cpu0 rip 00000000000000ff" in kept      # the newest event
    assert kept[-1] == "SVMDBG: L1 double fault: cpu 0 int 0xe"
    assert lab.first_svmdbg_report("nothing here") == []


def test_l0_stderr_goes_after_the_console_without_svmdbg(tmp_path):
    serial, err = tmp_path / "serial.log", tmp_path / "l0-stderr.log"
    serial.write_text("[   1.0] L1LAB: up\n")
    err.write_text("SVMDBG: L2 double fault: cpu 0\nqemu-system-x86_64: terminating on signal 15\n")
    lab.append_l0_stderr(serial, err)
    assert serial.read_text().splitlines()[-2:] == [
        "--- L0 stderr ---", "qemu-system-x86_64: terminating on signal 15"]


def test_l0_facts_name_the_emulator(monkeypatch, tmp_path):
    """Each scenario's JSON says which L0 ran it (check-repeat shows it)."""
    ours = fake_qemu(tmp_path / "qemu-system-x86_64", lab.LAB_MIN_APF_RELEASE)
    monkeypatch.setattr(lab, "L0_QEMU", str(ours))
    f = lab.l0_facts()
    assert f["path"] == str(ours) and f["has_tcg_fixes"] is True
    assert f"+apf{lab.LAB_MIN_APF_RELEASE}" in f["version"]
    assert f["sha256"] == lab.file_digest(ours) and len(f["sha256"]) == 64


def test_save_excerpt_keeps_the_crash_beside_the_results(tmp_path):
    att = SimpleNamespace(outcome="crash", reason="BUG: TASK stack guard page was hit")
    p = lab.save_excerpt(tmp_path / "crashes", "b-20261204-attempt1", att, ["a", "b"])
    assert p == tmp_path / "crashes" / "b-20261204-attempt1.txt"
    assert p.read_text() == "crash: BUG: TASK stack guard page was hit\na\nb\n"


@pytest.mark.parametrize("failed,error,max_failed,rc", [
    (5, 0, None, 0),     # a measurement: its crashes are the result
    (0, 0, 0, 0),        # stress-smoke, clean
    (1, 0, 0, 1),        # stress-smoke, one trial failed
    (0, 1, None, 1),     # the lab itself failed
])
def test_stress_exit(failed, error, max_failed, rc):
    assert lab.stress_exit({"trials_failed": failed, "error": error}, max_failed) == rc


@pytest.mark.parametrize("base,release,ok", [
    ("1:10.0.13+ds-0+deb13u1", 2, False),    # 0007 only
    ("1:10.0.13+ds-0+deb13u1", 3, True),
    ("1:10.0.13+ds-0+deb13u2", 1, True),     # after make rebase: release 1 again
    ("1:10.0.2+ds-2+deb13u1~bpo12+1", 9, False),   # an older base
])
def test_l0_has_fix_follows_a_rebase(tmp_path, base, release, ok):
    assert lab.l0_has_fix(fake_qemu(tmp_path / "q", release, base)) is ok


def test_the_pinned_base_is_not_older_than_the_fix_base():
    """base.mk's pin: a build of it is taken as L0 by l0_has_fix()."""
    pin = re.search(r"^QEMU_DEB_VERSION\s*:=\s*(\S+)", (LAB.parent.parent / "qemu" / "base.mk")
                    .read_text(), re.M).group(1)
    assert subprocess.run(["dpkg", "--compare-versions", pin, "ge", lab.LAB_FIX_BASE]).returncode == 0
