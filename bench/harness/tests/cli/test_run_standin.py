# SPDX-License-Identifier: GPL-2.0-only
"""`apf-bench run` end to end with a STAND-IN for QEMU (standin-qemu: it
replays a recorded serial log, see data/README.md) and a fixture sysroot.
Unit-level: it checks the harness's bookkeeping, outputs and failure
handling.  The real runs are the VM lab's (make bench-lab)."""
import csv
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import APF_BENCH, STANDIN, WRAPPER, read_log, run, standin_env

MODES = ["pv", "halt", "off", "baseline"]


def bench(root, files, out, log, *args, scenario="ok", env=None, timeout=180):
    k, i = files
    e = standin_env(root, log, scenario)
    e.update(env or {})
    # The checkout's own state is not under test here: --source-commit.
    return run("run", "--kernel", k, "--initrd", i, "--qemu", STANDIN, "--out", out,
               "--apfctl", "none", "--source-commit", "fixture", *args, sysroot=root,
               env=e, timeout=timeout)


def results(out):
    return json.loads((out / "results.json").read_text())


def test_all_modes_ok(sysroot, files, tmp_path):
    root, out, log = sysroot(), tmp_path / "out", tmp_path / "standin.jsonl"
    r = bench(root, files, out, log, "--reps", "2", "--label", "stand-in run")
    assert r.rc == 0, r.err
    # The summary line, on stdout and first in summary.txt.  Every run of a
    # mode gives the same figure: the exact test given those ties, 2 against
    # 2 apart, p = 2 / C(4, 2).
    line = "pv/off 2.00 [2.00, 2.00] p=0.33  pv/halt 1.33 [1.33, 1.33] p=0.33  " \
           "pv/baseline 0.91 [0.91, 0.91] p=0.33 (compute units/s: ratios of medians, " \
           "95% bootstrap intervals, Mann-Whitney p; 2 ok runs per mode; crashes 0, hangs 0)"
    assert r.out.splitlines()[0] == line
    assert (out / "summary.txt").read_text().splitlines()[0] == line
    doc = results(out)
    assert doc["summary"]["line"] == line
    assert doc["params"]["modes"] == MODES
    assert doc["params"]["label"] == "stand-in run"
    assert doc["params"]["memory_max"] == "256M"
    assert doc["params"]["apfwl"] == "-f,2,-c,2,-m,600,-t,30"
    assert doc["params"]["off_method"] == "param: kvm.async_pf=N"
    assert doc["machine"]["hostname"] == "fixturehost"
    assert doc["machine"]["cpu_model"] == "Test CPU @ 3GHz"
    assert doc["machine"]["nproc"] == 2
    assert doc["machine"]["swaps"][0]["name"] == "/dev/vdb"
    assert doc["machine"]["kvm_params"]["kvm"]["async_pf"] == "Y"
    assert "stand-in" in doc["machine"]["qemu"]["version"]
    assert doc["summary"]["ratios"]["fault_pages_per_s"]["pv/off"] == pytest.approx(1.25)
    assert doc["summary"]["modes"]["pv"]["compute_units_per_s"]["median"] == 200
    assert doc["summary"]["modes"]["pv"]["events_median"]["guest_page_not_present"] == 4242
    # Randomized blocks: every mode once per repetition, in the seed's order.
    assert isinstance(doc["params"]["seed"], int)
    assert [(x["rep"], x["order"]) for x in doc["runs"]] == \
        [(1, 1), (1, 2), (1, 3), (1, 4), (2, 5), (2, 6), (2, 7), (2, 8)]
    for rep in (1, 2):
        assert sorted(x["mode"] for x in doc["runs"] if x["rep"] == rep) == sorted(MODES)
    assert doc["source"] == {"commit": "fixture", "describe": None, "dirty": False,
                             "dirty_paths": None,
                             "how": "--source-commit (checked by the caller)"}
    assert doc["idle_at_start"]["busy"] is False
    assert doc["summary"]["busy_runs"] == 0
    assert doc["summary"]["counters_over"].startswith("the measured window")
    for x in doc["runs"]:
        assert x["outcome"] == "ok", x
        assert x["reason"] is None
        assert x["fill_s"] == pytest.approx(0.408885)
        assert x["elapsed_s"] == pytest.approx(4.004152)
        assert x["start"]["mb"] == 64
        assert len(x["intervals"]) == 3
        assert x["bad_apfwl_lines"] == 0
        assert x["tracepoints"] is None and "no tracefs" in x["tracepoints_error"]
        assert x["vmstat"] == {"pswpin": 0, "pswpout": 0}
        assert (out / x["serial_log"]).read_bytes().count(b"APFWL") == 9   # + window
        assert "-accel" in x["qemu_argv"]
        # The window: from the workload's window line to its result.
        assert x["window"]["t_s"] == 0
        assert x["window"]["elapsed_s"] == pytest.approx(4.004152)
        assert x["window"]["tracepoints"] is None
        assert x["window"]["latency"] is None and x["window"]["latency_error"]
        assert x["window"]["load"]["wall_s"] >= 0
        assert x["load"]["loadavg_start"] == [0.05, 0.1, 0.2]
        assert x["busy"] == {"flag": False, "reasons": []}
    # What QEMU saw: its cgroup, the switch, the guest command line.
    seen = read_log(log)
    assert [s["mode"] for s in seen] == [x["mode"] for x in doc["runs"]]
    for s, x in zip(seen, doc["runs"]):
        assert s["cgroup"]["dir"] == f"{x['mode']}-{x['rep']}"
        assert s["cgroup"]["cgroup.procs"] == "0"
        assert s["cgroup"]["memory.swap.max"] == "max"
        assert s["cgroup"]["memory.max"] == ("max" if x["mode"] == "baseline" else "268435456")
        assert s["param"] == ("N" if x["mode"] == "off" else "Y")
        append = s["argv"][s["argv"].index("-append") + 1]
        assert ("no-kvmapf" in append.split()) == (x["mode"] == "halt")
        assert "apfwl=-f,2,-c,2,-m,600,-t,30" in append.split()
        assert s["argv"][s["argv"].index("-cpu") + 1] == "host"
        assert s["pgid"] == s["pid"]               # its own process group
    # Put back, and nothing left behind.
    assert (root / "sys/module/kvm/parameters/async_pf").read_text().strip() == "Y"
    assert not list((root / "sys/fs/cgroup").glob("apf-bench.*"))
    # CSV: one row per run.
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert len(rows) == 8
    by = {r["mode"]: r for r in rows}
    assert by["pv"]["outcome"] == "ok"
    assert float(by["pv"]["compute_units_per_s"]) == 200
    assert float(by["baseline"]["fault_pages_per_s"]) == 3000
    assert by["pv"]["guest_page_not_present"] == "4242"
    assert by["pv"]["busy"] == "0" and by["pv"]["loadavg1_start"] == "0.05"
    dat = (out / "summary.dat").read_text().splitlines()
    assert dat[2].split()[:4] == ["0", "pv", "2", "200"]
    assert dat[5].split()[:4] == ["3", "baseline", "2", "220"]
    # The plot, when gnuplot is here (it is on the project's machines).
    if subprocess.run(["sh", "-c", "command -v gnuplot"], capture_output=True).returncode == 0:
        assert (out / "throughput.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in (out / "throughput.svg").read_bytes()
        assert (out / "plot.gp").exists()


def test_window_counters_exclude_boot_fill_and_shutdown(sysroot, files, tmp_path):
    """The window's host counters are the differences between the window
    line and the result line only: the stand-in moves them at boot, at the
    fill, inside the window and at shutdown by different amounts, so any
    other pair of snapshots gives another number."""
    root, out, log = sysroot(), tmp_path / "out", tmp_path / "log"
    r = bench(root, files, out, log, "--modes", "pv", "--reps", "1",
              env={"STANDIN_COUNTERS": "1"})
    assert r.rc == 0, r.err
    x = results(out)["runs"][0]
    assert x["outcome"] == "ok", x
    # Window: fill (3100, 3200, 50) to window-end (3180, 3230, 57).
    assert x["window"]["vmstat"] == {"pswpin": 80, "pswpout": 30}
    assert x["window"]["cgroup"]["pgmajfault"] == 7
    # The whole run (before the start to after the exit) holds all phases.
    assert x["vmstat"] == {"pswpin": 9080, "pswpout": 9030}
    assert x["cgroup"]["pgmajfault"] == 500


def test_panic_is_a_crash(sysroot, files, tmp_path):
    root, out, log = sysroot(), tmp_path / "out", tmp_path / "log"
    r = bench(root, files, out, log, "--modes", "pv,halt", "--reps", "1", scenario="panic")
    assert r.rc == 1
    doc = results(out)
    assert [x["outcome"] for x in doc["runs"]] == ["crash", "crash"]
    assert doc["runs"][0]["reason"].startswith("BUG: [   21.000001] BUG: unable to handle page fault")
    assert doc["summary"]["failures"]["crash"] == 2
    assert doc["summary"]["modes"]["pv"]["failures"]["crash"] == 1
    assert doc["summary"]["modes"]["pv"]["compute_units_per_s"]["n"] == 0
    assert "crashes 2, hangs 0" in doc["summary"]["line"]
    assert "pv/halt n/a" in doc["summary"]["line"]
    assert "failed runs (not in the figures above):" in (out / "summary.txt").read_text()
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [x["outcome"] for x in rows] == ["crash", "crash"]
    assert "no mode has an ok run" in r.err
    assert not list((root / "sys/fs/cgroup").glob("apf-bench.*"))


def test_crash_after_result_still_a_crash(sysroot, files, tmp_path):
    root, out, log = sysroot(), tmp_path / "out", tmp_path / "log"
    r = bench(root, files, out, log, "--modes", "pv", "--reps", "1", scenario="oops-after-result")
    assert r.rc == 1
    x = results(out)["runs"][0]
    assert x["outcome"] == "crash"
    assert x["crash_line"].startswith("[   30.1] Oops: 0000")
    assert x["compute_units_per_s"] == 200      # kept in the record


def test_silence_is_a_hang_and_qemu_group_is_killed(sysroot, files, tmp_path):
    root, out, log = sysroot(), tmp_path / "out", tmp_path / "log"
    t0 = time.monotonic()
    r = bench(root, files, out, log, "--modes", "pv,off", "--reps", "1",
              "--silence-timeout", "3", scenario="silent")
    took = time.monotonic() - t0
    assert r.rc == 1, r.err
    assert took < 40, took
    doc = results(out)
    assert [x["outcome"] for x in doc["runs"]] == ["hang", "hang"]
    assert doc["runs"][0]["reason"] == "no console output for 3 s (--silence-timeout)"
    assert doc["summary"]["failures"]["hang"] == 2
    assert "crashes 0, hangs 2" in doc["summary"]["line"]
    for s in read_log(log):
        for pid in (s["pid"], s["child"]):
            assert not Path(f"/proc/{pid}").exists() or \
                Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    assert (root / "sys/module/kvm/parameters/async_pf").read_text().strip() == "Y"
    assert not list((root / "sys/fs/cgroup").glob("apf-bench.*"))


def test_no_result_within_timeout_is_a_hang(sysroot, files, tmp_path):
    out = tmp_path / "out"
    r = bench(sysroot(), files, out, tmp_path / "log", "--modes", "halt", "--reps", "1",
              "--timeout", "4", scenario="chatty")
    assert r.rc == 1
    x = results(out)["runs"][0]
    assert x["outcome"] == "hang"
    assert x["reason"] == "no result within --timeout 4 s"
    assert 4 <= x["wall_s"] < 15


def test_no_boot_on_first_run_stops_with_exit_3(sysroot, files, tmp_path):
    out = tmp_path / "out"
    r = bench(sysroot(), files, out, tmp_path / "log", "--reps", "3",
              "--boot-timeout", "2", scenario="noboot")
    assert r.rc == 3, r.err
    assert ("the guest did not boot within 2 s under this /dev/kvm (a PVM or otherwise "
            "restricted KVM cannot run ordinary guests; use make bench-lab)") in r.err
    doc = results(out)
    assert len(doc["runs"]) == 1
    assert doc["runs"][0]["outcome"] == "hang"


def test_qemu_failing_on_first_run_stops(sysroot, files, tmp_path):
    out = tmp_path / "out"
    r = bench(sysroot(), files, out, tmp_path / "log", scenario="fail")
    assert r.rc == 1
    assert "the first run failed before the guest booted" in r.err
    assert "failed to initialize kvm" in r.err
    doc = results(out)
    assert len(doc["runs"]) == 1
    assert doc["runs"][0]["outcome"] == "error"
    assert "failed to initialize kvm" in (out / doc["runs"][0]["stderr_log"]).read_text()


def test_workload_error_line(sysroot, files, tmp_path):
    out = tmp_path / "out"
    r = bench(sysroot(), files, out, tmp_path / "log", "--modes", "pv", "--reps", "1",
              scenario="error")
    assert r.rc == 1
    x = results(out)["runs"][0]
    assert x["outcome"] == "error"
    assert x["reason"] == "workload: mmap 600 MiB: Cannot allocate memory"
    assert x["done_rc"] == 1


def test_garbled_lines_are_counted_not_fatal(sysroot, files, tmp_path):
    out = tmp_path / "out"
    r = bench(sysroot(), files, out, tmp_path / "log", "--modes", "pv", "--reps", "1",
              scenario="garbage")
    assert r.rc == 0, r.err
    x = results(out)["runs"][0]
    assert x["outcome"] == "ok"
    assert x["bad_apfwl_lines"] == 2


def test_off_through_qemu_property(sysroot, files, tmp_path):
    root, out, log = sysroot(param=None), tmp_path / "out", tmp_path / "log"
    r = bench(root, files, out, log, "--modes", "pv,off", "--reps", "1",
              env={"STANDIN_ASYNC_PF": "1"})
    assert r.rc == 0, r.err
    seen = {s["mode"]: s for s in read_log(log)}
    assert seen["off"]["argv"][seen["off"]["argv"].index("-accel") + 1] == "kvm,async-pf=off"
    assert seen["pv"]["argv"][seen["pv"]["argv"].index("-accel") + 1] == "kvm"
    assert results(out)["params"]["off_method"] == "qemu: -accel kvm,async-pf=off"


def test_off_skipped_without_a_switch(sysroot, files, tmp_path):
    root, out, log = sysroot(param=None), tmp_path / "out", tmp_path / "log"
    r = bench(root, files, out, log, "--reps", "1")
    assert r.rc == 0, r.err
    assert "mode off skipped: no way to switch APF off" in r.err
    doc = results(out)
    assert doc["params"]["modes"] == ["pv", "halt", "baseline"]
    assert doc["params"]["requested_modes"] == MODES
    assert "no way to switch APF off" in doc["skipped"]["off"]
    assert doc["summary"]["line"].startswith("pv/halt 1.33 [1.33, 1.33] p=1  pv/baseline 0.91 ")
    assert doc["summary"]["line"].endswith("; skipped: off)")
    r = bench(root, files, tmp_path / "out2", log, "--modes", "off")
    assert r.rc == 3
    assert "no mode left to run" in r.err


def test_param_n_is_switched_on_for_pv_and_put_back(sysroot, files, tmp_path):
    root, out, log = sysroot(param="N"), tmp_path / "out", tmp_path / "log"
    r = bench(root, files, out, log, "--modes", "pv,off", "--reps", "1")
    assert r.rc == 0, r.err
    assert {s["mode"]: s["param"] for s in read_log(log)} == {"pv": "Y", "off": "N"}
    assert (root / "sys/module/kvm/parameters/async_pf").read_text().strip() == "N"


def test_apfctl_stats_taken_while_the_vm_lives(sysroot, files, tmp_path):
    root, out, log = sysroot(), tmp_path / "out", tmp_path / "log"
    fake = tmp_path / "apfctl-standin"
    # A STAND-IN apfctl: records its argv and whether QEMU was stopped.
    fake.write_text("#!/bin/sh\n"
                    "state=$(awk '{print $3}' /proc/$9/stat 2>/dev/null)\n"
                    "printf '{\"stand_in\":true,\"argv\":\"%s\",\"qemu_state\":\"%s\"}\\n'"
                    " \"$*\" \"$state\"\n")
    fake.chmod(0o755)
    k, i = files
    # The stand-in lingers after its result line, as a guest's poweroff does.
    r = run("run", "--kernel", k, "--initrd", i, "--qemu", STANDIN, "--out", out,
            "--modes", "pv", "--reps", "1", "--apfctl", fake, "--source-commit", "fixture",
            sysroot=root, env=standin_env(root, log, STANDIN_DELAY="0.3"))
    assert r.rc == 0, r.err
    x = results(out)["runs"][0]
    pid = read_log(log)[0]["pid"]
    assert x["apfctl"]["argv"] == f"--sysroot {root} stats -1 -s 0.2 -j -p {pid}"
    assert x["apfctl"]["qemu_state"] == "T"      # stopped while counted at the end
    # Counted at the window's start too, running; no per-VM counters here.
    assert x["window"]["apfctl_error"] == "apfctl has no counters of this VM"
    assert results(out)["params"]["apfctl"] == str(fake)
    r = run("run", "--kernel", k, "--initrd", i, "--qemu", STANDIN, "--out", out,
            "--apfctl", tmp_path / "none-such", "--source-commit", "fixture", sysroot=root,
            env=standin_env(root, log))
    assert r.rc == 2 and "--apfctl" in r.err


def test_sigint_stops_cleans_up_and_restores(sysroot, files, tmp_path):
    root, out, log = sysroot(), tmp_path / "out", tmp_path / "log"
    k, i = files
    cmd = list(WRAPPER) + [APF_BENCH, "run", "--kernel", str(k), "--initrd", str(i),
                           "--qemu", str(STANDIN), "--out", str(out), "--apfctl", "none",
                           "--modes", "off", "--sysroot", str(root),
                           "--source-commit", "fixture"]
    env = dict(os.environ)
    env.update(standin_env(root, log, "silent"))
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (log.exists() and log.read_text()):
        time.sleep(0.1)
    time.sleep(1)
    assert (root / "sys/module/kvm/parameters/async_pf").read_text().strip() == "N"
    p.send_signal(signal.SIGINT)
    o, e = p.communicate(timeout=30)
    assert p.returncode == 1, e
    assert "interrupted" in e
    assert (root / "sys/module/kvm/parameters/async_pf").read_text().strip() == "Y"
    assert not list((root / "sys/fs/cgroup").glob("apf-bench.*"))
    doc = results(out)
    assert [x["outcome"] for x in doc["runs"]] == ["interrupted"]
    s = read_log(log)[0]
    assert not Path(f"/proc/{s['pid']}").exists() or \
        Path(f"/proc/{s['pid']}/stat").read_text().split()[2] == "Z"


def test_plot_remakes_outputs(sysroot, files, tmp_path):
    root, out, log = sysroot(), tmp_path / "out", tmp_path / "log"
    r = bench(root, files, out, log, "--modes", "pv,halt", "--reps", "1")
    assert r.rc == 0
    for f in ("summary.txt", "summary.dat", "points.dat", "ratios.dat", "results.csv"):
        (out / f).unlink()
    if subprocess.run(["sh", "-c", "command -v gnuplot"], capture_output=True).returncode == 0:
        (out / "throughput.png").unlink()
        r = run("plot", out)
        assert r.rc == 0, r.err
        assert r.out.splitlines()[0].startswith("pv/halt 1.33 [1.33, 1.33] p=1 (")
        assert (out / "throughput.png").exists()
    # Without gnuplot: the summary files still come back, and it says so.
    r = run("plot", out, env={"APF_BENCH_GNUPLOT": str(tmp_path / "no-gnuplot")})
    assert r.rc == 3
    assert "gnuplot is not installed" in r.err and "gnuplot-nox" in r.err
    for f in ("summary.txt", "summary.dat", "points.dat", "ratios.dat", "results.csv"):
        assert (out / f).exists()


def test_statistics(sysroot, files, tmp_path):
    """Six repetitions that differ (the stand-in moves its figures 1% per
    repetition): intervals, the rank test and the paired ratios."""
    root, out, log = sysroot(), tmp_path / "out", tmp_path / "log"
    r = bench(root, files, out, log, "--modes", "pv,off", "--reps", "6", "--seed", "7",
              env={"STANDIN_SPREAD": "1", "STANDIN_DELAY": "0"})
    assert r.rc == 0, r.err
    doc = results(out)
    assert doc["params"]["seed"] == 7
    pv = doc["summary"]["modes"]["pv"]["compute_units_per_s"]
    assert pv["median"] == pytest.approx(205)
    # n = 6: the exact interval of the median is min..max, coverage 1 - 2/64.
    assert pv["median_ci95"] == {"lo": 200, "hi": 210, "coverage": pytest.approx(1 - 2 / 64)}
    c = doc["summary"]["comparisons"]["compute_units_per_s"]["pv/off"]
    assert c["ratio"] == pytest.approx(2.0)
    assert 1.9 < c["ci95"]["lo"] <= 2.0 <= c["ci95"]["hi"] < 2.1
    # Every pv run beats every off run: U = 36, exact p = 2 / C(12, 6).
    assert c["mann_whitney"]["u"] == 36
    assert c["mann_whitney"]["p"] == pytest.approx(2 / 924)
    assert c["mann_whitney"]["method"].startswith("exact")
    assert c["paired"]["n"] == 6
    assert [p[0] for p in c["paired"]["by_rep"]] == [1, 2, 3, 4, 5, 6]
    assert all(p[1] == pytest.approx(2.0) for p in c["paired"]["by_rep"])
    # The same seed, the same order; the figures do not depend on it.
    r = bench(root, files, tmp_path / "again", log, "--modes", "pv,off", "--reps", "6",
              "--seed", "7", env={"STANDIN_SPREAD": "1", "STANDIN_DELAY": "0"})
    again = results(tmp_path / "again")
    assert [x["mode"] for x in again["runs"]] == [x["mode"] for x in doc["runs"]]
    assert again["summary"]["comparisons"] == doc["summary"]["comparisons"]
    text = (out / "summary.txt").read_text()
    assert "run order: randomized balanced blocks, seed 7" in text
    assert "1 compute unit = 200000 rounds" in text
    assert "pv/off       2 " in text and "U 36.0, p 0.00216 (exact)" in text
    pts = [ln.split() for ln in (out / "points.dat").read_text().splitlines()
           if not ln.startswith("#")]
    assert len(pts) == 12 and {p[0] for p in pts} == {"0", "1"}
    ratios = [ln.split() for ln in (out / "ratios.dat").read_text().splitlines()
              if not ln.startswith("#")]
    assert ratios[0][1] == "pv/off" and float(ratios[0][2]) == pytest.approx(2.0)


def test_busy_machine_refused_or_flagged(sysroot, files, tmp_path):
    # A load average of 5 on 2 CPUs; --idle-wait 0: no waiting for it.
    root, out, log = sysroot(load="5.00"), tmp_path / "out", tmp_path / "log"
    r = bench(root, files, out, log, "--modes", "pv", "--reps", "1", "--idle-wait", "0")
    assert r.rc == 6, r.err
    assert "the machine is busy (1-min load average 5.00 on 2 CPUs" in r.err
    assert "--allow-busy" in r.err
    assert not (out / "results.json").exists()
    r = bench(root, files, out, log, "--modes", "pv,halt", "--reps", "2", "--allow-busy")
    assert r.rc == 0, r.err
    doc = results(out)
    assert doc["idle_at_start"]["busy"] is True
    assert doc["params"]["allow_busy"] is True
    for x in doc["runs"]:
        assert x["busy"]["flag"] is True
        assert "run with --allow-busy" in x["busy"]["reasons"][0]
    assert doc["summary"]["busy_runs"] == 4
    assert "BUSY MACHINE: 4 runs flagged" in doc["summary"]["line"]
    assert "runs flagged busy" in (out / "summary.txt").read_text()
    assert [ln.split()[-1] for ln in (out / "points.dat").read_text().splitlines()
            if not ln.startswith("#")] == ["1"] * 4


def test_busy_other_vmm_or_compiler(sysroot, files, tmp_path):
    root, out, log = sysroot(), tmp_path / "out", tmp_path / "log"
    # Another QEMU and a compiler in the (fixture) process table.
    (root / "proc/4242").mkdir()
    (root / "proc/4242/stat").write_text("4242 (qemu-system-x86) S 1 4242 4242 0 -1 4194560 0\n")
    (root / "proc/4343").mkdir()
    (root / "proc/4343/stat").write_text("4343 (cc1) R 4300 4300 4300 0 -1 4194304 0\n")
    (root / "proc/2").mkdir()
    (root / "proc/2/stat").write_text("2 (kthreadd) S 0 0 0 0 -1 2129984 0\n")
    r = bench(root, files, out, log, "--modes", "pv", "--reps", "1", "--idle-wait", "0")
    assert r.rc == 6
    assert "other VMMs or compilers running: " in r.err
    assert "4242 qemu-system-x86" in r.err and "4343 cc1" in r.err and "kthreadd" not in r.err
    r = bench(root, files, out, log, "--modes", "pv", "--reps", "1", "--allow-busy")
    assert r.rc == 0, r.err
    reasons = results(out)["runs"][0]["busy"]["reasons"]
    assert any("other VMMs or compilers at the run's start: " in x for x in reasons)
    assert any("other VMMs or compilers in the window" in x for x in reasons)


def test_resume_keeps_finished_runs(sysroot, files, tmp_path):
    """An interrupted plan (an L1 that crashed) goes on where it stopped:
    same seed, same order, the finished runs kept."""
    root, out, log = sysroot(), tmp_path / "out", tmp_path / "log"
    r = bench(root, files, out, log, "--modes", "pv,off", "--reps", "3", "--seed", "11")
    assert r.rc == 0, r.err
    full = results(out)
    # Keep the first 4 runs, as a checkpoint before a crash would.
    cut = dict(full, runs=full["runs"][:4])
    (out / "results.json").write_text(json.dumps(cut))
    log.unlink()
    r = bench(root, files, out, log, "--modes", "pv,off", "--reps", "3", "--resume")
    assert r.rc == 0, r.err
    assert "--resume: 4 of 6 runs of the plan" in r.err
    doc = results(out)
    assert [(x["mode"], x["order"]) for x in doc["runs"]] == \
        [(x["mode"], x["order"]) for x in full["runs"]]
    assert doc["runs"][:4] == full["runs"][:4]          # kept as they were
    assert len(read_log(log)) == 2                       # only the rest ran
    assert doc["params"]["seed"] == 11
    assert doc["resumed"][0]["runs_kept"] == 4
    assert doc["summary"]["modes"]["pv"]["ok"] == 3
    # Another plan in the same directory: refused, nothing run.
    r = bench(root, files, out, log, "--modes", "pv,off", "--reps", "4", "--resume")
    assert r.rc == 2 and "reps 3, this run 4" in r.err
    # Another commit: refused.
    k, i = files
    r = run("run", "--kernel", k, "--initrd", i, "--qemu", STANDIN, "--out", out,
            "--apfctl", "none", "--source-commit", "other", "--modes", "pv,off",
            "--reps", "3", "--resume", sysroot=root, env=standin_env(root, log))
    assert r.rc == 2 and "came from commit fixture, this is other" in r.err
    # Nothing to resume yet: a fresh start.
    r = bench(root, files, tmp_path / "new", log, "--modes", "pv", "--reps", "1", "--resume")
    assert r.rc == 0 and "starting the plan" in r.err


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env=dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
                            GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t"))


def test_source_commit_and_dirty_tree(sysroot, files, tmp_path):
    root, out, log = sysroot(), tmp_path / "out", tmp_path / "log"
    repo = tmp_path / "repo"
    (repo / "bench/harness").mkdir(parents=True)
    (repo / "bench/harness/x.c").write_text("int x;\n")
    (repo / "ansible").mkdir()
    (repo / "ansible/y.yml").write_text("a: 1\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "c")
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    k, i = files
    e = standin_env(root, log)

    def go(o, *extra):
        return run("run", "--kernel", k, "--initrd", i, "--qemu", STANDIN, "--out", o,
                   "--apfctl", "none", "--modes", "pv", "--reps", "1", *extra, sysroot=root,
                   env=dict(e, APF_BENCH_SOURCE_DIR=str(repo)))
    # A change outside the benchmark's sources does not count.
    (repo / "ansible/y.yml").write_text("a: 2\n")
    r = go(out)
    assert r.rc == 0, r.err
    src = results(out)["source"]
    assert src["commit"] == head and src["dirty"] is False
    assert src["how"].startswith("git in ")
    (repo / "bench/harness/x.c").write_text("int y;\n")
    (repo / "bench/harness/new.c").write_text("int z;\n")
    r = go(tmp_path / "o2")
    assert r.rc == 7, r.err
    assert not (tmp_path / "o2" / "results.json").exists()
    assert "uncommitted changes" in r.err and "bench/harness/x.c" in r.err
    assert "bench/harness/new.c" in r.err
    r = go(tmp_path / "o3", "--allow-dirty")
    assert r.rc == 0, r.err
    src = results(tmp_path / "o3")["source"]
    assert src["dirty"] is True and "bench/harness/x.c" in src["dirty_paths"]
    assert src["describe"].endswith("-dirty")
    assert "DIRTY" in (tmp_path / "o3" / "summary.txt").read_text()
    # Not a checkout at all (an installed apf-bench): recorded as unknown.
    r = run("run", "--kernel", k, "--initrd", i, "--qemu", STANDIN, "--out", tmp_path / "o4",
            "--apfctl", "none", "--modes", "pv", "--reps", "1", sysroot=root,
            env=dict(e, APF_BENCH_SOURCE_DIR="none"))
    assert r.rc == 0, r.err
    assert results(tmp_path / "o4")["source"]["commit"] is None
