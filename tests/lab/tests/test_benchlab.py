# SPDX-License-Identifier: GPL-2.0-only
"""lab.py bench without a VM: configuration parsing, bounds, the swap
throttle, the verdict of an L1 attempt, results.json summaries (against a
results directory recorded in the lab, tests/fixtures/bench-natapov/, and
broken copies of it), the config disk, and l1-bench.sh's argument
passing through a real shell."""
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(LAB))
import benchlab  # noqa: E402
import lab  # noqa: E402

FIX = LAB / "tests" / "fixtures" / "bench-natapov"


# ------------------------------------------------------------ parsing --
@pytest.mark.parametrize("text,want", [
    ("0 2000 500", [0, 2000, 500]),
    ("2000,500", [2000, 500]),
    ("  ", [0]),
    (None, [0]),
    ("500 500 0", [500, 0]),
])
def test_parse_iops(text, want):
    assert benchlab.parse_iops(text) == want


@pytest.mark.parametrize("text", ["fast", "-5", "2k", "5", "1.5"])
def test_parse_iops_rejects(text):
    with pytest.raises(benchlab.ConfigError):
        benchlab.parse_iops(text)


def test_config_overrides():
    c = benchlab.bench_config("natapov", reps=1, modes="pv,off", workload="-f 1 -c 1 -m 64 -t 5",
                              run_bound=100)
    assert (c["name"], c["reps"], c["modes"], c["run_bound"]) == ("natapov", 1, "pv,off", 100)
    assert benchlab.nruns(c) == 2
    assert benchlab.bench_timeout(c) == 2 * 100 + 60
    assert benchlab.l1_timeout(c) == benchlab.bench_timeout(c) + benchlab.L1_SLACK_S
    # The table itself is not changed by overrides.
    assert benchlab.CONFIGS["natapov"]["reps"] == 3


@pytest.mark.parametrize("kw", [
    {"name": "nope"},
    {"name": "natapov", "reps": 0},
    {"name": "natapov", "modes": "pv,fast"},
    {"name": "natapov", "modes": "pv,pv"},
    {"name": "natapov", "workload": "-f 2 -c 2 -t 30"},
])
def test_config_rejects(kw):
    name = kw.pop("name")
    with pytest.raises(benchlab.ConfigError):
        benchlab.bench_config(name, **kw)


def test_every_config_is_valid_and_runs_all_modes():
    for name in benchlab.CONFIGS:
        c = benchlab.bench_config(name)
        if name == "ceiling":       # a reference, not a comparison
            assert c["modes"] == "baseline" and " -f 0 " in f" {c['workload']} "
            continue
        assert c["modes"].split(",") == list(benchlab.MODES)
        assert benchlab.nruns(c) >= 12
    assert "-c 0" in benchlab.CONFIGS["no-other-work"]["workload"]
    assert benchlab.CONFIGS["halt-hurts"]["smp"] == 1


def test_swap_drive_and_names(tmp_path):
    p = {"swap_throttle": benchlab.swap_throttle(500, 4 << 20)}
    d = lab.swap_drive(tmp_path / "s.img", p)
    assert d.endswith(",throttling.bps-total=4194304,throttling.iops-total=500")
    assert lab.swap_drive(tmp_path / "s.img", {}).endswith("cache=unsafe")
    assert benchlab.swap_throttle(0) == {}
    assert benchlab.result_dir_name("natapov", 0) == "natapov"
    assert benchlab.result_dir_name("natapov", 2000) == "natapov-iops2000"


def test_apf_bench_args_pair_up():
    c = benchlab.bench_config("no-other-work")
    a = benchlab.apf_bench_args(c, "/usr/bin/qemu-apf", "no-other-work")
    opts = dict(zip(a[0::2], a[1::2]))
    assert opts["--workload"] == c["workload"] and opts["--qemu"] == "/usr/bin/qemu-apf"
    assert opts["--timeout"] == str(c["run_bound"]) and opts["--cpu"] == "host"
    assert all(k.startswith("--") for k in opts)


# ------------------------------------------------------------ verdict --
@pytest.mark.parametrize("args,want", [
    (("ok", "", 0, (12, 12)), "ok"),
    (("error", "fail: apf-bench exited 1", 1, (12, 12)), "ok"),     # runs crashed: recorded
    (("error", "fail: apf-bench exited 1", 1, (1, 12)), "error"),    # stopped early
    (("error", "fail: apf-bench exited 3", 3, None), "error"),       # environment
    (("error", "fail: apf-bench exited 139", 139, None), "error"),   # the harness crashed
    (("hang", "fail: timeout: apf-bench ran past", 143, (5, 12)), "hang"),
    (("ok", "", 124, (5, 12)), "hang"),
    (("crash", "Kernel panic", None, (3, 12)), "crash"),             # L1 itself
    (("hang", "no console output for 120s", None, None), "hang"),
    (("ok", "", None, None), "crash"),
    (("error", "fail: no swap disk", None, None), "error"),
    (("ok", "", 0, None), "error"),
])
def test_attempt_outcome(args, want):
    got, reason = benchlab.attempt_outcome(*args)
    assert got == want
    if want != "ok" or args[2] == 1:
        assert reason


def test_read_rc(tmp_path):
    (tmp_path / "rc").write_text("1\n")
    assert benchlab.read_rc(tmp_path / "rc") == 1
    (tmp_path / "rc").write_text("garbage")
    assert benchlab.read_rc(tmp_path / "rc") is None
    assert benchlab.read_rc(tmp_path / "missing") is None


# ------------------------------------------------- recorded results --
def fixture_copy(tmp_path):
    if not (FIX / "results.json").exists():
        pytest.skip("no recorded bench results (tests/fixtures/bench-natapov)")
    d = tmp_path / "r"
    shutil.copytree(FIX, d)
    return d


def test_recorded_results_summary(tmp_path):
    d = fixture_copy(tmp_path)
    done = benchlab.results_progress(d / "results.json")
    assert done[0] == done[1] > 0
    s = benchlab.summarize(d / "results.json")
    assert s["line"] and "pv/halt" in s["line"]
    assert set(s["modes"]) <= set(benchlab.MODES) and "pv" in s["modes"]
    row = benchlab.table_row("natapov", "iops-total=500", s, [{"outcome": "ok"}], 600)
    assert len(row) == len(benchlab.TABLE_HEAD)
    assert row[2] == "1 (0c/0h)"


def test_truncated_results_are_not_complete(tmp_path):
    d = fixture_copy(tmp_path)
    doc = json.loads((d / "results.json").read_text())
    doc["runs"] = doc["runs"][:1]
    (d / "results.json").write_text(json.dumps(doc))
    made, planned = benchlab.results_progress(d / "results.json")
    assert made == 1 < planned
    assert benchlab.attempt_outcome("error", "x", 1, (made, planned))[0] == "error"


def test_broken_results_do_not_crash(tmp_path):
    p = tmp_path / "results.json"
    p.write_text("{not json")
    assert benchlab.results_progress(p) is None
    assert "error" in benchlab.summarize(p)
    p.write_text(json.dumps({"summary": {"modes": {"pv": {}}}}))
    assert benchlab.results_progress(p) is None
    s = benchlab.summarize(p)
    assert s["modes"]["pv"]["median"] is None
    row = benchlab.table_row("x", "", s, [], 0)
    assert len(row) == len(benchlab.TABLE_HEAD)


# ------------------------------------------------------- config disk --
def test_bench_config_disk_and_l1_argument_passing(tmp_path):
    """The config disk holds what l1-bench.sh needs, and lab.env's
    BENCH_ARGS come out of the driver's loop as the same argv."""
    c = benchlab.bench_config("natapov")
    art = {"static": Path(sys.executable), "initrd": Path(__file__), "apf_bench": None}
    imgs = {"our_qemu": None, "kernels": {"l2": Path(__file__)}}
    env = lab.bench_cfg_maker(c, art, "natapov")(tmp_path / "cfg.tar", None, imgs, {})
    with tarfile.open(tmp_path / "cfg.tar") as t:
        names = set(t.getnames())
        t.extractall(tmp_path / "x")
    assert {"lab.env", "run.sh", "l1-common.sh", "apf-bench", "workload-initrd",
            "l2-kernel"} <= names
    assert (tmp_path / "x/run.sh").read_text() == (LAB / "guest/l1-bench.sh").read_text()
    want = benchlab.apf_bench_args(c, "/usr/bin/qemu-system-x86_64", "natapov")
    assert env["BENCH_ARGS"].split("\n") == want
    # The loop of l1-bench.sh, run by a POSIX shell on the real lab.env.
    script = (". ./lab.env\nset --\nwhile IFS= read -r a; do set -- \"$@\" \"$a\"; done <<EOF\n"
              "$BENCH_ARGS\nEOF\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n")
    # busybox sh, as in L1 (the lab needs busybox-static anyway).
    cmd = [lab.BUSYBOX, "sh"] if Path(lab.BUSYBOX).exists() else ["/bin/sh"]
    r = subprocess.run(cmd + ["-c", script], cwd=tmp_path / "x", capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:-1] == want


def test_timeline_has_bench_milestones(tmp_path):
    log = tmp_path / "serial.log"
    log.write_text("[  24.6] L1LAB: up kernel=6.12.117 cpus=2\n"
                   "[  33.9] L1LAB: bench natapov: apf-bench run (bound 1980s)\n"
                   "[  39.6] L1BENCH: apf-bench: [1/4] pv rep 1: starting\n"
                   "[ 245.1] L1BENCH: apf-bench: [1/4] pv rep 1: crash: soft lockup: [x] BUG: soft lockup\n"
                   "[ 620.4] L1LAB: bench natapov: apf-bench exited 1 after 585 s\n")
    assert [m for _, m in lab.timeline(log)] == [
        "L1LAB: up", "L1LAB: bench natapov: apf-bench run",
        "apf-bench: [1/4] pv rep 1: starting", "apf-bench: [1/4] pv rep 1: crash",
        "L1LAB: bench natapov: apf-bench exited 1"]


def test_bench_output_is_not_an_l1_crash():
    """An L2 crash report in apf-bench's output names a run's outcome;
    the same text from L1's own kernel is a crash of the attempt."""
    report = "BUG: soft lockup - CPU#1 stuck for 34s! [init:1]"
    assert not lab.is_fatal_line(f"L1BENCH: apf-bench: [1/4] pv rep 1: crash: soft lockup: {report}")
    assert lab.is_fatal_line(f"[  175.9] watchdog: {report}")
    assert lab.is_fatal_line("L2| Kernel panic - not syncing: Fatal exception")
    assert not lab.is_fatal_line("SVMDBG: L2 double fault: cpu 0 int 0xe rip ffffffff89ae7414")
    assert not lab.is_fatal_line("[  308.3] SVMDBG: L2 triple fault: cpu 0 int 0xe")
    assert lab.is_fatal_line("[  308.3] PANIC: double fault, error_code: 0x0")


def test_markdown_row(tmp_path):
    d = fixture_copy(tmp_path)
    lab_json = tmp_path / "lab.json"
    lab_json.write_text(json.dumps({"config": {"name": "natapov"}, "swap_throttle": {},
                                    "attempts": [{"outcome": "hang"}, {"outcome": "ok"}],
                                    "wall_s": 600}))
    row = benchlab.markdown_row("2026-11-21-lab/natapov", d / "results.json", lab_json)
    cells = [c.strip() for c in row.strip("|").split("|")]
    head = (LAB.parent.parent / "bench/results/README.md").read_text()
    ncols = next(line for line in head.splitlines() if line.startswith("| directory")).count("|") - 1
    assert len(cells) == ncols
    assert cells[2] == "unthrottled" and "L1 2 boot(s), 1 crashed/hung" in cells[3]
    assert cells[-1] == "10 min"
    # No lab.json (a real host's run): still a row.
    assert benchlab.markdown_row("x", d / "results.json").count("|") == ncols + 1
