# SPDX-License-Identifier: GPL-2.0-only
"""Run apfctl against fixture sysroots.

APFCTL names the binary; APFCTL_WRAPPER (e.g. "valgrind -q ...") runs it
under a checker.  Trees that a test changes are copied first.
"""
import json
import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"
APFCTL = os.environ.get("APFCTL", str(HERE.parents[1] / "build" / "apfctl"))
WRAPPER = shlex.split(os.environ.get("APFCTL_WRAPPER", ""))
VALGRIND_ERROR = 99
ARGV_TIMEOUT = "did not answer within"     # lib/vms.c apf_vm_argv_problem()


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        assert self.rc != VALGRIND_ERROR, f"checker reported errors:\n{self.err}"

    def json(self):
        return json.loads(self.out)

    def json_lines(self):
        return [json.loads(line) for line in self.out.splitlines() if line]


def run(*args, sysroot=None, user=None, timeout=60, env=None):
    cmd = list(WRAPPER) + [APFCTL]
    if sysroot is not None:
        cmd += ["--sysroot", str(sysroot)]
    cmd += [str(a) for a in args]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}",
               "--clear-groups"] + cmd
    # Under valgrind on a busy machine the 500 ms guard on reading a
    # process's cmdline (lib/procfs.h) can expire with nothing stalled
    # (seen in CI: a VM named by comm, not by -name).  Try again then, a
    # few times; natively and under ASan the first answer stands.
    for _ in range(3 if WRAPPER else 1):
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=timeout, env=env)
        if ARGV_TIMEOUT not in proc.stderr:
            break
    return Result(proc)


def fixture(name):
    path = FIXTURES / name
    assert path.is_dir(), f"missing fixture {path}"
    return path


@pytest.fixture
def tree_copy():
    """Copy a fixture into a world-readable temp dir (for setpriv tests)."""
    made = []

    def copy(name):
        base = Path(tempfile.mkdtemp(prefix="apfctl-fx-"))
        os.chmod(base, 0o755)
        dst = base / name
        shutil.copytree(fixture(name), dst, symlinks=True)
        made.append(base)
        return dst

    yield copy
    for base in made:
        shutil.rmtree(base, ignore_errors=True)


def read_u64(path):
    return int(Path(path).read_text().strip())
