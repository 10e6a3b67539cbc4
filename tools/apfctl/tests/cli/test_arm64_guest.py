# SPDX-License-Identifier: GPL-2.0-only
"""apfctl on arm64 KVM guests, which have no CPUID (lib/guest_id_arm64.c):
the fixture trees arm64-* (tests/fixtures/README.md)."""
from conftest import fixture, run, read_u64

GUEST_SWITCH = "sys/kernel/kvm_async_pf/enabled"
COUNTERS = ["page_not_present", "page_ready", "wake_before_wait",
            "wait_ns_total", "wait_ns_max"]
# arm64 0004's guest counter: x86 guests and older arm64 guests have no file.
OPTIONAL = ["orphaned"]


def ppi_total(tree):
    """The kvm-apf row's per-CPU counts, summed, read here independently:
    the row is the one whose last word is the action name."""
    lines = (tree / "proc/interrupts").read_text().splitlines()
    ncpus = len(lines[0].split())
    for line in lines[1:]:
        words = line.split()
        if words and words[-1] == "kvm-apf":
            return sum(int(w) for w in words[1:1 + ncpus])
    return None


def test_patched_guest_json():
    tree = fixture("arm64-patched-guest")
    st = run("status", "-j", sysroot=tree).json()
    assert st["role"] == "guest" and st["host"] is None
    g = st["guest"]
    assert g["kvm"] is True and g["arch"] == "arm64"
    assert g["evidence"] == "kvm_async_pf"
    assert g["features"] == {"async_pf": True, "async_pf_int": True,
                             "async_pf_vmexit": False}
    assert g["notification_irq"] == "kvm-apf"
    assert g["hyp_interrupts"] == ppi_total(tree)
    assert g["sysfs"] is True and g["enabled"] is True
    for name in COUNTERS + OPTIONAL:
        assert g["counters"][name] == read_u64(tree / "sys/kernel/kvm_async_pf" / name)
    # Every numeric file of the directory, no name more or less (lab d/e).
    assert set(g["counters"]) == {p.name for p in (tree / "sys/kernel/kvm_async_pf").iterdir()
                                  if p.name != "enabled"}
    assert g["async_pf"] is True and "reason" not in g


def test_patched_guest_text():
    r = run("status", sysroot=fixture("arm64-patched-guest"))
    assert r.rc == 0 and r.err == "", r.err
    assert "Role:    guest" in r.out
    assert "KVM (SMCCC, /sys/kernel/kvm_async_pf)" in r.out
    assert "async PF:        on" in r.out


def test_orphaned_shown_in_text():
    tree = fixture("arm64-patched-guest")
    r = run("status", sysroot=tree)
    assert r.rc == 0 and r.err == "", r.err
    n = read_u64(tree / "sys/kernel/kvm_async_pf/orphaned")
    assert any(l.split() == ["orphaned", str(n)] for l in r.out.splitlines()), r.out


def test_older_arm64_guest_without_orphaned(tree_copy):
    """An arm64 guest kernel before 0004's counter: no orphaned file.  The
    counter is left out (not 0, not null), the others are read, no error,
    in status and stats, JSON and text."""
    tree = tree_copy("arm64-patched-guest")
    (tree / "sys/kernel/kvm_async_pf/orphaned").unlink()
    r = run("status", "-j", sysroot=tree)
    assert r.rc == 0 and r.err == "", r.err
    g = r.json()["guest"]
    assert "orphaned" not in g["counters"]
    for name in COUNTERS:
        assert g["counters"][name] == read_u64(tree / "sys/kernel/kvm_async_pf" / name)
    r = run("status", sysroot=tree)
    assert r.rc == 0 and r.err == "" and "orphaned" not in r.out, r.out
    assert "page_not_present" in r.out
    r = run("stats", "-1", "-j", "-s", "0.05", sysroot=tree)
    assert r.rc == 0 and r.err == "", r.err
    c = r.json()["guest"]["counters"]
    assert "orphaned" not in c and c["page_ready"] == 9871
    r = run("stats", "-1", "-s", "0.05", sysroot=tree)
    assert r.rc == 0 and "orphaned" not in r.out and "page_ready" in r.out, r.out


def test_guest_switch_off(tree_copy):
    """Scenario d's check: APF switched off in the guest, still a guest."""
    tree = tree_copy("arm64-patched-guest")
    r = run("disable", sysroot=tree)            # the role picks --guest
    assert r.rc == 0, r.err
    assert (tree / GUEST_SWITCH).read_text() == "0"
    g = run("status", "-j", sysroot=tree).json()["guest"]
    assert g["enabled"] is False and g["sysfs"] is True
    assert g["async_pf"] is False and "kvm_async_pf/enabled" in g["reason"]


def test_no_kvmapf():
    """Scenario e's no-kvmapf run."""
    st = run("status", "-j", sysroot=fixture("arm64-patched-guest-nokvmapf")).json()
    assert st["role"] == "guest"
    g = st["guest"]
    assert g["no_kvmapf"] is True and g["async_pf"] is False
    assert "no-kvmapf" in g["reason"]
    assert g["hyp_interrupts"] == 0


def test_ppi_not_mapped(tree_copy):
    """The directory without the kvm-apf row: the guest could not map the
    PPI the host named, so it takes no async PF."""
    tree = tree_copy("arm64-patched-guest")
    irq = tree / "proc/interrupts"
    irq.write_text("".join(l for l in irq.read_text().splitlines(True)
                           if not l.rstrip().endswith(" kvm-apf")))
    g = run("status", "-j", sysroot=tree).json()["guest"]
    assert g["features"]["async_pf_int"] is False
    assert g["hyp_interrupts"] is None
    assert g["async_pf"] is False and "PPI" in g["reason"]


def test_stock_guest_found_by_ptp_kvm():
    st = run("status", "-j", sysroot=fixture("arm64-stock-guest-ptp")).json()
    assert st["role"] == "guest"
    g = st["guest"]
    assert g["evidence"] == "ptp_kvm" and g["arch"] is None
    assert g["async_pf"] is None            # unknown, not "off"
    assert "stock guest kernel" in g["reason"]


def test_tcg_hints_are_not_kvm():
    st = run("status", "-j", sysroot=fixture("arm64-tcg")).json()
    assert st["role"] == "neither" and st["guest"] is None


def test_stats_guest_counters():
    tree = fixture("arm64-patched-guest")
    smp = run("stats", "-1", "-j", "-s", "0.05", sysroot=tree).json()
    assert smp["guest"]["source"] == "sysfs"
    assert smp["guest"]["counters"]["page_not_present"] == \
        read_u64(tree / "sys/kernel/kvm_async_pf/page_not_present")
    assert smp["guest"]["counters"]["hyp_interrupts"] == ppi_total(tree)
    assert smp["guest"]["counters"]["orphaned"] == \
        read_u64(tree / "sys/kernel/kvm_async_pf/orphaned")
