# SPDX-License-Identifier: GPL-2.0-only
"""A VM name with ESC, BEL, C1 CSI (U+009B), a bidi override (U+202E) and
a newline reaches no terminal raw, in any text output mode: status, stats
text, log (-l, -L FILE), CSV, export labels, warnings and errors.  JSON
keeps the exact name (its escaping is JSON's)."""
import csv
import io
import json
import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import fixture, run

EVIL = "ev\x1b[31mil\x07\u009b2J\u202eexe.txt"
# What apf_safe_encode() makes of it (flags 0).
EVIL_SHOWN = "ev\\x1b[31mil\\x07\\xc2\\x9b2J\\xe2\\x80\\xaeexe.txt"
BAD = ["\x1b", "\x07", "\u009b", "\u202e", "\x9b"]


@pytest.fixture(scope="module")
def evil_tree():
    base = Path(tempfile.mkdtemp(prefix="apfctl-san-"))
    tree = base / "patched-host"
    shutil.copytree(fixture("patched-host"), tree, symlinks=True)
    cmdline = tree / "proc/5151/cmdline"
    args = cmdline.read_bytes().split(b"\0")
    args[args.index(b"-name") + 1] = EVIL.encode()
    cmdline.write_bytes(b"\0".join(args))
    yield tree
    shutil.rmtree(base, ignore_errors=True)


def assert_clean(text, where):
    for ch in BAD:
        assert ch not in text, f"{where}: raw {ch!r} in output"
    for ch in text:
        assert ch in "\n\t" or not (ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f), \
            f"{where}: control {ch!r}"


STATS = ["stats", "-1", "-s", "0.05"]


@pytest.mark.parametrize("mode", [
    ["status"], STATS, STATS + ["-l"], STATS + ["-v", "-a"],
])
def test_text_modes(evil_tree, mode):
    r = run(*mode, sysroot=evil_tree)
    assert r.rc == 0, r.err
    assert_clean(r.out, mode)
    assert EVIL_SHOWN in r.out


def test_csv(evil_tree):
    r = run(*STATS, "-c", sysroot=evil_tree)
    assert r.rc == 0, r.err
    assert_clean(r.out, "csv")
    names = {row["name"] for row in csv.DictReader(io.StringIO(r.out))}
    assert EVIL_SHOWN in names


def test_log_file(evil_tree, tmp_path):
    log = tmp_path / "stats.log"
    r = run(*STATS, "-L", log, sysroot=evil_tree)
    assert r.rc == 0, r.err
    text = log.read_text()
    assert_clean(text, "-L")
    assert EVIL_SHOWN in text


def test_export_labels(evil_tree):
    r = run("export", "-d", "0.05", sysroot=evil_tree)
    assert r.rc == 0, r.err
    assert_clean(r.out, "export")
    # Prometheus escaping doubles the encoder's backslashes.
    assert EVIL_SHOWN.replace("\\", "\\\\") in r.out


def test_error_message(evil_tree):
    r = run("stats", "-1", "-g", EVIL + "\nfake line", sysroot=evil_tree)
    assert r.rc != 0
    assert_clean(r.err, "error")
    assert r.err.count("\n") == 1, r.err
    assert "\\x0afake line" in r.err


def test_json_keeps_the_name(evil_tree):
    for args in (["status", "-j"], STATS + ["-j"]):
        r = run(*args, sysroot=evil_tree)
        assert r.rc == 0, r.err
        doc = json.loads(r.out)
        vms = doc["host"]["vms"] if "host" in doc else doc["vms"]
        assert EVIL in [v["name"] for v in vms]


def test_hostile_counter_names_are_encoded(tmp_path):
    """Counter names are file names in debugfs (-a lists them all)."""
    tree = tmp_path / "t"
    shutil.copytree(fixture("patched-host"), tree, symlinks=True)
    (tree / "sys/kernel/debug/kvm/x\x1b]0;pwn\x07").write_text("5\n")
    for args in (STATS + ["-a"], STATS + ["-a", "-l"], STATS + ["-a", "-c"]):
        r = run(*args, sysroot=tree)
        assert r.rc == 0, r.err
        assert_clean(r.out, args)
        assert "x\\x1b]0;pwn\\x07" in r.out


def test_qmp_warning(tmp_path):
    """The QMP warning names the VM: encoded like everything else.  The
    socket is there but nobody listens (ECONNREFUSED)."""
    import socket

    from fake_qmp import vm_tree
    base = Path(tempfile.mkdtemp(prefix="apfs-"))
    try:
        tree = vm_tree(base, {1000: (EVIL, "/run/dead.qmp")})
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(str(tree / "run/dead.qmp"))
        s.close()
        r = run("stats", "-1", "-s", "0.05", sysroot=tree)
        assert r.rc == 0, r.err
        assert_clean(r.err, "warning")
        assert f"apfctl: warning: VM 1000 ({EVIL_SHOWN}): QMP " in r.err
        assert "Connection refused; using other sources" in r.err
    finally:
        shutil.rmtree(base, ignore_errors=True)
