# SPDX-License-Identifier: GPL-2.0-only
"""The L1 crash rate of `lab.py stress`: trial records, the summary and
its confidence interval.  One trial is one L1 boot running labexit."""
import json
import math
import re

LABEXIT_RE = re.compile(r"LABEXIT: (.*)")
SVMDBG_RE = re.compile(r"SVMDBG: (.*)")


def clopper_pearson(k, n, conf=0.95):
    """Exact two-sided interval of a binomial proportion k/n, by bisection
    on the binomial tail (Python's standard library only)."""
    if n == 0:
        return (0.0, 1.0)
    a = (1 - conf) / 2

    def cdf(x, p):   # P(X <= x), X ~ Bin(n, p); falls as p grows
        return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(x + 1))

    def bisect(pred):   # the p in [0, 1] where pred turns from True to False
        lo, hi = 0.0, 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if pred(mid) else (lo, mid)
        return (lo + hi) / 2
    lower = 0.0 if k == 0 else bisect(lambda p: 1 - cdf(k - 1, p) < a)
    upper = 1.0 if k == n else bisect(lambda p: cdf(k, p) > a)
    return (lower, upper)


def trial_record(i, att, serial_text, labexit_txt):
    """What one trial (an Attempt after boot_l1) says."""
    m = LABEXIT_RE.search(labexit_txt or "")
    stats = dict(kv.split("=", 1) for kv in m.group(1).split()) if m else {}
    return {"trial": i, "outcome": att.outcome, "reason": att.reason,
            "wall_s": round(att.wall, 1), "labexit": stats,
            "svmdbg": len(SVMDBG_RE.findall(serial_text))}


def summary(trials, label, config):
    # A trial the lab itself failed (error) measured nothing: counted, but
    # not in the rates.
    measured = [t for t in trials if t["outcome"] != "error"]
    n = len(measured)
    bad = [t for t in trials if t["outcome"] in ("crash", "hang")]
    k = len(bad)
    lo, hi = clopper_pearson(k, n)
    exits = [int(t["labexit"].get("io_exits", 0)) for t in trials if t["labexit"]]
    n_failed = sum(failed(t) for t in measured)
    return {"label": label, "config": config, "trials": len(trials),
            "ok": sum(t["outcome"] == "ok" for t in trials),
            "crash": sum(t["outcome"] == "crash" for t in trials),
            "hang": sum(t["outcome"] == "hang" for t in trials),
            "error": sum(t["outcome"] == "error" for t in trials),
            "crash_or_hang_rate": round(k / n, 4) if n else None,
            "rate_ci95": [round(lo, 4), round(hi, 4)],
            "trials_with_svmdbg": sum(t["svmdbg"] > 0 for t in trials),
            "io_exits_median": sorted(exits)[len(exits) // 2] if exits else None,
            # L2 boots (linux, swap): a crash is an oops in L2's log, an
            # incomplete one ended without labwl's last line (a silent reset)
            **{k: sum(int(t["labexit"].get(k, 0)) for t in trials)
               for k in ("l2_cycles", "l2_done", "l2_crash", "l2_incomplete")},
            # the figure: a trial fails when L1 or any of its L2s does
            "trials_failed": n_failed,
            "failed_rate_ci95": [round(x, 4) for x in clopper_pearson(n_failed, n)]}


def failed(t):
    """Did anything in this trial fail: L1 (crash, hang) or an L2 (an oops
    in its log, or a boot that ended without labwl's last line)?"""
    lx = t.get("labexit") or {}
    return t["outcome"] in ("crash", "hang") or \
        int(lx.get("l2_crash", 0)) > 0 or int(lx.get("l2_incomplete", 0)) > 0


# What must match for trials of two invocations to be pooled (--resume):
# everything but the load, the date and where the L0 binary lies.
POOLED_KEYS = ("mode", "secs", "vcpus", "syscalls", "l2_smp", "l2_secs", "wl",
               "l2_mem", "memory_max", "kernels", "l1", "l0_version", "l0_sha256")


def resume_state(out):
    """Trials already in OUT and the config they ran under ([], None when
    OUT has none).  Raises ValueError on a damaged trials.jsonl."""
    tj, sj = out / "trials.jsonl", out / "summary.json"
    if not tj.exists():
        return [], None
    trials = []
    for n, line in enumerate(tj.read_text().splitlines(), 1):
        if line.strip():
            try:
                trials.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f"{tj}:{n}: {e}") from e
    config = json.loads(sj.read_text())["config"] if sj.exists() else None
    return trials, config


def config_mismatch(old, new):
    """The pooled keys on which two configs differ (empty: poolable)."""
    return [k for k in POOLED_KEYS if (old or {}).get(k) != new.get(k)]
