# SPDX-License-Identifier: GPL-2.0-only
"""The filters the roles decide with, fed by the real apfctl on its fixture
sysroots (tools/apfctl/tests/fixtures: a patched host, a patched guest,
stock kernels), switched with apfctl itself."""

import json
import os
import shutil
import subprocess

import pytest

import apf
from conftest import APFCTL, TOP

FIX = TOP / "tools/apfctl/tests/fixtures"


@pytest.fixture(scope="module", autouse=True)
def built():
    if not APFCTL.exists():
        pytest.skip("apfctl is not built (make all)")


def apfctl(root, *args, rc=0):
    p = subprocess.run([str(APFCTL), "--sysroot", str(root), *args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, check=False)
    assert p.returncode == rc, (args, p.returncode, p.stdout, p.stderr)
    return p


@pytest.fixture
def sysroot(tmp_path):
    def copy(name):
        d = tmp_path / name
        shutil.copytree(FIX / name, d, symlinks=True)
        return d
    return copy


def status(root):
    return apfctl(root, "status", "-j").stdout


def test_onoff_from_yaml():
    assert [apf.apf_onoff(v) for v in (True, False, "on", "OFF", "keep")] == \
        ["on", "off", "on", "off", "keep"]


def test_patched_host_switch(sysroot):
    root = sysroot("patched-host")
    st = status(root)
    assert apf.apf_roles(st) == ["host"]
    assert apf.apf_state_problems(st, "host-on") == []
    assert apf.apf_state_problems(st, "host-off") == ["host-off: kvm.async_pf is on"]
    assert "no KVM guest role" in apf.apf_state_problems(st, "guest-on")[0]
    # apfctl disable --host -j: changed, then the state follows.
    out = json.loads(apfctl(root, "disable", "--host", "-j").stdout)
    assert out["changed"] is True
    st = status(root)
    assert apf.apf_state_problems(st, ["host-off"]) == []
    assert json.loads(apfctl(root, "disable", "--host", "-j").stdout)["changed"] is False


def test_patched_guest_apply_config(sysroot, tmp_path):
    root = sysroot("patched-guest")
    conf = tmp_path / "apf.conf"
    conf.write_text("host_async_pf=keep\nguest_async_pf=off\non_unsupported=warn\n")
    out = apfctl(root, "apply-config", "-j", str(conf)).stdout
    assert apf.apf_apply_changed(out) and apf.apf_apply_unsupported(out) == []
    out = apfctl(root, "apply-config", "-j", str(conf)).stdout
    assert not apf.apf_apply_changed(out)          # "already": a rerun changes nothing
    st = status(root)
    assert apf.apf_state_problems(st, "auto", "keep", "off") == []
    assert apf.apf_state_problems(st, "auto", "keep", True) == \
        ["guest-on: /sys/kernel/kvm_async_pf/enabled is off"]
    assert apf.apf_state_problems(st, "guest-off") == []


def test_stock_kernel_unsupported(sysroot, tmp_path):
    root = sysroot("stock-guest")
    conf = tmp_path / "apf.conf"
    conf.write_text("guest_async_pf=on\non_unsupported=warn\n")
    out = apfctl(root, "apply-config", "-j", str(conf)).stdout
    (msg,) = apf.apf_apply_unsupported(out)
    assert msg.startswith("guest_async_pf=on: not supported by the running kernel")
    conf.write_text("guest_async_pf=on\non_unsupported=fail\n")
    apfctl(root, "apply-config", "-j", str(conf), rc=3)
    apfctl(root, "enable", "--guest", "-j", rc=3)
    st = status(root)
    # auto: a switch the kernel lacks passes with warn, fails with fail.
    assert apf.apf_state_problems(st, "auto", "keep", "on", "warn") == []
    (p,) = apf.apf_state_problems(st, "auto", "keep", "on", "fail")
    assert "has no /sys/kernel/kvm_async_pf/enabled switch" in p
    assert apf.apf_state_problems(st, "any") == []
    assert apf.apf_state_problems(st, False) == []


def test_roles_and_errors(sysroot):
    assert apf.apf_roles(status(sysroot("both"))) == ["host", "guest"]
    assert apf.apf_roles(status(sysroot("neither"))) == []
    assert apf.apf_state_problems("", "any")[0].startswith("apfctl status -j: not JSON")
    assert apf.apf_state_problems("[]", "any") == ["apfctl status -j: not a JSON object"]
    assert "unknown 'host-maybe'" in apf.apf_state_problems("{}", "host-maybe")[0]
    assert not apf.apf_apply_changed("garbage") and apf.apf_apply_unsupported(None) == []


def test_evacuation_record_keeps_guests_not_brought_back():
    first = apf.apf_evacuation_record({}, "h1", "shutdown", ["a", "b"], "",
                                      [{"name": "a", "persistent": True, "destroyed": False},
                                       {"name": "b", "persistent": False, "destroyed": True}],
                                      "ok", "T1")
    assert first["returned"] is False
    assert first["domains"] == [
        {"name": "a", "action": "shutdown", "persistent": True},
        {"name": "b", "action": "destroyed", "persistent": False}]
    # A failed run left them away; the next run evacuates nothing new but
    # must still bring a and b back.
    again = apf.apf_evacuation_record(first, "h1", "shutdown", [], "", [], "ok", "T2")
    assert again["domains"] == first["domains"] and again["returned"] is False
    done = dict(again, returned=True)
    assert apf.apf_evacuation_record(done, "h1", "migrate", ["c"], "peer", [], "ok", "T3")[
        "domains"] == [{"name": "c", "action": "migrated", "to": "peer"}]
    assert apf.apf_evacuation_record({}, "h1", "none", ["x"], "", [], "absent", "T")[
        "returned"] is True


def test_shutdown_info_from_virsh_dominfo():
    dominfo = ("Id:             3\nName:           web1\nUUID:           0f0e\n"
               "OS Type:        hvm\nState:          running\nPersistent:     no\n"
               "Autostart:      disable\n")
    info = apf.apf_shutdown_info([{"item": "web1", "stdout": dominfo},
                                  {"item": "db1", "stdout": dominfo.replace("no\n", "yes\n", 1)}],
                                 ["db1"])
    assert info == [{"name": "web1", "persistent": False, "destroyed": False},
                    {"name": "db1", "persistent": True, "destroyed": True}]


def test_unit_and_health_problems():
    units = [
        {"item": "apf-setup.service", "status": {"ActiveState": "active", "LoadState": "loaded"}},
        {"item": "apf-kexec-load.service",
         "status": {"ActiveState": "inactive", "ConditionResult": "no", "LoadState": "loaded"}},
        {"item": "apf-stat.service", "status": {"ActiveState": "failed", "LoadState": "loaded",
                                                "ConditionResult": "yes"}},
        {"item": "apf-nope.service", "status": {"ActiveState": "inactive",
                                                "LoadState": "not-found"}},
        {"item": "apf-x.timer", "failed": True, "msg": "Could not find the requested service"},
    ]
    assert apf.apf_unit_problems(units) == [
        "unit apf-stat.service is failed", "unit apf-nope.service is not-found",
        "unit apf-x.timer: cannot read it: Could not find the requested service"]
    health = [{"item": "/h/10-ok", "rc": 0},
              {"item": "/h/20-disk", "rc": 1, "stderr": "", "stdout": "a\n/var 99% full"},
              {"item": "/h/30-slow", "rc": 124, "stderr": "", "stdout": ""}]
    assert apf.apf_health_problems(health) == [
        "health check /h/20-disk failed (exit 1): /var 99% full",
        "health check /h/30-slow failed (timed out)"]


APF_BOOT = TOP / "tools/apf-boot/build/apf-boot"
GRUB_FIX = TOP / "tools/apf-boot/tests/fixtures/grub-saved.cfg"


@pytest.fixture
def boot_root(tmp_path):
    """A sysroot for the real apf-boot: the kernels of its grub.cfg
    fixture (two APF builds, two Debian kernels, the newest a Debian one),
    running 6.12.118-apf2-host, GRUB_DEFAULT=saved; grub-editenv writes
    the real grubenv; update-grub is not run."""
    if not APF_BOOT.exists():
        pytest.skip("apf-boot is not built (make all)")
    # apf-boot pin writes GRUB's saved entry with the real grub-editenv.
    if not shutil.which("grub-editenv"):
        pytest.skip("needs grub-editenv (grub2-common): apf-boot pin writes grubenv with it")
    r = tmp_path / "root"
    for d in ("boot/grub", "proc/sys/kernel", "etc/default"):
        (r / d).mkdir(parents=True)
    for k in ("6.1.0-28-amd64", "6.12.118-apf-host", "6.12.118-apf2-host", "6.12.120-1-amd64"):
        (r / ("boot/vmlinuz-" + k)).write_text(k)
        (r / ("boot/initrd.img-" + k)).write_text(k)
    (r / "proc/sys/kernel/osrelease").write_text("6.12.118-apf2-host\n")
    shutil.copy(GRUB_FIX, r / "boot/grub/grub.cfg")
    return r


def apf_boot(root, *args):
    env = dict(os.environ, APF_UPDATE_GRUB="")
    return subprocess.run([str(APF_BOOT), "--sysroot", str(root), "-j", *args], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)


def test_boot_problems_by_exact_build(boot_root):
    """The rollout's pin and verification (apf_rollout: apf-boot pin, then
    apf_boot_problems on apf-boot status -j), against the real apf-boot:
    nothing pinned, the newest Debian kernel is GRUB's default; after the
    pin of one build, exactly that build passes and the other build of
    the same kernel version does not."""
    new, old = "6.12.118-apf2-host", "6.12.118-apf-host"
    st = apf_boot(boot_root, "status")
    assert st.returncode == 1, st
    probs = apf.apf_boot_problems(st.stdout, new)
    assert probs == ["boot pin is unset, expected %s" % new,
                     "the grub default boots vmlinuz-6.12.120-1-amd64, not %s" % new], probs
    # Roll out N+1: pin it.
    assert apf_boot(boot_root, "pin", new).returncode == 0
    st = apf_boot(boot_root, "status")
    assert st.returncode == 0, st
    assert apf.apf_boot_problems(st.stdout, new) == []
    assert apf.apf_boot_problems(st.stdout, old) == [
        "boot pin is %s, expected %s" % (new, old),
        "boot target is %s, expected %s" % (new, old),
        "the grub default boots vmlinuz-%s, not %s" % (new, old)]
    # Roll back to N, still running N+1 until the kexec.
    assert apf_boot(boot_root, "pin", old).returncode == 0
    st = apf_boot(boot_root, "status")
    assert apf.apf_boot_problems(st.stdout, old) == []
    assert json.loads(st.stdout)["running"] == new
    # Without a boot loader apf-boot supports (a VM booted with -kernel):
    # the pin and target still count; the loader only when required.
    shutil.rmtree(boot_root / "boot/grub")
    st = apf_boot(boot_root, "status")
    assert st.returncode == 3, st
    assert apf.apf_boot_problems(st.stdout, old) == []
    assert apf.apf_boot_problems(st.stdout, old, True) == [
        "no supported boot loader: a cold boot would not run %s" % old]
    assert apf.apf_boot_problems(st.stdout, new) == [
        "boot pin is %s, expected %s" % (old, new), "boot target is %s, expected %s" % (old, new)]


def test_boot_problems_errors(boot_root):
    # A pin of a kernel that is not installed fails in apf-boot itself.
    p = apf_boot(boot_root, "pin", "6.12.118-apf9-host")
    assert p.returncode == 1 and "no kernel 6.12.118-apf9-host installed" in p.stdout + p.stderr
    # Errors (JSON even then) and non-JSON output are problems, not passes.
    for k in boot_root.glob("boot/vmlinuz-*"):
        k.unlink()
    st = apf_boot(boot_root, "status")
    assert st.returncode == 3, st
    probs = apf.apf_boot_problems(st.stdout, "6.12.118-apf-host")
    assert probs and all("6.12.118-apf-host" in p or "apf-boot" in p for p in probs), probs
    assert apf.apf_boot_problems("", "x") == ["apf-boot status -j gave no JSON: ''"]
    assert apf.apf_boot_problems('{"error": "needs root", "exit": 4}', "x") == ["apf-boot: needs root"]
