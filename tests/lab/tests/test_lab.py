# SPDX-License-Identifier: GPL-2.0-only
"""The lab's own logic without a VM: the cpio writer, the serial-log crash
patterns, and every scenario's verdict against results recorded from real
lab runs (tests/fixtures/<scenario>-<kernels>/, the results tree L1 wrote,
minus dmesg and /proc/interrupts), also after breaking them on purpose."""
import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(LAB))
import lab  # noqa: E402
import scenarios  # noqa: E402

FIX = LAB / "tests" / "fixtures"


def fixture(name):
    return lab.collect(FIX / name)


def failed(checks):
    return [c["name"] for c in checks if not c["ok"]]


@pytest.mark.skipif(not shutil.which("cpio"), reason="cpio not installed")
def test_cpio_roundtrip(tmp_path):
    c = lab.Cpio()
    c.dir("/etc")
    c.file("/usr/bin/tool", data=b"#!/bin/sh\necho hi\n", mode=0o755)
    c.symlink("/bin/sh", "busybox")
    out = tmp_path / "x.cpio"
    c.write(out, compress=False)
    r = subprocess.run(["cpio", "-itv"], stdin=open(out, "rb"), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    listing = r.stdout
    assert "usr/bin/tool" in listing and "bin/sh -> busybox" in listing
    assert "-rwxr-xr-x" in listing
    (tmp_path / "x").mkdir()
    subprocess.run(["cpio", "-id", "--quiet"], stdin=open(out, "rb"), cwd=tmp_path / "x", check=True)
    assert (tmp_path / "x/usr/bin/tool").read_bytes() == b"#!/bin/sh\necho hi\n"


@pytest.mark.parametrize("line", [
    "[   12.345] Kernel panic - not syncing: Fatal exception",
    "[   22.000] watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [qemu-system-x86:201]",
    "rcu: INFO: rcu_preempt self-detected stall on CPU",
    "rcu: INFO: rcu_sched detected stalls on CPUs/tasks:",
    "INFO: task kworker/0:1:15 blocked for more than 122 seconds.",
    "L2| BUG: kernel NULL pointer dereference, address: 0000000000000000",
    "Oops: general protection fault, probably for non-canonical address",
    "L1LAB: FAIL L2 QEMU exited waiting for 'LABWL done'",
    "L1LAB: FATAL no config disk",
])
def test_fatal_lines(line):
    assert lab.FATAL_RE.search(line)


@pytest.mark.parametrize("line", [
    "L1LAB: snapshot S0: kvm_async_pf_completed:635,kvm_async_pf_not_present:636",
    "L2| LABWL phase=1 end secs=27.7 touches=22999 compute=263899",
    "L1LAB: hb up=42.18 swap_used_kb=191172",
    "L1LAB: FAIL timeout 240s waiting for 'LABWL done'",
    "Booting from ROM...",
])
def test_harmless_lines(line):
    assert not lab.FATAL_RE.search(line)


def test_a_stock_fixture_passes():
    checks, summary, notes = scenarios.evaluate("a", fixture("a-stock"))
    assert failed(checks) == []
    assert summary["apf"]["tp_not_present"] > 0
    # On a stock host with readable debugfs apfctl shows no APF counters.
    assert any("stats-during: total from debugfs" in n for n in notes)


def test_a_without_async_faults_fails():
    data = fixture("a-stock")
    for s in data["runs"]["apf"]["snapshots"].values():
        for k in s["events"]:
            if "async_pf" in k:
                s["events"][k] = 0
    checks, _, _ = scenarios.evaluate("a", data)
    assert "apf: tracepoint kvm_async_pf_not_present (host went async)" in failed(checks)


def test_a_without_tracepoint_fallback_fails():
    data = fixture("a-stock")
    data["runs"]["apf"]["apfctl"]["stats-during-nodebugfs"]["json"] = {"vms": [], "total": {}}
    checks, _, _ = scenarios.evaluate("a", data)
    assert any("via tracepoints" in n for n in failed(checks))


def test_missing_run_fails():
    data = fixture("a-stock")
    del data["runs"]["apf"]
    checks, _, _ = scenarios.evaluate("a", data)
    assert failed(checks) == ["all L2 runs present"]


def test_malformed_results_fail_not_crash():
    data = fixture("a-stock")
    data["runs"]["apf"]["snapshots"]["S2"] = {"events": "garbage"}
    checks, _, _ = scenarios.evaluate("a", data)
    assert failed(checks)


def _fixtures_for(scn):
    return sorted(p.name for p in FIX.glob(f"{scn}-*") if p.is_dir())


@pytest.mark.parametrize("scn", ["b", "c", "d", "e", "f", "g"])
def test_our_kernel_fixtures_pass(scn):
    names = _fixtures_for(scn)
    if not names:
        pytest.skip(f"no recorded results for scenario {scn}")
    for n in names:
        checks, _, _ = scenarios.evaluate(scn, fixture(n))
        assert failed(checks) == [], n


def test_b_detects_counter_mismatch():
    names = _fixtures_for("b")
    if not names:
        pytest.skip("no recorded results for scenario b")
    data = fixture(names[0])
    for s in data["runs"]["apf"]["snapshots"].values():
        if s.get("debugfs"):
            s["debugfs"]["totals"]["async_pf_queued"] += 1
    checks, _, _ = scenarios.evaluate("b", data)
    assert any("async_pf_queued == tracepoint" in n for n in failed(checks))


def _b_as_arm64(orphaned):
    """b's recorded run as the aarch64 lab's: L2's interrupts are a GICv3's,
    and of the host's async_pf_not_present at S2 the guest took a fifth as
    orphaned tokens (arm64 0004) and the rest as before, minus 3 sent
    after its snapshot.  orphaned=None: a guest without the file."""
    data = fixture(_fixtures_for("b")[0])
    run = data["runs"]["apf"]
    run["l2"]["interrupts-post.txt"] = " 13:   2101   2093   GICv3  19 Edge      kvm-apf\n"
    np_ = scenarios.dbg(run, "S2", "async_pf_not_present")
    post = run["l2"]["kvm_async_pf-post"]
    orph = np_ // 5
    post["page_not_present"] = np_ - 3 - orph - post["wake_before_wait"]
    if orphaned is not None:
        post["orphaned"] = orphaned(orph)
    return data, np_


def test_b_arm64_accounts_for_orphaned_tokens():
    """A fifth of the "not present" orphaned: without orphaned in the sum
    the guest's share is 0.8 of the host's and b fails."""
    data, np_ = _b_as_arm64(lambda o: o)
    assert np_ > 100
    checks, summary, _ = scenarios.evaluate("b", data)
    assert failed(checks) == []
    names = [c["name"] for c in checks]
    assert "apf: guest page_not_present+wake_before_wait+orphaned / host async_pf_not_present in [0.9, 1]" \
        in names
    assert summary["apf"]["g_orphaned"] == np_ // 5


def test_b_arm64_detects_missing_or_wrong_orphaned():
    # An arm64 guest without the file: the accounting cannot be complete.
    data, _ = _b_as_arm64(None)
    f = failed(scenarios.evaluate("b", data)[0])
    assert "apf: arm64 guest counts orphaned \"not present\" (kvm_async_pf/orphaned, arm64 0004)" in f
    assert "apf: guest page_not_present+wake_before_wait / host async_pf_not_present in [0.9, 1]" in f
    # The guest cannot have taken more than the host sent.
    data, _ = _b_as_arm64(lambda o: o + 4)
    f = failed(scenarios.evaluate("b", data)[0])
    assert f == ["apf: guest page_not_present+wake_before_wait+orphaned / host async_pf_not_present in [0.9, 1]"]


def test_b_x86_has_no_orphaned_check():
    data = fixture(_fixtures_for("b")[0])
    assert "orphaned" not in data["runs"]["apf"]["l2"]["kvm_async_pf-post"]
    names = [c["name"] for c in scenarios.evaluate("b", data)[0]]
    assert not any("orphaned" in n for n in names)


@pytest.mark.parametrize("scn", ["d", "e"])
def test_d_e_guest_counter_names_include_orphaned(scn):
    """d and e compare the names of apfctl's guest counters with L2's sysfs
    files: arm64's orphaned passes when apfctl reports it, and fails when
    apfctl leaves out a file that L2 has."""
    names = _fixtures_for(scn)
    if not names:
        pytest.skip(f"no recorded results for scenario {scn}")
    data = fixture(names[0])
    runs = [r for r in data["runs"].values() if r["l2"].get("kvm_async_pf-post")]
    assert runs
    for r in runs:
        r["l2"]["kvm_async_pf-post"]["orphaned"] = 7
        doc = scenarios.l2_apfctl(r, "status-post")
        doc["guest"]["counters"]["orphaned"] = 7
    assert failed(scenarios.evaluate(scn, data)[0]) == []
    for r in runs:
        del scenarios.l2_apfctl(r, "status-post")["guest"]["counters"]["orphaned"]
    f = failed(scenarios.evaluate(scn, data)[0])
    assert any("guest counters == L2's sysfs snapshot" in n for n in f), f


def test_c_detects_queued_after_switch():
    names = _fixtures_for("c")
    if not names:
        pytest.skip("no recorded results for scenario c")
    data = fixture(names[0])
    s2 = data["runs"]["switch"]["snapshots"]["S2"]
    s2["debugfs"]["totals"]["async_pf_queued"] += 5
    checks, _, _ = scenarios.evaluate("c", data)
    assert "switch: phase 2 (N): async_pf_queued did not grow" in failed(checks)


def _g_fixture():
    names = _fixtures_for("g")
    if not names:
        pytest.skip("no recorded results for scenario g")
    return fixture(names[0])


def _vm(run, label, pid_file):
    pid = run["files"][pid_file].strip()
    vms = run["snapshots"][label]["debugfs"]["vms"]
    return next(v for k, v in vms.items() if k.split("-")[0] == pid)


def test_g_detects_policy_lost_on_the_destination():
    data = _g_fixture()
    _vm(data["runs"]["migoff"], "S2", "qemu1.pid")["async_pf_queued"] = 3
    checks, _, _ = scenarios.evaluate("g", data)
    assert failed(checks) == ["migoff: destination VM: async_pf_queued"]


def test_g_detects_a_destination_that_took_the_state():
    data = _g_fixture()
    data["runs"]["mig"]["files"]["dest-rc-2.txt"] = "0\n"
    checks, _, _ = scenarios.evaluate("g", data)
    assert failed(checks) == ["mig: hop 2 (-cpu host,kvm-asyncpf-int=off): the destination refused "
                              "the state and exited"]


def test_g_detects_no_wait_open_at_the_switchover():
    data = _g_fixture()
    src = _vm(data["runs"]["mig"], "M3", "qemu.pid")
    src["async_pf_ready"] = src["async_pf_not_present"] + 1
    checks, _, _ = scenarios.evaluate("g", data)
    assert "mig: source VM: guest waits open when it stopped (not_present - (ready - 1))" in failed(checks)


def test_g_detects_a_lost_page_ready():
    data = _g_fixture()
    post = data["runs"]["mig"]["l2"]["kvm_async_pf-post"]
    src = _vm(data["runs"]["mig"], "M3", "qemu.pid")
    open_ = scenarios.in_flight(src)
    # one short beyond what the destination's broadcast ended
    post["page_ready"] = post["page_not_present"] - open_ - 1
    checks, _, _ = scenarios.evaluate("g", data)
    assert "mig: guest page_ready + waits open at the switchover >= guest page_not_present " \
        "(no wait left without its page-ready or the broadcast)" in failed(checks)


def test_g_detects_a_catch_that_read_other_counters():
    data = _g_fixture()
    data["runs"]["mig"]["files"]["postcopy-wait-3.txt"] = "tries=1 open=2 stopped=1 migration=active\n"
    checks, _, _ = scenarios.evaluate("g", data)
    assert failed(checks) == ["mig: hop 3: the stopped source's waits read before the switch == "
                              "after the handover"]


def test_g_vm_of_matches_the_pid_not_a_prefix():
    run = {"files": {"qemu.pid": "12\n"},
           "snapshots": {"S": {"debugfs": {"vms": {"123-4": {"x": 1}, "12-9": {"x": 2}}}}}}
    assert scenarios.vm_of(run, "S", "qemu.pid") == {"x": 2}
    assert scenarios.vm_of(run, "S", "missing.pid") == {}


def test_migrate_driver_is_valid_sh():
    r = subprocess.run(["sh", "-n", str(LAB / "guest" / "l1-migrate.sh")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_table_row_shapes():
    r = {"scenario": "f", "kernels": {"kind": "ours"}, "verdict": "skip",
         "reason": "no APF Suite QEMU yet", "attempts": [], "flakes": 0, "wall_s": 0}
    row = scenarios.table_row(r)
    assert len(row) == len(scenarios.TABLE_HEAD)
    assert row[-1].startswith("SKIP")
    checks, summary, _ = scenarios.evaluate("a", fixture("a-stock"))
    r = {"scenario": "a", "kernels": {"kind": "stock"}, "verdict": "pass", "checks": checks,
         "summary": summary, "attempts": [{}], "flakes": 0, "wall_s": 100}
    row = scenarios.table_row(r)
    assert row[2] == "apf" and row[-1] == "PASS"
    json.dumps(copy.deepcopy(r))


def test_known_issue_marker():
    c = scenarios.Checks()
    c.add("fails today", False, "x", known="bug elsewhere")
    c.add("fixed already", True, "y", known="bug elsewhere")
    a, b = c.items
    assert a["ok"] and a["xfail"] and a["known_issue"] == "bug elsewhere"
    assert b["ok"] and not b.get("xfail") and "remove the marker" in b["detail"]


def test_f_sees_the_run_time_switch_over_qmp():
    names = _fixtures_for("f")
    if not names:
        pytest.skip("no recorded results for scenario f")
    checks, _, _ = scenarios.evaluate("f", fixture(names[0]))
    assert failed(checks) == []
    assert [c["name"] for c in checks if c.get("xfail")] == []
    # An apfctl that reads the command line only (the old behaviour) fails.
    stale = copy.deepcopy(fixture(names[0]))
    vm = stale["runs"]["vmon"]["apfctl"]["status-phase2"]["json"]["host"]["vms"][0]
    vm.update(async_pf=True, async_pf_source="cmdline")
    checks, _, _ = scenarios.evaluate("f", stale)
    assert "vmon: L1 apfctl status: VM async_pf false in phase 2" in failed(checks)


def test_f_reads_info_async_pf_table():
    names = _fixtures_for("f")
    if not names:
        pytest.skip("no recorded results for scenario f")
    runs = fixture(names[0])["runs"]
    state, sums = scenarios.hmp_async_pf(runs["vmoff"])
    assert state == "off" and sums["async_pf_queued"] == 0 and sums["async_pf_sync"] > 0
    # Without the monitor's answer the scenario fails, and says why.
    broken = copy.deepcopy(fixture(names[0]))
    broken["runs"]["vmoff"]["files"]["hmp.txt"] = "QEMU 10.0.13 monitor\r\n(qemu) "
    checks, _, _ = scenarios.evaluate("f", broken)
    assert "vmoff: info async-pf says async-pf: off" in failed(checks)


def test_selftest_refuses_a_dynamic_binary(tmp_path):
    """lab.py selftest runs static binaries only (L1 has no libraries),
    and says so before it builds or boots anything."""
    import argparse
    dyn = Path("/bin/true").resolve()
    if lab.is_static_elf(dyn):
        pytest.skip("/bin/true is static here")
    args = argparse.Namespace(bin=str(dyn), args="", kernels="ours", secs=10)
    with pytest.raises(SystemExit) as e:
        lab.cmd_selftest(args)
    assert e.value.code == 2


def test_selftest_driver_is_valid_sh():
    r = subprocess.run(["sh", "-n", str(LAB / "guest" / "l1-selftest.sh")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_selftest_suite_driver_is_valid_sh():
    r = subprocess.run(["sh", "-n", str(LAB / "guest" / "l1-selftest-suite.sh")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_selftest_verdict():
    """lab.py selftest --bin DIR: one verdict per test from its exit status,
    seconds and output."""
    v = lab.selftest_verdict
    assert v(0, 1.0, 120, "") == ("pass", "")
    assert v(4, 0.1, 120, "Random seed: 1\n1..0 # SKIP - Requirement not met: kvm_cpu_has(X86_FEATURE_VMX)\n") == \
        ("skip", "1..0 # SKIP - Requirement not met: kvm_cpu_has(X86_FEATURE_VMX)")
    assert v(143, 120.0, 120, "")[0] == "timeout"
    assert v(137, 130.0, 120, "")[0] == "timeout"
    assert v(None, 0.0, 120, "") == ("not run", "L1 crashed or hung before the test ended")
    r, why = v(254, 0.2, 120, "==== Test Assertion Failure ====\n  lib/x86_64/processor.c:567: "
               "Unconditional guest failure\n  pid=245 tid=245 errno=4 - Interrupted system call\n"
               "     1\t0x0000000000402a3b: main at debug_regs.c:10\n"
               "  Unhandled exception '0x3' at guest RIP '0x4022ca'\n")
    assert r == "fail"
    assert why == ("rc 254: lib/x86_64/processor.c:567: Unconditional guest failure | "
                   "Unhandled exception '0x3' at guest RIP '0x4022ca'")


def test_bench_dirty_tree_is_its_own_exit_code(monkeypatch):
    """A dirty source tree exits 7, apart from a busy L0's 6, so a caller
    can tell "commit first" from "wait for the machine"; --allow-dirty goes
    on and hands the dirty state on to be recorded."""
    import argparse
    dirty = {"commit": "0123456789ab", "dirty": True, "dirty_paths": ["bench/harness/x.c"]}
    monkeypatch.setattr(lab.benchlab, "source_state", lambda repo: dirty)
    with pytest.raises(SystemExit) as e:
        lab.bench_source(argparse.Namespace(allow_dirty=False))
    assert e.value.code == 7
    assert lab.bench_source(argparse.Namespace(allow_dirty=True)) is dirty
    monkeypatch.setattr(lab.benchlab, "l0_idle",
                        lambda: {"busy": True, "why": "1-min load average 5.00 on 2 CPUs"})
    args = argparse.Namespace(idle_wait=0, allow_busy=False)
    with pytest.raises(SystemExit) as e:
        lab.check_l0_idle(args, lambda m: None)
    assert e.value.code == 6
    args.allow_busy = True
    assert lab.check_l0_idle(args, lambda m: None)["busy"] is True


@pytest.mark.parametrize("line", [
    "[  31.1] WARNING: possible circular locking dependency detected",
    "L2| [   9.0] WARNING: suspicious RCU usage",
    "[  12.0] BUG: KASAN: slab-use-after-free in kvm_async_pf_task_wake+0x1a/0x2b0",
    "L2| BUG: sleeping function called from invalid context at kernel/locking/mutex.c:585",
    "[   3.3] WARNING: inconsistent lock state",
    "[   4.4] INFO: trying to register non-static key.",
    "[   5.5] ODEBUG: free active (active state 0) object: 0000 object type: work_struct",
    "BUG: KCSAN: data-race in apf_task_wake_all / kvm_async_pf_task_wake",
    "L1LAB: kmemleak: 3 unreferenced objects",
    "L2| L2LAB: kmemleak: 12 unreferenced objects",
    "[   6.6] WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected",
    "[   6.7] WARNING: SOFTIRQ-READ-safe -> SOFTIRQ-READ-unsafe lock order detected",
    "[   7.7] [ BUG: Invalid wait context ]",
    "[   8.8] WARNING: Nested lock was not taken",
    "[   9.9] WARNING: chain_key collision",
    "[  10.1] WARNING: bad contention detected!",
    "[  11.1] WARNING: kworker/1:2/123 still has locks held!",
])
def test_debug_report_lines(line):
    assert lab.DEBUG_REPORT_RE.search(line)


@pytest.mark.parametrize("line", [
    "L1LAB: kmemleak: 0 unreferenced objects",
    "L2| L2LAB: kmemleak: 0 unreferenced objects",
    "[  22.0] watchdog: BUG: soft lockup - CPU#1 stuck for 26s!",
    "[   1.0] WARNING: CPU: 0 PID: 1 at arch/x86/kernel/cpu/bugs.c:100 foo+0x1/0x2",
    "[   0.0] kmemleak: Kernel memory leak detector initialized (mem pool available: 15000)",
])
def test_not_debug_report_lines(line):
    assert not lab.DEBUG_REPORT_RE.search(line)


def _b_fixture_as(run_name):
    names = _fixtures_for("b")
    if not names:
        pytest.skip("no recorded results for scenario b")
    data = fixture(names[0])
    data["runs"] = {run_name: data["runs"]["apf"]}
    return data


def test_debug_kernel_checks():
    data = _b_fixture_as("apf")
    clean = [{"debug_reports": []}]
    lockdep_on = " lock-classes:                          1234 [max: 8192]\n debug_locks:                             1\n"
    assert set(failed(lab.debug_kernel_checks(clean, data))) >= {
        "debug kernels: lockdep still on at the end in L1 (debug_locks: 1)",
        "debug kernels: lockdep still on at the end in L2 apf (debug_locks: 1)"}
    data["lockdep_stats"] = lockdep_on.replace("1\n", "0\n")
    data["runs"]["apf"]["l2"]["lockdep_stats.txt"] = lockdep_on
    assert "debug kernels: lockdep still on at the end in L1 (debug_locks: 1)" in \
        failed(lab.debug_kernel_checks(clean, data))
    data["lockdep_stats"] = lockdep_on
    assert failed(lab.debug_kernel_checks(clean, data)) == [
        "debug kernels: kmemleak in L1: scanned, 0 unreferenced objects",
        "debug kernels: kmemleak in L2 apf: scanned, 0 unreferenced objects"]
    data["kmemleak"] = ""
    data["runs"]["apf"]["l2"]["kmemleak.txt"] = ""
    assert failed(lab.debug_kernel_checks(clean, data)) == []
    # A report in a crashed, retried attempt counts as much as one in the last.
    crashed = [{"debug_reports": ["BUG: KASAN: use-after-free in x"]}, {"debug_reports": []}]
    assert len(failed(lab.debug_kernel_checks(crashed, data))) == 1
    assert failed(lab.debug_kernel_checks(crashed, data, kmemleak=False)) == [
        failed(lab.debug_kernel_checks(crashed, data))[0]]
    data["runs"]["apf"]["l2"]["kmemleak.txt"] = 'unreferenced object 0xffff888 (size 64):\n  comm "sh"\n'
    assert failed(lab.debug_kernel_checks(clean, data)) == [
        "debug kernels: kmemleak in L2 apf: scanned, 0 unreferenced objects"]


def test_h_toggle_verdict():
    data = _b_fixture_as("toggle")
    l2 = data["runs"]["toggle"]["l2"]
    l2["toggles.txt"] = f"{scenarios.TOGGLES} 0\n"
    l2["enabled-post.txt"] = "1\n"
    checks, _, _ = scenarios.evaluate("h", data)
    assert failed(checks) == []
    for bad in (f"{scenarios.TOGGLES} 2\n", f"{scenarios.TOGGLES - 1} 0\n", ""):
        l2["toggles.txt"] = bad
        checks, _, _ = scenarios.evaluate("h", data)
        assert len(failed(checks)) == 1, bad
    l2["toggles.txt"] = f"{scenarios.TOGGLES} 0\n"
    l2["enabled-post.txt"] = "0\n"
    checks, _, _ = scenarios.evaluate("h", data)
    assert failed(checks) == ["toggle: enabled reads 1 after the workload"]


def test_kcsan_triage_needs_the_function_or_the_pair_listed(tmp_path):
    names = {"set_tlb_ubc_flush_pending": "x", "b": "y"}
    unknown = "[ 542.6] BUG: KCSAN: data-race in set_tlb_ubc_flush_pending.isra.0+0xb2/0x1d3"
    assert lab.report_functions(unknown) == ["set_tlb_ubc_flush_pending"]
    assert lab.triaged(unknown, names)
    assert not lab.triaged("BUG: KCSAN: data-race in set_tlb_ubc_flush_pending+0x1/0x2 / "
                           "kvm_async_pf_task_wake+0x5/0x9", names)
    assert not lab.triaged("BUG: KASAN: slab-use-after-free in set_tlb_ubc_flush_pending", names)
    # Two functions each listed for an unknown-origin race: not their pair.
    pair = "BUG: KCSAN: data-race in kvm_faultin_pfn+0x46/0x8d6 / kvm_mmu_invalidate_end+0x53/0xee"
    assert lab.report_functions(pair) == ["kvm_faultin_pfn", "kvm_mmu_invalidate_end"]
    assert not lab.triaged(pair, {"kvm_faultin_pfn": "x", "kvm_mmu_invalidate_end": "y"})
    assert lab.triaged(pair, {"kvm_faultin_pfn / kvm_mmu_invalidate_end": "x"})
    assert lab.triaged(pair, {"kvm_mmu_invalidate_end / kvm_faultin_pfn": "x"})
    assert not lab.triaged("BUG: KCSAN: data-race in kvm_faultin_pfn+0x46/0x8d6",
                           {"kvm_faultin_pfn / kvm_mmu_invalidate_end": "x"})
    f = tmp_path / "triage.txt"
    f.write_text("# comment\nfoo | because\n\n")
    assert lab.triage_list(f) == {"foo": "because"}


def test_kcsan_report_is_not_a_crash_but_is_counted():
    line = "[  544.0] [  542.633682] BUG: KCSAN: data-race in set_tlb_ubc_flush_pending+0xb2/0x1d3"
    assert not lab.is_fatal_line(line)
    assert lab.DEBUG_REPORT_RE.search(line)
    assert lab.is_fatal_line("[ 1.0] BUG: KASAN: slab-use-after-free in foo+0x1/0x2")


def test_committed_triage_list_has_reasons():
    names = lab.triage_list()
    assert names and all(len(why) > 40 for why in names.values())


def test_scale_wl_lengthens_phases_and_limit_only():
    wl = "--mb,128,--writers,4,--compute,1,--phases,2,--phase-secs,150,--max-secs,900"
    assert lab.scale_wl(wl, 3) == "--mb,128,--writers,4,--compute,1,--phases,2,--phase-secs,450,--max-secs,2700"


def test_l2_qemu_defaults_to_ours_on_arm64_only(monkeypatch):
    # arm64 async PF is opt-in (bit 48): Debian's QEMU never asks, so an
    # arm64 run without a choice goes under ours; x86 keeps Debian's.
    from types import SimpleNamespace as NS
    monkeypatch.setattr(lab, "ARCH", "arm64")
    assert lab.l2_qemu_of(NS(l2_qemu=None)) == "apf"
    assert lab.l2_qemu_of(NS(l2_qemu="debian")) == "debian"
    assert lab.l2_qemu_of(NS()) == "apf"
    monkeypatch.setattr(lab, "ARCH", "x86_64")
    assert lab.l2_qemu_of(NS(l2_qemu=None)) == "debian"
    assert lab.l2_qemu_of(NS(l2_qemu="apf")) == "apf"
