# SPDX-License-Identifier: GPL-2.0-only
"""apf-workload natively: record shapes, counts, modes and usage errors."""
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import APFWL, PREFIX, TINY, WRAPPER, parse_records, run

START_KEYS = {"type", "version", "fault_threads", "compute_threads", "mb",
              "pages", "page_size", "access", "duration_s", "warmup_s", "interval_s",
              "mode", "passes", "fill", "seed", "unit_iters"}
RESULT_KEYS = {"type", "mode", "elapsed_s", "fault_pages", "fault_pages_per_s",
               "compute_units", "compute_units_per_s", "per_thread", "guest"}


def check_stream(res):
    """Every stdout line is a record, in the documented order."""
    assert res.rc == 0, res.err
    lines = res.out.splitlines()
    assert lines and all(line.startswith(PREFIX) for line in lines), res.out
    kinds = [r["type"] for r in res.records]
    assert kinds[:2] == ["start", "fill"]
    assert kinds[-2:] == ["result", "done"]
    assert set(kinds[2:-2]) <= {"interval", "window"}
    # Throughput mode opens its measured window exactly once.
    assert kinds.count("window") == (res.one("start")["mode"] == "throughput")
    assert res.records[-1] == {"type": "done", "rc": 0}
    assert set(res.one("start")) == START_KEYS
    assert RESULT_KEYS <= set(res.one("result"))
    return res.one("start"), res.one("result")


@pytest.mark.parametrize("access", ["write", "read", "rw"])
def test_throughput_modes(access):
    res = run(*TINY, "-a", access)
    start, result = check_stream(res)
    page = os.sysconf("SC_PAGE_SIZE")
    assert start["access"] == access
    assert start["mode"] == "throughput"
    assert start["pages"] == 8 * 1024 * 1024 // page
    assert start["page_size"] == page
    assert (start["fault_threads"], start["compute_threads"]) == (1, 1)
    assert result["fault_pages"] > 0 and result["compute_units"] > 0
    assert 0.9 < result["elapsed_s"] < 5
    assert result["fault_pages_per_s"] == pytest.approx(
        result["fault_pages"] / result["elapsed_s"], rel=1e-3)
    assert result["compute_units_per_s"] == pytest.approx(
        result["compute_units"] / result["elapsed_s"], rel=1e-3)
    assert len(result["per_thread"]["fault"]) == 1
    assert len(result["per_thread"]["compute"]) == 1
    assert result["per_thread"]["fault"][0] > 0
    assert result["per_thread"]["compute"][0] > 0


def test_intervals_and_per_thread():
    res = run("-m", "8", "-t", "3", "-i", "1", "-f", "2", "-c", "3",
              "--unit-iters", "10000")
    _, result = check_stream(res)
    ivals = res.of("interval")
    # At 1 s and 2 s; the 3 s mark is the result itself. Deadlines are
    # absolute, so a record is never early; under a checker it may be late.
    assert len(ivals) == 2
    assert [int(i["t"]) for i in ivals] == [1, 2] or (
        WRAPPER and ivals[0]["t"] >= 1 and ivals[1]["t"] >= 2)
    for i in ivals:
        assert i["fault_pages_per_s"] > 0 and i["compute_units_per_s"] > 0
    # Totals since the threads started, never falling.
    assert 0 < ivals[0]["compute_units"] <= ivals[1]["compute_units"]
    assert 0 < ivals[0]["fault_pages"] <= ivals[1]["fault_pages"]
    assert res.one("window") == {"type": "window", "t": 0, "warmup_s": 0, "duration_s": 3}
    per = result["per_thread"]
    assert len(per["fault"]) == 2 and len(per["compute"]) == 3
    assert all(v > 0 for v in per["fault"] + per["compute"])
    assert sum(per["compute"]) == pytest.approx(
        result["compute_units_per_s"], rel=1e-3)


def test_warmup_window():
    """-w: a warm-up, reported by intervals, then the -t second window that
    the result covers alone."""
    res = run("-m", "8", "-w", "2", "-t", "2", "-i", "1", "-f", "1", "-c", "1",
              "--unit-iters", "10000")
    start, result = check_stream(res)
    assert start["warmup_s"] == 2 and start["duration_s"] == 2
    kinds = [r["type"] for r in res.records]
    win = res.one("window")
    assert win["warmup_s"] == 2 and win["duration_s"] == 2
    assert win["t"] >= 2 and (WRAPPER or win["t"] < 3)
    ivals = res.of("interval")
    before = [i for i in ivals if kinds.index("window") > res.records.index(i)]
    assert before and before[-1]["t"] <= win["t"]
    # The window lasts -t, however late it opened; the result is its own.
    assert result["elapsed_s"] == pytest.approx(2, abs=0.1 if not WRAPPER else 1)
    assert result["warmup_s"] == 2
    # The last interval (t ~ 3) counts 2 s of warm-up and 1 s of window;
    # the window's 2 s alone are fewer.
    assert ivals[-1]["t"] >= 3
    assert 0 < result["compute_units"] < ivals[-1]["compute_units"]


def test_warmup_not_in_finish_mode():
    res = run("-m", "8", "--finish", "1", "-f", "1", "-w", "2")
    assert res.rc == 2
    assert "-w" in res.err


def test_no_intervals():
    res = run("-m", "8", "-t", "2", "-i", "0", "-f", "1", "-c", "0")
    _, result = check_stream(res)
    assert res.of("interval") == []
    assert result["compute_units"] == 0 and result["per_thread"]["compute"] == []


def test_finish_mode():
    res = run("-m", "8", "--finish", "2", "-f", "2", "-c", "5", "-i", "0")
    start, result = check_stream(res)
    assert start["mode"] == "finish" and start["passes"] == 2
    assert start["compute_threads"] == 0          # forced
    # Each thread touches passes * pages / F pages, exactly.
    assert result["fault_pages"] == 2 * (start["pages"] // 2) * 2
    assert result["compute_units"] == 0
    assert len(result["per_thread"]["finish_s"]) == 2
    assert result["elapsed_s"] == pytest.approx(
        max(result["per_thread"]["finish_s"]), abs=1e-5)
    assert result["fault_pages_per_s"] > 0


def test_finish_progress_records():
    # Enough passes to outlast one interval: ~2 s natively (165M pages/s
    # measured here), a checker slows it 20-50x.
    # The machine's speed varies (load, checkers): grow the work until a
    # run outlasts one interval, rather than guessing it once.
    passes = 400 if WRAPPER else 20000
    for _ in range(4):
        res = run("-m", "64", "--finish", str(passes), "-f", "1", "-i", "1",
                  "--no-fill", timeout=300)
        _, result = check_stream(res)
        if result["elapsed_s"] > 1.5:
            break
        passes *= 4
    assert result["elapsed_s"] > 1
    assert len(res.of("interval")) >= 1
    assert all(i["compute_units_per_s"] == 0 for i in res.of("interval"))


def test_no_fill():
    res = run(*TINY, "--no-fill")
    start, _ = check_stream(res)
    assert start["fill"] is False
    assert res.one("fill") == {"type": "fill", "seconds": 0, "skipped": True}


def test_fill_is_timed():
    res = run(*TINY)
    start, _ = check_stream(res)
    assert start["fill"] is True
    fill = res.one("fill")
    assert fill["skipped"] is False and 0 <= fill["seconds"] < 5


def test_guest_object_real_proc():
    _, result = check_stream(run(*TINY))
    guest = result["guest"]
    assert "pgmajfault" in guest
    hyp = re.search(r"^\s*HYP:", Path("/proc/interrupts").read_text(), re.M)
    assert ("hyp_interrupts" in guest) == bool(hyp)
    cmdline = Path("/proc/cmdline").read_text().split()
    assert guest["kvmapf"] is ("no-kvmapf" not in cmdline)


def make_sysroot(root, cmdline):
    apf = root / "sys" / "kernel" / "kvm_async_pf"
    apf.mkdir(parents=True)
    for name, val in [("page_not_present", 5), ("page_ready", 5),
                      ("wake_before_wait", 1), ("wait_ns_total", 900),
                      ("wait_ns_max", 400), ("enabled", 1)]:
        (apf / name).write_text(f"{val}\n")
    proc = root / "proc"
    proc.mkdir()
    (proc / "interrupts").write_text("    CPU0 CPU1\nHYP:  3  4  Hypervisor callback interrupts\n")
    (proc / "vmstat").write_text("pgfault 9\npgmajfault 7\n")
    (proc / "cmdline").write_text(cmdline + "\n")


def test_guest_object_patched_kernel(tmp_path):
    make_sysroot(tmp_path, "console=ttyS0 no-kvmapf")
    _, result = check_stream(run(*TINY, "--sysroot", tmp_path))
    # Static files: every delta is 0, the gauges are read as they are.
    assert result["guest"] == {
        "page_not_present": 0, "page_ready": 0, "wake_before_wait": 0,
        "wait_ns_total": 0, "wait_ns_max": 400, "apf_enabled": 1,
        "hyp_interrupts": 0, "pgmajfault": 0, "kvmapf": False}


def test_guest_object_nothing_there(tmp_path):
    _, result = check_stream(run(*TINY, "--sysroot", tmp_path))
    assert result["guest"] == {}


def test_seed_and_unit_iters_recorded():
    start, _ = check_stream(run(*TINY, "--seed", "7"))
    assert (start["seed"], start["unit_iters"]) == (7, 10000)


def test_help_and_version():
    res = run("--help")
    assert res.rc == 0 and res.out.startswith("Usage: apf-workload")
    assert "apfwl=" in res.out and res.err == ""
    res = run("-V")
    assert res.rc == 0
    assert re.fullmatch(r"apf-workload \S+ \(output format 1\)\n", res.out)


@pytest.mark.parametrize("args,message", [
    (["-f", "abc"], "-f: 'abc' is not a number (use 0..1024)"),
    (["-c", "1025"], "-c: 1025 is out of range (use 0..1024)"),
    (["-m", "0"], "-m: 0 is out of range"),
    (["-t"], "-t needs a value (see --help)"),
    (["-a", "append"], "-a: 'append' is not an access mode (use write, read or rw)"),
    (["--finish", "1", "-f", "0"], "--finish needs at least one fault thread"),
    (["-f", "0", "-c", "0"], "-f 0 -c 0 runs nothing"),
    (["--frobnicate"], "unknown option '--frobnicate' (see --help)"),
    (["extra"], "unexpected argument 'extra'"),
])
def test_usage_errors(args, message):
    res = run(*args)
    assert res.rc == 2
    assert res.err.startswith("apf-workload: " + message), res.err
    assert res.err.count("\n") == 1
    # The harness sees the failure on stdout as well.
    kinds = [r["type"] for r in res.records]
    assert kinds == ["error", "done"]
    assert res.records[0]["message"].startswith(message)
    assert res.records[1] == {"type": "done", "rc": 2}


def test_buffer_too_big_is_a_runtime_error():
    mode = Path("/proc/sys/vm/overcommit_memory").read_text().strip()
    if mode == "1":
        pytest.skip("vm.overcommit_memory=1 accepts any mapping")
    res = run("-m", "4194304", "-t", "1")      # 4 TiB
    assert res.rc == 1
    assert "cannot map a 4194304 MiB buffer" in res.err
    assert "use a smaller -m" in res.err
    kinds = [r["type"] for r in res.records]
    assert kinds == ["start", "error", "done"]
    assert res.records[-1]["rc"] == 1


def test_bad_bytes_stay_valid_json():
    """Arguments are any bytes; the records must stay valid UTF-8 JSON."""
    proc = subprocess.run(list(WRAPPER) + [APFWL, "-f", b"\xe9t\xe9"],
                          capture_output=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr == b"apf-workload: -f: '\xe9t\xe9' is not a number (use 0..1024)\n"
    records = parse_records(proc.stdout.decode("utf-8"))   # strict decode
    assert records[0]["message"] == "-f: '\ufffdt\ufffd' is not a number (use 0..1024)"
