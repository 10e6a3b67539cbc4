# SPDX-License-Identifier: GPL-2.0-only
"""enable.yml, disable.yml and apf_config's apply tasks for real, on
localhost, with the real apfctl pointed at a copy of one of its fixture
sysroots (tools/apfctl/tests/fixtures, `apfctl --sysroot`): the switch
files apfctl writes are the copy's, and apf.conf is a file in the test's
directory.  changed comes from apfctl's answers; a second run changes
nothing; a kernel without the switch is reported, and fatal only with
apf_config_on_unsupported=fail."""

import shutil

import pytest

from conftest import ANS, APF_BOOT, APFCTL, TOP

FIX = TOP / "tools/apfctl/tests/fixtures"
GUEST_SW = "sys/kernel/kvm_async_pf/enabled"
HOST_SW = "sys/module/kvm/parameters/async_pf"


@pytest.fixture
def machine(tmp_path):
    """machine(fixture) -> (extra vars, sysroot): apfctl --sysroot COPY."""
    if not APFCTL.exists() or not APF_BOOT.exists():
        pytest.skip("apfctl or apf-boot is not built (make all)")

    def make(name):
        root = tmp_path / name
        shutil.copytree(FIX / name, root, symlinks=True)
        wrapper = tmp_path / "apfctl"
        wrapper.write_text('#!/bin/sh\nexec %s --sysroot %s "$@"\n' % (APFCTL, root))
        wrapper.chmod(0o755)
        boot = tmp_path / "apf-boot"
        boot.write_text('#!/bin/sh\nexec %s --sysroot %s "$@"\n' % (APF_BOOT, root))
        boot.chmod(0o755)
        conf = tmp_path / "apf.conf"
        shutil.copy(TOP / "systemd/apf.conf", conf)
        return {"apf_config_apfctl": str(wrapper), "apf_config_apf_boot": str(boot),
                "apf_config_conf_file": str(conf),
                "apf_switch_hosts": "localhost"}, root
    return make


def switch(ansible, verb, extra):
    return ansible(ANS / "playbooks" / ("%s.yml" % verb), extra)


def conf_lines(extra):
    with open(extra["apf_config_conf_file"]) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def test_guest_disable_enable(ansible, machine):
    extra, root = machine("patched-guest")
    assert (root / GUEST_SW).read_text().strip() == "1"
    r = switch(ansible, "disable", extra)
    assert r.rc == 0 and r.changed("localhost") == 2, r      # the switch + apf.conf
    assert (root / GUEST_SW).read_text().strip() == "0"
    assert "guest_async_pf=off" in conf_lines(extra)
    r = switch(ansible, "disable", extra)
    assert r.rc == 0 and r.changed("localhost") == 0, r
    r = switch(ansible, "enable", extra)
    assert r.rc == 0 and r.changed("localhost") == 2, r
    assert (root / GUEST_SW).read_text().strip() == "1"
    assert conf_lines(extra) == ["host_async_pf=keep", "guest_async_pf=on", "on_unsupported=warn"]


def test_host_switch_without_persist(ansible, machine):
    extra, root = machine("patched-host")
    r = switch(ansible, "disable", dict(extra, apf_config_switch_persist=False))
    assert r.rc == 0 and r.changed("localhost") == 1, r
    assert (root / HOST_SW).read_text().strip() == "N"
    assert "host_async_pf=keep" in conf_lines(extra)


def test_stock_kernel_reported_or_fatal(ansible, machine):
    extra, root = machine("stock-guest")
    r = switch(ansible, "enable", extra)
    assert r.rc == 0 and r.changed("localhost") == 0, r
    assert "guest: apfctl: guest: this kernel has no /sys/kernel/kvm_async_pf/enabled" in r.out, r
    assert "guest_async_pf=keep" in conf_lines(extra)          # nothing persisted
    r = switch(ansible, "enable", dict(extra, apf_config_on_unsupported="fail"))
    assert r.rc != 0 and r.recap["localhost"]["failed"] == 1, r


def test_neither_has_nothing_to_switch(ansible, machine):
    extra, _ = machine("neither")
    r = switch(ansible, "enable", extra)
    assert r.rc == 0 and "neither a KVM host nor a KVM guest" in r.out, r


def test_apply_config(ansible, machine):
    extra, root = machine("patched-host")
    with open(extra["apf_config_conf_file"], "w") as f:
        f.write("host_async_pf=off\nguest_async_pf=keep\non_unsupported=fail\n")
    pb = ANS / "tests/playbooks/apply.yml"
    r = ansible(pb, dict(extra, apf_config_on_unsupported="fail"))
    assert r.rc == 0 and r.changed("localhost") == 1, r
    assert (root / HOST_SW).read_text().strip() == "N"
    r = ansible(pb, dict(extra, apf_config_on_unsupported="fail"))
    assert r.rc == 0 and r.changed("localhost") == 0, r


def test_apply_config_unsupported(ansible, machine):
    extra, _ = machine("stock-guest")
    with open(extra["apf_config_conf_file"], "w") as f:
        f.write("host_async_pf=keep\nguest_async_pf=on\non_unsupported=warn\n")
    pb = ANS / "tests/playbooks/apply.yml"
    r = ansible(pb, dict(extra, apf_config_on_unsupported="warn"))
    assert r.rc == 0 and r.changed("localhost") == 0, r
    assert "guest_async_pf=on: not supported by the running kernel" in r.out, r
    with open(extra["apf_config_conf_file"], "w") as f:
        f.write("host_async_pf=keep\nguest_async_pf=on\non_unsupported=fail\n")
    r = ansible(pb, dict(extra, apf_config_on_unsupported="fail"))
    assert r.rc != 0, r
