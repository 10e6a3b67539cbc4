# SPDX-License-Identifier: GPL-2.0-only
"""Run apf-bench against fixture sysroots built per test.

APF_BENCH names the binary; APF_BENCH_WRAPPER (e.g. "valgrind -q ...")
runs it under a checker.  A sysroot here is a small tree with the files
apf-bench reads: /proc/swaps, cgroup v2's root files, /dev/kvm, the kvm
module's parameters.
"""
import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
APF_BENCH = os.environ.get("APF_BENCH", str(HERE.parents[1] / "build" / "apf-bench"))
WRAPPER = shlex.split(os.environ.get("APF_BENCH_WRAPPER", ""))
STANDIN = HERE / "standin-qemu"
VALGRIND_ERROR = 99
SWAPS_HEAD = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
SWAPS = {
    "disk": "/dev/vdb                                partition\t4194300\t\t0\t\t-2\n",
    "none": "",
    "zram": "/dev/zram0                              partition\t4194300\t\t0\t\t100\n",
    "zram-first": ("/dev/zram0                              partition\t4194300\t\t0\t\t100\n"
                   "/swapfile                               file\t\t8388604\t\t0\t\t-2\n"),
}


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        assert self.rc != VALGRIND_ERROR, f"checker reported errors:\n{self.err}"


def run(*args, sysroot=None, env=None, timeout=120, user=None):
    cmd = list(WRAPPER) + [APF_BENCH] + [str(a) for a in args]
    if sysroot is not None:
        cmd += ["--sysroot", str(sysroot)]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + cmd
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env=full_env)
    return Result(proc)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def make_sysroot(base, swaps="disk", cgroup="v2", kvm="ok", param="Y", zswap="N", load="0.05"):
    """A host as apf-bench sees it.  cgroup: v2 | none | hybrid | nomem;
    kvm: ok | none | pvm; param: "Y", "N" or None (a stock host kernel)."""
    r = base / "root"
    write(r / "proc/swaps", SWAPS_HEAD + SWAPS[swaps])
    write(r / "proc/vmstat", "pgfault 1000\npswpin 100\npswpout 200\n")
    write(r / "proc/meminfo", "MemTotal:       16384000 kB\nMemFree:  100 kB\n")
    write(r / "proc/cpuinfo", "processor\t: 0\nmodel name\t: Test CPU @ 3GHz\n\n"
                              "processor\t: 1\nmodel name\t: Test CPU @ 3GHz\n\n")
    write(r / "proc/sys/kernel/hostname", "fixturehost\n")
    write(r / "proc/sys/kernel/osrelease", "6.12.0-apf\n")
    write(r / "proc/version", "Linux version 6.12.0-apf (fixture)\n")
    write(r / "proc/cmdline", "root=/dev/vda1 ro\n")
    # A quiet machine: load 0.05, no steal; stat files do not change, so
    # a sample of them is 0% busy.
    write(r / "proc/loadavg", f"{load} 0.10 0.20 1/123 4567\n")
    write(r / "proc/stat", "cpu  1000 0 500 100000 100 0 10 0 0 0\n"
                           "cpu0 500 0 250 50000 50 0 5 0 0 0\n"
                           "cpu1 500 0 250 50000 50 0 5 0 0 0\n")
    if cgroup == "v2":
        write(r / "sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids\n")
        write(r / "sys/fs/cgroup/cgroup.subtree_control", "cpu\n")
    elif cgroup == "nomem":
        write(r / "sys/fs/cgroup/cgroup.controllers", "cpuset cpu io pids\n")
    elif cgroup == "hybrid":
        write(r / "sys/fs/cgroup/unified/cgroup.controllers", "\n")
    if kvm != "none":
        write(r / "dev/kvm", "")
    if kvm == "pvm":
        (r / "sys/module/kvm_pvm").mkdir(parents=True)
    write(r / "sys/module/kvm/parameters/halt_poll_ns", "200000\n")
    if param is not None:
        write(r / "sys/module/kvm/parameters/async_pf", param + "\n")
    if zswap is not None:
        write(r / "sys/module/zswap/parameters/enabled", zswap + "\n")
    return r


@pytest.fixture
def sysroot(tmp_path):
    return lambda **kw: make_sysroot(tmp_path, **kw)


@pytest.fixture
def files(tmp_path):
    """A kernel and an initrd that exist (the stand-in never reads them)."""
    k, i = tmp_path / "bzImage", tmp_path / "initrd.cpio.gz"
    k.write_bytes(b"not a kernel")
    i.write_bytes(b"not an initrd")
    return k, i


def standin_env(root, log, scenario="ok", **extra):
    env = {"STANDIN_SYSROOT": str(root), "STANDIN_LOG": str(log),
           "STANDIN_SCENARIO": scenario}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def read_log(log):
    return [json.loads(line) for line in Path(log).read_text().splitlines() if line]
