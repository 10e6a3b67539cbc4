# SPDX-License-Identifier: GPL-2.0-only
"""Run the real apf-workload natively with tiny configurations.

APFWL names the binary, APFWL_INITRD the initramfs built from it;
APFWL_WRAPPER (e.g. "valgrind -q ...") runs the binary under a checker.
"""
import json
import os
import shlex
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKLOAD_DIR = HERE.parents[1]
APFWL = os.environ.get("APFWL", str(WORKLOAD_DIR / "build" / "apf-workload"))
INITRD = os.environ.get("APFWL_INITRD",
                        str(WORKLOAD_DIR / "build" / "apf-workload-initrd.cpio.gz"))
WRAPPER = shlex.split(os.environ.get("APFWL_WRAPPER", ""))
VALGRIND_ERROR = 99
PREFIX = "APFWL "

# Small enough for valgrind; still sure to finish units within a second.
TINY = ["-m", "8", "-t", "1", "-i", "1", "-f", "1", "-c", "1",
        "--unit-iters", "10000"]


def parse_records(text):
    """Every APFWL line as JSON; lines without the prefix are ignored."""
    records = []
    for line in text.splitlines():
        if line.startswith(PREFIX):
            records.append(json.loads(line[len(PREFIX):]))
    return records


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        assert self.rc != VALGRIND_ERROR, f"checker reported errors:\n{self.err}"
        # Everything on stdout is a record (help and version aside).
        self.records = parse_records(self.out)

    def of(self, kind):
        return [r for r in self.records if r["type"] == kind]

    def one(self, kind):
        found = self.of(kind)
        assert len(found) == 1, f"want one {kind} record, got {self.records}"
        return found[0]


def run(*args, timeout=120, wrapped=True):
    cmd = (list(WRAPPER) if wrapped else []) + [APFWL] + [str(a) for a in args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return Result(proc)
