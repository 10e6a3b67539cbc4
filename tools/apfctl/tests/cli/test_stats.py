# SPDX-License-Identifier: GPL-2.0-only
"""apfctl stats against fixture sysroots (debugfs source)."""
import csv
import io
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import APFCTL, WRAPPER, fixture, run, read_u64

SEVEN = ["async_pf_queued", "async_pf_not_present", "async_pf_halted",
         "async_pf_ready", "async_pf_completed", "async_pf_cancelled",
         "async_pf_sync"]
FAST = ["-s", "0.05"]


def kvm_dir(tree):
    return Path(tree) / "sys/kernel/debug/kvm"


def vm_dirs(tree):
    return {int(d.name.split("-")[0]): d for d in kvm_dir(tree).iterdir()
            if d.is_dir() and "-" in d.name}


def test_patched_host_text_shows_all_seven_counters():
    r = run("stats", "-1", *FAST, sysroot=fixture("patched-host"))
    assert r.rc == 0, r.err
    for name in SEVEN:
        assert name in r.out
    assert "source: debugfs" in r.out


def without_cancelled(tree):
    """A host of the series before async_pf_cancelled: the other six."""
    gone = list(kvm_dir(tree).rglob("async_pf_cancelled"))
    assert gone
    for f in gone:
        f.unlink()
    return tree


@pytest.mark.parametrize("mode", [["-j"], ["-j", "-v"], [], ["-c"], ["-l"]])
def test_kernel_without_cancelled_shows_the_rest(tree_copy, mode):
    """async_pf_cancelled came later in the host series: a kernel that
    lacks it has its row left out, like any stat a kernel lacks, not an
    error, and the other six are read as before."""
    tree = without_cancelled(tree_copy("patched-host"))
    r = run("stats", "-1", *mode, *FAST, sysroot=tree)
    assert r.rc == 0 and r.err == "", r.err
    assert "async_pf_cancelled" not in r.out
    if mode[:1] != ["-j"]:
        for name in SEVEN[:5] + SEVEN[6:]:
            assert name in r.out
        return
    smp = r.json()
    dirs = vm_dirs(tree)
    for vm in smp["vms"]:
        assert vm["source"] == "debugfs"
        assert "async_pf_cancelled" not in vm["rates"]
        for name in SEVEN[:5] + SEVEN[6:]:
            assert vm["counters"][name] == read_u64(dirs[vm["pid"]] / name)
        for v in vm.get("vcpus", []):
            assert "async_pf_cancelled" not in v["counters"]
            assert "async_pf_queued" in v["counters"]
    assert "async_pf_cancelled" not in smp["total"]["counters"]
    assert smp["total"]["counters"]["async_pf_queued"] == \
        read_u64(kvm_dir(tree) / "async_pf_queued")


def test_cancelled_keeps_the_books():
    """queued == completed + cancelled + in flight (never below 0), per
    vCPU, VM and host, as the kernel keeps them and as apfctl shows them."""
    smp = run("stats", "-1", "-j", "-v", *FAST, sysroot=fixture("patched-host")).json()
    rows = [smp["total"]] + smp["vms"] + [v for vm in smp["vms"] for v in vm["vcpus"]]
    cancelled = 0
    for row in rows:
        c = row["counters"]
        assert c["async_pf_completed"] + c["async_pf_cancelled"] <= c["async_pf_queued"], c
        cancelled += c["async_pf_cancelled"]
    assert cancelled > 0       # the fixture has some: the row is not all zeros


def test_text_tables_have_kvm_stat_headers():
    """Every table starts with a header naming its columns (kvm_stat's
    Event, Total, CurAvg/s), and a fixture has no tracepoint window."""
    r = run("stats", "-1", "-v", *FAST, sysroot=fixture("patched-host"))
    assert r.rc == 0, r.err
    lines = r.out.splitlines()
    heads = [i for i, l in enumerate(lines) if l.split() == ["Event", "Total", "CurAvg/s"]]
    scopes = [i for i, l in enumerate(lines)
              if l.startswith(("VM ", "Host total")) or l.strip().startswith("vCPU ")]
    assert scopes and len(heads) == len(scopes)
    assert all(lines[h - 1] in {lines[s] for s in scopes} for h in heads)
    assert "Tracepoints counted" not in r.out


def test_patched_host_json_values_match_debugfs():
    tree = fixture("patched-host")
    smp = run("stats", "-1", "-j", *FAST, sysroot=tree).json()
    dirs = vm_dirs(tree)
    assert {vm["pid"] for vm in smp["vms"]} == set(dirs)
    for vm in smp["vms"]:
        assert vm["source"] == "debugfs"
        for name in SEVEN:
            assert vm["counters"][name] == read_u64(dirs[vm["pid"]] / name)
            assert vm["rates"][name] == 0.0      # fixture does not move
    assert smp["total"]["source"] == "debugfs"
    for name in SEVEN:
        assert smp["total"]["counters"][name] == read_u64(kvm_dir(tree) / name)


def test_per_vcpu_rows_sum_to_vm():
    tree = fixture("patched-host")
    smp = run("stats", "-1", "-j", "-v", *FAST, sysroot=tree).json()
    for vm in smp["vms"]:
        assert len(vm["vcpus"]) >= 1
        for name in SEVEN:
            assert sum(v["counters"][name] for v in vm["vcpus"]) == vm["counters"][name]


def test_select_by_pid_and_name():
    tree = fixture("patched-host")
    first = run("status", "-j", sysroot=tree).json()["host"]["vms"][0]
    by_pid = run("stats", "-1", "-j", "-p", first["pid"], *FAST, sysroot=tree).json()
    assert [vm["pid"] for vm in by_pid["vms"]] == [first["pid"]]
    assert by_pid["total"] is None
    by_name = run("stats", "-1", "-j", "-g", first["name"], *FAST, sysroot=tree).json()
    assert [vm["name"] for vm in by_name["vms"]] == [first["name"]]


def test_unknown_vm_is_runtime_error():
    r = run("stats", "-1", "-g", "no-such-vm", sysroot=fixture("patched-host"))
    assert r.rc == 1
    assert "no running VM 'no-such-vm'" in r.err


@pytest.mark.parametrize("args", [["-s", "0"], ["-s", "abc"], ["-s", "-1"],
                                  ["-n", "0"], ["-p", "12x"],
                                  ["-p", "1", "-g", "x"], ["--qmp", "/x"],
                                  ["-c", "-j"], ["--bogus"], ["extra"]])
def test_bad_options_are_usage_errors(args):
    r = run("stats", "-1", *args, sysroot=fixture("patched-host"))
    assert r.rc == 2, (args, r.err)
    assert r.err.strip()


def test_csv_rows_parse():
    tree = fixture("patched-host")
    r = run("stats", "-1", "-c", *FAST, sysroot=tree)
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert rows and set(rows[0]) == {"time", "scope", "pid", "name", "source",
                                      "vcpu", "counter", "value", "rate"}
    scopes = {row["scope"] for row in rows}
    assert scopes == {"vm", "total"}
    names = {row["counter"] for row in rows}
    assert set(SEVEN) <= names


def test_skip_zero():
    tree = fixture("patched-host")
    smp = run("stats", "-1", "-j", "-z", *FAST, sysroot=tree).json()
    for vm in smp["vms"]:
        assert all(v != 0 for v in vm["counters"].values())
    full = run("stats", "-1", "-j", *FAST, sysroot=tree).json()
    assert any(v == 0 for vm in full["vms"] for v in vm["counters"].values()), \
        "fixture should hold a zero counter for -z to matter"


def test_all_counters_is_superset():
    tree = fixture("patched-host")
    few = run("stats", "-1", "-j", *FAST, sysroot=tree).json()["total"]["counters"]
    many = run("stats", "-1", "-j", "-a", *FAST, sysroot=tree).json()["total"]["counters"]
    assert set(few) < set(many)


def test_count_gives_json_lines():
    r = run("stats", "-n", "3", "-j", *FAST, sysroot=fixture("patched-host"))
    docs = r.json_lines()
    assert len(docs) == 3
    assert all("vms" in d for d in docs)


def test_log_mode_lines():
    r = run("stats", "-l", "-n", "2", *FAST, sysroot=fixture("patched-host"))
    lines = r.out.splitlines()
    assert any(" vm pid=" in line and "async_pf_queued=" in line for line in lines)
    assert any(" total source=debugfs" in line for line in lines)


def test_log_file_reopened_on_sighup(tmp_path):
    log = tmp_path / "stats.log"
    rotated = tmp_path / "stats.log.1"
    proc = subprocess.Popen(list(WRAPPER) + [APFCTL, "--sysroot",
                            str(fixture("patched-host")), "stats", "-L", str(log),
                            "-s", "0.1"], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 20
        while time.time() < deadline and not (log.exists() and log.stat().st_size):
            time.sleep(0.05)
        assert log.stat().st_size > 0
        os.rename(log, rotated)
        proc.send_signal(signal.SIGHUP)
        while time.time() < deadline and not log.exists():
            time.sleep(0.05)
        assert log.exists(), "log not reopened after SIGHUP"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "async_pf_queued=" in rotated.read_text()


def test_log_file_unwritable_is_clear_error():
    r = run("stats", "-1", "-L", "/nonexistent-dir/x.log",
            sysroot=fixture("patched-host"))
    assert r.rc == 1
    assert "cannot open log" in r.err


@pytest.mark.parametrize("reader", [False, True])
def test_log_file_fifo_is_refused_at_once(tmp_path, reader):
    """A FIFO at the -L path is never opened (without a reader the open
    would wait for one for ever; with one, it would get our log): a clear
    error and the usage exit code, at once."""
    fifo = tmp_path / "stats.log"
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK) if reader else -1
    try:
        r = run("stats", "-1", "-L", str(fifo), sysroot=fixture("patched-host"),
                timeout=60 if WRAPPER else 10)
    finally:
        if fd >= 0:
            os.close(fd)
    assert r.rc == 2, r.err
    assert "cannot open log" in r.err and "Not a regular file" in r.err, r.err


def test_stock_host_without_debugfs_has_no_source():
    r = run("stats", "-1", "-j", *FAST, sysroot=fixture("stock-host-nodebugfs"))
    assert r.rc == 0, r.err
    smp = r.json()
    assert smp["vms"], "fixture has VMs found through /proc fds"
    assert all(vm["source"] == "none" for vm in smp["vms"])


def test_stock_host_debugfs_has_no_apf_counters():
    smp = run("stats", "-1", "-j", *FAST, sysroot=fixture("stock-host")).json()
    for vm in smp["vms"]:
        assert not any(k.startswith("async_pf") for k in vm["counters"])
        assert "exits" in vm["counters"]


def test_hostile_values_skip_overflow():
    tree = fixture("hostile-values")
    r = run("stats", "-1", "-j", "-a", *FAST, sysroot=tree)
    assert r.rc == 0, r.err
    smp = r.json()
    for scope in [smp["total"]] + smp["vms"]:
        for v in scope["counters"].values():
            assert 0 <= v < 2**64


def test_guest_counters_in_stats():
    tree = fixture("patched-guest")
    smp = run("stats", "-1", "-j", *FAST, sysroot=tree).json()
    assert smp["guest"]["source"] == "sysfs"
    assert smp["guest"]["counters"]["page_ready"] == \
        read_u64(tree / "sys/kernel/kvm_async_pf/page_ready")
    assert "hyp_interrupts" in smp["guest"]["counters"]


def test_sigterm_stops_continuous_run():
    proc = subprocess.Popen(list(WRAPPER) + [APFCTL, "--sysroot",
                            str(fixture("patched-host")), "stats", "-j", "-s", "0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The first sample comes after the handler is installed: a fixed sleep
    # sent SIGTERM before that under valgrind on a loaded machine (-15).
    guard = threading.Timer(60, proc.kill)     # no first line: no hang
    guard.start()
    try:
        first = proc.stdout.readline()
    finally:
        guard.cancel()
    assert first.strip(), "printed a first sample"
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
