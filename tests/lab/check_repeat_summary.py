#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""summary.json of a check-repeat directory: per run and per scenario, the
verdict, attempts and L1 crashes/hangs, from the scenario JSON lab.py wrote.
Exit 0 only when all N runs passed with no L1 crash or hang (issue 22,
acceptance 2); 1 otherwise, with the reason on stderr."""
import json
import sys
from pathlib import Path


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
    crashes = sum(s["l1_crashes"] + s["l1_hangs"] for r in per_run for s in r["scenarios"].values())
    problems = []
    if len(runs) < want:
        problems.append(f"{len(runs)} of {want} runs made")
    problems += [f"run {r['run']}: rc {r['rc']}" for r in per_run if r["rc"]]
    problems += [f"run {r['run']}: no scenario results" for r in per_run if not r["scenarios"]]
    if crashes:
        problems.append(f"{crashes} L1 crash(es) or hang(s)")
    return {"runs_wanted": want, "runs": len(runs), "l1_crashes_or_hangs": crashes,
            "scenarios_per_run": sorted({k for r in per_run for k in r["scenarios"]}),
            "ok": not problems, "problems": problems, "per_run": per_run}


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
