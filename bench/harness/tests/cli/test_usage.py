# SPDX-License-Identifier: GPL-2.0-only
"""Usage errors: exit 2 with a one-line message that names the problem."""
import pytest

from conftest import run


def test_no_arguments():
    r = run()
    assert r.rc == 2
    assert "Usage: apf-bench run" in r.err


def test_help_and_version():
    r = run("--help")
    assert r.rc == 0 and "apf-bench run --kernel BZIMAGE --initrd CPIO" in r.out
    r = run("run", "--help")
    assert r.rc == 0 and "--memory-max SIZE" in r.out
    r = run("--version")
    assert r.rc == 0 and r.out.startswith("apf-bench ")


def test_unknown_command():
    r = run("bench")
    assert r.rc == 2
    assert "unknown command 'bench'" in r.err


@pytest.mark.parametrize("args, message", [
    (["run"], "run needs --kernel BZIMAGE and --initrd CPIO"),
    (["run", "--kernel", "k"], "run needs --kernel"),
    (["preflight", "--memory-max", "lots"], "--memory-max wants a size such as 256M"),
    (["preflight", "--memory-max", "256"], "below 16M"),
    (["preflight", "--memory-max", "1.5G"], "--memory-max wants a size"),
    (["preflight", "--reps", "0"], "--reps wants a number from 1 to 1000"),
    (["preflight", "--reps", "x"], "--reps wants a number"),
    (["preflight", "--modes", "pv,fast"], "--modes: 'fast' is not one of"),
    (["preflight", "--modes", "pv,pv"], "--modes: 'pv'"),
    (["preflight", "--smp", "0"], "--smp wants"),
    (["preflight", "--guest-mem", "10"], "--guest-mem wants MB"),
    (["preflight", "--guest-mem", "500"], "cannot hold the workload's 600 MB buffer"),
    (["preflight", "--off-method", "magic"], "--off-method wants auto, param or qemu"),
    (["preflight", "--timeout", "0"], "--timeout wants whole seconds"),
    (["preflight", "--boot-timeout", "-3"], "--boot-timeout wants whole seconds"),
    (["preflight", "--workload", "-f 2 -t 30"], "the workload needs -m MB"),
    (["preflight", "--workload", "-m 600 -x a,b"], "has a comma"),
    (["preflight", "--append", 'a="b"'], "cannot carry a double quote"),
    (["preflight", "--bogus"], "unknown option"),
    (["preflight", "--memory-max"], "missing value"),
    (["preflight", "stray"], "unexpected argument 'stray'"),
    (["plot"], "plot takes one directory"),
])
def test_usage_errors(args, message):
    r = run(*args)
    assert r.rc == 2, r.err
    assert message in r.err
    assert r.err.count("\n") == 1, "one line: " + r.err


def test_memory_max_not_below_buffer():
    r = run("preflight", "--memory-max", "1G")
    assert r.rc == 2
    assert ("--memory-max 1G is not smaller than the workload buffer (-m 600 = 600M)"
            in r.err)
    r = run("preflight", "--memory-max", "600M")     # equal is not smaller
    assert r.rc == 2
    r = run("preflight", "--memory-max", "2G", "--workload", "-m 1024 -f 1")
    assert r.rc == 2 and "(-m 1024 = 1024M)" in r.err


def test_plot_without_results(tmp_path):
    r = run("plot", tmp_path)
    assert r.rc == 2
    assert "results.json not found" in r.err
    (tmp_path / "results.json").write_text('{"not": "ours"}')
    r = run("plot", tmp_path)
    assert r.rc == 1
    assert "not an apf-bench results.json" in r.err
    (tmp_path / "results.json").write_text('{"truncated": ')
    r = run("plot", tmp_path)
    assert r.rc == 1
