# SPDX-License-Identifier: GPL-2.0-only
"""Files apfctl reads, replaced by what a hostile or broken filesystem puts
there: a FIFO (an open or read of it blocks forever in blocking mode), a
socket, a character device (mknod, or a link to /dev/null or /dev/zero), a
directory, and a file that vanished between listing and reading (a dangling
link: readdir lists it, open says ENOENT).

Every command that reads the tree must finish (a subprocess timeout turns a
hang into a failure, not a stuck run), exit with a DESIGN.md code, and where
it names the problem say "Not a regular file".  Git cannot store any of
these, so each test builds them in a copy of a fixture (tests/fixtures/
README.md, "What git cannot store").
"""
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import APFCTL, WRAPPER, fixture, run

# A hang fails the test after this long (valgrind runs ~30x slower).
TIMEOUT = 120 if WRAPPER else 20

# Every command that reads the tree; "{tree}" is the hostile tree.  The
# switch commands write into the copy, and trace counts the live kernel's
# tracepoints under the fixture's ids (exit 4 where perf is not allowed).
COMMANDS = {
    "stats": ["stats", "-1", "-s", "0.05"],
    "stats-json": ["stats", "-1", "-s", "0.05", "-j"],
    # Every counter (the readdir path: each name in a stat directory
    # opened), per-vCPU file sets, and the log and CSV writers.
    "stats-all": ["stats", "-1", "-s", "0.05", "-a"],
    "stats-vcpus": ["stats", "-1", "-s", "0.05", "-v"],
    "stats-log": ["stats", "-1", "-s", "0.05", "-l"],
    "stats-csv": ["stats", "-1", "-s", "0.05", "-c"],
    "export": ["export", "-d", "0.05"],
    "export-file": ["export", "-d", "0.05", "-o", "{tree}/out.prom"],
    "status": ["status"],
    "status-json": ["status", "-j"],
    "trace": ["trace", "-d", "0.05"],
    "trace-json": ["trace", "-d", "0.05", "-j"],
    "enable-host": ["enable", "--host"],
    "disable-guest": ["disable", "--guest", "-j"],
    "disable-vm": ["disable", "--vm", "web01", "--qmp-timeout", "200"],
}

KINDS = ["fifo", "socket", "chardev", "devnull-link", "devzero-link",
         "directory", "vanished"]

TREES = ["patched-host", "patched-guest", "both"]


def _can_mknod():
    if os.geteuid() != 0:
        return False
    d = tempfile.mkdtemp(prefix="apfctl-mknod-")
    try:
        os.mknod(os.path.join(d, "n"), stat.S_IFCHR | 0o600, os.makedev(1, 3))
        return True
    except OSError:
        return False
    finally:
        shutil.rmtree(d, ignore_errors=True)


CAN_MKNOD = _can_mknod()
# CI runs these as root: there the character device must be exercised,
# not skipped (APFCTL_TESTS_NO_MKNOD=1 where root may not mknod, such as
# a container without CAP_MKNOD).
if (os.geteuid() == 0 and not CAN_MKNOD
        and os.environ.get("APFCTL_TESTS_NO_MKNOD") != "1"):
    raise RuntimeError("running as root but mknod of a character device "
                       "fails here; set APFCTL_TESTS_NO_MKNOD=1 to skip "
                       "the chardev cases")


def make_hostile(path, kind, scratch):
    """Replace the regular file at path by kind."""
    path = Path(path)
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        # sun_path holds 108 bytes: bind short, then move into place.
        tmp = os.path.join(scratch, "s")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(tmp)
        s.close()
        os.rename(tmp, path)
    elif kind == "chardev":
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))
    elif kind == "devnull-link":
        os.symlink("/dev/null", path)
    elif kind == "devzero-link":
        os.symlink("/dev/zero", path)
    elif kind == "directory":
        os.mkdir(path)
    elif kind == "vanished":
        os.symlink(path.name + ".gone", path)
    else:
        raise ValueError(kind)


def read_files(tree):
    """Every regular file apfctl may read: all but dev/kvm, which is looked
    at, never read (a character device on a real host)."""
    return sorted(p for p in Path(tree).rglob("*")
                  if p.is_file() and not p.is_symlink()
                  and p.relative_to(tree).as_posix() != "dev/kvm")


def file_class(rel):
    """Group files read the same way: one debugfs stat file stands for all
    of its directory, digits do not matter."""
    c = re.sub(r"[0-9]+", "N", rel)
    c = re.sub(r"(debug/kvm(/N-N(/vcpuN)?)?)/[^/]+$", r"\1/*", c)
    c = re.sub(r"(tracing/events/kvm)/[^/]+/", r"\1/EV/", c)
    c = re.sub(r"(parameters)/[^/]+$", r"\1/*", c)
    return c


def classes(tree_name):
    tree = fixture(tree_name)
    out = {}
    for p in read_files(tree):
        out.setdefault(file_class(p.relative_to(tree).as_posix()), []).append(
            p.relative_to(tree).as_posix())
    return out


def build_tree(base, name, kind, rels=None):
    if kind == "chardev" and not CAN_MKNOD:
        pytest.skip("mknod of a character device needs root (and a "
                    "filesystem that allows device nodes); the /dev/null "
                    "and /dev/zero links cover devices")
    dst = base / name
    shutil.copytree(fixture(name), dst, symlinks=True)
    files = read_files(dst) if rels is None else [dst / r for r in rels]
    for f in files:
        make_hostile(f, kind, str(base))
    return dst


@pytest.fixture
def hostile_tree():
    made = []

    def build(name, kind, rels=None):
        base = Path(tempfile.mkdtemp(prefix="apfctl-hx-"))
        made.append(base)
        return build_tree(base, name, kind, rels)

    yield build
    for base in made:
        shutil.rmtree(base, ignore_errors=True)


def check_finishes(tree, cmd, env=None):
    args = [a.replace("{tree}", str(tree)) for a in COMMANDS[cmd]]
    r = run(*args, sysroot=tree, timeout=TIMEOUT, env=env)
    assert r.rc in (0, 1, 3, 4), f"{cmd}: rc {r.rc}: {r.err}"
    assert "Unknown error" not in r.err, r.err
    if cmd.endswith("json") and r.rc == 0:
        for line in r.out.splitlines():
            json.loads(line)
    if "Not a regular file" in r.err or r.rc:
        assert r.err.strip(), f"{cmd}: rc {r.rc} without a message"
    return r


# Under valgrind (~1.5 s a run) one tree that is host and guest at once.
ALL_TREES = ["both"] if WRAPPER else TREES


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("tree", ALL_TREES)
def test_every_file_at_once(hostile_tree, tree, kind):
    t = hostile_tree(tree, kind)
    for cmd in COMMANDS:
        check_finishes(t, cmd)


# One class of files at a time, so reads that only happen after others
# succeeded (a VM's stat files once it was found, a tracepoint's format
# after its id) are reached too.  FIFOs only: they are what hangs.
# Each class once, in the first tree that has it; the text and JSON forms
# of a command read the same files, so one of each command.
CLASS_CASES = []
for _t in TREES:
    CLASS_CASES += [(_t, c) for c in sorted(classes(_t))
                    if all(c != k for _, k in CLASS_CASES)]
CLASS_COMMANDS = ["stats-json", "stats-all-vcpus", "export", "status-json",
                  "trace-json", "enable-host", "disable-guest"]
COMMANDS["stats-all-vcpus"] = ["stats", "-1", "-s", "0.05", "-a", "-v", "-j"]


@pytest.mark.skipif(bool(WRAPPER), reason="per-class matrix (~300 runs) runs "
                    "natively and under ASan; under valgrind it would take "
                    "many minutes, and test_every_file_at_once covers every "
                    "read path there")
@pytest.mark.parametrize("tree,cls", CLASS_CASES,
                         ids=[f"{t}:{c}" for t, c in CLASS_CASES])
def test_one_class_as_fifo(hostile_tree, tree, cls):
    t = hostile_tree(tree, "fifo", classes(tree)[cls])
    for cmd in CLASS_COMMANDS:
        check_finishes(t, cmd)


@pytest.mark.parametrize("kind", ["fifo", "socket", "devnull-link",
                                  "devzero-link"])
def test_debugfs_stats_not_regular_named(hostile_tree, kind):
    """The status line says why debugfs gives nothing, and stats reads no
    counter out of a non-file (it would have blocked on a FIFO)."""
    cls = classes("patched-host")
    rels = [r for c, v in cls.items() if "debug/kvm" in c for r in v]
    t = hostile_tree("patched-host", kind, rels)
    r = check_finishes(t, "status")
    assert "stats-unreadable (KVM stat files: Not a regular file)" in r.out
    r = check_finishes(t, "status-json")
    assert r.json()["host"]["debugfs_error"] == "Not a regular file"
    r = check_finishes(t, "stats-json")
    doc = r.json()
    assert doc["vms"] and all(v["source"] == "none" for v in doc["vms"])


def test_debugfs_directory_in_place_of_a_stat_is_skipped(hostile_tree):
    """A directory is what `stats -a` meets for vcpuN/: skipped quietly,
    the other stat files still read."""
    t = hostile_tree("patched-host", "directory",
                     ["sys/kernel/debug/kvm/async_pf_ready"])
    r = check_finishes(t, "stats-json")
    total = r.json()["total"]
    assert total["source"] == "debugfs"
    assert "async_pf_ready" not in total["counters"]
    assert "async_pf_queued" in total["counters"]


def test_guest_interrupts_fifo_is_not_a_hyp_count(hostile_tree):
    t = hostile_tree("stock-guest", "fifo", ["proc/interrupts"])
    r = check_finishes(t, "stats-json")
    assert "hyp_interrupts" not in json.dumps(r.json())


def test_vm_cmdline_fifo_keeps_the_vm(hostile_tree):
    """The VM is still listed (from debugfs), only unnamed."""
    t = hostile_tree("patched-host", "fifo",
                     ["proc/4242/cmdline", "proc/4242/comm"])
    r = check_finishes(t, "status-json")
    vms = {v["pid"]: v for v in r.json()["host"]["vms"]}
    assert vms[4242]["name"] == "?"
    assert vms[5151]["name"] == "testvm"


# --- files outside the fixture trees -------------------------------------

SWITCH_KINDS = ["fifo", "socket", "devnull-link", "directory", "vanished"]


@pytest.mark.parametrize("kind", SWITCH_KINDS)
def test_switch_is_never_written_through_a_non_file(hostile_tree, kind):
    """enable/disable read the switch first and write only a regular
    file: a FIFO, socket or device stays as it was, a missing switch is
    "unsupported" (3), anything else names what it is (1)."""
    t = hostile_tree("patched-host", kind, ["sys/module/kvm/parameters/async_pf"])
    r = check_finishes(t, "enable-host")
    sw = t / "sys/module/kvm/parameters/async_pf"
    if kind == "vanished":
        assert r.rc == 3 and "no kvm.async_pf switch" in r.err
        assert sw.is_symlink() and not sw.exists()
        return
    assert r.rc == 1, r.err
    assert ("Not a regular file" if kind != "directory" else "Is a directory") in r.err
    mode = os.lstat(sw).st_mode
    assert {"fifo": stat.S_ISFIFO, "socket": stat.S_ISSOCK,
            "devnull-link": stat.S_ISLNK, "directory": stat.S_ISDIR}[kind](mode)


@pytest.mark.parametrize("kind", SWITCH_KINDS)
def test_export_output_in_place_of_a_non_file(tmp_path, kind):
    """-o replaces what is at the path (never opens it: a FIFO would
    block); a directory there is an error, and nothing is left behind."""
    out = tmp_path / "apf.prom"
    out.write_text("old\n")
    make_hostile(out, kind, str(tmp_path))
    before = set(os.listdir(tmp_path))
    r = run("export", "-d", "0.05", "-o", out, sysroot=fixture("patched-host"),
            timeout=TIMEOUT)
    if kind == "directory":
        assert r.rc == 1 and "Is a directory" in r.err
        assert set(os.listdir(tmp_path)) == before
        return
    assert r.rc == 0, r.err
    assert out.is_file() and not out.is_symlink()
    assert "apf_export_duration_seconds" in out.read_text()
    assert set(os.listdir(tmp_path)) == before | {"apf.prom"}


@pytest.mark.parametrize("kind", SWITCH_KINDS)
def test_apply_config_file_must_be_regular(tmp_path, kind):
    """The config file is read at boot: a FIFO there (no writer) would
    hold apf-setup.service; it is refused at once.  "-" reads stdin."""
    conf = tmp_path / "apf.conf"
    conf.write_text("host_async_pf=keep\n")
    make_hostile(conf, kind, str(tmp_path))
    r = run("apply-config", "--check", conf, sysroot=fixture("patched-host"),
            timeout=TIMEOUT)
    assert r.rc == 1, r.err
    want = {"directory": "Is a directory", "vanished": "No such file"}.get(
        kind, "Not a regular file")
    assert want in r.err


def test_apply_config_reads_stdin_for_dash():
    cmd = list(WRAPPER) + [APFCTL, "--sysroot", str(fixture("patched-host")),
                           "apply-config", "--check", "-j", "-"]
    p = subprocess.run(cmd, input="host_async_pf=off\n", capture_output=True,
                       text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["switches"][0]["want"] == "off"


# kexec reads a /boot listing, the running command line and state files,
# and hands a kernel and initrd to kexec(8): a FIFO handed on would hang
# kexec(8), so only regular files are candidates.
KEXEC_SH = """#!/bin/sh
echo "$@" >> "$FAKE_LOG"
f=$FAKE_ROOT/sys/kernel/kexec_loaded
# As the kernel would: only the real file changes (a FIFO would block us).
if [ -f "$f" ] && [ ! -h "$f" ]; then echo 1 > "$f"; fi
"""
NEW, OLD = "6.12.38+deb12-amd64", "6.1.0-37-amd64"
KEXEC_FILES = ["proc/cmdline", "proc/sys/kernel/kexec_load_disabled",
               "sys/kernel/kexec_loaded", "sys/kernel/security/lockdown",
               "sys/firmware/efi/efivars/"
               "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c",
               f"boot/vmlinuz-{NEW}", f"boot/initrd.img-{NEW}"]


def kexec_machine(base):
    root = base / "root"
    for rel, text in [(f"boot/vmlinuz-{v}", "kernel") for v in (NEW, OLD)] + \
                     [(f"boot/initrd.img-{v}", "initrd") for v in (NEW, OLD)] + [
            ("proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro\n"),
            ("proc/sys/kernel/kexec_load_disabled", "0\n"),
            ("sys/kernel/kexec_loaded", "0\n"),
            ("sys/kernel/security/lockdown", "[none] integrity confidentiality\n"),
            (KEXEC_FILES[4], "\x06\x00\x00\x00\x00")]:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    tool = base / "kexec"
    tool.write_text(KEXEC_SH)
    tool.chmod(0o755)
    env = dict(os.environ, APF_KEXEC=str(tool), FAKE_LOG=str(base / "calls"),
               FAKE_ROOT=str(root))
    return root, env


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("rel", KEXEC_FILES)
def test_kexec_hostile_files(tmp_path, kind, rel):
    if kind == "chardev" and not CAN_MKNOD:
        pytest.skip("mknod needs root")
    root, env = kexec_machine(tmp_path)
    make_hostile(root / rel, kind, str(tmp_path))
    for args in (["kexec", "--dry-run", "-j"], ["kexec", "-j"]):
        r = run(*args, sysroot=root, timeout=TIMEOUT, env=env)
        assert r.rc in (0, 1, 3), (args, r.rc, r.err)
        assert r.rc == 0 or r.err.strip()
    calls = (tmp_path / "calls").read_text() if (tmp_path / "calls").exists() else ""
    for line in calls.splitlines():
        for word in line.split():
            path = word.split("=", 1)[-1]
            if path.startswith(str(root)):
                assert stat.S_ISREG(os.stat(path).st_mode), line
    if rel.startswith("boot/vmlinuz"):
        # The newest kernel is not a file: the other one is loaded.
        assert f"vmlinuz-{OLD}" in calls and f"vmlinuz-{NEW}" not in calls
    if rel.startswith("boot/initrd"):
        assert f"vmlinuz-{NEW}" in calls and f"initrd.img-{NEW}" not in calls


# --- the libvirt hook's files ---------------------------------------------
# The hook (under libvirt's domain job) and its watcher read and write
# files of their own: the log file, the watcher's state in RUN_DIR, the
# record in STATE_DIR, libvirt's NAME.pid, and `hook --check FILE`.

from test_hook import Lab, domain_xml, wait_for  # noqa: E402


@pytest.fixture
def hook_lab(tmp_path):
    lab = Lab(tmp_path)
    yield lab
    lab.cleanup()


@pytest.mark.parametrize("kind", SWITCH_KINDS)
def test_hook_log_file_not_a_file(hook_lab, kind):
    """A FIFO as APF_HOOK_LOG blocked the hook in open(O_WRONLY) before its
    deadline was of any use; now any non-file log is left alone and the
    hook does its job within the second."""
    log = hook_lab.log
    log.write_text("")
    make_hostile(log, kind, str(hook_lab.tmp))
    rc, _, err = hook_lab.call("web1", "prepare", domain_xml(policy="off"))
    assert rc == 0, err
    rc, out, err = hook_lab.call("web1", "migrate", domain_xml(policy="off"))
    assert rc == 0 and out.decode().startswith("<domain"), err
    if kind != "vanished":     # a dangling link is followed and created
        assert not log.is_file() or log.is_symlink()


def release_over(lab, base, kind):
    """web1's file under base/domains made hostile, then "release"."""
    domains = base / "domains"
    domains.mkdir(parents=True)
    (domains / "web1.json").write_text("{}")
    make_hostile(domains / "web1.json", kind, str(lab.tmp))
    rc, _, err = lab.call("web1", "release", domain_xml(policy="off"))
    assert rc == 0, err


@pytest.mark.parametrize("kind", SWITCH_KINDS)
def test_hook_release_with_state_not_a_file(hook_lab, kind):
    """The watcher's state replaced by a non-file: release records what
    the XML says, notes why, and never blocks on it."""
    release_over(hook_lab, hook_lab.run_dir, kind)
    rec = hook_lab.record("web1")
    assert rec["policy"] == "off"
    assert any("state" in n for n in rec["notes"]), rec["notes"]


@pytest.mark.parametrize("kind", SWITCH_KINDS)
def test_hook_record_in_place_of_a_non_file(hook_lab, kind):
    """The record's path holds a non-file: it is replaced (never opened for
    writing: a FIFO would block), or, for a directory, the write fails, is
    logged, and the watcher's state is kept for a later look."""
    release_over(hook_lab, hook_lab.state_dir, kind)
    if kind == "directory":
        assert "cannot write record" in hook_lab.log_text()
    else:
        assert hook_lab.record("web1")["domain"] == "web1"


@pytest.mark.parametrize("kind", ["fifo", "socket", "devnull-link", "directory"])
def test_watcher_pid_file_not_a_file(hook_lab, kind):
    """libvirt's NAME.pid as a non-file: the watcher says so at once in its
    state (a missing file is waited for up to 5 s; this is no late file)."""
    pid = hook_lab.libvirt_run / "web1.pid"
    pid.write_text("1\n")
    make_hostile(pid, kind, str(hook_lab.tmp))
    rc, _, err = hook_lab.call("web1", "started", domain_xml(policy="off"))
    assert rc == 0, err
    st = wait_for(lambda: (s := hook_lab.runtime_state("web1")) and s.get("final") and s,
                  timeout=TIMEOUT, what="the watcher's final state")
    assert st["qemu_pid"] is None
    want = "Is a directory" if kind == "directory" else "Not a regular file"
    assert any(want in n for n in st["notes"]), st["notes"]


@pytest.mark.parametrize("kind", SWITCH_KINDS)
def test_hook_check_file_must_be_regular(hook_lab, kind):
    f = hook_lab.tmp / "dom.xml"
    f.write_text(domain_xml(policy="on"))
    make_hostile(f, kind, str(hook_lab.tmp))
    rc, _, err = hook_lab.hook("--check", str(f))
    assert rc == 1
    want = {"directory": "Is a directory", "vanished": "No such file"}.get(
        kind, "Not a regular file")
    assert want in err
