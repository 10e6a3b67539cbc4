# SPDX-License-Identifier: GPL-2.0-only
"""apfctl enable/disable on fixture trees (writes go to copies)."""
import json
import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import fixture, run
from fake_qmp import FakeQmp, vm_tree

HOST_SWITCH = "sys/module/kvm/parameters/async_pf"
GUEST_SWITCH = "sys/kernel/kvm_async_pf/enabled"


def test_enable_host_on_stock_kernel_is_unsupported():
    r = run("enable", "--host", sysroot=fixture("stock-host"))
    assert r.rc == 3
    assert "no kvm.async_pf switch" in r.err
    assert "no-kvmapf" in r.err and "kvm-asyncpf=off" in r.err


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


# ---------------------------------------------------------------- --vm over QMP

@pytest.fixture
def qmp_vm():
    """A sysroot with one QEMU, "vm1" (pid 1000), whose command line names
    a QMP socket (a short absolute path, for sun_path) that a FakeQmp of
    the given mode answers.  Returns (tree, start(mode))."""
    base = Path(tempfile.mkdtemp(prefix="apfq-"))
    sock = base / "q.qmp"
    tree = vm_tree(base / "t", {1000: ("vm1", str(sock))})
    fakes = []

    def start(mode):
        q = FakeQmp(sock, mode=mode)
        fakes.append(q)
        return q

    yield tree, start
    for q in fakes:
        q.close()
    shutil.rmtree(base, ignore_errors=True)


def vm_status(tree):
    r = run("status", "-j", sysroot=tree)
    assert r.rc == 0, r.err
    return {v["name"]: v for v in r.json()["host"]["vms"]}["vm1"]


def test_vm_switch_uses_set_async_pf(qmp_vm):
    """Our QEMU from apf4 on: query-async-pf, then set-async-pf; never a
    qom command; the result names the interface."""
    tree, start = qmp_vm
    q = start("apf4")
    r = run("disable", "--vm", "vm1", "-j", sysroot=tree)
    assert r.rc == 0, r.err
    assert r.json() == {"target": "vm vm1 (pid 1000)", "switch": "QMP set-async-pf",
                        "before": True, "after": False, "changed": True}
    assert q.async_pf is False
    assert q.commands == ["qmp_capabilities", "query-async-pf", "set-async-pf"]
    st = vm_status(tree)
    assert (st["async_pf"], st["async_pf_source"]) == (False, "qmp")
    assert st["async_pf_qmp"] == "QMP query-async-pf"
    assert st["async_pf_switchable"] is True
    r = run("enable", "--vm", "1000", sysroot=tree)
    assert r.rc == 0, r.err
    assert r.out == "vm vm1 (pid 1000): async PF disabled -> enabled (QMP set-async-pf)\n"
    assert q.async_pf is True
    assert not any(c.startswith("qom-") for c in q.commands)


def test_vm_switch_falls_back_to_qom_set(qmp_vm):
    """apf1 to apf3 answer CommandNotFound: qom-get and qom-set of
    /machine/accel async-pf, and the output says so."""
    tree, start = qmp_vm
    q = start("apf3")
    r = run("disable", "--vm", "vm1", "-j", sysroot=tree)
    assert r.rc == 0, r.err
    assert r.json()["switch"] == "QMP qom-set /machine/accel async-pf"
    assert r.json()["changed"] is True
    assert q.async_pf is False
    assert q.commands == ["qmp_capabilities", "query-async-pf", "qom-get", "qom-set"]
    st = vm_status(tree)
    assert (st["async_pf"], st["async_pf_source"]) == (False, "qmp")
    assert st["async_pf_qmp"] == "QMP qom-get /machine/accel async-pf"
    assert st["async_pf_switchable"] is None     # qom-get does not say
    again = run("disable", "--vm", "vm1", sysroot=tree)
    assert again.rc == 0, again.err
    assert again.out == ("vm vm1 (pid 1000): async PF already disabled "
                         "(QMP qom-set /machine/accel async-pf)\n")


@pytest.mark.parametrize("mode,cls,via", [
    ("nocap4", "KVMMissingCap", "QMP set-async-pf"),
    ("nocap3", "GenericError", "QMP qom-set /machine/accel async-pf")])
def test_vm_switch_without_the_kernel_capability_exits_3(qmp_vm, mode, cls, via):
    """KVMMissingCap from set-async-pf, and apf1 to apf3's GenericError
    naming the capability (exit 1 before): unsupported, exit 3, naming
    KVM_CAP_DISABLE_ASYNC_PF; the switch stays on, and on is still fine."""
    tree, start = qmp_vm
    q = start(mode)
    r = run("disable", "--vm", "vm1", sysroot=tree)
    assert r.rc == 3, r.err
    assert "the host kernel lacks KVM_CAP_DISABLE_ASYNC_PF" in r.err
    assert f"({via}: {FakeQmp.NOCAP})" in r.err
    # What works without the capability; not -accel kvm,async-pf=off,
    # which needs it too.
    assert "no-kvmapf" in r.err and "kvm-asyncpf=off" in r.err
    assert "async-pf=off'" not in r.err
    assert r.out == ""
    j = run("disable", "--vm", "vm1", "-j", sysroot=tree)
    assert j.rc == 3
    assert "KVM_CAP_DISABLE_ASYNC_PF" in j.json()["error"]
    assert q.async_pf is True
    st = vm_status(tree)
    assert st["async_pf"] is True
    assert st["async_pf_switchable"] is (False if mode == "nocap4" else None)
    r = run("enable", "--vm", "vm1", "-j", sysroot=tree)
    assert r.rc == 0, r.err
    assert r.json()["changed"] is False and r.json()["switch"] == via


@pytest.mark.parametrize("mode,said", [
    ("stock", "Device '/machine/accel' not found"),
    ("tcg", "this VM uses the tcg accelerator")])
def test_vm_without_a_switch_exits_3(qmp_vm, mode, said):
    """Stock QEMU (CommandNotFound, then DeviceNotFound) and our QEMU under
    TCG have no switch: exit 3, QEMU's words kept; status: unknown."""
    tree, start = qmp_vm
    q = start(mode)
    r = run("disable", "--vm", "vm1", sysroot=tree)
    assert r.rc == 3, r.err
    assert "this QEMU has no async-pf switch for this VM" in r.err
    assert said in r.err
    assert q.async_pf is True
    st = vm_status(tree)
    assert st["async_pf"] is None and st["async_pf_source"] is None
    assert st["async_pf_qmp"] is None and st["async_pf_switchable"] is None
