# SPDX-License-Identifier: GPL-2.0-only
"""A VM name with ESC, BEL, C1 CSI (U+009B), a bidi override (U+202E) and
a newline reaches no terminal raw, in any text output mode: status, stats
text, log (-l, -L FILE), CSV, export labels, warnings and errors.  JSON
keeps the exact name (its escaping is JSON's)."""
import csv
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import fixture, run

EVIL = "ev\x1b[31mil\x07\u009b2J\u202eexe.txt"
# What apf_safe_encode() makes of it (flags 0).
EVIL_SHOWN = "ev\\x1b[31mil\\x07\\xc2\\x9b2J\\xe2\\x80\\xaeexe.txt"
BAD = ["\x1b", "\x07", "\u009b", "\u202e", "\x9b"]


def named_tree(tree, name):
    """A copy of patched-host at tree whose VM 5151 has -name name."""
    shutil.copytree(fixture("patched-host"), tree, symlinks=True)
    cmdline = tree / "proc/5151/cmdline"
    args = cmdline.read_bytes().split(b"\0")
    args[args.index(b"-name") + 1] = name
    cmdline.write_bytes(b"\0".join(args))
    return tree


@pytest.fixture(scope="module")
def evil_tree():
    base = Path(tempfile.mkdtemp(prefix="apfctl-san-"))
    yield named_tree(base / "patched-host", EVIL.encode())
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


# ---- commands whose text output once skipped the encoder (review of
# issue 17): the layer in front of stdout and stderr covers them all.

def test_kexec_text(tmp_path):
    """Kernel version and paths come from file names in /boot, the
    command line from /proc/cmdline."""
    root = tmp_path / "root"
    boot = root / "boot"
    boot.mkdir(parents=True)
    v = "6.12.0-\x1b[31mx\u202e"
    (boot / f"vmlinuz-{v}").write_text("kernel")
    (boot / f"initrd.img-{v}").write_text("initrd")
    (root / "proc/sys/kernel").mkdir(parents=True)
    (root / "proc/cmdline").write_text("root=/dev/vda1 \x1b]0;pwn\x07 ro\n")
    (root / "proc/sys/kernel/kexec_load_disabled").write_text("0\n")
    (root / "sys/kernel/security").mkdir(parents=True)
    (root / "sys/kernel/kexec_loaded").write_text("0\n")
    (root / "sys/kernel/security/lockdown").write_text("[none] integrity\n")
    r = run("kexec", "--dry-run", sysroot=root)
    assert r.rc == 0, r.err
    assert_clean(r.out, "kexec")
    assert "6.12.0-\\x1b[31mx\\xe2\\x80\\xae" in r.out
    assert "\\x1b]0;pwn\\x07" in r.out
    j = run("kexec", "--dry-run", "-j", sysroot=root)
    assert j.rc == 0, j.err
    assert j.json()["version"] == v


def policy_xml(name, value="off"):
    return (f"<domain type='kvm'><name>{name}</name><metadata>"
            "<apf:policy xmlns:apf='https://apf-suite.invalid/xmlns/apf/1' "
            f"async-pf='{value}'/></metadata></domain>")


# XML 1.0 has no C0 controls (not even as &#27;): C1 and bidi it has.
XNAME = "ev\u009b2Jil\u202eexe"
XNAME_SHOWN = "ev\\xc2\\x9b2Jil\\xe2\\x80\\xaeexe"


def test_hook_check(tmp_path):
    """Encoded once in text (the parser kept it encoded and --check
    encoded it again: "\\x5cxc2"), exact in JSON."""
    xml = tmp_path / "d.xml"
    xml.write_text(policy_xml(XNAME))
    r = run("hook", "--check", xml)
    assert r.rc == 0, r.err
    assert_clean(r.out, "hook --check")
    assert f"domain '{XNAME_SHOWN}': async-pf=off" in r.out
    assert "\\x5c" not in r.out
    j = run("hook", "--check", "-j", xml)
    assert j.rc == 0, j.err
    assert j.json()["domain"] == XNAME


def test_hook_check_error(tmp_path):
    xml = tmp_path / "d.xml"
    xml.write_text(policy_xml(XNAME, "maybe\u202e"))
    r = run("hook", "--check", xml)
    assert r.rc == 1
    assert_clean(r.err, "hook --check error")
    assert f"domain '{XNAME_SHOWN}'" in r.err
    assert "\\x5c" not in r.err


def test_trace_text(tmp_path):
    """Tracepoint names are directory names in tracefs (discovered, not
    hard-coded); trace counts the live kernel's events under the
    fixture's ids, so it needs perf (root)."""
    tree = tmp_path / "t"
    shutil.copytree(fixture("patched-host"), tree, symlinks=True)
    ev = next(tree.rglob("tracing/events/kvm/kvm_async_pf_not_present"))
    ev.rename(ev.parent / "kvm_async_pf_\x1b[31m\u202e_not_present")
    r = run("trace", "-d", "0.05", sysroot=tree)
    if r.rc == 4 and os.geteuid() != 0:
        pytest.skip("perf_event_open not allowed here: " + r.err)
    assert r.rc == 0, r.err  # as root it runs: never skipped
    assert_clean(r.out, "trace")
    assert "kvm_async_pf_\\x1b[31m\\xe2\\x80\\xae_not_present" in r.out


def test_enable_vm(tmp_path):
    """enable/disable --vm print the VM's name (from its command line)."""
    from fake_qmp import FakeQmp, vm_tree
    base = Path(tempfile.mkdtemp(prefix="apfs-"))
    try:
        tree = vm_tree(base, {1000: (EVIL, "/run/q.qmp")})
        q = FakeQmp(tree / "run/q.qmp")
        try:
            r = run("disable", "--vm", "1000", "--qmp", tree / "run/q.qmp",
                    sysroot=tree)
        finally:
            q.close()
        assert r.rc == 0, r.err
        assert_clean(r.out, "disable --vm")
        assert f"vm {EVIL_SHOWN} (pid 1000): async PF enabled -> disabled" in r.out
        assert q.async_pf is False
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_raw_escape_text_is_not_doubled(tmp_path):
    """A name that is already "\\x1b" text shows as itself: the layer keeps
    "\\xHH", so text it went over once is stable."""
    tree = named_tree(tmp_path / "t", b"a\\x1bb\x1b")
    r = run("status", sysroot=tree)
    assert r.rc == 0, r.err
    assert_clean(r.out, "status")
    assert "a\\x5cx1bb\\x1b" in r.out or "a\\x1bb\\x1b" in r.out
    assert "\\x5cx5c" not in r.out


def test_csv_newline_in_a_quoted_field(tmp_path):
    """A name with a quote is quoted (QEMU's -name takes no comma); a
    newline inside the quotes is encoded too, so each record stays one
    line for line-oriented tools."""
    tree = named_tree(tmp_path / "t", b'web"01\nfake"row')
    r = run(*STATS, "-c", sysroot=tree)
    assert r.rc == 0, r.err
    assert not any(l.startswith('fake"row') for l in r.out.splitlines())
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert 'web"01\\x0afake"row' in {row["name"] for row in rows}
