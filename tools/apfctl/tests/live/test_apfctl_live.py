# SPDX-License-Identifier: GPL-2.0-only
"""apfctl against this machine's real KVM, QEMU, libvirtd, debugfs, tracefs
and perf (tier 2).  Root only; fixtures start and stop everything by pid."""
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (APFCTL_DIR, require_root, run_apfctl, start_qemu_vm,
                      stop_qemu_vm, wait_for)

LOCKDOWN = Path("/sys/kernel/security/lockdown")
KVM_DEBUGFS = Path("/sys/kernel/debug/kvm")


def status():
    r = run_apfctl("status", "-j")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def lockdown_mode():
    if not LOCKDOWN.exists():
        return None
    text = LOCKDOWN.read_text()
    return text[text.index("[") + 1:text.index("]")]


def test_status_reports_host_tracepoints_and_stock_counters():
    require_root()
    st = status()
    assert st["role"] in ("host", "both")
    assert st["kernel"] == os.uname().release
    host = st["host"]
    assert host["dev_kvm"] is True
    events = sorted(p.name for p in
                    Path("/sys/kernel/tracing/events/kvm").iterdir()
                    if "async_pf" in p.name or "try_async" in p.name)
    assert sorted(host["tracepoints"]) == events and events
    has_ours = (KVM_DEBUGFS / "async_pf_queued").exists()
    assert host["counters"] == ("present" if has_ours else "absent")
    assert host["lockdown"] == lockdown_mode()


def test_status_text_says_stock_kernel():
    require_root()
    if (KVM_DEBUGFS / "async_pf_queued").exists():
        pytest.skip("this host runs the APF Suite kernel")
    r = run_apfctl("status")
    assert r.returncode == 0
    assert "counters:        absent (stock kernel)" in r.stdout


def test_debugfs_state_matches_kernel():
    require_root()
    host = status()["host"]
    try:
        (KVM_DEBUGFS / "exits").read_text()
        readable = True
    except PermissionError:
        readable = False
    assert host["debugfs"] == ("readable" if readable else "stats-eperm")
    if lockdown_mode() in ("integrity", "confidentiality"):
        assert not readable


def test_status_lists_qemu_vm(qemu_vm):
    vms = {vm["pid"]: vm for vm in status()["host"]["vms"]}
    assert qemu_vm.pid in vms
    vm = vms[qemu_vm.pid]
    assert vm["name"] == qemu_vm.name
    assert vm["vcpus"] == 1
    assert vm["qmp"] == str(qemu_vm.qmp)
    assert vm["libvirt"] is False
    # Started without -accel ...,async-pf=: known only where QEMU has the
    # property (the APF Suite QEMU) and answers on QMP.
    if vm["async_pf_source"] is None:
        assert vm["async_pf"] is None
    else:
        assert vm["async_pf_source"] == "qmp" and vm["async_pf"] is True


# The APF Suite QEMU that `make -C qemu build` leaves in this tree, or
# APF_QEMU (a build elsewhere, e.g. the main checkout's from a worktree).
OUR_QEMU = Path(os.environ.get("APF_QEMU") or
                APFCTL_DIR.parent.parent / "qemu" / "build" / "x86_64" / "qemu-system-x86_64")


def our_qemu_vm(tmp_path, name):
    if not OUR_QEMU.exists():
        pytest.skip(f"the APF Suite QEMU is not built ({OUR_QEMU}: make -C qemu build, "
                    "or set APF_QEMU)")
    return start_qemu_vm(tmp_path / "q", name=f"{name}-{os.getpid()}", qemu=str(OUR_QEMU))


def query_async_pf(vm):
    """What QEMU itself says, or None where it predates query-async-pf."""
    with vm.client() as c:
        reply = c.command("query-async-pf")
    if "error" in reply:
        assert reply["error"]["class"] == "CommandNotFound", reply
        return None
    return reply["return"]


def test_status_asks_our_qemu_for_the_live_switch(tmp_path):
    """The APF Suite QEMU answers query-async-pf (qom-get /machine/accel
    async-pf before apf4): status reports that, not the command line (which
    says nothing here), and whether the kernel lets it switch as QEMU says."""
    vm = our_qemu_vm(tmp_path, "apfours")
    try:
        info = query_async_pf(vm)
        v = {v["pid"]: v for v in status()["host"]["vms"]}[vm.pid]
        assert v["async_pf"] is True
        assert v["async_pf_source"] == "qmp"
        if info is None:
            assert v["async_pf_qmp"] == "QMP qom-get /machine/accel async-pf"
            assert v["async_pf_switchable"] is None
        else:
            assert v["async_pf_qmp"] == "QMP query-async-pf"
            assert v["async_pf_switchable"] is info["switchable"]
        r = run_apfctl("status")
        line = next(ln for ln in r.stdout.splitlines() if ln.split()[:1] == [str(vm.pid)])
        assert line.split()[3] == "on"
    finally:
        stop_qemu_vm(vm)


def test_disable_vm_on_our_qemu(tmp_path):
    """disable --vm on the APF Suite QEMU: set-async-pf (qom-set before
    apf4).  Where QEMU says the host kernel can switch, the switch goes off
    and QEMU says so; where it cannot, exit 3 naming the capability and
    KVMMissingCap, and QEMU still says on.  enable restores it either way."""
    vm = our_qemu_vm(tmp_path, "apfoff")
    try:
        info = query_async_pf(vm)
        via = "QMP set-async-pf" if info else "QMP qom-set /machine/accel async-pf"
        r = run_apfctl("disable", "--vm", vm.name)
        with vm.client() as c:
            now = c.execute("qom-get", path="/machine/accel", property="async-pf")
        if info is not None and not info["switchable"]:
            assert r.returncode == 3, r.stderr
            assert "KVM_CAP_DISABLE_ASYNC_PF" in r.stderr
            assert f"({via}: async-pf=off needs KVM_CAP_DISABLE_ASYNC_PF" in r.stderr
            assert now is True
            assert query_async_pf(vm)["enabled"] is True
        elif r.returncode == 3:
            # apf1 to apf3 do not say beforehand: their GenericError.
            assert info is None
            assert "the host kernel lacks KVM_CAP_DISABLE_ASYNC_PF" in r.stderr
            assert now is True
        else:
            assert r.returncode == 0, r.stderr
            assert r.stdout.endswith(f"async PF enabled -> disabled ({via})\n")
            assert now is False
            v = {v["pid"]: v for v in status()["host"]["vms"]}[vm.pid]
            assert v["async_pf"] is False
        r = run_apfctl("enable", "--vm", vm.name, "-j")
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["switch"] == via
        with vm.client() as c:
            assert c.execute("qom-get", path="/machine/accel", property="async-pf") is True
    finally:
        stop_qemu_vm(vm)


def test_stats_qmp_counters_move(qemu_vm):
    r = run_apfctl("stats", "-n", "2", "-s", "0.5", "-j", "-p", str(qemu_vm.pid))
    assert r.returncode == 0, r.stderr
    first, second = [json.loads(line) for line in r.stdout.splitlines()]
    for smp in (first, second):
        [vm] = smp["vms"]
        assert vm["pid"] == qemu_vm.pid and vm["name"] == qemu_vm.name
        assert vm["source"] == "qmp"
        assert vm["source_detail"] == str(qemu_vm.qmp)
    a, b = first["vms"][0]["counters"], second["vms"][0]["counters"]
    assert b["exits"] > a["exits"], "KVM exits should move while SeaBIOS idles"
    assert second["vms"][0]["rates"]["exits"] > 0


def test_stats_once_with_explicit_qmp_and_vcpus(qemu_vm_smp2):
    vm = qemu_vm_smp2
    r = run_apfctl("stats", "-1", "-j", "-v", "-g", vm.name, "--qmp", str(vm.qmp))
    assert r.returncode == 0, r.stderr
    [row] = json.loads(r.stdout)["vms"]
    assert row["source"] == "qmp"
    assert [v["index"] for v in row["vcpus"]] == [0, 1]
    assert sum(v["counters"]["exits"] for v in row["vcpus"]) == row["counters"]["exits"]


def test_total_from_tracepoints_under_lockdown(qemu_vm):
    smp = json.loads(run_apfctl("stats", "-1", "-j").stdout)
    assert smp["total"]["source"] in ("debugfs", "tracepoints",
                                      "debugfs+tracepoints")
    if status()["host"]["debugfs"] == "stats-eperm":
        assert smp["total"]["source"] == "tracepoints"
        assert "kvm_async_pf_not_present" in smp["total"]["counters"]


def test_stats_without_qmp_falls_back(qemu_vm):
    r = run_apfctl("stats", "-1", "-j", "--no-qmp", "-p", str(qemu_vm.pid))
    assert r.returncode == 0, r.stderr
    [vm] = json.loads(r.stdout)["vms"]
    assert vm["source"] in ("debugfs", "tracepoints")


def test_libvirt_domain_in_status_and_stats(libvirt_domain):
    vms = {vm["name"]: vm for vm in status()["host"]["vms"]}
    assert libvirt_domain in vms
    assert vms[libvirt_domain]["libvirt"] is True
    r = run_apfctl("stats", "-n", "2", "-s", "0.5", "-j", "-g", libvirt_domain)
    assert r.returncode == 0, r.stderr
    first, second = [json.loads(line)["vms"][0] for line in r.stdout.splitlines()]
    assert first["source"] == "libvirt"
    assert second["counters"]["exits"] > first["counters"]["exits"]


def test_enable_host_on_stock_kernel_exits_3():
    require_root()
    if Path("/sys/module/kvm/parameters/async_pf").exists():
        pytest.skip("this host has the APF Suite switch")
    r = run_apfctl("enable", "--host")
    assert r.returncode == 3
    assert "no kvm.async_pf switch" in r.stderr


def test_disable_vm_on_stock_qemu_exits_3(qemu_vm):
    r = run_apfctl("disable", "--vm", qemu_vm.name)
    assert r.returncode == 3, r.stderr
    assert "async-pf" in r.stderr


def test_vm_vanishing_mid_run(tmp_path):
    require_root()
    vm = start_qemu_vm(tmp_path, name=f"apfgone-{os.getpid()}")
    exe = os.environ.get("APFCTL", str(APFCTL_DIR / "build" / "apfctl"))
    proc = subprocess.Popen([exe, "stats", "-j", "-s", "0.2", "-p", str(vm.pid)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        time.sleep(1.0)
    finally:
        stop_qemu_vm(vm)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err
    assert "exited" in err
    for line in out.splitlines():
        json.loads(line)


def test_trace_runs_and_gives_json():
    require_root()
    r = run_apfctl("trace", "-d", "1", "-j")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["source"] == "tracepoints"
    assert res["events"]["not_present"] >= 0


@pytest.mark.skipif(not shutil.which("promtool"), reason="promtool missing")
def test_export_live_passes_promtool(qemu_vm, tmp_path):
    out = tmp_path / "apf.prom"
    r = run_apfctl("export", "-d", "0.2", "-o", str(out))
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert f'pid="{qemu_vm.pid}"' in text
    chk = subprocess.run(["promtool", "check", "metrics"], input=text,
                         capture_output=True, text=True, timeout=60)
    assert chk.returncode == 0, chk.stdout + chk.stderr


def test_non_root_status_and_stats_do_not_fail(qemu_vm):
    exe = os.environ.get("APFCTL", str(APFCTL_DIR / "build" / "apfctl"))
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    r = subprocess.run(nobody + [exe, "status", "-j"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["host"]["debugfs"] in ("unlistable", "stats-eperm", "readable",
                                     "not-mounted")
    r = subprocess.run(nobody + [exe, "stats", "-1", "-j", "-s", "0.2"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    json.loads(r.stdout)
    r = subprocess.run(nobody + [exe, "trace", "-d", "0.2"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode in (3, 4), r.stderr
