# SPDX-License-Identifier: GPL-2.0-only
"""Global CLI behaviour: help, version, usage errors."""
import re

import pytest

from conftest import run

COMMANDS = ["status", "stats", "trace", "export", "enable", "disable"]


def test_version():
    r = run("--version")
    assert r.rc == 0 and re.match(r"apfctl \d+\.\d+\.\d+", r.out)


def test_help_lists_every_command():
    r = run("--help")
    assert r.rc == 0
    for c in COMMANDS:
        assert f"  {c} " in r.out


@pytest.mark.parametrize("cmd", COMMANDS)
def test_subcommand_help(cmd):
    r = run(cmd, "-h")
    assert r.rc == 0
    assert r.out.startswith(f"Usage: apfctl {cmd}")


def test_no_command_is_usage_error():
    r = run()
    assert r.rc == 2 and "Usage:" in r.err


def test_unknown_command():
    r = run("frobnicate")
    assert r.rc == 2 and "unknown command 'frobnicate'" in r.err


@pytest.mark.parametrize("cmd", COMMANDS)
def test_unknown_option(cmd):
    assert run(cmd, "--no-such-option").rc == 2


def test_status_json_after_command_and_before():
    a = run("-j", "status", sysroot=None)
    b = run("status", "-j")
    assert a.rc == b.rc == 0
    assert a.json()["role"] == b.json()["role"]
