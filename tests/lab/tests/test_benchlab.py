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
import time
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
    assert benchlab.CONFIGS["natapov"]["reps"] == 10


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
        if name == "smoke":         # one run each: the invariants, not figures
            assert sorted(c["modes"].split(",")) == ["halt", "off", "pv"] and c["reps"] == 1
            continue
        assert c["modes"].split(",") == list(benchlab.MODES)
        # 10 repetitions per mode; a warm-up before the measured window.
        assert c["reps"] >= 10 and benchlab.nruns(c) >= 40
        assert " -w " in f" {c['workload']} "
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


FLAGS = {"--resume", "--source-dirty", "--allow-busy"}


def options(a):
    """apf-bench's argv as {option: value} (flags: True)."""
    out, i = {}, 0
    while i < len(a):
        assert a[i].startswith("--"), a[i]
        if a[i] in FLAGS:
            out[a[i]] = True
            i += 1
        else:
            out[a[i]] = a[i + 1]
            i += 2
    return out


def test_apf_bench_args_pair_up():
    c = benchlab.bench_config("no-other-work")
    opts = options(benchlab.apf_bench_args(c, "/usr/bin/qemu-apf", "no-other-work"))
    assert opts["--workload"] == c["workload"] and opts["--qemu"] == "/usr/bin/qemu-apf"
    assert opts["--timeout"] == str(c["run_bound"]) and opts["--cpu"] == "host"
    # Every attempt continues the plan of the one before.
    assert opts["--resume"] is True
    assert "--seed" not in opts and "--source-commit" not in opts
    src = {"commit": "abc123", "dirty": True, "dirty_paths": [" M bench/x.c"]}
    opts = options(benchlab.apf_bench_args(c, "q", "l", 42, src, allow_busy=True))
    assert opts["--seed"] == "42" and opts["--source-commit"] == "abc123"
    assert opts["--source-dirty"] is True and opts["--allow-busy"] is True
    opts = options(benchlab.apf_bench_args(c, "q", "l", 1, dict(src, dirty=False)))
    assert "--source-dirty" not in opts and "--allow-busy" not in opts


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
    (("error", "fail: apf-bench exited 6", 6, (4, 12)), "error"),    # L1 busy: refused
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


def test_bench_config_disk_carries_the_last_attempts_runs(tmp_path):
    prev = tmp_path / "prev"
    (prev / "runs").mkdir(parents=True)
    (prev / "results.json").write_text('{"runs": []}')
    (prev / "runs/pv-1.serial.log").write_text("APFWL x\n")
    c = benchlab.bench_config("smoke")
    art = {"static": Path(sys.executable), "initrd": Path(__file__), "apf_bench": None}
    imgs = {"our_qemu": None, "kernels": {"l2": Path(__file__)}}
    cfg = tmp_path / "a" / "cfg.tar"
    cfg.parent.mkdir()
    lab.bench_cfg_maker(c, art, "smoke", 5, None, False, prev)(cfg, None, imgs, {})
    with tarfile.open(cfg) as t:
        t.extractall(tmp_path / "x")
    with tarfile.open(tmp_path / "x/prev-bench.tar") as t:
        assert {"./results.json", "./runs/pv-1.serial.log"} <= set(t.getnames())
    assert not (tmp_path / "a/prev-bench.tar").exists()      # only inside the disk
    # No earlier results: no tar.
    lab.bench_cfg_maker(c, art, "smoke", 5, None, False, tmp_path / "none")(cfg, None, imgs, {})
    with tarfile.open(cfg) as t:
        assert "prev-bench.tar" not in t.getnames()


# ------------------------------------------------------------- source --
def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "PATH": "/usr/bin:/bin",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(repo)})


def test_source_state(tmp_path):
    repo = tmp_path / "r"
    for f in ("bench/harness/a.c", "ansible/b.yml", "bench/results/x/results.json"):
        (repo / f).parent.mkdir(parents=True, exist_ok=True)
        (repo / f).write_text("1\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "c")
    s = benchlab.source_state(repo)
    assert len(s["commit"]) == 40 and s["dirty"] is False and s["dirty_paths"] == []
    # Outside the benchmark's sources, results included: still clean.
    (repo / "ansible/b.yml").write_text("2\n")
    (repo / "bench/results/new").mkdir()
    (repo / "bench/results/new/results.json").write_text("{}")
    assert benchlab.source_state(repo)["dirty"] is False
    (repo / "bench/harness/a.c").write_text("2\n")
    (repo / "tests/lab").mkdir(parents=True)
    (repo / "tests/lab/new.py").write_text("x\n")
    s = benchlab.source_state(repo)
    assert s["dirty"] is True
    assert [p.split()[-1] for p in s["dirty_paths"]] == ["bench/harness/a.c", "tests/lab/"]
    assert benchlab.source_state(tmp_path / "nowhere")["commit"] is None


# ------------------------------------------------------------ L0 load --
def fake_proc(root, load="0.05 0.10 0.20 1/100 999", procs=()):
    root.mkdir(parents=True, exist_ok=True)
    (root / "loadavg").write_text(load + "\n")
    (root / "stat").write_text("cpu  100 0 50 10000 10 0 5 0 0 0\ncpu0 1\ncpu1 1\n")
    for pid, comm, ppid, flags in procs:
        (root / str(pid)).mkdir()
        (root / str(pid) / "stat").write_text(
            f"{pid} ({comm}) S {ppid} 1 1 0 -1 {flags} 0 0 0 0 7 3 0 0 20 0 1 0\n")
    return root


def test_l0_idle(tmp_path):
    p = fake_proc(tmp_path / "quiet")
    idle = benchlab.l0_idle(0.01, proc=p)
    assert idle["busy"] is False and idle["why"] == "" and idle["ncpu"] == 2
    p = fake_proc(tmp_path / "busy", "3.10 2.0 1.0 1/1 1",
                  [(100, "cc1", 90, 0), (101, "qemu-system-x86", 1, 0), (102, "bash", 1, 0),
                   (2, "kthreadd", 0, 0x00200000)])
    idle = benchlab.l0_idle(0.01, proc=p)
    assert idle["busy"] is True
    assert "1-min load average 3.10 on 2 CPUs" in idle["why"]
    assert idle["foreign"] == ["100 cc1", "101 qemu-system-x86"]


def test_foreign_processes_skip_ours():
    table = {10: ("qemu-system-x86", 1, 0, False), 11: ("qemu-apf", 10, 0, False),
             20: ("cc1", 1, 0, False), 30: ("qemu-ga", 1, 0, False),
             40: ("clang-19", 1, 0, False), 50: ("kworker/0:1", 2, 0, True)}
    assert benchlab.foreign_processes(table, [10]) == ["20 cc1", "40 clang-19"]
    assert benchlab.foreign_processes(table) == ["10 qemu-system-x86", "11 qemu-apf", "20 cc1",
                                                 "40 clang-19"]


def test_l0_monitor(tmp_path):
    p = fake_proc(tmp_path / "p", procs=[(500, "qemu-system-x86", 1, 0), (600, "cc1", 1, 0)])
    with benchlab.L0Monitor(lambda: [500], interval=0.05, proc=p) as mon:
        time.sleep(0.4)
    s = mon.summary()
    assert s["samples"] >= 2
    assert s["foreign"] == ["600 cc1"] and s["busy"] is True and "cc1" in s["why"]
    with benchlab.L0Monitor(lambda: [], interval=5, proc=p) as mon:
        pass
    assert mon.summary() == {"samples": 0, "busy": False, "why": ""}


def test_flag_runs_busy(tmp_path):
    p = tmp_path / "results.json"
    p.write_text(json.dumps({"runs": [{"order": 1, "busy": {"flag": False, "reasons": []}},
                                      {"order": 2}, {"order": 3}]}))
    assert benchlab.run_orders(p) == {1, 2, 3}
    assert benchlab.flag_runs_busy(p, {1, 3}, "L0 busy") == 2
    runs = json.loads(p.read_text())["runs"]
    assert runs[0]["busy"] == {"flag": True, "reasons": ["L0 busy"]}
    assert "busy" not in runs[1]
    assert runs[2]["busy"]["flag"] is True
    assert benchlab.run_orders(tmp_path / "missing.json") == set()


# -------------------------------------------------------------- smoke --
def smoke_doc(**over):
    def run(mode, compute, guest_np, queued, halted, host_np, tp_np):
        return {"mode": mode, "rep": 1, "order": 1, "outcome": "ok",
                "compute_units_per_s": compute, "guest": {"page_not_present": guest_np},
                "window": {"apfctl": {"async_pf_queued": queued, "async_pf_halted": halted,
                                      "async_pf_not_present": host_np},
                           "tracepoints": {"kvm_async_pf_not_present": tp_np}}}
    runs = {"off": run("off", 300, 0, 0, 0, 0, 0),
            "halt": run("halt", 290, 0, 1800, 1400, 0, 1800),
            "pv": run("pv", 580, 1081, 1750, 300, 1150, 1746)}
    for k, v in over.items():
        mode, _, path = k.partition("__")
        d = runs[mode]
        *head, last = path.split("__")
        for h in head:
            d = d[h]
        d[last] = v
    return {"runs": list(runs.values())}


@pytest.mark.parametrize("over,failing", [
    ({}, []),
    ({"off__window__apfctl__async_pf_queued": 3}, ["off: host async_pf_queued 0"]),
    ({"off__window__tracepoints__kvm_async_pf_not_present": 2}, ["off: host async_pf_queued 0"]),
    ({"halt__guest__page_not_present": 5}, ["halt: guest page_not_present 0"]),
    ({"halt__window__apfctl__async_pf_halted": 0}, ["halt: guest page_not_present 0"]),
    ({"halt__window__tracepoints__kvm_async_pf_not_present": 0}, ["halt: the host still"]),
    ({"pv__compute_units_per_s": 299}, ["halt-hurts: pv computes more"]),
    ({"pv__guest__page_not_present": 0}, ["pv: the guest took"]),
    ({"off__outcome": "crash"}, ["off: the run is ok"]),
    # A missing source fails its check (never passes by absence).
    ({"off__window__apfctl": {}}, ["off: host async_pf_queued 0"]),
])
def test_smoke_verdict(tmp_path, over, failing):
    p = tmp_path / "results.json"
    p.write_text(json.dumps(smoke_doc(**over)))
    checks = benchlab.smoke_verdict(p)
    assert len(checks) == 8
    bad = [name for name, ok, _ in checks if not ok]
    assert len(bad) == len(failing)
    for want, got in zip(failing, bad):
        assert got.startswith(want), (got, want)


def test_smoke_verdict_without_runs(tmp_path):
    p = tmp_path / "results.json"
    p.write_text(json.dumps({"runs": []}))
    assert all(not ok for _, ok, _ in benchlab.smoke_verdict(p))


# ------------------------------------------------------------- sweeps --
def test_parse_sweep():
    assert benchlab.parse_sweep("smp=1,2,4") == ("smp", [1, 2, 4])
    assert benchlab.parse_sweep("overcommit=0.5 0.7,0.9") == ("overcommit", [0.5, 0.7, 0.9])
    assert benchlab.parse_sweep("iops=40,200,2000,0") == ("iops", [40, 200, 2000, 0])
    for bad in ("smp", "smp=", "smp=2", "smp=0,2", "cpu=1,2", "overcommit=0.05,0.5",
                "overcommit=1.5,0.5", "iops=5,40", "smp=a,b"):
        with pytest.raises(benchlab.ConfigError):
            benchlab.parse_sweep(bad)


def test_sweep_config():
    c = benchlab.bench_config("natapov")
    s4 = benchlab.sweep_config(c, "smp", 4)
    assert s4["name"] == "natapov-smp4" and s4["smp"] == 4
    assert " -f 4 " in f" {s4['workload']} " and " -c 4 " in f" {s4['workload']} "
    assert c["smp"] == 2 and c["name"] == "natapov"            # not changed in place
    # A class a configuration does not have stays at 0.
    n = benchlab.sweep_config(benchlab.bench_config("no-other-work"), "smp", 4)
    assert " -c 0 " in f" {n['workload']} " and " -f 4 " in f" {n['workload']} "
    o = benchlab.sweep_config(c, "overcommit", 0.5)
    assert o["name"] == "natapov-oc50" and o["memory_max"] == f"{round(0.5 * 550)}M"
    assert benchlab.sweep_config(c, "iops", 40) == c


def test_sweep_rows_and_plot(tmp_path):
    def res(path, r, lo, hi, p):
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({"summary": {"metric": "compute_units_per_s", "comparisons": {
            "compute_units_per_s": {
                "pv/off": {"ratio": r, "ci95": {"lo": lo, "hi": hi},
                           "mann_whitney": {"p": p}},
                "pv/halt": {"ratio": r * 0.9, "ci95": None, "mann_whitney": None}}}}}))
        return path
    pts = [(40, res(tmp_path / "a/results.json", 1.9, 1.6, 2.1, 0.001)),
           (0, res(tmp_path / "b/results.json", 1.2, 1.0, 1.4, 0.05)),
           (200, tmp_path / "missing/results.json")]
    rows = benchlab.sweep_rows(pts)
    assert rows[0] == [40, 1.9, 1.6, 2.1, 0.001, pytest.approx(1.71), None, None, None]
    assert rows[2] == [200] + [None] * 8
    base = benchlab.write_sweep(tmp_path / "out", "natapov", "iops", rows)
    dat = (tmp_path / "out/sweep-natapov-iops.dat").read_text().splitlines()
    assert dat[2].split()[:2] == ["100000", "1.2"]              # unthrottled
    assert dat[3].split() == ["200"] + ["NaN"] * 8
    if shutil.which("gnuplot"):
        assert base and Path(f"{base}.png").read_bytes()[:4] == b"\x89PNG"
        assert b"<svg" in Path(f"{base}.svg").read_bytes()
