# SPDX-License-Identifier: GPL-2.0-only
"""apfctl enable/disable on fixture trees (writes go to copies)."""
import json

from conftest import fixture, run

HOST_SWITCH = "sys/module/kvm/parameters/async_pf"
GUEST_SWITCH = "sys/kernel/kvm_async_pf/enabled"


def test_enable_host_on_stock_kernel_is_unsupported():
    r = run("enable", "--host", sysroot=fixture("stock-host"))
    assert r.rc == 3
    assert "no kvm.async_pf switch" in r.err
    assert "no-kvmapf" in r.err and "kvm-asyncpf-int=off" in r.err


def test_disable_host_on_patched_kernel(tree_copy):
    tree = tree_copy("patched-host")
    r = run("disable", "--host", "-j", sysroot=tree)
    assert r.rc == 0, r.err
    assert json.loads(r.out) == {"target": "host", "switch": "/" + HOST_SWITCH,
                                 "before": True, "after": False, "changed": True}
    assert (tree / HOST_SWITCH).read_text() == "N"
    again = run("disable", "--host", sysroot=tree)
    assert again.rc == 0 and "already disabled" in again.out
    assert run("enable", "--host", sysroot=tree).rc == 0
    assert (tree / HOST_SWITCH).read_text() == "Y"


def test_disable_guest_on_patched_guest(tree_copy):
    tree = tree_copy("patched-guest")
    r = run("disable", "--guest", sysroot=tree)
    assert r.rc == 0, r.err
    assert "enabled -> disabled" in r.out
    assert (tree / GUEST_SWITCH).read_text() == "0"
    st = run("status", "-j", sysroot=tree).json()["guest"]
    assert st["enabled"] is False and st["async_pf"] is False


def test_guest_switch_on_stock_guest_is_unsupported():
    r = run("disable", "--guest", sysroot=fixture("stock-guest"))
    assert r.rc == 3
    assert "no-kvmapf" in r.err


def test_non_root_gets_permission_error(tree_copy):
    tree = tree_copy("patched-host")
    (tree / HOST_SWITCH).chmod(0o644)
    r = run("disable", "--host", sysroot=tree, user=65534)
    assert r.rc == 4
    assert "needs root" in r.err
    assert (tree / HOST_SWITCH).read_text().strip() == "Y"   # unchanged


def test_default_target_follows_role(tree_copy):
    tree = tree_copy("patched-guest")
    assert run("disable", sysroot=tree).rc == 0
    assert (tree / GUEST_SWITCH).read_text() == "0"


def test_both_roles_need_explicit_target():
    r = run("enable", sysroot=fixture("both"))
    assert r.rc == 2
    assert "--host or --guest" in r.err


def test_two_targets_is_usage_error():
    assert run("enable", "--host", "--guest", sysroot=fixture("both")).rc == 2


def test_unknown_vm_is_runtime_error():
    r = run("disable", "--vm", "nope", sysroot=fixture("patched-host"))
    assert r.rc == 1
    assert "no running VM 'nope'" in r.err


def test_libvirt_vm_is_left_to_the_hook():
    tree = fixture("patched-host")
    vms = run("status", "-j", sysroot=tree).json()["host"]["vms"]
    libvirt = [vm for vm in vms if vm["libvirt"]]
    assert libvirt, "fixture has a libvirt domain"
    r = run("disable", "--vm", libvirt[0]["name"], sysroot=tree)
    assert r.rc == 3
    assert "apf:policy" in r.err and "--qmp" in r.err
