# SPDX-License-Identifier: GPL-2.0-only
"""Errors a script can read: in -j mode every failure is a JSON document
on stdout ({"error": "..."}, as bpftool), the message stays on stderr, and
the exit code is DESIGN.md's (1 runtime, 2 usage, 3 unsupported, 4
permission).  --sysroot is checked exactly: too long is a usage error, not
a silently cut path; a missing one says so."""
import json
import os
import tempfile
from pathlib import Path

import pytest

from conftest import fixture, run

HOST = fixture("patched-host")


def json_error(r):
    doc = json.loads(r.out)
    assert set(doc) == {"error"}, r.out
    # getopt's own message and the usage text went to stderr; the JSON
    # then says what kind of error it was.
    assert doc["error"] in r.err or doc["error"].startswith(
        ("usage error (see 'apfctl", "no command")), (r.out, r.err)
    return doc["error"]


@pytest.mark.parametrize("args,rc", [
    (["-j", "bogus"], 2),
    (["-j", "--no-such-option", "status"], 2),
    (["-j"], 2),
    (["-j", "stats", "--no-such-option"], 2),
    (["-j", "stats", "-s", "0"], 2),
    (["-j", "--qmp-timeout", "0", "status"], 2),
    (["-j", "stats", "-1", "-g", "no-such-vm"], 1),
    (["stats", "-j", "-1", "-p", "999999"], 1),
    (["-j", "--sysroot", "/nonexistent/apfctl", "status"], 2),
    # -j after the command: the global --sysroot was refused before the
    # command's -j was parsed, so its error was text only.
    (["--sysroot", "/nonexistent/apfctl", "status", "-j"], 2),
    (["--sysroot", "/nonexistent/apfctl", "stats", "-1", "--json"], 2),
    (["status", "--pretty", "--sysroot", "/nonexistent/apfctl"], 2),
])
def test_errors_are_json(args, rc):
    sysroot = [] if "--sysroot" in args else ["--sysroot", str(HOST)]
    r = run(*(sysroot + args))
    assert r.rc == rc, r.err
    json_error(r)


@pytest.mark.parametrize("args,say", [
    (["stats", "-1", "-g", "-j"], "no running VM '-j'"),
    (["stats", "-1g", "-j"], "no running VM '-j'"),
    (["stats", "-1", "--guest", "-j"], "no running VM '-j'"),
    (["stats", "-1", "-p", "-j"], "bad pid '-j'"),
    (["trace", "-d", "0.05", "-g", "--json"], "'--json'"),
])
def test_an_options_argument_is_not_a_json_switch(args, say):
    """-j as the argument of an option (a VM named "-j") asks for no JSON:
    the error is text only."""
    r = run("--sysroot", str(HOST), *args)
    assert r.rc != 0
    assert r.out == "", r.out
    assert say in r.err, r.err


def test_unsupported_is_json_with_exit_3(tree_copy):
    r = run("-j", "enable", "--host", sysroot=fixture("stock-host"))
    assert r.rc == 3, r.err
    assert "error" in json.loads(r.out)


def test_text_mode_keeps_stdout_empty_on_error():
    r = run("stats", "-1", "-g", "no-such-vm", sysroot=HOST)
    assert r.rc == 1 and r.out == ""
    assert "no running VM" in r.err


def test_sysroot_missing_names_the_errno():
    r = run("status", sysroot="/nonexistent/apfctl-fixture")
    assert r.rc == 2
    assert "--sysroot /nonexistent/apfctl-fixture: No such file or directory" in r.err


def test_sysroot_not_a_directory():
    r = run("status", sysroot=HOST / "proc/cmdline")
    assert r.rc == 2
    assert "Not a directory" in r.err


def test_sysroot_too_long_is_refused_not_cut():
    """A path over the internal buffer used to be cut, then read as another
    tree ("Role: neither"); it must be a usage error."""
    base = Path(tempfile.mkdtemp(prefix="apfctl-long-"))
    deep = base
    try:
        while len(str(deep)) < 300:
            deep = deep / ("d" * 60)
        deep.mkdir(parents=True)
        r = run("-j", "status", sysroot=deep)
        assert r.rc == 2, r.out
        assert "longer than" in json_error(r)
        # Right at the limit it still works.
        r = run("status", "-j", sysroot=HOST)
        assert r.rc == 0
    finally:
        for p in sorted(base.rglob("*"), reverse=True):
            p.rmdir()
        base.rmdir()


def test_status_json_kernel_null_when_unknown(tree_copy):
    tree = tree_copy("patched-host")
    (tree / "proc/sys/kernel/osrelease").unlink()
    r = run("status", "-j", sysroot=tree)
    assert r.rc == 0
    assert r.json()["kernel"] is None
    assert "Kernel:  unknown" in run("status", sysroot=tree).out


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to uid 65534")
@pytest.mark.parametrize("json_mode", [False, True])
def test_non_root_stats_nothing_readable_is_exit_4(tree_copy, json_mode):
    """Unlistable debugfs and other users' /proc/PID/fd: not an empty
    table with exit 0, but why, with exit 4."""
    tree = tree_copy("patched-host")
    (tree / "sys/kernel/debug").chmod(0o700)
    for fd in (tree / "proc").glob("*/fd"):
        fd.chmod(0o700)
    args = ["stats", "-1", "-s", "0.05"] + (["-j"] if json_mode else [])
    r = run(*args, sysroot=tree, user=65534)
    assert r.rc == 4, (r.out, r.err)
    assert "need root" in r.err and "uid 65534" in r.err
    if json_mode:
        assert "need root" in json_error(r)
    else:
        assert r.out == ""
    # As root the same tree reads fine.
    assert run(*args, sysroot=tree).rc == 0


def test_sysroot_of_slashes_is_the_live_system():
    """"//" was kept as "/": a fixture tree at "/" (paths "//proc/..."),
    not the live system (pidfd watching off, no perf, no daemons)."""
    live = run("status", "-j")
    slashes = run("--sysroot", "//", "status", "-j")
    assert slashes.rc == live.rc, slashes.err
    assert slashes.json()["role"] == live.json()["role"]
