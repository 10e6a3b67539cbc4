# SPDX-License-Identifier: GPL-2.0-only
"""The throughput benchmark in the VM lab (lab.py bench): its named
configurations and the logic around a run that needs no VM (parsing,
bounds, names, the verdict of an L1 attempt, what a results directory
says).  The benchmark itself is bench/harness's apf-bench, run inside L1
(guest/l1-bench.sh) against bench/workload's initramfs in L2.
"""
import json
import re
from pathlib import Path

MODES = ("pv", "halt", "off", "baseline")

# L2's stall detectors, relaxed.  Under the emulator, L1's reclaim moves
# 2-8 MB/s, and a vCPU thread blocked in it (memory.max) leaves L2 without
# CPU for tens of seconds while L2's clock runs on: L2 then reports soft
# lockups (20 s) and RCU stalls (21 s), in every mode alike (measured: 3 of
# 3 limited runs of a 600 MB fill under 256M, pv, halt and off, none in
# baseline).  They are the emulator's, not APF's; apf-bench counts them as
# crashes and ends the run.  A real hang still ends a run: the workload
# prints every 5 s and apf-bench's silence and run bounds catch it.
L2_APPEND = "watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=300"

# Named configurations.  Each L2 run: boot (~30 s), fill the buffer (~5-8
# MB/s under emulation, the part beyond memory.max through swap), the
# measured -t seconds, teardown.  run_bound is apf-bench's --timeout per
# run (a hang bound, not an estimate); the L1 timeout is derived from it.
CONFIGS = {
    "natapov": {
        "title": "Natapov-style, scaled to the lab: 2 vCPUs, 2 fault + 2 compute "
                 "threads, 400 MB buffer under memory.max 176M (2.3x)",
        "smp": 2, "guest_mem": 768, "memory_max": "176M",
        "workload": "-f 2 -c 2 -m 400 -t 30",
        "modes": "pv,halt,off,baseline", "reps": 3, "run_bound": 480,
    },
    "halt-hurts": {
        "title": "halting hurts: 1 vCPU, 1 fault + 1 compute thread (the compute "
                 "thread can run only while the vCPU is not halted)",
        "smp": 1, "guest_mem": 768, "memory_max": "176M",
        "workload": "-f 1 -c 1 -m 400 -t 30",
        "modes": "pv,halt,off,baseline", "reps": 3, "run_bound": 480,
    },
    # Fault threads only, for a fixed time: the figure is fault pages/s
    # (pv against off is APF's cost).  The workload's --finish mode would
    # time whole passes, but one pass over the buffer is 102400 swap-ins,
    # at the lab's ~60-250 a second 7-30 minutes a run.
    "no-other-work": {
        "title": "no other runnable work: 2 fault threads only, 30 s, fault pages/s "
                 "(APF's cost when nothing can use the wait)",
        "smp": 2, "guest_mem": 768, "memory_max": "176M",
        "workload": "-f 2 -c 0 -m 400 -t 30",
        "modes": "pv,halt,off,baseline", "reps": 3, "run_bound": 480,
    },
    # The reference the others are read against: what the two compute
    # threads alone get done in this lab (no fault threads, no limit).
    "ceiling": {
        "title": "reference: 2 vCPUs, the 2 compute threads alone, no memory limit "
                 "(the most compute units/s the lab's L2 gets)",
        "smp": 2, "guest_mem": 768, "memory_max": "176M",
        "workload": "-f 0 -c 2 -m 400 -t 30",
        "modes": "baseline", "reps": 3, "run_bound": 300,
    },
}

# The swap IOPS limit of `make bench-lab`.  Measured (2026-11-21): at 40
# IOPS the disk, not the emulator, sets the fault rate (58-61 pages/s in
# every limited mode and run), so modes compare at the same I/O; a pv fault
# waited ~48 ms, ~20 of the lab's compute units (a disk-like wait: a unit
# is ~1 ms natively).  Unthrottled the rate wandered with the emulator's
# load (260-550 pages/s) at a 5-13 ms wait.  Sweep others: --swap-iops.
DEFAULT_SWAP_IOPS = "40"

# L1 boot and swap setup before apf-bench starts, and the results tar
# after it: added once to the L1 timeout.
L1_SLACK_S = 300


class ConfigError(ValueError):
    """A bad configuration name or parameter: a usage error."""


def parse_iops(text):
    """SWAP_IOPS: whitespace- or comma-separated IOPS limits of L1's swap
    disk, 0 for none ("0 2000 500" -> [0, 2000, 500]); duplicates dropped."""
    out = []
    for w in re.split(r"[\s,]+", (text or "").strip()):
        if not w:
            continue
        if not re.fullmatch(r"\d+", w):
            raise ConfigError(f"swap IOPS '{w}' is not a whole number (0 = unthrottled)")
        n = int(w)
        if 0 < n < 10:
            raise ConfigError(f"swap IOPS {n} is too low to finish a run (use 0 or >= 10)")
        if n not in out:
            out.append(n)
    return out or [0]


def bench_config(name, reps=None, modes=None, workload=None, run_bound=None):
    """The named configuration with command-line overrides, checked."""
    if name not in CONFIGS:
        raise ConfigError(f"unknown bench configuration '{name}' "
                          f"(known: {', '.join(sorted(CONFIGS))})")
    c = dict(CONFIGS[name], name=name)
    if reps is not None:
        if not 1 <= reps <= 100:
            raise ConfigError(f"reps {reps} out of range (1..100)")
        c["reps"] = reps
    if modes:
        ms = [m for m in re.split(r"[\s,]+", modes) if m]
        bad = [m for m in ms if m not in MODES]
        if bad or not ms or len(set(ms)) != len(ms):
            raise ConfigError(f"modes '{modes}': each of {','.join(MODES)} at most once")
        c["modes"] = ",".join(ms)
    if workload:
        c["workload"] = workload
    if run_bound is not None:
        c["run_bound"] = run_bound
    if not re.search(r"(?:^|\s)-m\s*\d+", c["workload"]):
        raise ConfigError(f"workload '{c['workload']}' has no -m MB")
    return c


def nruns(c):
    return c["reps"] * len(c["modes"].split(","))


def bench_timeout(c):
    """Bound on apf-bench inside L1: every run at its bound."""
    return nruns(c) * c["run_bound"] + 60


def l1_timeout(c):
    """Bound on one L1 boot: apf-bench's, plus L1 boot, swap and results."""
    return bench_timeout(c) + L1_SLACK_S


def swap_throttle(iops, bps=0):
    """QEMU throttling.* options of L1's swap drive (see lab.swap_drive)."""
    t = {}
    if iops:
        t["iops-total"] = iops
    if bps:
        t["bps-total"] = bps
    return t


def result_dir_name(config, iops):
    return config if not iops else f"{config}-iops{iops}"


def apf_bench_args(c, qemu, label):
    """apf-bench run's arguments inside L1 (after --out), one per list item."""
    return ["--kernel", "/lab/l2-kernel", "--initrd", "/lab/workload-initrd",
            "--qemu", qemu, "--modes", c["modes"], "--reps", str(c["reps"]),
            "--memory-max", c["memory_max"], "--guest-mem", str(c["guest_mem"]),
            "--smp", str(c["smp"]), "--workload", c["workload"],
            "--apfctl", "/usr/bin/apfctl", "--cpu", "host",
            "--timeout", str(c["run_bound"]), "--label", label,
            "--append", c.get("append", L2_APPEND), *c.get("extra", [])]


# Exit codes of apf-bench run (bench/harness: apf-bench --help).
BENCH_RC = {0: "all runs ok", 1: "some runs failed (results written)", 2: "usage",
            3: "unsupported environment", 4: "not root", 5: "unsuitable swap"}


def attempt_outcome(outcome, reason, rc, done):
    """The verdict of one L1 attempt of a benchmark.

    outcome/reason: lab.boot_l1's (ok, crash, hang, error); rc: apf-bench's
    exit status from the results disk (None when L1 never got there);
    done: results_progress() of the results.json that came back (None when
    none did).  apf-bench exits 1 when some runs crashed or hung: it
    records them per run, and the attempt is good if every run was made.
    Returns (outcome, reason): ok | crash | hang (L1's: retried) | error
    (the environment or the harness: not retried)."""
    if outcome in ("crash", "hang"):
        return outcome, reason
    if rc is None:
        if outcome == "error":
            return "error", reason
        return "crash", reason or "L1 ended without apf-bench's exit status"
    if rc in (124, 137, 143):
        return "hang", "apf-bench ran past its bound (killed in L1)"
    if rc not in (0, 1):
        return "error", f"apf-bench exited {rc} ({BENCH_RC.get(rc, 'unknown')})"
    if done is None:
        return "error", f"apf-bench exited {rc} but wrote no results.json"
    made, planned = done
    if made < planned:
        return "error", f"apf-bench exited {rc} after {made} of {planned} runs"
    return "ok", "" if rc == 0 else BENCH_RC[1]


def results_progress(results_json):
    """(runs made, runs planned) of an apf-bench results.json: planned is
    params.modes (the modes it could run: a skipped one is absent) times
    params.reps.  None when the file is missing or unreadable."""
    try:
        doc = json.loads(Path(results_json).read_text())
        p = doc["params"]
        return len(doc.get("runs") or []), len(p["modes"]) * int(p["reps"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_rc(path):
    try:
        t = Path(path).read_text().strip()
    except OSError:
        return None
    return int(t) if re.fullmatch(r"-?\d+", t) else None


def summarize(results_json):
    """What one apf-bench results.json says, for the table and the README:
    the summary line, ratios, per-mode ok runs, failures and APF event
    medians.  Tolerates missing parts (None)."""
    try:
        doc = json.loads(Path(results_json).read_text())
    except (OSError, ValueError) as e:
        return {"error": f"{results_json}: {e}"}
    s = doc.get("summary") or {}
    modes = s.get("modes") or {}
    metric = s.get("metric")
    ratios = (s.get("ratios") or {}).get(metric) or {}
    out = {"line": s.get("line"), "metric": metric, "ratios": ratios,
           "runs": len(doc.get("runs") or []), "modes": {}, "failures": s.get("failures") or {}}
    for m, v in modes.items():
        ev = v.get("events_median") or {}
        fig = v.get(metric) or {}
        out["modes"][m] = {
            "ok": v.get("ok"),
            "failures": v.get("failures") or {},
            "median": fig.get("median"),
            "apf_not_present": ev.get("kvm_async_pf_not_present"),
            "apf_ready": ev.get("kvm_async_pf_ready"),
            "events": ev,
        }
    return out


def fmt_num(v, nd=2):
    if v is None:
        return "-"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:.{nd}f}"
    return str(int(v))


def table_row(label, throttle, summary, attempts, wall_s):
    """One line of the bench table (lab.py bench): configuration, swap
    throttle, L1 attempts and flakes, per-run failures, ratios, APF events."""
    crashes = sum(1 for a in attempts if a["outcome"] == "crash")
    hangs = sum(1 for a in attempts if a["outcome"] == "hang")
    r = summary.get("ratios") or {}
    f = summary.get("failures") or {}
    ev = " ".join(f"{m}:{fmt_num(v.get('apf_not_present'))}"
                  for m, v in (summary.get("modes") or {}).items())
    return [label, throttle or "none", f"{len(attempts)} ({crashes}c/{hangs}h)",
            f"{fmt_num(f.get('crash', 0))}c/{fmt_num(f.get('hang', 0))}h",
            fmt_num(r.get("pv/off")), fmt_num(r.get("pv/halt")), fmt_num(r.get("pv/baseline")),
            ev or "-", f"{wall_s / 60:.0f}m"]


TABLE_HEAD = ["config", "swap throttle", "L1 attempts (crash/hang)", "runs crash/hang",
              "pv/off", "pv/halt", "pv/base", "APF not-present median per mode", "wall"]


def markdown_row(directory, results_json, lab_json=None):
    """A row of bench/results/README.md's table for one results directory
    (lab.py bench-table prints them)."""
    s = summarize(results_json)
    lab = {}
    if lab_json:
        try:
            lab = json.loads(Path(lab_json).read_text())
        except (OSError, ValueError):
            lab = {}
    try:
        doc = json.loads(Path(results_json).read_text())
        p = doc.get("params") or {}
    except (OSError, ValueError):
        p = {}
    modes = s.get("modes") or {}
    f = s.get("failures") or {}
    r = s.get("ratios") or {}
    thr = lab.get("swap_throttle")
    swap = (", ".join(f"{k} {v}" for k, v in thr.items()) or "unthrottled") if thr is not None else "-"
    oks = "/".join(str(modes[m].get("ok")) for m in MODES if m in modes)
    att = lab.get("attempts") or []
    l1 = sum(1 for a in att if a.get("outcome") in ("crash", "hang"))
    ev = ", ".join(fmt_num(modes[m].get("apf_not_present")) for m in ("pv", "halt", "off")
                   if m in modes)
    wall = f"{lab['wall_s'] / 60:.0f} min" if lab.get("wall_s") else "-"
    cfg = (lab.get("config") or {}).get("name") or p.get("label") or "-"
    return (f"| {directory} | {cfg}: {p.get('workload', '-')}, {p.get('smp', '-')} vCPU, "
            f"memory.max {p.get('memory_max', '-')} | {swap} | {oks} ok; "
            f"{fmt_num(f.get('crash', 0))} crash, {fmt_num(f.get('hang', 0))} hang; "
            f"L1 {len(att)} boot(s), {l1} crashed/hung | {fmt_num(r.get('pv/off'))} | "
            f"{fmt_num(r.get('pv/halt'))} | {fmt_num(r.get('pv/baseline'))} | "
            f"{s.get('metric') or '-'} | {ev or '-'} | {wall} |")
