# SPDX-License-Identifier: GPL-2.0-only
"""apfctl kexec (apf-kexec) against a fake /boot and /proc under --sysroot,
with stand-ins for kexec(8) and systemctl(1) that record their arguments."""
import os
import stat

import pytest

from conftest import run

FAKE_KEXEC = """#!/bin/sh
echo "$@" >> "$FAKE_LOG"
[ -n "$FAKE_KEXEC_FAIL" ] && case " $* " in *" $FAKE_KEXEC_FAIL "*)
    echo "kexec_load failed: Operation not permitted" >&2; exit 1;; esac
[ -n "$FAKE_NOT_LOADED" ] || echo 1 > "$FAKE_ROOT/sys/kernel/kexec_loaded"
exit 0
"""
FAKE_SYSTEMCTL = """#!/bin/sh
echo "systemctl $*" >> "$FAKE_LOG"
"""
CMDLINE = "BOOT_IMAGE=/vmlinuz-6.1.0-37-amd64 root=UUID=abcd ro quiet\n"


@pytest.fixture
def machine(tmp_path):
    root = tmp_path / "root"
    boot = root / "boot"
    boot.mkdir(parents=True)
    for v in ("6.1.0-37-amd64", "6.12.38+deb12-amd64"):
        (boot / f"vmlinuz-{v}").write_text("kernel")
        (boot / f"initrd.img-{v}").write_text("initrd")
    (root / "proc/sys/kernel").mkdir(parents=True)
    (root / "proc/cmdline").write_text(CMDLINE)
    (root / "proc/sys/kernel/kexec_load_disabled").write_text("0\n")
    (root / "sys/kernel/security").mkdir(parents=True)
    (root / "sys/kernel/kexec_loaded").write_text("0\n")
    (root / "sys/kernel/security/lockdown").write_text(
        "[none] integrity confidentiality\n")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name, body in (("kexec", FAKE_KEXEC), ("systemctl", FAKE_SYSTEMCTL)):
        p = bindir / name
        p.write_text(body)
        p.chmod(p.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "calls"
    env = dict(os.environ, APF_KEXEC=str(bindir / "kexec"),
               APF_SYSTEMCTL=str(bindir / "systemctl"), FAKE_LOG=str(log),
               FAKE_ROOT=str(root))
    return root, env, log


def calls(log):
    return log.read_text().splitlines() if log.exists() else []


def test_loads_newest_with_kexec_l(machine):
    root, env, log = machine
    r = run("kexec", "-j", sysroot=root, env=env)
    assert r.rc == 0, r.err
    doc = r.json()
    assert doc["version"] == "6.12.38+deb12-amd64"
    assert doc["mode"] == "kexec_load" and doc["loaded"] is True
    assert doc["cmdline"] == "root=UUID=abcd ro quiet"
    (c,) = calls(log)
    assert c == (f"-l {root}/boot/vmlinuz-6.12.38+deb12-amd64 "
                 f"--initrd={root}/boot/initrd.img-6.12.38+deb12-amd64 "
                 "--command-line=root=UUID=abcd ro quiet")


def test_lockdown_uses_kexec_s(machine):
    root, env, log = machine
    (root / "sys/kernel/security/lockdown").write_text(
        "none [integrity] confidentiality\n")
    r = run("kexec", "--kernel", "6.1.0-37-amd64", "--append", "kvm.async_pf=0",
            sysroot=root, env=env)
    assert r.rc == 0, r.err
    assert "kexec -s" in r.out and "lockdown" in r.out
    (c,) = calls(log)
    assert c.startswith(f"-s {root}/boot/vmlinuz-6.1.0-37-amd64 ")
    assert c.endswith("--command-line=root=UUID=abcd ro quiet kvm.async_pf=0")


def test_secure_boot_uses_kexec_s(machine):
    root, env, log = machine
    efivars = root / "sys/firmware/efi/efivars"
    efivars.mkdir(parents=True)
    (efivars / "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c").write_bytes(
        b"\x06\x00\x00\x00\x01")
    r = run("kexec", "-j", sysroot=root, env=env)
    assert r.rc == 0, r.err
    assert r.json()["mode"] == "kexec_file_load"
    assert "Secure Boot" in r.json()["mode_reason"]


def test_falls_back_to_kexec_s_when_l_fails(machine):
    root, env, log = machine
    env["FAKE_KEXEC_FAIL"] = "-l"
    r = run("kexec", sysroot=root, env=env)
    assert r.rc == 0, r.err
    assert "trying kexec -s" in r.err
    assert [c.split()[0] for c in calls(log)] == ["-l", "-s"]


def test_reboot_runs_systemctl_kexec(machine):
    root, env, log = machine
    r = run("kexec", "--reboot", sysroot=root, env=env)
    assert r.rc == 0, r.err
    assert calls(log)[-1] == "systemctl kexec"


def test_failure_without_fallback(machine):
    root, env, log = machine
    env["FAKE_KEXEC_FAIL"] = "-l"
    (root / "sys/kernel/security/lockdown").write_text("none [integrity]\n")
    env["FAKE_KEXEC_FAIL"] = "-s"
    r = run("kexec", "--reboot", sysroot=root, env=env)
    assert r.rc == 1
    assert "Operation not permitted" in r.err
    assert not any(c.startswith("systemctl") for c in calls(log))


def test_failure_with_fallback_reboots(machine):
    root, env, log = machine
    (root / "sys/kernel/security/lockdown").write_text("none [integrity]\n")
    env["FAKE_KEXEC_FAIL"] = "-s"
    r = run("kexec", "--reboot", "--fallback-reboot", sysroot=root, env=env)
    assert r.rc == 0, r.err
    assert "falling back to a full reboot" in r.err
    assert calls(log)[-1] == "systemctl reboot"


def test_loaded_flag_is_verified(machine):
    root, env, log = machine
    env["FAKE_NOT_LOADED"] = "1"
    r = run("kexec", sysroot=root, env=env)
    assert r.rc == 1
    assert "kexec_loaded is not 1" in r.err


def test_no_kexec_in_kernel(machine):
    root, env, log = machine
    (root / "sys/kernel/kexec_loaded").unlink()
    r = run("kexec", sysroot=root, env=env)
    assert r.rc == 3 and "no kexec" in r.err
    r = run("kexec", "--fallback-reboot", sysroot=root, env=env)
    assert r.rc == 0 and calls(log) == ["systemctl reboot"]


def test_load_disabled(machine):
    root, env, log = machine
    (root / "proc/sys/kernel/kexec_load_disabled").write_text("1\n")
    r = run("kexec", sysroot=root, env=env)
    assert r.rc == 1 and "disabled until the next boot" in r.err
    assert calls(log) == []


def test_missing_kernel_and_paths(machine):
    root, env, log = machine
    r = run("kexec", "--kernel", "5.10.0-9-amd64", sysroot=root, env=env)
    assert r.rc == 1 and "no kernel 5.10.0-9-amd64" in r.err
    img = root / "boot/vmlinuz-6.1.0-37-amd64"
    r = run("kexec", "-j", "--kernel", img, "--command-line", "console=ttyS0",
            sysroot=root, env=env)
    assert r.rc == 0, r.err
    assert r.json()["version"] == "6.1.0-37-amd64"
    assert r.json()["initrd"].endswith("initrd.img-6.1.0-37-amd64")
    assert r.json()["cmdline"] == "console=ttyS0"
    for f in (root / "boot").iterdir():
        f.unlink()
    r = run("kexec", sysroot=root, env=env)
    assert r.rc == 1 and "no kernel installed" in r.err


def test_dry_run_and_usage(machine):
    root, env, log = machine
    r = run("kexec", "--dry-run", sysroot=root, env=env)
    assert r.rc == 0 and "dry run" in r.out and calls(log) == []
    assert run("kexec", "--append", "a", "--command-line", "b").rc == 2
    assert run("kexec", "extra").rc == 2
    assert run("kexec", "-h").out.startswith("Usage: apfctl kexec")


def test_not_root(machine):
    root, env, log = machine
    r = run("kexec", user=65534, env=env)  # live system, not root
    assert r.rc in (1, 3, 4)
    if r.rc == 4:
        assert "needs root" in r.err
