#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make -C tests/lab check-repeat N=5 OUT=results/<dir>: run the top-level
# `make lab-check` N times in a row and record each run (its output, the
# scenario JSON, load before, wall time, exit status) plus summary.json with
# the L1 crashes and hangs per scenario, so "N times in a row without an L1
# crash" is a committed, checkable result (issue 22).  Stops at the first
# failed run: "in a row" means the streak ends there; commit the directory
# of a broken streak too (a new streak takes a new OUT), or the record
# only shows the streaks that held.
set -euo pipefail
n=${1:?usage: check-repeat.sh N OUTDIR}
out=${2:?usage: check-repeat.sh N OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
case $n in '' | *[!0-9]* | 0) echo "check-repeat: N must be a number >= 1, not '$n'" >&2; exit 2 ;; esac
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
	echo "check-repeat: $out exists and is not empty; pick a new directory" >&2
	exit 2
fi
mkdir -p "$out"
for i in $(seq 1 "$n"); do
	rm -rf "$here/build/results/"*.json "$here/build/results/crashes"
	commit=$(git -C "$top" rev-parse --short HEAD)
	# What lab-check builds from: the lab, kernels, QEMU, apfctl in L2.
	# (untracked files too: a new patch in qemu/patches is built.)
	dirty=$(git -C "$top" status --porcelain -- tests/lab kernel qemu tools Makefile ':(exclude)tests/lab/results' | wc -l)
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	t0=$(date +%s)
	rc=0
	make -C "$top" --no-print-directory lab-check >"$out/run$i.log" 2>&1 || rc=$?
	wall=$(( $(date +%s) - t0 ))
	# A commit landing during the run: recorded, so the record says so.
	commit_after=$(git -C "$top" rev-parse --short HEAD)
	mkdir -p "$out/run$i"
	cp "$here/build/results/"*.json "$out/run$i/" 2>/dev/null || true
	[ ! -d "$here/build/results/crashes" ] || cp -r "$here/build/results/crashes" "$out/run$i/"
	printf '{"run": %d, "start": "%s", "commit": "%s", "commit_after": "%s", "dirty_files": %d, "load_before": "%s", "wall_s": %d, "rc": %d}\n' \
		"$i" "$start" "$commit" "$commit_after" "$dirty" "$load" "$wall" "$rc" >>"$out/runs.jsonl"
	echo "check-repeat: run $i of $n: rc $rc in ${wall}s (load before $load)"
	[ "$rc" = 0 ] || break
done
/usr/bin/python3 "$here/check_repeat_summary.py" "$out" "$n"
