#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""summary.json of a check-repeat directory: per run and per scenario, the
verdict, attempts and L1 crashes/hangs, from the scenario JSON lab.py wrote.
Exit 0 only when all N runs ran the same full set of scenarios, each
passed in at least one attempt, with no L1 crash or hang (issue 22,
acceptance 2); 1 otherwise, with the reasons.  Per scenario, the totals
over the runs: attempts, crashes and hangs, and the rate with its exact
95% interval (the lab's flake rate per scenario)."""
import json
import sys
from pathlib import Path

from stresslab import clopper_pearson

# make lab-check's scenarios (lab.py check): a run without one of them
# did not check what the streak claims.
CHECK_SCENARIOS = ("b", "c", "d", "e", "f")


def summarize(out, want):
    runs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines() if line]
    per_run = []
    for r in runs:
        scen = {}
        for f in sorted((out / f"run{r['run']}").glob("*.json")):
            d = json.loads(f.read_text())
            outcomes = [a["outcome"] for a in d.get("attempts", [])]
            scen[d["scenario"]] = {
                "verdict": d.get("verdict"), "attempts": len(outcomes),
                "l1_crashes": outcomes.count("crash"), "l1_hangs": outcomes.count("hang"),
                "wall_s": d.get("wall_s")}
        per_run.append(dict(r, scenarios=scen))
    scenarios = per_scenario(per_run)
    crashes = scenarios["all"]["l1_crashes_or_hangs"]
    problems = []
    if len(runs) < want:
        problems.append(f"{len(runs)} of {want} runs made")
    for r in per_run:
        if r["rc"]:
            problems.append(f"run {r['run']}: rc {r['rc']}")
        missing = [k for k in CHECK_SCENARIOS if k not in r["scenarios"]]
        if missing:
            problems.append(f"run {r['run']}: no result for scenario(s) {' '.join(missing)}")
        for k, sc in sorted(r["scenarios"].items()):
            if sc["verdict"] != "pass" or not sc["attempts"]:
                problems.append(f"run {r['run']}: scenario {k}: {sc['verdict']} "
                                f"in {sc['attempts']} attempt(s)")
    if crashes:
        problems.append(f"{crashes} L1 crash(es) or hang(s)")
    return {"runs_wanted": want, "runs": len(runs), "l1_crashes_or_hangs": crashes,
            "scenarios": scenarios,
            "ok": not problems, "problems": problems, "per_run": per_run}


def per_scenario(per_run):
    """Attempts (L1 boots) and crashes or hangs per scenario over all runs,
    with the exact 95% interval of the rate."""
    out = {}
    for k in sorted({k for r in per_run for k in r["scenarios"]}):
        scs = [r["scenarios"][k] for r in per_run if k in r["scenarios"]]
        boots = sum(sc["attempts"] for sc in scs)
        bad = sum(sc["l1_crashes"] + sc["l1_hangs"] for sc in scs)
        out[k] = dict(runs=len(scs), **rate(bad, boots))
    out["all"] = dict(runs=len(per_run), **rate(sum(v["l1_crashes_or_hangs"] for v in out.values()),
                                               sum(v["l1_boots"] for v in out.values())))
    return out


def rate(bad, boots):
    ci = [round(x, 4) for x in clopper_pearson(bad, boots)] if boots else [None, None]
    return {"l1_boots": boots, "l1_crashes_or_hangs": bad,
            "rate": round(bad / boots, 4) if boots else None, "rate_ci95": ci}


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: check_repeat_summary.py OUTDIR N")
    out = Path(sys.argv[1])
    summary = summarize(out, int(sys.argv[2]))
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"check-repeat: {summary['runs']} of {summary['runs_wanted']} runs, "
          f"{summary['l1_crashes_or_hangs']} L1 crash(es)/hang(s): "
          + ("OK" if summary["ok"] else "; ".join(summary["problems"])))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
