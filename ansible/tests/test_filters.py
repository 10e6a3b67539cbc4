# SPDX-License-Identifier: GPL-2.0-only
"""The filters the roles decide with, fed by the real apfctl on its fixture
sysroots (tools/apfctl/tests/fixtures: a patched host, a patched guest,
stock kernels), switched with apfctl itself."""

import json
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
