# SPDX-License-Identifier: GPL-2.0-only
"""apfctl status against fixture hosts and guests."""
from pathlib import Path

import pytest

from conftest import fixture, run, read_u64

HOST_COUNTERS = ["async_pf_queued", "async_pf_not_present", "async_pf_halted",
                 "async_pf_ready", "async_pf_completed", "async_pf_cancelled",
                 "async_pf_sync"]


def debugfs_vms(tree):
    kvm = Path(tree) / "sys/kernel/debug/kvm"
    return sorted(int(d.name.split("-")[0]) for d in kvm.iterdir()
                  if d.is_dir() and d.name.split("-")[0].isdigit())


def test_stock_host_json():
    tree = fixture("stock-host")
    st = run("status", "-j", sysroot=tree).json()
    assert st["role"] == "host"
    assert st["guest"] is None
    host = st["host"]
    assert host["counters"] == "absent"
    assert host["counters_note"] == "absent (stock kernel)"
    assert host["switch"] == {"present": False, "enabled": None}
    assert host["async_pf"] is True
    assert "kvm_async_pf_not_present" in host["tracepoints"]
    assert "kvm_exit" not in host["tracepoints"]
    assert sorted(vm["pid"] for vm in host["vms"]) == debugfs_vms(tree)


def test_stock_host_text_says_stock_kernel():
    r = run("status", sysroot=fixture("stock-host"))
    assert r.rc == 0
    assert "counters:        absent (stock kernel)" in r.out
    assert "Role:    host" in r.out


def test_stock_host_vm_names_from_qemu_cmdline():
    tree = fixture("stock-host")
    vms = run("status", "-j", sysroot=tree).json()["host"]["vms"]
    for vm in vms:
        argv = (tree / f"proc/{vm['pid']}/cmdline").read_bytes().split(b"\0")
        name_arg = argv[argv.index(b"-name") + 1].decode()
        expect = name_arg.split(",")[0].removeprefix("guest=")
        assert vm["name"] == expect
        assert vm["libvirt"] == name_arg.startswith("guest=")
        assert vm["vcpus"] >= 1


def test_stock_host_lockdown_reported():
    tree = fixture("stock-host")
    text = (tree / "sys/kernel/security/lockdown").read_text()
    expect = text[text.index("[") + 1:text.index("]")]
    assert run("status", "-j", sysroot=tree).json()["host"]["lockdown"] == expect


def test_patched_host_has_counters_and_switch():
    host = run("status", "-j", sysroot=fixture("patched-host")).json()["host"]
    assert host["counters"] == "present"
    assert host["switch"] == {"present": True, "enabled": True}
    assert host["debugfs"] == "readable"


def test_host_without_cancelled_still_has_counters(tree_copy):
    """A kernel of the series before async_pf_cancelled: the counters are
    there (the other six), not an error and not a stock kernel."""
    tree = tree_copy("patched-host")
    for f in (tree / "sys/kernel/debug/kvm").rglob("async_pf_cancelled"):
        f.unlink()
    r = run("status", "-j", sysroot=tree)
    assert r.rc == 0 and r.err == "", r.err
    assert r.json()["host"]["counters"] == "present"


def test_stock_guest():
    g = run("status", "-j", sysroot=fixture("stock-guest")).json()
    assert g["role"] == "guest" and g["host"] is None
    guest = g["guest"]
    assert guest["kvm"] is True and guest["signature"] == "KVMKVMKVM"
    assert guest["features"]["async_pf"] and guest["features"]["async_pf_int"]
    assert guest["no_kvmapf"] is False
    assert isinstance(guest["hyp_interrupts"], int)
    assert guest["sysfs"] is False and guest["enabled"] is None
    assert guest["async_pf"] is True


def test_guest_with_no_kvmapf_is_off_with_reason():
    guest = run("status", "-j", sysroot=fixture("stock-guest-nokvmapf")).json()["guest"]
    assert guest["no_kvmapf"] is True
    assert guest["async_pf"] is False
    assert "no-kvmapf" in guest["reason"]


def test_patched_guest_counters():
    tree = fixture("patched-guest")
    guest = run("status", "-j", sysroot=tree).json()["guest"]
    assert guest["sysfs"] is True and guest["enabled"] is True
    sysfs = tree / "sys/kernel/kvm_async_pf"
    for name in ["page_not_present", "page_ready", "wake_before_wait",
                 "wait_ns_total", "wait_ns_max"]:
        assert guest["counters"][name] == read_u64(sysfs / name)
    # arm64 0004's counter: an x86 guest has no file, so no name (not null).
    assert not (sysfs / "orphaned").exists() and "orphaned" not in guest["counters"]


def test_both_roles():
    st = run("status", "-j", sysroot=fixture("both")).json()
    assert st["role"] == "both"
    assert st["host"] is not None and st["guest"] is not None


def test_neither():
    r = run("status", "-j", sysroot=fixture("neither"))
    assert r.rc == 0
    st = r.json()
    assert st["role"] == "neither" and st["host"] is None and st["guest"] is None


def test_pretty_json_is_indented_and_parses():
    r = run("status", "--pretty", sysroot=fixture("stock-host"))
    assert r.out.startswith("{\n  \"")
    assert r.json()["role"] == "host"


@pytest.mark.parametrize("tree", ["hostile-truncated", "hostile-values",
                                  "hostile-missing", "hostile-vms",
                                  "hostile-cpuid", "stock-host-nodebugfs"])
def test_hostile_trees_give_valid_json(tree):
    r = run("status", "-j", sysroot=fixture(tree))
    assert r.rc == 0, r.err
    assert r.json()["role"] in ("host", "guest", "both", "neither")


def test_vanished_vm_is_dropped():
    tree = fixture("hostile-vms")
    vms = run("status", "-j", sysroot=tree).json()["host"]["vms"]
    listed = {vm["pid"] for vm in vms}
    for pid in debugfs_vms(tree):
        if not (tree / f"proc/{pid}").is_dir():
            assert pid not in listed


def test_garbage_vm_dirs_ignored():
    vms = run("status", "-j", sysroot=fixture("hostile-vms")).json()["host"]["vms"]
    for vm in vms:
        assert 0 < vm["pid"] < 2**31


def test_missing_sysroot_is_usage_error():
    r = run("status", sysroot="/nonexistent/apfctl-fixture")
    assert r.rc == 2
    assert "sysroot" in r.err


def test_unreadable_files_as_non_root(tree_copy):
    tree = tree_copy("patched-host")
    for p in (tree / "sys/kernel/debug/kvm").rglob("*"):
        if p.is_file():
            p.chmod(0)
    (tree / "proc/interrupts").chmod(0)
    r = run("status", "-j", sysroot=tree, user=65534)
    assert r.rc == 0, r.err
    host = r.json()["host"]
    assert host["counters"] == "present"   # the listing still works
    assert host["debugfs"] == "stats-eperm"


def test_text_output_has_no_control_characters():
    for tree in ("hostile-vms", "hostile-values"):
        out = run("status", sysroot=fixture(tree)).out
        assert not any(ord(ch) < 0x20 and ch not in "\n" for ch in out), tree
        assert "\x7f" not in out


def test_vm_switch_from_command_line_when_qmp_does_not_answer():
    vms = {v["name"]: v for v in
           run("status", "-j", sysroot=fixture("patched-host")).json()["host"]["vms"]}
    # -accel kvm,async-pf=off; its QMP socket is not there to ask.
    assert vms["testvm"]["async_pf"] is False
    assert vms["testvm"]["async_pf_source"] == "cmdline"
    # libvirt's monitor is never asked; its command line has no -accel.
    assert vms["web01"]["async_pf"] is None
    assert vms["web01"]["async_pf_source"] is None
    text = run("status", sysroot=fixture("patched-host")).out
    assert "ASYNC-PF" in text
    row = next(ln for ln in text.splitlines() if ln.split()[-1:] == ["testvm"])
    assert row.split()[3] == "off"


@pytest.mark.parametrize("value", ["0", "-5", "abc", "10x", "600001", ""])
def test_qmp_timeout_rejects_bad_values(value):
    for args in (["--qmp-timeout", value, "status"], ["status", "--qmp-timeout", value]):
        r = run(*args, sysroot=fixture("patched-host"))
        assert r.rc == 2
        assert "--qmp-timeout" in r.err and "milliseconds" in r.err


def test_qmp_timeout_accepted_everywhere():
    for args in (["--qmp-timeout", "250", "status", "-j"],
                 ["stats", "-1", "-j", "--qmp-timeout", "3000"],
                 ["export", "--qmp-timeout", "100"]):
        r = run(*args, sysroot=fixture("patched-host"))
        assert r.rc == 0, r.err
