# SPDX-License-Identifier: GPL-2.0-only
"""The libvirt hook (libvirt-hooks/qemu.d/50-apf -> apfctl hook) under a
real libvirt daemon starting real domains.

The hook is installed into the real /etc/libvirt/hooks/qemu.d (whatever was
there is moved aside and put back), with /etc/default/apf pointing it at
the apfctl under test and a log file of ours.  libvirt looks for hooks when
it starts and again on SIGHUP (virHookInitialize), so the daemon gets a
SIGHUP after the install and after the removal; a daemon shared with other
live sessions keeps running.

Domains are type='qemu' (TCG): what the issue asks, and what runs anywhere.
Stock QEMU has no accelerator property async-pf, so the applier reports
"unsupported" and the domain runs on: the path a fleet takes until our
QEMU is installed.
"""
import json
import os
import shutil
import signal
import time
import uuid
from pathlib import Path

import pytest

from conftest import (APFCTL_DIR, DOMAIN_XML, QEMU, STATE_FILE, _comm, destroy_domain,
                      libvirt_answers, pid_alive, require_root, virsh, wait_for)

REPO = APFCTL_DIR.parent.parent
WRAPPER = REPO / "libvirt-hooks" / "qemu.d" / "50-apf"
HOOK_DIR = Path("/etc/libvirt/hooks/qemu.d")
HOOK = HOOK_DIR / "50-apf"
DEFAULTS = Path("/etc/default/apf")
RECORDS = Path("/var/lib/apf/domains")
RUNTIME = Path("/run/apf/domains")
NS = "https://apf-suite.invalid/xmlns/apf/1"

def daemon_pid():
    """The running QEMU daemon: from our fixtures' state file, else from
    the daemons' own pid files."""
    try:
        pids = json.loads(STATE_FILE.read_text()).get("pids", {})
    except (OSError, ValueError):
        pids = {}
    for name in ("virtqemud", "libvirtd"):
        pid = pids.get(name)
        if pid and _comm(pid) == name:
            return pid
    for name, f in (("virtqemud", "/run/libvirt/virtqemud.pid"),
                    ("libvirtd", "/run/libvirtd.pid")):
        try:
            pid = int(Path(f).read_text())
        except (OSError, ValueError):
            continue
        if _comm(pid) == name:
            return pid
    return None


def rescan_hooks():
    pid = daemon_pid()
    if pid is None:
        pytest.skip("cannot find the libvirt daemon's pid to SIGHUP it")
    os.kill(pid, signal.SIGHUP)
    # It reloads its drivers; wait until it answers again.
    time.sleep(1)
    wait_for(libvirt_answers, 60, interval=0.5, what="libvirt after SIGHUP")


@pytest.fixture(scope="module")
def hook(libvirt_daemon, tmp_path_factory):
    """The hook installed; yields its log file."""
    require_root()
    apfctl = Path(os.environ.get("APFCTL", APFCTL_DIR / "build" / "apfctl"))
    if not apfctl.exists():
        pytest.skip("apfctl not built")
    d = tmp_path_factory.mktemp("hook")
    log = d / "hook.log"
    saved = {}
    for f in (HOOK, DEFAULTS):
        if f.exists() or f.is_symlink():
            saved[f] = d / (f.name + ".saved")
            shutil.move(f, saved[f])
    created_dir = not HOOK_DIR.exists()
    try:
        HOOK_DIR.mkdir(parents=True, exist_ok=True)
        # The wrapper finds apfctl before anything reads /etc/default/apf
        # (apfctl does, under its deadline): point this copy at the build.
        wrapper = WRAPPER.read_text()
        assert "APFCTL=${APFCTL:-/usr/bin/apfctl}" in wrapper
        HOOK.write_text(wrapper.replace("APFCTL=${APFCTL:-/usr/bin/apfctl}",
                                        f"APFCTL=${{APFCTL:-{apfctl}}}"))
        HOOK.chmod(0o755)
        DEFAULTS.write_text(f"# written by {__file__}; restored after the test\n"
                            f"APF_HOOK_LOG={log}\nAPF_WATCH_INTERVAL=1\n")
        rescan_hooks()
        yield log
    finally:
        HOOK.unlink(missing_ok=True)
        DEFAULTS.unlink(missing_ok=True)
        for f, s in saved.items():
            shutil.move(s, f)
        if created_dir:
            shutil.rmtree(HOOK_DIR, ignore_errors=True)
        if daemon_pid():
            rescan_hooks()


def log_lines(log, name):
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return []
    return [ln for ln in text.splitlines() if f" {name} " in ln]


def make_domain(tmp_path, name, metadata, dtype="qemu"):
    os.chmod(tmp_path, 0o755)       # the qemu user writes the serial log
    xml = tmp_path / f"{name}.xml"
    xml.write_text(DOMAIN_XML.format(type=dtype, name=name, uuid=uuid.uuid4(),
                                     mem=64, vcpus=1, metadata=metadata,
                                     emulator=QEMU,
                                     serial=tmp_path / f"{name}.serial"))
    return xml


def unique(tag):
    return f"apfhook-{tag}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def cleanup():
    names = []
    yield names
    for n in names:
        destroy_domain(n)
        for d in (RECORDS, RUNTIME):
            (d / f"{n}.json").unlink(missing_ok=True)


def test_policy_domain_lifecycle(hook, tmp_path, cleanup):
    name = unique("off")
    cleanup.append(name)
    xml = make_domain(tmp_path, name,
                      f"<apf:policy xmlns:apf='{NS}' async-pf='off'/>")
    t0 = time.monotonic()
    r = virsh("create", str(xml), timeout=120)
    assert r.returncode == 0, r.stderr
    start_s = time.monotonic() - t0
    assert virsh("domstate", name).stdout.strip() == "running"
    # The hook ran for every stage of the start, in order.
    ops = [ln.split(f" {name} ", 1)[1].split(":", 1)[0]
           for ln in wait_for(lambda: [ln for ln in log_lines(hook, name)
                                       if " started:" in ln] and log_lines(hook, name),
                              30, what="the started hook")]
    assert ops[:3] == ["prepare", "start", "started"], ops
    lines = "\n".join(log_lines(hook, name))
    assert f"{name} prepare: policy async-pf=off" in lines
    # No systemd as PID 1 here: a detached child applies the policy through
    # libvirt (virsh qemu-monitor-command) once the hook has returned.
    assert f"{name} started: policy async-pf=off handed to a detached applier" in lines
    applied = wait_for(lambda: [ln for ln in log_lines(hook, name) if " watch: " in ln],
                       60, what="the applier's verdict")
    assert "unsupported" in applied[0] and "DeviceNotFound" in applied[0], applied
    assert "domain type qemu" in applied[0]
    # The domain still runs: an unsupported switch never blocks it.
    assert virsh("domstate", name).stdout.strip() == "running"
    state = json.loads((RUNTIME / f"{name}.json").read_text())
    assert state["qemu_pid"] and pid_alive(state["qemu_pid"])
    assert state["apply"]["result"] == "unsupported"

    r = virsh("destroy", name, timeout=60)
    assert r.returncode == 0, r.stderr
    rec_path = RECORDS / f"{name}.json"
    wait_for(rec_path.exists, 30, what=str(rec_path))
    rec = json.loads(rec_path.read_text())
    assert rec["domain"] == name and rec["policy"] == "off"
    assert rec["type"] == "qemu"
    assert rec["apply"]["result"] == "unsupported"
    assert rec["qemu_pid"] == state["qemu_pid"]
    assert rec["runtime_s"] > 0 and "released_at" in rec
    assert any("does not use KVM" in n for n in rec["notes"])
    assert not (RUNTIME / f"{name}.json").exists()
    lines = "\n".join(log_lines(hook, name))
    assert f"{name} stopped: nothing to do" in lines
    assert f"{name} release: released: policy off (unsupported)" in lines
    print(f"\n  start with hook: {start_s:.2f} s; record {rec_path}")


def test_invalid_policy_refuses_start(hook, tmp_path, cleanup):
    name = unique("bad")
    cleanup.append(name)
    xml = make_domain(tmp_path, name,
                      f"<apf:policy xmlns:apf='{NS}' async-pf='sometimes'/>")
    r = virsh("create", str(xml), timeout=120)
    assert r.returncode != 0
    # libvirt shows the hook's stderr to whoever started the domain.
    assert f"domain '{name}': invalid APF policy" in r.stderr, r.stderr
    assert "async-pf='sometimes'" in r.stderr
    assert virsh("domstate", name).returncode != 0      # not running, not defined
    assert any("refusing to start" in ln for ln in log_lines(hook, name))


def test_domain_without_policy_starts_and_is_recorded(hook, tmp_path, cleanup):
    name = unique("none")
    cleanup.append(name)
    r = virsh("create", str(make_domain(tmp_path, name, "")), timeout=120)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: (RUNTIME / f"{name}.json").exists(), 30, what="applier state")
    assert virsh("destroy", name).returncode == 0
    rec_path = RECORDS / f"{name}.json"
    rec = json.loads(wait_for(lambda: rec_path.exists() and rec_path.read_text(), 30,
                              what=str(rec_path)))
    assert rec["policy"] is None and rec["apply"]["result"] == "none"
