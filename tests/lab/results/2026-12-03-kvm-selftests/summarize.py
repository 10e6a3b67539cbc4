#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""ours.json + stock.json (lab.py selftest --bin DIR --out .) -> summary.json
and the Markdown table of README.md (printed).  Explanations of the
differences: explanations.json (test -> text)."""
import json
import sys
from pathlib import Path

D = Path(__file__).resolve().parent
sys.path.insert(0, str(D.parent.parent))
import lab  # noqa: E402  (tests/lab/lab.py: the verdict, so reasons follow its current rules)

ours, stock = (json.loads((D / f"{k}.json").read_text()) for k in ("ours", "stock"))
for k, d in (("ours", ours), ("stock", stock)):
    for t in d["tests"]:
        out = D / k / "suite" / f"{Path(t['test']).name}.txt"
        text = out.read_text(errors="replace") if out.exists() else ""
        t["result"], t["reason"] = lab.selftest_verdict(t["rc"], t["secs"], d["bound_s"], text)
expl = json.loads((D / "explanations.json").read_text()) if (D / "explanations.json").exists() else {}
so = {t["test"]: t for t in stock["tests"]}
rows, diffs = [], []
for t in ours["tests"]:
    s = so.get(t["test"], {"result": "absent", "reason": "", "secs": 0})
    same = t["result"] == s["result"]
    row = {"test": t["test"], "ours": t, "stock": s, "same": same,
           "explanation": expl.get(t["test"], "")}
    rows.append(row)
    if not same:
        diffs.append(t["test"])


# Not upstream tests: the series' own, and a repetition.
EXTRA = {"x86_64/async_pf_test", "x86_64/async_pf_pv_test", "dirty_log_test.rep2"}


def counts(k, upstream_only=False):
    c = {}
    for r in rows:
        if upstream_only and r["test"] in EXTRA:
            continue
        c[r[k]["result"]] = c.get(r[k]["result"], 0) + 1
    return c


summary = {
    "kernels": {k: {"uname": d["uname"], "kernel": d["kernel"], "l1": d["l1"], "bound_s": d["bound_s"]}
                for k, d in (("ours", ours), ("stock", stock))},
    "l0": ours["l0"],
    "counts": {"ours": counts("ours"), "stock": counts("stock")},
    "counts_upstream": {"ours": counts("ours", True), "stock": counts("stock", True)},
    "not_upstream": sorted(EXTRA),
    "differences": diffs,
    "differences_upstream": [t for t in diffs if t not in EXTRA],
    "tests": [{"test": r["test"],
               "ours": {k: r["ours"][k] for k in ("result", "reason", "rc", "secs")},
               "stock": {k: r["stock"].get(k) for k in ("result", "reason", "rc", "secs")},
               "same": r["same"], "explanation": r["explanation"]} for r in rows],
}
(D / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")


def cell(x):
    r = x["result"]
    why = x.get("reason", "").replace("|", "\\|")
    if r == "skip":
        why = why.replace("1..0 # SKIP - ", "").replace("Requirement not met: ", "")
    s = r if not why or r == "pass" else f"{r}: {why}"
    return s + (f" ({x['secs']:.0f}s)" if x.get("secs", 0) >= 10 else "")


print("| test | ours | stock | difference explained |")
print("|---|---|---|---|")
for r in rows:
    mark = "" if r["same"] else "**differs**: "
    print(f"| {r['test']} | {cell(r['ours'])} | {cell(r['stock'])} | {mark}{r['explanation']} |")
print()
print("counts", summary["counts"], "upstream", summary["counts_upstream"], "differences", diffs)
