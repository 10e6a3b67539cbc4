# SPDX-License-Identifier: GPL-2.0-only
"""Output that never reached stdout is an error (util-linux close_stdout):
a full disk or a closed stdout gives "apfctl: write error: ..." and exit 1,
never a silent exit 0.  /dev/full fails every write with ENOSPC."""
import os
import subprocess

import pytest

from conftest import APFCTL, VALGRIND_ERROR, WRAPPER, fixture

FULL = "/dev/full"
HOST = str(fixture("patched-host"))

CASES = {
    "status": ["--sysroot", HOST, "status"],
    "status-json": ["--sysroot", HOST, "-j", "status"],
    "stats-once": ["--sysroot", HOST, "stats", "-1", "-s", "0.05"],
    "stats-once-json": ["--sysroot", HOST, "stats", "-1", "-s", "0.05", "-j"],
    "stats-once-csv": ["--sysroot", HOST, "stats", "-1", "-s", "0.05", "-c"],
    "stats-once-log": ["--sysroot", HOST, "stats", "-1", "-s", "0.05", "-l"],
    # Without -1 the loop must stop at the first failed sample.
    "stats-loop": ["--sysroot", HOST, "stats", "-s", "0.05"],
    "stats-all-vcpus-json": ["--sysroot", HOST, "-j", "stats", "-1", "-s",
                             "0.05", "-a", "-v"],
    "export": ["--sysroot", HOST, "export", "-d", "0.05"],
    "help": ["--help"],
    "stats-help": ["stats", "--help"],
    "version": ["--version"],
}


def run_to(args, stdout):
    proc = subprocess.run(list(WRAPPER) + [APFCTL] + args, stdout=stdout,
                          stderr=subprocess.PIPE, text=True,
                          timeout=120 if WRAPPER else 20)
    assert proc.returncode != VALGRIND_ERROR, proc.stderr
    return proc


@pytest.mark.skipif(not os.path.exists(FULL), reason="no /dev/full here")
@pytest.mark.parametrize("case", sorted(CASES))
def test_full_disk_is_an_error(case):
    with open(FULL, "w") as full:
        proc = run_to(CASES[case], full)
    assert proc.returncode == 1, proc.stderr
    assert "apfctl: write error: No space left on device" in proc.stderr


@pytest.mark.parametrize("case", ["status", "status-json", "help"])
def test_closed_stdout_is_an_error(case):
    proc = subprocess.run(list(WRAPPER) + [APFCTL] + CASES[case],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, timeout=120 if WRAPPER else 20,
                          preexec_fn=lambda: os.close(1))
    assert proc.returncode != VALGRIND_ERROR, proc.stderr
    assert proc.returncode == 1
    assert "apfctl: write error: Bad file descriptor" in proc.stderr


@pytest.mark.parametrize("case", ["status", "stats-once-json", "export", "help"])
def test_good_stdout_still_exits_0(case):
    proc = run_to(CASES[case], subprocess.PIPE)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout and "write error" not in proc.stderr


def test_log_file_on_a_full_disk_is_named(tmp_path):
    """-L FILE failing is a stats error naming the file (not stdout's)."""
    proc = run_to(CASES["stats-once"] + ["-L", FULL], subprocess.PIPE)
    assert proc.returncode == 1
    # The log is line-buffered, so the failed write's errno may be gone.
    assert f"apfctl: stats: write error: {FULL}: " in proc.stderr
