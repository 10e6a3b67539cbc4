# SPDX-License-Identifier: GPL-2.0-only
"""apf-boot's commands on fixture sysroots.  The GRUB tests run the real
grub-mkconfig (as the kernel packages' zz-update-grub hook does) and the
real grub-editenv, and check what GRUB would boot by reading grub.cfg and
grubenv here, independently of apf-boot's own parser."""
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import HERE, run

APF1 = "6.12.118-apf-host"
APF2 = "6.12.118-apf2-host"
DEB_OLD = "6.1.0-28-amd64"
DEB_NEW = "6.12.120-1-amd64"


def grub_boots(root):
    """The kernel GRUB's default entry boots, read from grub.cfg and grubenv
    with regular expressions (not apf-boot's parser): saved_entry is
    "SUBMENU_ID>ENTRY_ID" or "ENTRY_ID"."""
    cfg = (root.path / "boot/grub/grub.cfg").read_text()
    env = (root.path / "boot/grub/grubenv").read_text()
    assert 'set default="${saved_entry}"' in cfg
    saved = re.search(r"^saved_entry=(.*)$", env, re.M).group(1)
    entry_id = saved.split(">")[-1]
    m = re.search(r"menuentry '[^']*' .*\$menuentry_id_option '" + re.escape(entry_id)
                  + r"' \{\n(.*?)\n\s*\}", cfg, re.S)
    assert m, f"no entry {entry_id} in grub.cfg"
    if ">" in saved:
        assert f"submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option " \
               f"'{saved.split('>')[0]}'" in cfg
    return re.search(r"^\s*linux\s+\S*/vmlinuz-(\S+)", m.group(1), re.M).group(1)


def status(root, env=None):
    p = run(*root.args("-j", "status"), env=env)
    return p.returncode, json.loads(p.stdout)


def test_target_is_the_newest_apf_kernel_not_debian(sysroot):
    for v in (DEB_OLD, APF1, APF2, DEB_NEW):
        sysroot.kernel(v)
    sysroot.kernel("6.12.118-apf3-host.dpkg-tmp")
    assert run(*sysroot.args("target"), check=0).stdout == APF2 + "\n"
    t = json.loads(run(*sysroot.args("-j", "target"), check=0).stdout)
    assert t == {"version": APF2, "flavour": "host", "build": 2, "reason": "newest APF kernel"}
    assert run(*sysroot.args("target", "--any-kernel"), check=0).stdout == DEB_NEW + "\n"
    kernels = json.loads(run(*sysroot.args("list", "-j"), check=0).stdout)
    assert [k["version"] for k in kernels] == [DEB_OLD, APF1, APF2, DEB_NEW]
    assert [k["flavour"] for k in kernels] == ["none", "host", "host", "none"]
    assert [k["target"] for k in kernels] == [False, False, True, False]
    assert kernels[0]["running"]


def test_flavour(sysroot):
    sysroot.kernel(APF2)
    sysroot.kernel("6.12.118-apf5-guest")
    p = run(*sysroot.args("target"), check=2)
    assert "--flavour" in p.stderr
    assert run(*sysroot.args("target", "--flavour", "host"), check=0).stdout == APF2 + "\n"
    sysroot.running("6.12.118-apf1-guest")
    assert run(*sysroot.args("target"), check=0).stdout == "6.12.118-apf5-guest\n"
    p = run(*sysroot.args("target", "--flavour", "hots"), check=2)
    assert "hots" in p.stderr


def test_no_apf_kernel(sysroot):
    sysroot.kernel(DEB_NEW)
    p = run(*sysroot.args("target"), check=3)
    assert "no APF Suite kernel installed" in p.stderr and p.stdout == ""
    p = run(*sysroot.args("-j", "target"), check=3)
    assert json.loads(p.stdout)["exit"] == 3
    assert run(*sysroot.args("target", "--any-kernel"), check=0).stdout == DEB_NEW + "\n"
    shutil.rmtree(sysroot.path / "boot")
    p = run(*sysroot.args("target"), check=3)
    assert "boot" in p.stderr


def test_usage_errors(sysroot):
    sysroot.kernel(APF2)
    sysroot.kernel(DEB_NEW)
    assert run(*sysroot.args("frobnicate"), check=2).stderr.startswith("apf-boot: unknown command")
    assert "unexpected argument" in run(*sysroot.args("target", "x"), check=2).stderr
    assert "which VERSION" in run(*sysroot.args("pin"), check=2).stderr
    assert "not a kernel version" in run(*sysroot.args("pin", "../x"), check=2).stderr
    p = run(*sysroot.args("pin", DEB_NEW), check=2)
    assert "not an APF Suite kernel" in p.stderr and "--any-kernel" in p.stderr
    p = run(*sysroot.args("pin", "6.12.118-apf9-host"), check=1)
    assert "no kernel 6.12.118-apf9-host installed" in p.stderr
    assert "--check is an option of modprobe-conf" in run(*sysroot.args("status", "--check"),
                                                          check=2).stderr
    (sysroot.path / "etc/apf").mkdir(parents=True)
    (sysroot.path / "etc/apf/boot-pin").write_text("6.12 evil\n")
    assert "not a kernel version" in run(*sysroot.args("target"), check=1).stderr


def stand_in(tmp_path, name, log):
    """An executable that records its arguments in log (and does nothing)."""
    tmp_path.joinpath("bin").mkdir(exist_ok=True)
    f = tmp_path / "bin" / name
    f.write_text(f'#!/bin/sh\necho "{name} $*" >> {log}\n')
    f.chmod(0o755)
    return f


def test_no_boot_loader(sysroot, tmp_path):
    """A VM booted with QEMU -kernel (the fleet test VMs): no grub.cfg, no
    loader entries.  pin records the pin (apf-kexec follows it), says the
    default was not touched and why, exit 0; update is a no-op."""
    sysroot.kernel(APF1)
    sysroot.kernel(APF2)
    p = run(*sysroot.args("update"), check=0)
    assert p.stdout == f"boot default: not touched (loader: none); kexec target: {APF2} " \
                       "(newest APF kernel)\n"
    assert "update: the boot loader's default was not touched (loader: none): " \
           "no boot loader apf-boot manages" in p.stderr and "QEMU -kernel" in p.stderr
    out = json.loads(run(*sysroot.args("-j", "update"), check=0).stdout)
    assert out["loader"] == "none" and out["loader_managed"] is False
    assert out["entry"] is None and out["changed"] is False and "pin_changed" not in out
    assert "QEMU -kernel" in out["note"]
    out = json.loads(run(*sysroot.args("-j", "pin", APF1), check=0).stdout)
    assert out["version"] == APF1 and out["reason"] == "pinned"
    assert out["pin_changed"] and out["changed"] and not out["default_changed"]
    assert (sysroot.path / "etc/apf/boot-pin").read_text() == APF1 + "\n"
    assert run(*sysroot.args("target"), check=0).stdout == APF1 + "\n"
    out = json.loads(run(*sysroot.args("-j", "pin", APF1), check=0).stdout)
    assert not out["pin_changed"] and not out["changed"]
    rc, st = status(sysroot)
    assert rc == 3 and st["loader"] == "none" and st["boot_loader"] == "none"
    assert st["loader_managed"] is False and st["target"] == APF1 and st["pin"] == APF1
    assert st["default_kernel"] is None and st["ok"] is False
    p = run(*sysroot.args("status"), check=3)
    assert "boot loader:  none\n" in p.stdout and "QEMU -kernel" in p.stdout
    # The pin of a kernel not installed, or no APF kernel: still errors.
    run(*sysroot.args("pin", "6.12.118-apf9-host"), check=1)
    sysroot.remove_kernel(APF1)
    sysroot.remove_kernel(APF2)
    sysroot.kernel(DEB_NEW)
    run(*sysroot.args("update"), check=3)


def test_grubby_is_looked_up(sysroot, tmp_path):
    """The grubby command is found in PATH, never assumed: a name that is
    not there, or a file that is not executable, is no grubby."""
    sysroot.kernel(APF2)
    (sysroot.path / "boot/loader/entries").mkdir(parents=True)
    (sysroot.path / f"boot/loader/entries/abc-{APF2}.conf").write_text(f"linux /vmlinuz-{APF2}\n")
    log = tmp_path / "calls.log"
    path = f"{tmp_path / 'bin'}:/usr/bin:/bin"
    env = {"APF_GRUBBY": "grubby", "PATH": path}
    stand_in(tmp_path, "other", log)
    rc, st = status(sysroot, env)
    assert rc == 3 and st["loader"] == "none"
    assert "neither grubby nor bootctl is installed" in st["loader_detail"]
    (tmp_path / "bin/grubby").write_text("#!/bin/sh\nexit 0\n")	# not executable
    assert status(sysroot, env)[1]["loader"] == "none"
    (tmp_path / "bin/grubby").chmod(0o755)
    rc, st = status(sysroot, env)
    assert st["loader"] == "grubby" and st["loader_managed"] is True
    assert st["loader_detail"] == f"grubby ({tmp_path}/bin/grubby) and BLS entries in " \
                                  "/boot/loader/entries"
    # grubby without BLS entries (or /etc/sysconfig/kernel) is not the loader.
    (sysroot.path / f"boot/loader/entries/abc-{APF2}.conf").unlink()
    assert status(sysroot, env)[1]["loader"] == "none"
    (sysroot.path / "etc/sysconfig").mkdir(parents=True)
    (sysroot.path / "etc/sysconfig/kernel").write_text("UPDATEDEFAULT=yes\n")
    st = status(sysroot, env)[1]
    assert st["loader"] == "grubby" and "/etc/sysconfig/kernel" in st["loader_detail"]


def test_grub_needs_grub_editenv(sysroot, tmp_path):
    """grub.cfg without grub-editenv: not a GRUB apf-boot can set."""
    sysroot.kernel(APF2)
    (sysroot.path / "boot/grub").mkdir()
    shutil.copy(HERE.parent / "fixtures/grub-saved.cfg", sysroot.path / "boot/grub/grub.cfg")
    if shutil.which("grub-editenv"):
        st = status(sysroot)[1]
        assert st["loader"] == "grub" and st["loader_managed"]
        assert st["loader_detail"].endswith(" and /boot/grub/grub.cfg")
    for env in ({"APF_GRUB_EDITENV": ""}, {"APF_GRUB_EDITENV": "grub-editenv-not-installed"}):
        rc, st = status(sysroot, env)
        assert rc == 3 and st["loader"] == "none", st
        assert "grub.cfg exists but grub-editenv is not installed" in st["loader_detail"]
        p = run(*sysroot.args("pin", APF2), env=env, check=0)
        assert "grub-editenv is not installed" in p.stderr
        assert not (sysroot.path / "etc/default/grub.d").exists()


def test_systemd_boot_is_reported_not_set(sysroot, tmp_path):
    """systemd-boot (bootctl, entries in the ESP): reported; its default
    (an EFI variable) is not set, bootctl is not run."""
    sysroot.kernel(APF2)
    entries = sysroot.path / "boot/efi/loader/entries"
    entries.mkdir(parents=True)
    (entries / f"abc-{APF2}.conf").write_text(f"title APF\nlinux /abc/{APF2}/linux\n")
    log = tmp_path / "calls.log"
    env = {"APF_BOOTCTL": str(stand_in(tmp_path, "bootctl", log))}
    rc, st = status(sysroot, env)
    assert rc == 3 and st["loader"] == "systemd-boot" and st["loader_managed"] is False
    assert "/boot/efi/loader/entries" in st["loader_detail"]
    assert "bootctl set-default" in st["loader_detail"]
    p = run(*sysroot.args("update"), env=env, check=0)
    assert "not touched (loader: systemd-boot)" in p.stdout and "bootctl set-default" in p.stderr
    out = json.loads(run(*sysroot.args("-j", "pin", APF2), env=env, check=0).stdout)
    assert out["loader"] == "systemd-boot" and out["pin_changed"] and not out["default_changed"]
    assert not log.exists()
    # Without bootctl the entries are reported as such.
    st = status(sysroot)[1]
    assert st["loader"] == "none" and "neither grubby nor bootctl" in st["loader_detail"]


def test_proxmox_boot_tool(sysroot):
    """Proxmox with proxmox-boot-tool: the ESPs are not mounted; the
    message names the tool that pins there."""
    sysroot.kernel(APF2)
    (sysroot.path / "etc/kernel").mkdir(parents=True)
    (sysroot.path / "etc/kernel/proxmox-boot-uuids").write_text("1234-ABCD\n")
    p = run(*sysroot.args("pin", APF2), check=0)
    assert "proxmox-boot-tool kernel pin VERSION" in p.stderr
    assert status(sysroot)[1]["loader"] == "none"


def test_bad_sysroot(tmp_path):
    p = run("--sysroot", str(tmp_path / "nonexistent"), "status", check=2)
    assert "not a directory" in p.stderr
    p = run("--sysroot", str(tmp_path / "nonexistent"), "-j", "target", check=2)
    assert json.loads(p.stdout)["exit"] == 2


def test_grub_default_survives_a_debian_kernel(grub_root):
    root, env = grub_root
    for v in (DEB_OLD, APF1, APF2):
        root.kernel(v)
    subprocess.run([root.update_grub], check=True, capture_output=True)
    assert 'set default="0"' in (root.path / "boot/grub/grub.cfg").read_text()
    # Entry 0 boots the newest kernel, ours for now; nothing holds it there.
    rc, st = status(root, env)
    assert rc == 0 and st["ok"] and not st["grub_default_saved"] and st["grub_default"] == "0"
    # First update: GRUB_DEFAULT=saved through the drop-in, grub.cfg
    # regenerated, saved_entry set with grub-editenv.
    p = run(*root.args("update"), env=env, check=0)
    assert f"boot default: {APF2} (newest APF kernel)" in p.stdout
    assert "GRUB_DEFAULT=saved" in (root.path / "etc/default/grub.d/apf-suite.cfg").read_text()
    assert grub_boots(root) == APF2
    rc, st = status(root, env)
    assert rc == 0 and st["ok"] and st["default_kernel"] == f"vmlinuz-{APF2}"
    assert re.fullmatch(rf"gnulinux-advanced-\S+>gnulinux-{APF2}-advanced-\S+", st["grub_default"])
    assert "unchanged" in run(*root.args("update"), env=env, check=0).stdout
    # A Debian kernel newer than ours arrives: its package runs update-grub
    # (zz-update-grub), then our hook runs apf-boot update.  The top entry
    # now boots Debian's kernel; the default stays on ours.
    root.kernel(DEB_NEW)
    subprocess.run([root.update_grub], check=True, capture_output=True)
    cfg = (root.path / "boot/grub/grub.cfg").read_text()
    top = re.search(r"^menuentry .*?\n\s*linux\s+\S*/vmlinuz-(\S+)", cfg, re.M | re.S).group(1)
    assert top == DEB_NEW
    assert grub_boots(root) == APF2, "update-grub alone keeps the saved entry"
    assert "unchanged" in run(*root.args("update"), env=env, check=0).stdout
    assert status(root, env)[0] == 0
    # Roll back to the older build: pin it.
    p = run(*root.args("pin", APF1), env=env, check=0)
    assert f"boot default: {APF1} (pinned)" in p.stdout
    assert (root.path / "etc/apf/boot-pin").read_text() == APF1 + "\n"
    assert grub_boots(root) == APF1
    # The pinned kernel is removed: the newest APF kernel takes over.
    root.remove_kernel(APF1)
    subprocess.run([root.update_grub], check=True, capture_output=True)
    p = run(*root.args("update"), env=env, check=0)
    assert "pinned kernel 6.12.118-apf-host is not installed" in p.stderr
    assert grub_boots(root) == APF2
    run(*root.args("unpin"), env=env, check=0)
    assert not (root.path / "etc/apf/boot-pin").exists()
    assert grub_boots(root) == APF2


def test_grub_without_update_grub(grub_root):
    """Under --sysroot nothing runs update-grub unless told: the drop-in is
    written and the error says what to run."""
    root, _ = grub_root
    root.kernel(APF2)
    subprocess.run([root.update_grub], check=True, capture_output=True)
    p = run(*root.args("update"), env={"APF_UPDATE_GRUB": ""}, check=1)
    assert "run update-grub" in p.stderr
    assert (root.path / "etc/default/grub.d/apf-suite.cfg").exists()
    # An update-grub that fails is reported with its own message.
    p = run(*root.args("update"), env={"APF_UPDATE_GRUB": "false"}, check=1)
    assert "false exited with 1" in p.stderr


def test_grub_no_entry_for_target(grub_root):
    root, env = grub_root
    root.kernel(APF1)
    subprocess.run([root.update_grub], check=True, capture_output=True)
    # A kernel installed after grub.cfg was written: apf-boot regenerates.
    root.kernel(APF2)
    run(*root.args("update"), env=env, check=0)
    assert grub_boots(root) == APF2
    # grub.cfg broken by hand: an error naming the file and the line.
    (root.path / "boot/grub/grub.cfg").write_text("menuentry 'x' {\n")
    p = run(*root.args("update"), env={"APF_UPDATE_GRUB": ""}, check=1)
    assert "grub.cfg" in p.stderr and "unterminated" in p.stderr


def test_grubby(sysroot, tmp_path):
    """grubby (Fedora/RHEL) is not packaged for Debian: a stand-in that
    keeps the default in a file checks the calls apf-boot makes."""
    sysroot.kernel(APF1)
    sysroot.kernel(APF2)
    state = tmp_path / "grubby-default"
    state.write_text("/boot/vmlinuz-5.14.0-1.el9.x86_64\n")
    fake = tmp_path / "grubby"
    fake.write_text(f"""#!/bin/sh
case "$1" in
--default-kernel) cat {state} ;;
--set-default=*) echo "${{1#--set-default=}}" > {state}; echo "$1" >> {state}.log ;;
*) echo "grubby stand-in: unexpected $*" >&2; exit 64 ;;
esac
""")
    fake.chmod(0o755)
    env = {"APF_GRUBBY": str(fake)}
    # grubby edits BLS entries: none, no grubby.
    rc, st = status(sysroot, env)
    assert rc == 3 and st["loader"] == "none"
    (sysroot.path / "boot/loader/entries").mkdir(parents=True)
    (sysroot.path / f"boot/loader/entries/abc-{APF2}.conf").write_text(f"linux /vmlinuz-{APF2}\n")
    rc, st = status(sysroot, env)
    assert rc == 1 and st["loader"] == "grubby" and st["boot_loader"] == "grubby"
    run(*sysroot.args("update"), env=env, check=0)
    assert state.read_text() == f"/boot/vmlinuz-{APF2}\n"
    assert status(sysroot, env)[0] == 0
    assert "unchanged" in run(*sysroot.args("update"), env=env, check=0).stdout
    assert (tmp_path / "grubby-default.log").read_text().count("--set-default") == 1


# --- modprobe-conf ---------------------------------------------------------

def modconf(root):
    return root.path / "etc/modprobe.d/apf-suite.conf"


def write_conf(root, text):
    (root.path / "etc/apf").mkdir(parents=True, exist_ok=True)
    (root.path / "etc/apf/apf.conf").write_text(text)


def test_modprobe_conf(sysroot):
    write_conf(sysroot, "host_async_pf=off\nguest_async_pf=keep\non_unsupported=warn\n")
    p = run(*sysroot.args("modprobe-conf", "--check"), check=0)
    assert "would be written" in p.stdout and not modconf(sysroot).exists()
    assert "written" in run(*sysroot.args("modprobe-conf"), check=0).stdout
    assert "\noptions kvm async_pf=N\n" in modconf(sysroot).read_text()
    assert oct(modconf(sysroot).stat().st_mode & 0o777) == "0o644"
    # What the real modprobe makes of the directory.
    if shutil.which("modprobe"):
        cfg = subprocess.run(["modprobe", "-C", str(sysroot.path / "etc/modprobe.d"), "-c"],
                             capture_output=True, text=True, check=True).stdout
        assert "options kvm async_pf=N" in cfg.splitlines()
    assert "unchanged" in run(*sysroot.args("modprobe-conf"), check=0).stdout
    write_conf(sysroot, "host_async_pf=on\n")
    out = json.loads(run(*sysroot.args("-j", "modprobe-conf"), check=0).stdout)
    assert out["action"] == "rewritten" and out["options"] == "kvm async_pf=Y"
    assert "\noptions kvm async_pf=Y\n" in modconf(sysroot).read_text()
    write_conf(sysroot, "host_async_pf=keep\n")
    assert "removed" in run(*sysroot.args("modprobe-conf"), check=0).stdout
    assert not modconf(sysroot).exists()
    assert "unchanged" in run(*sysroot.args("modprobe-conf"), check=0).stdout


def test_modprobe_conf_errors(sysroot, tmp_path):
    p = run(*sysroot.args("modprobe-conf"), check=1)
    assert "apf.conf" in p.stderr and "No such file" in p.stderr
    write_conf(sysroot, "host_async_pf=of\n")
    p = run(*sysroot.args("modprobe-conf"), check=1)
    assert "line 1" in p.stderr and not modconf(sysroot).exists()
    write_conf(sysroot, "host_async_pf=off\n")
    # The administrator's own file of that name is left alone.
    modconf(sysroot).parent.mkdir(parents=True)
    modconf(sysroot).write_text("options kvm async_pf=Y\n")
    p = run(*sysroot.args("modprobe-conf"), check=1)
    assert "not written by apf-boot" in p.stderr
    assert modconf(sysroot).read_text() == "options kvm async_pf=Y\n"
    # FILE given: taken as is, not under --sysroot.
    other = tmp_path / "other.conf"
    other.write_text("host_async_pf=off\n")
    modconf(sysroot).unlink()
    run(*sysroot.args("modprobe-conf", str(other)), check=0)
    assert f"from {other}" in modconf(sysroot).read_text()
    assert "newline" in run(*sysroot.args("modprobe-conf", "a\nb"), check=2).stderr
