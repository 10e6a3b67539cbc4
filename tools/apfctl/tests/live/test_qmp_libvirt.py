# SPDX-License-Identifier: GPL-2.0-only
"""lib/qmp.c and lib/libvirt_stats.c against a real QEMU 10.0 KVM VM and a
real libvirt daemon, through the qmp_probe driver.

The driver is built by the `probe` fixture with (from tools/apfctl):
  cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Ilib -Isrc \
     $(pkg-config --cflags json-c) -o PROBE tests/live/qmp_probe.c \
     lib/qmp.c lib/libvirt_stats.c lib/bounded.c lib/counters.c lib/clock.c \
     lib/number.c \
     $(pkg-config --libs json-c) -ldl -lpthread
"""

import errno
import os
import re
import subprocess
import time

import pytest

from conftest import (APFCTL_DIR, QmpClient, require_root, run, virsh,
                      wait_for)

PROBE_SRC = ["tests/live/qmp_probe.c", "lib/qmp.c", "lib/libvirt_stats.c",
             "lib/bounded.c", "lib/counters.c", "lib/clock.c", "lib/number.c"]


def pkg_config(*args):
    return run(["pkg-config", *args], check=True).stdout.split()


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    require_root()
    out = tmp_path_factory.mktemp("probe") / "qmp_probe"
    cc = os.environ.get("CC", "cc")
    cmd = [cc, "-std=c11", "-D_GNU_SOURCE", "-g", "-Wall", "-Wextra",
           "-Werror", "-Ilib", "-Isrc", *pkg_config("--cflags", "json-c"),
           "-o", str(out), *PROBE_SRC, *pkg_config("--libs", "json-c"),
           "-ldl", "-lpthread"]
    r = subprocess.run(cmd, cwd=APFCTL_DIR, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return str(out)


def run_probe(probe, *args, env=None, timeout=30):
    return run([probe, *args], timeout=timeout, env=env)


def parse(out):
    """qmp_probe lines -> {"vm": {name: v}, "vcpu": {i: {name: v}},
    "domain": {name: id}, "dvm": {dom: {..}}, "dvcpu": {dom: {i: {..}}}}"""
    r = {"vm": {}, "vcpu": {}, "domain": {}, "dvm": {}, "dvcpu": {}}
    for line in out.splitlines():
        f = line.split()
        if f[0] == "vm":
            r["vm"][f[1]] = int(f[2])
        elif f[0] == "vcpu":
            r["vcpu"].setdefault(int(f[1]), {})[f[2]] = int(f[3])
        elif f[0] == "domain":
            r["domain"][f[1]] = int(f[2])
        elif f[0] == "dvm":
            r["dvm"].setdefault(f[1], {})[f[2]] = int(f[3])
        elif f[0] == "dvcpu":
            r["dvcpu"].setdefault(f[1], {}).setdefault(
                int(f[2]), {})[f[3]] = int(f[4])
    return r


# ------------------------------------------------------------ fixtures work

def test_qemu_fixture_answers(qemu_vm):
    with qemu_vm.client() as q:
        assert q.execute("query-status")["status"] == "running"
        stats = q.execute("query-stats", target="vcpu",
                          providers=[{"provider": "kvm"}])
    names = {s["name"] for s in stats[0]["stats"]}
    assert {"exits", "halt_exits", "insn_emulation"} <= names


def test_libvirt_fixture_domstats(libvirt_domain):
    r = virsh("domstats", "--vm", "--vcpu", libvirt_domain)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^\s*vcpu\.0\.exits\.sum=\d+$", r.stdout, re.M)
    assert re.search(r"^\s*vm\.\w+\.(sum|cur|max)=\d+$", r.stdout, re.M)


# ------------------------------------------------------------ QMP

def test_qmp_stats_filtered(probe, qemu_vm):
    r = run_probe(probe, "stats", str(qemu_vm.qmp))
    assert r.returncode == 0, r.stdout + r.stderr
    s = parse(r.stdout)
    # No VM-wide stat is an APF or context counter on a stock kernel.
    assert s["vm"] == {}
    assert list(s["vcpu"]) == [0]
    c = s["vcpu"][0]
    assert c["exits"] > 0
    # Filtered (the context list is lib/counters.c's): a strict subset.
    r = run_probe(probe, "stats", str(qemu_vm.qmp), "all")
    everything = parse(r.stdout)["vcpu"][0]
    assert set(c) < set(everything)
    assert "l1d_flush" not in c and "fpu_reload" not in c


def test_qmp_stats_all_matches_qemu(probe, qemu_vm):
    r = run_probe(probe, "stats", str(qemu_vm.qmp), "all")
    assert r.returncode == 0, r.stdout + r.stderr
    s = parse(r.stdout)
    with qemu_vm.client() as q:
        vm = q.execute("query-stats", target="vm",
                       providers=[{"provider": "kvm"}])[0]["stats"]
        vc = q.execute("query-stats", target="vcpu",
                       providers=[{"provider": "kvm"}])[0]["stats"]
    ints = lambda st: {x["name"] for x in st
                       if isinstance(x["value"], int)
                       and not isinstance(x["value"], bool)}
    assert set(s["vm"]) == ints(vm)
    assert set(s["vcpu"][0]) == ints(vc)
    # Booleans and histograms are not counters.
    assert "guest_mode" not in s["vcpu"][0]
    assert "halt_wait_hist" not in s["vcpu"][0]
    # Counters only grow: ours was read before QEMU's.
    later = {x["name"]: x["value"] for x in vc}
    assert s["vcpu"][0]["exits"] <= later["exits"]


def test_qmp_counters_move(probe, qemu_vm):
    def exits():
        r = run_probe(probe, "stats", str(qemu_vm.qmp), "all")
        assert r.returncode == 0, r.stdout
        return parse(r.stdout)["vcpu"][0]["exits"]
    first = exits()
    wait_for(lambda: exits() > first, 10, interval=0.5,
             what="vCPU exits to grow")


def test_qmp_vcpus_numbered_by_cpu_index(probe, qemu_vm_smp2):
    r = run_probe(probe, "stats", str(qemu_vm_smp2.qmp), "all")
    assert r.returncode == 0, r.stdout
    s = parse(r.stdout)
    assert sorted(s["vcpu"]) == [0, 1]
    # query-stats lists vCPUs in no fixed order (device[2] before
    # device[0]); the BSP (cpu 0) runs SeaBIOS, the AP only halts.
    assert s["vcpu"][0]["exits"] > s["vcpu"][1]["exits"]


def test_qom_get_set(probe, qemu_vm):
    sock = str(qemu_vm.qmp)
    r = run_probe(probe, "qom-get", sock, "/machine", "hpet")
    assert r.returncode == 0 and r.stdout.startswith("bool "), r.stdout
    cur = r.stdout.split()[1]
    r = run_probe(probe, "qom-set", sock, "/machine", "hpet", cur)
    assert r.returncode == 0, r.stdout
    # A missing property and a non-boolean one.
    r = run_probe(probe, "qom-get", sock, "/machine", "no-such-prop")
    assert r.returncode == errno.ENOENT, r.stdout
    r = run_probe(probe, "qom-get", sock, "/machine", "type")
    assert r.returncode == errno.EPROTO, r.stdout


def test_qom_accel_path(probe, qemu_vm):
    """APF_QMP_ACCEL_PATH (/machine/accel) exists only with our QEMU
    patches; stock QEMU 10.0 answers DeviceNotFound -> ENOENT."""
    with qemu_vm.client() as q:
        props = {p["name"] for p in q.execute("qom-list", path="/machine")}
    r = run_probe(probe, "qom-get", str(qemu_vm.qmp), "/machine/accel",
                  "async-pf")
    if "accel" in props:
        assert r.returncode == 0 and r.stdout.startswith("bool "), r.stdout
    else:
        assert r.returncode == errno.ENOENT, r.stdout
        assert "not found" in r.stdout


def test_qmp_no_socket(probe, tmp_path):
    r = run_probe(probe, "stats", str(tmp_path / "nope.sock"))
    assert r.returncode == errno.ENOENT, r.stdout


def test_qmp_busy_monitor_times_out(probe, qemu_vm):
    """QEMU serves one QMP client at a time: while another (libvirt,
    here a test client) holds it, a second connection gets no greeting.
    apfctl must give up after its timeout (3 s in qmp_probe)."""
    with qemu_vm.client():
        t0 = time.monotonic()
        r = run_probe(probe, "stats", str(qemu_vm.qmp))
        took = time.monotonic() - t0
    assert r.returncode == errno.ETIMEDOUT, r.stdout
    assert 2.5 < took < 10


# ------------------------------------------------------------ libvirt

def test_libvirt_stats(probe, libvirt_domain):
    r = run_probe(probe, "libvirt", "-", "all")
    assert r.returncode == 0, r.stdout
    s = parse(r.stdout)
    assert libvirt_domain in s["domain"]
    domid = virsh("domid", libvirt_domain).stdout.strip()
    assert s["domain"][libvirt_domain] == int(domid)
    vcpus = s["dvcpu"][libvirt_domain]
    assert sorted(vcpus) == [0, 1]
    assert vcpus[0]["exits"] > 0
    # The default filter keeps a strict subset.
    r = run_probe(probe, "libvirt")
    assert r.returncode == 0, r.stdout
    filtered = parse(r.stdout)["dvcpu"][libvirt_domain][0]
    assert set(filtered) < set(vcpus[0])
    # Suffixes (.sum/.cur/.max) dropped; libvirt's own per-vCPU state,
    # time, wait, delay are not KVM counters.
    for c in vcpus.values():
        assert not ({"state", "time", "wait", "delay"} & set(c))
        assert all("." not in n for n in c)


def test_libvirt_stats_all_matches_virsh(probe, libvirt_domain):
    r = run_probe(probe, "libvirt", "-", "all")
    assert r.returncode == 0, r.stdout
    s = parse(r.stdout)
    v = virsh("domstats", "--vm", "--vcpu", libvirt_domain, check=True)
    vm_names = set(re.findall(r"^\s*vm\.(\w+)\.(?:sum|cur|max)=\d+$",
                              v.stdout, re.M))
    vcpu0 = dict(re.findall(r"^\s*vcpu\.0\.(\w+)\.(?:sum|cur|max)=(\d+)$",
                            v.stdout, re.M))
    assert set(s["dvm"][libvirt_domain]) == vm_names
    assert set(s["dvcpu"][libvirt_domain][0]) == set(vcpu0)
    # guest_mode.cur=no / blocking.cur=yes are booleans, not counters.
    assert "guest_mode" not in s["dvcpu"][libvirt_domain][0]
    assert s["dvcpu"][libvirt_domain][0]["exits"] <= int(vcpu0["exits"])


def test_libvirt_uri_from_env(probe, libvirt_daemon, tmp_path):
    env = dict(os.environ,
               APFCTL_LIBVIRT_URI=f"qemu:///system?socket={tmp_path}/none")
    r = run_probe(probe, "libvirt", env=env)
    assert r.returncode == errno.ECONNREFUSED, r.stdout
    # An explicit URI wins over the environment.
    r = run_probe(probe, "libvirt", "qemu:///system", env=env)
    assert r.returncode == 0, r.stdout


def test_libvirt_hung_daemon_times_out(probe, tmp_path):
    """A socket that accepts and never answers: bounded by
    APF_LIBVIRT_TIMEOUT_MS (5 s), not libvirt's own patience."""
    import socket
    path = tmp_path / "hung.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.listen(8)
    try:
        t0 = time.monotonic()
        r = run_probe(probe, "libvirt", f"qemu+unix:///system?socket={path}")
        took = time.monotonic() - t0
    finally:
        s.close()
    assert r.returncode == errno.ETIMEDOUT, r.stdout
    assert 4 < took < 15
