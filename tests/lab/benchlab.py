# SPDX-License-Identifier: GPL-2.0-only
"""The throughput benchmark in the VM lab (lab.py bench): its named
configurations and the logic around a run that needs no VM (parsing,
bounds, names, the verdict of an L1 attempt, what a results directory
says).  The benchmark itself is bench/harness's apf-bench, run inside L1
(guest/l1-bench.sh) against bench/workload's initramfs in L2.
"""
import json
import os
import re
import subprocess
import threading
import time
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
# MB/s under emulation, the part beyond memory.max through swap), -w
# seconds of warm-up (the fill's swap writeback and the fault ramp after
# it: at 40 IOPS the fault rate still climbed from ~35 to ~70 pages/s over
# the first 25 s in the 2026-11 runs), the measured -t seconds, teardown.
# summary.txt's "fault drift" says whether the window was steady (within
# +-10%); raise -w where it was not.  10 repetitions per mode: at 3 against
# 3 the smallest Mann-Whitney p is 0.1.  run_bound is apf-bench's --timeout
# per run (a hang bound, not an estimate); the L1 timeout is derived from it.
CONFIGS = {
    "natapov": {
        "title": "Natapov-style, scaled to the lab: 2 vCPUs, 2 fault + 2 compute "
                 "threads, 400 MB buffer under memory.max 176M (2.3x)",
        "smp": 2, "guest_mem": 768, "memory_max": "176M",
        "workload": "-f 2 -c 2 -m 400 -w 30 -t 40",
        "modes": "pv,halt,off,baseline", "reps": 10, "run_bound": 600,
    },
    "halt-hurts": {
        "title": "halting hurts: 1 vCPU, 1 fault + 1 compute thread (the compute "
                 "thread can run only while the vCPU is not halted)",
        "smp": 1, "guest_mem": 768, "memory_max": "176M",
        "workload": "-f 1 -c 1 -m 400 -w 30 -t 40",
        "modes": "pv,halt,off,baseline", "reps": 10, "run_bound": 600,
    },
    # Fault threads only, for a fixed time: the figure is fault pages/s
    # (pv against off is APF's cost).  The workload's --finish mode would
    # time whole passes, but one pass over the buffer is 102400 swap-ins,
    # at the lab's ~60-250 a second 7-30 minutes a run.
    "no-other-work": {
        "title": "no other runnable work: 2 fault threads only, 40 s, fault pages/s "
                 "(APF's cost when nothing can use the wait)",
        "smp": 2, "guest_mem": 768, "memory_max": "176M",
        "workload": "-f 2 -c 0 -m 400 -w 30 -t 40",
        "modes": "pv,halt,off,baseline", "reps": 10, "run_bound": 600,
    },
    # The reference the others are read against: what the two compute
    # threads alone get done in this lab (no fault threads, no limit).
    "ceiling": {
        "title": "reference: 2 vCPUs, the 2 compute threads alone, no memory limit "
                 "(the most compute units/s the lab's L2 gets)",
        "smp": 2, "guest_mem": 768, "memory_max": "176M",
        "workload": "-f 0 -c 2 -m 400 -w 10 -t 30",
        "modes": "baseline", "reps": 5, "run_bound": 300,
    },
    # make bench-smoke: one run each of off, halt and pv in the halt-hurts
    # shape, small enough for ~5 minutes; smoke_verdict() checks the mode
    # invariants, not figures.
    "smoke": {
        "title": "smoke: halt-hurts shape, 256 MB buffer, one run of off, halt, pv "
                 "(mode invariants)",
        "smp": 1, "guest_mem": 768, "memory_max": "176M",
        "workload": "-f 1 -c 1 -m 256 -w 5 -t 15",
        "modes": "off,halt,pv", "reps": 1, "run_bound": 300,
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


def apf_bench_args(c, qemu, label, seed=None, source=None, allow_busy=False):
    """apf-bench run's arguments inside L1 (after --out), one per list item.
    seed: of the run order, the same for every L1 attempt of a result set
    (they resume one plan); source: source_state() of the checkout (L1 has
    no git); allow_busy: L0 was busy and the operator said go on (every
    run is flagged)."""
    a = ["--kernel", "/lab/l2-kernel", "--initrd", "/lab/workload-initrd",
         "--qemu", qemu, "--modes", c["modes"], "--reps", str(c["reps"]),
         "--memory-max", c["memory_max"], "--guest-mem", str(c["guest_mem"]),
         "--smp", str(c["smp"]), "--workload", c["workload"],
         "--apfctl", "/usr/bin/apfctl", "--cpu", "host",
         "--timeout", str(c["run_bound"]), "--label", label,
         "--append", c.get("append", L2_APPEND), "--resume",
         # L1 is the lab's own machine: its boot leaves a load average
         # behind, and lab.py checks L0, where other work would be.
         "--max-load", "1", "--idle-wait", "120"]
    if seed is not None:
        a += ["--seed", str(seed)]
    if source:
        a += ["--source-commit", source["commit"] or "unknown"]
        if source["dirty"]:
            a += ["--source-dirty"]
    if allow_busy:
        a += ["--allow-busy"]
    return a + list(c.get("extra", []))


# Exit codes of apf-bench run (bench/harness: apf-bench --help).
BENCH_RC = {0: "all runs ok", 1: "some runs failed (results written)", 2: "usage",
            3: "unsupported environment", 4: "not root", 5: "unsuitable swap",
            6: "machine busy (nothing more run)",
            7: "source tree dirty (nothing run)"}


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


# ------------------------------------------------------------- source --
# The files that make the benchmark (bench/harness/src/source.c has the
# same list): a change elsewhere (ansible/, say) cannot move a figure.
SOURCE_PATHSPECS = ["bench", ":(exclude)bench/results", "tools/apfctl", "tests/lab",
                    ":(exclude)tests/lab/results", "kernel", ":(exclude)kernel/results",
                    "qemu", ":(exclude)qemu/results", "mk", "Makefile", "VERSION"]


def source_state(repo):
    """{"commit", "describe", "dirty", "dirty_paths"} of the checkout at
    repo; commit None outside a git checkout.  Dirty: uncommitted or
    untracked files among SOURCE_PATHSPECS (an unknown state counts as
    dirty)."""
    def git(*args):
        r = subprocess.run(["git", "-C", str(repo), "-c", "safe.directory=*", *args],
                           capture_output=True, text=True, check=False)
        return r.stdout.strip() if r.returncode == 0 else None
    commit = git("rev-parse", "HEAD")
    if not commit:
        return {"commit": None, "describe": None, "dirty": False, "dirty_paths": []}
    status = git("status", "--porcelain", "--", *SOURCE_PATHSPECS)
    paths = [] if status is None else [ln for ln in status.splitlines() if ln.strip()]
    return {"commit": commit, "describe": git("describe", "--always", "--dirty", "--abbrev=12"),
            "dirty": status is None or bool(paths),
            "dirty_paths": paths if status is not None else ["(git status failed)"]}


# ------------------------------------------------------------ L0 load --
# The kinds of work that spoiled the 2026-11 results (kernel builds, the
# fleet test's VMs), as apf-bench's hostload.c knows them.
FOREIGN_EXACT = {"qemu", "qemu-kvm", "qemu-apf", "firecracker", "cloud-hyperviso", "crosvm",
                 "cc1", "cc1plus", "cc1obj", "lto1", "lto-wrapper", "collect2", "rustc",
                 "ld", "ld.bfd", "ld.gold", "ld.lld", "lld", "stress", "stress-ng"}
FOREIGN_PREFIX = ("qemu-system-", "clang", "stress-ng-")
MAX_LOAD_PER_CPU = 0.25
MAX_BUSY = 0.10
MAX_STEAL = 0.05
MAX_OTHER = 0.10


def foreign_comm(comm):
    return comm in FOREIGN_EXACT or comm.startswith(FOREIGN_PREFIX)


def proc_table(proc="/proc"):
    """{pid: (comm, ppid, utime + stime ticks, kernel thread)}."""
    out = {}
    for d in os.listdir(proc):
        if not d.isdigit():
            continue
        try:
            text = Path(proc, d, "stat").read_text()
        except OSError:
            continue
        i, j = text.find("("), text.rfind(")")
        f = text[j + 2:].split()
        if i < 0 or j < i or len(f) < 13:
            continue
        out[int(d)] = (text[i + 1:j], int(f[1]), int(f[11]) + int(f[12]),
                       bool(int(f[6]) & 0x00200000))
    return out


def descendants(table, roots):
    """roots and every process below them."""
    kids = {}
    for pid, (_, ppid, _, _) in table.items():
        kids.setdefault(ppid, []).append(pid)
    out, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p in out:
            continue
        out.add(p)
        todo.extend(kids.get(p, []))
    return out


def foreign_processes(table, ours=()):
    """"PID comm" of other VMMs and compilers, not ours (this process and
    ours, with everything below them)."""
    mine = descendants(table, [os.getpid(), *ours])
    return [f"{pid} {c}" for pid, (c, _, _, kt) in sorted(table.items())
            if not kt and pid not in mine and foreign_comm(c)]


def cpu_times(proc="/proc"):
    """(busy ticks, steal ticks, all ticks, ncpu) from /proc/stat."""
    lines = Path(proc, "stat").read_text().splitlines()
    v = [int(x) for x in lines[0].split()[1:9]] + [0] * 8
    busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
    ncpu = sum(1 for ln in lines if re.match(r"cpu\d", ln)) or 1
    return busy, v[7], busy + v[3] + v[4], ncpu


def l0_idle(sample_s=2.0, max_load=MAX_LOAD_PER_CPU, proc="/proc"):
    """Is L0 quiet enough to benchmark on?  {"busy", "why", "loadavg",
    "busy_share", "steal_share", "foreign"}, the same tests as apf-bench's
    (DESIGN.md: benchmarks run alone)."""
    a = cpu_times(proc)
    time.sleep(sample_s)
    b = cpu_times(proc)
    total = max(b[2] - a[2], 1)
    load = [float(x) for x in Path(proc, "loadavg").read_text().split()[:3]]
    busy, steal = (b[0] - a[0]) / total, (b[1] - a[1]) / total
    foreign = foreign_processes(proc_table(proc))
    why = []
    if load[0] > max_load * b[3]:
        why.append(f"1-min load average {load[0]:.2f} on {b[3]} CPUs (above {max_load} per CPU)")
    if busy > MAX_BUSY:
        why.append(f"CPUs {100 * busy:.0f}% busy over {sample_s:.1f} s")
    if steal > MAX_STEAL:
        why.append(f"{100 * steal:.0f}% of CPU time stolen")
    if foreign:
        why.append("other VMMs or compilers running: " + ", ".join(foreign[:10]))
    return {"busy": bool(why), "why": "; ".join(why), "loadavg": load, "ncpu": b[3],
            "busy_share": round(busy, 4), "steal_share": round(steal, 4), "foreign": foreign}


class L0Monitor:
    """Samples L0 every interval seconds while an L1 attempt runs: the CPU
    time not spent by the L1 QEMU (ours()), steal, other VMMs and
    compilers.  summary() says whether L0 was busy meanwhile."""

    def __init__(self, ours, interval=10.0, proc="/proc"):
        self.ours, self.interval, self.proc = ours, interval, proc
        self.samples = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()

    def _ours_ticks(self, table):
        return sum(table[p][2] for p in descendants(table, self.ours()) if p in table)

    def _run(self):
        try:
            t0, c0 = time.monotonic(), cpu_times(self.proc)
            tab = proc_table(self.proc)
            o0 = self._ours_ticks(tab)
        except OSError:
            return
        while not self._stop.wait(self.interval):
            try:
                c1, tab = cpu_times(self.proc), proc_table(self.proc)
                o1 = self._ours_ticks(tab)
                load = float(Path(self.proc, "loadavg").read_text().split()[0])
            except OSError:
                continue
            total = max(c1[2] - c0[2], 1)
            self.samples.append({
                "t": round(time.monotonic() - t0, 1), "loadavg1": load,
                "busy_share": round((c1[0] - c0[0]) / total, 4),
                "steal_share": round((c1[1] - c0[1]) / total, 4),
                # L0's CPU time outside the L1 QEMU: its kernel's I/O for
                # L1's disks too, so an upper bound on foreign work.
                "other_share": round(max(0, (c1[0] - c0[0]) - max(0, o1 - o0)) / total, 4),
                "foreign": foreign_processes(tab, self.ours())})
            c0, o0 = c1, o1

    def summary(self):
        s = self.samples
        if not s:
            return {"samples": 0, "busy": False, "why": ""}
        other = sum(x["other_share"] for x in s) / len(s)
        steal = sum(x["steal_share"] for x in s) / len(s)
        foreign = sorted({f for x in s for f in x["foreign"]})
        why = []
        if other > MAX_OTHER:
            why.append(f"L0 CPU time outside the lab's QEMU {100 * other:.0f}% on average")
        if steal > MAX_STEAL:
            why.append(f"L0 steal {100 * steal:.0f}% on average")
        if foreign:
            why.append("other VMMs or compilers on L0: " + ", ".join(foreign[:10]))
        return {"samples": len(s), "interval_s": self.interval, "other_share_mean": round(other, 4),
                "other_share_max": max(x["other_share"] for x in s),
                "steal_share_mean": round(steal, 4),
                "loadavg1_max": max(x["loadavg1"] for x in s), "foreign": foreign,
                "busy": bool(why), "why": "; ".join(why)}


def flag_runs_busy(results_json, orders, reason):
    """Mark the runs of results.json with these order numbers busy (L0 was
    busy while the L1 attempt that made them ran); apf-bench plot then
    counts them.  Returns how many were marked."""
    p = Path(results_json)
    doc = json.loads(p.read_text())
    n = 0
    for r in doc.get("runs") or []:
        if r.get("order") in orders:
            b = r.setdefault("busy", {"flag": False, "reasons": []})
            b["flag"] = True
            b.setdefault("reasons", []).append(reason)
            n += 1
    p.write_text(json.dumps(doc, indent=1) + "\n")
    return n


def run_orders(results_json):
    """The order numbers of the runs in a results.json (empty if none)."""
    try:
        return {r.get("order") for r in json.loads(Path(results_json).read_text()).get("runs") or []}
    except (OSError, ValueError, AttributeError):
        return set()


# -------------------------------------------------------------- smoke --
def _num(d, *path):
    for k in path:
        if not isinstance(d, dict) or d.get(k) is None:
            return None
        d = d[k]
    return d if isinstance(d, (int, float)) else None


def smoke_verdict(results_json):
    """make bench-smoke's checks on one run each of off, halt and pv (the
    smoke configuration): the mode invariants, each from two sources where
    there are two (STYLE.md: equalities between independent sources).
    Returns [(check, ok, detail)]; a missing number fails its check."""
    doc = json.loads(Path(results_json).read_text())
    runs = {}
    for r in doc.get("runs") or []:
        runs.setdefault(r.get("mode"), r)
    checks = []

    def check(name, ok, detail):
        checks.append((name, bool(ok), detail))

    for m in ("off", "halt", "pv"):
        r = runs.get(m) or {}
        check(f"{m}: the run is ok", r.get("outcome") == "ok",
              f"{r.get('outcome', 'missing')}: {r.get('reason') or ''}".strip(": "))
    off, halt, pv = (runs.get(m) or {} for m in ("off", "halt", "pv"))
    q = _num(off, "window", "apfctl", "async_pf_queued")
    tp = _num(off, "window", "tracepoints", "kvm_async_pf_not_present")
    check("off: host async_pf_queued 0 (apfctl, per VM) and kvm_async_pf_not_present 0 "
          "(tracepoints), over the window", q == 0 and tp == 0, f"queued {q}, not_present {tp}")
    g = _num(halt, "guest", "page_not_present")
    h = _num(halt, "window", "apfctl", "async_pf_halted")
    tp = _num(halt, "window", "tracepoints", "kvm_async_pf_not_present")
    check("halt: guest page_not_present 0 (guest sysfs) and host async_pf_halted > 0 (apfctl)",
          g == 0 and h is not None and h > 0, f"guest not_present {g}, host halted {h}")
    check("halt: the host still faulted asynchronously (kvm_async_pf_not_present > 0)",
          tp is not None and tp > 0, f"not_present {tp}")
    g = _num(pv, "guest", "page_not_present")
    h = _num(pv, "window", "apfctl", "async_pf_not_present")
    check("pv: the guest took notifications (guest page_not_present > 0, host "
          "async_pf_not_present > 0)", g and h and g > 0 and h > 0,
          f"guest {g}, host {h}")
    cp, co = _num(pv, "compute_units_per_s"), _num(off, "compute_units_per_s")
    check("halt-hurts: pv computes more than off (one run each)",
          cp is not None and co is not None and cp > co,
          f"pv {cp} against off {co} compute units/s" +
          (f" ({cp / co:.2f}x)" if cp and co else ""))
    return checks


# ------------------------------------------------------------- sweeps --
# QEMU's and the L2 kernel's own memory in the lab (~150 MB measured,
# bench/results/README.md): the VM's working set is the buffer plus this.
L2_OVERHEAD_MB = 150
SWEEP_KINDS = ("smp", "overcommit", "iops")


def parse_sweep(text):
    """--sweep KIND=V1,V2,...: smp (vCPUs, with as many fault and compute
    threads), overcommit (memory.max as a fraction of the VM's working set,
    0.1-1.0), iops (L1's swap disk limit, 0 unthrottled).  Returns (kind,
    values)."""
    kind, _, vals = (text or "").partition("=")
    if kind not in SWEEP_KINDS or not vals:
        raise ConfigError(f"--sweep '{text}': want KIND=V1,V2,... with KIND one of "
                          f"{', '.join(SWEEP_KINDS)}")
    out = []
    for w in re.split(r"[\s,]+", vals.strip()):
        try:
            v = float(w) if kind == "overcommit" else int(w)
        except ValueError:
            raise ConfigError(f"--sweep {kind}: '{w}' is not a number") from None
        if kind == "smp" and not 1 <= v <= 16:
            raise ConfigError(f"--sweep smp: {v} vCPUs out of range (1..16)")
        if kind == "overcommit" and not 0.1 <= v <= 1.0:
            raise ConfigError(f"--sweep overcommit: {v} out of range (0.1..1.0)")
        if kind == "iops" and (v < 0 or 0 < v < 10):
            raise ConfigError(f"--sweep iops: {v} (use 0 or >= 10)")
        if v not in out:
            out.append(v)
    if len(out) < 2:
        raise ConfigError(f"--sweep {kind}: a sweep needs two values or more")
    return kind, out


def _set_opt(workload, flag, value):
    if re.search(rf"(?:^|\s){flag}\s*\d+", workload):
        return re.sub(rf"(^|\s){flag}\s*\d+", rf"\g<1>{flag} {value}", workload)
    return f"{workload} {flag} {value}"


def sweep_config(c, kind, value):
    """The configuration c at one value of a sweep (its own name and
    results directory).  iops needs no change here (lab.py's --swap-iops)."""
    c = dict(c)
    if kind == "smp":
        c["smp"] = value
        # As many fault and compute threads as vCPUs (Natapov: 4 + 4 on 4),
        # keeping a class at 0 where the configuration has none.
        for flag in ("-f", "-c"):
            m = re.search(rf"(?:^|\s){flag}\s*(\d+)", c["workload"])
            if not m or int(m.group(1)):
                c["workload"] = _set_opt(c["workload"], flag, value)
        c["name"] = f"{c['name']}-smp{value}"
    elif kind == "overcommit":
        mb = int(re.search(r"(?:^|\s)-m\s*(\d+)", c["workload"]).group(1))
        c["memory_max"] = f"{round(value * (mb + L2_OVERHEAD_MB))}M"
        c["name"] = f"{c['name']}-oc{round(value * 100)}"
    return c


def sweep_rows(points):
    """[(value, results.json)] -> rows: value, then for pv/off and pv/halt
    the ratio, its 95% interval and the Mann-Whitney p (None: missing)."""
    rows = []
    for value, path in points:
        try:
            s = json.loads(Path(path).read_text()).get("summary") or {}
        except (OSError, ValueError):
            s = {}
        comp = (s.get("comparisons") or {}).get(s.get("metric")) or {}
        row = [value]
        for k in ("pv/off", "pv/halt"):
            x = comp.get(k) or {}
            ci = x.get("ci95") or {}
            row += [x.get("ratio"), ci.get("lo"), ci.get("hi"), (x.get("mann_whitney") or {}).get("p")]
        rows.append(row)
    return rows


SWEEP_GP = r'''# SPDX-License-Identifier: GPL-2.0-only
# A sweep of lab.py bench: pv/off and pv/halt with their 95% bootstrap
# intervals against the swept value.  Set: dat, outbase, xname, plottitle, logx.
set datafile missing "NaN"
do for [fmt in "png svg"] {
    if (fmt eq "png") { set terminal pngcairo size 900,560 font "sans,9" noenhanced; set output outbase . ".png" }
    else { set terminal svg size 900,560 font "sans,9" noenhanced dynamic; set output outbase . ".svg" }
    set title plottitle
    set xlabel xname
    set ylabel "ratio of medians (1 = no difference)"
    set grid
    set key top left
    if (logx) { set logscale x } else { unset logscale x }
    set offsets graph 0.05, graph 0.05, graph 0.1, 0
    set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "#808080"
    plot dat using 1:2:3:4 with yerrorlines pt 7 lw 2 lc rgb "#7a3aa8" title "pv/off", \
         dat using 1:6:7:8 with yerrorlines pt 5 lw 2 lc rgb "#2a8a3a" title "pv/halt", \
         dat using 1:2:(sprintf("p=%.2g", $5)) with labels offset 0, -1.2 font "sans,8" notitle
    unset output
}
'''


def write_sweep(root, name, kind, rows, gnuplot="gnuplot"):
    """sweep-NAME-KIND.dat, .gp, .png and .svg in root.  An unthrottled
    swap (iops 0) is plotted at 1e5, past every limit.  Returns the base
    path, or None when gnuplot failed (the .dat is written anyway)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    base = root / f"sweep-{name}-{kind}"
    xname = {"smp": "vCPUs (as many fault and compute threads)",
             "overcommit": "memory.max / (buffer + QEMU and L2 kernel)",
             "iops": "swap IOPS limit (1e5: unthrottled)"}[kind]
    lines = [f"# lab.py bench sweep of {name} over {kind}: x, then pv/off and pv/halt as "
             "ratio ci_lo ci_hi p"]
    for r in rows:
        x = 1e5 if kind == "iops" and r[0] == 0 else r[0]
        lines.append(" ".join("NaN" if v is None else f"{v:.6g}" for v in [x] + r[1:]))
    Path(f"{base}.dat").write_text("\n".join(lines) + "\n")
    Path(f"{base}.gp").write_text(SWEEP_GP)
    expr = (f"dat='{base}.dat'; outbase='{base}'; xname='{xname}'; "
            f"plottitle='{name}: pv against off and halt over {kind} (95% bootstrap intervals)'; "
            f"logx={1 if kind == 'iops' else 0}")
    r = subprocess.run([gnuplot, "-e", expr, f"{base}.gp"], capture_output=True, text=True,
                       check=False)
    return base if r.returncode == 0 else None
