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


# make check-cross-cli runs the cross-built apfctl under qemu-user
# (APFCTL_EMULATED=qemu-user).  Without a binfmt_misc entry for the
# emulator two things cannot work there, whatever apfctl does: the hook's
# watcher re-executes apfctl (/proc/self/exe), an image the kernel cannot
# exec by itself, so the watcher never starts; and qemu-user implements
# no perf_event_open (apfctl trace says "not supported here", exit 3).
# Those tests are skipped with that reason; with a binfmt_misc entry
# (APFCTL_EMULATED=qemu-user-binfmt) everything runs.
EMULATOR_CANNOT = {
    "test_hook.py": ("the hook's watcher re-executes apfctl (qemu-user without binfmt_misc)", {
        "test_started_on_patched_qemu_applies_policy", "test_older_qemu_falls_back_to_qom_set",
        "test_already_set_is_not_set_again", "test_stock_qemu_is_unsupported_and_domain_runs",
        "test_our_qemu_on_a_stock_host_kernel_is_unsupported", "test_virsh_failures_are_logged",
        "test_migration_destination_job_is_waited_out", "test_job_held_until_exit_is_a_failure",
        "test_no_policy_still_records", "test_tcg_domain_has_no_counters",
        "test_watcher_stopped_by_signal_records_it", "test_reconnect_keeps_a_running_watcher",
        "test_systemd_run_failure_falls_back_to_a_detached_child"}),
    "test_hostile_files.py": ("the hook's watcher re-executes apfctl (qemu-user without binfmt_misc)",
                              {"test_watcher_pid_file_not_a_file"}),
    "test_sanitize.py": ("qemu-user has no perf_event_open", {"test_trace_text"}),
}


def pytest_collection_modifyitems(config, items):
    if os.environ.get("APFCTL_EMULATED") != "qemu-user":
        return
    for item in items:
        why, names = EMULATOR_CANNOT.get(item.path.name, ("", ()))
        if item.originalname in names:
            item.add_marker(pytest.mark.skip(reason=f"emulated: {why}"))
