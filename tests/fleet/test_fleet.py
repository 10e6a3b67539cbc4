# SPDX-License-Identifier: GPL-2.0-only
"""The fleet tier: the Ansible collection (ansible/, apf_suite.fleet) rolls
the suite out for real across three Debian bookworm VMs under QEMU TCG
(tests/fleet/fleet.py), from the suite's signed apt repository (`make
repo`) served over http.

  preflight   boot 3 VMs (kernel A, Debian 6.1 cloud); each fetches the
              repository's index and Debian's and simulates
              `apt-get install apf-guest` (no trace left)
  rollout     rollout.yml: every host installs apf-guest, kexecs into
              linux-image-<KERNEL_VERSION>-apf<APF_RELEASE>-guest and passes its checks;
              then boot_id, uname -r, kexec evidence, units, the apf fact
  check       before the rollout, and again after the idempotent run:
              site.yml and rollout.yml --check exit 0, fail nothing, and
              change no watched file, package or boot in any VM nor the
              controller's lock (after the rollout: changed=0 too)
  idempotent  rollout.yml again: changed=0 on every host
  failure     fresh VMs; host 2 gets a failing health check
              (/etc/apf/rollout-health.d); rollout.yml: host 1 done, host 2
              failed and left drained with its reason, host 3 untouched,
              ansible-playbook exits non-zero

Run by `make fleet-check` (APF_FLEET_CHECK=1), bounded by FLEET_TIMEOUT
seconds in all; FLEET_KEEP=1 keeps the VMs (see README.md).
"""
import json
import os
import re
import signal
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

import fleet as fl

REPO = fl.REPO
REPO_DIR = REPO / "packaging" / "build" / "repo"
COLLECTION = REPO / "ansible"
TIMEOUT = int(os.environ.get("FLEET_TIMEOUT", "5400"))
PLAYBOOK_TIMEOUT = int(os.environ.get("FLEET_PLAYBOOK_TIMEOUT", "2400"))
HEALTH_DIR = "/etc/apf/rollout-health.d"
FAIL_CHECK = "50-fleet-test-injected"
PHASES = []          # (phase, seconds, note)
CHECKS = []          # (check, outcome)
STATE = {}


def make_var(path, name):
    m = re.search(rf"^{name}\s*:=\s*(\S+)", (REPO / path).read_text(), re.M)
    return m.group(1)


# The build is in `uname -r` (kernel/scripts/names.sh, issue 14).
KERNEL = "%s-apf%s-guest" % (make_var("kernel/base.mk", "KERNEL_VERSION"),
                             make_var("kernel/base.mk", "APF_RELEASE"))
VERSION = (REPO / "VERSION").read_text().strip()


@contextmanager
def phase(name):
    t0 = time.monotonic()
    note = {}
    try:
        yield note
    finally:
        PHASES.append((name, time.monotonic() - t0, note.get("note", "")))


def check(name, ok, detail=""):
    """Record a check's outcome for the summary, then assert it."""
    CHECKS.append((name, "ok" if ok else f"FAILED {detail}"))
    assert ok, f"{name}: {detail}"


class Interrupted(KeyboardInterrupt):
    pass


def _on_signal(signum, _frame):
    # SIGTERM (timeout(1), make) and SIGALRM (our own deadline) end the
    # session like Ctrl-C: pytest stops and runs the fixture's cleanup.
    STATE["interrupted"] = signal.Signals(signum).name
    raise Interrupted(f"signal {signal.Signals(signum).name}: stopping, "
                      f"cleaning up (FLEET_TIMEOUT={TIMEOUT})")


def repo_has(package_prefix):
    packages = REPO_DIR / "apt" / "dists" / "bookworm" / "main" / "binary-amd64" / "Packages"
    if not packages.exists():
        return False
    return re.search(rf"^Package: {re.escape(package_prefix)}$",
                     packages.read_text(), re.M) is not None


@pytest.fixture(scope="module")
def fleet(request):
    if not os.environ.get("APF_FLEET_CHECK"):
        pytest.skip("tens of minutes of emulated VMs: run by `make fleet-check` "
                    "(APF_FLEET_CHECK=1)")
    if os.geteuid() != 0:
        pytest.skip("needs root (QEMU's image, the ops root)")
    if not (fl.CACHE / "base.raw").exists():
        pytest.fail(f"no fleet image in {fl.CACHE}: run tests/fleet/build-image "
                    "(make fleet-check does)")
    if not repo_has(f"linux-image-{KERNEL}"):
        pytest.fail(f"the repository {REPO_DIR} has no linux-image-{KERNEL}: "
                    "run `make kernel-deb`, then `make repo`")
    if not repo_has("apf-guest"):
        pytest.fail(f"the repository {REPO_DIR} has no apf-guest: run `make repo`")
    if not (COLLECTION / "playbooks" / "rollout.yml").exists():
        pytest.fail(f"no {COLLECTION}/playbooks/rollout.yml (issue 5's collection)")
    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGALRM,
                                                    signal.SIGHUP)}
    signal.alarm(TIMEOUT)
    f = fl.Fleet(3, fl.Deadline(TIMEOUT - 30))
    t0 = time.monotonic()
    ok = False
    try:
        STATE["url"] = f.serve(REPO_DIR)
        setup_ansible(f)
        yield f
        ok = request.session.testsfailed == 0 and "interrupted" not in STATE
    finally:
        signal.alarm(0)
        STATE["wall"] = time.monotonic() - t0
        try:
            summary(f, ok)
        finally:
            f.close(keep_logs=not ok)
            for s, h in old.items():
                signal.signal(s, h)


def setup_ansible(f):
    """ansible.cfg, the collection on a private collections path, and an
    environment that keeps ansible's files in the run directory."""
    w = f.workdir
    coll = w / "collections" / "ansible_collections" / "apf_suite"
    coll.mkdir(parents=True)
    (coll / "fleet").symlink_to(COLLECTION)
    (w / "cp").mkdir()
    known = f.known_hosts
    (w / "ansible.cfg").write_text(f"""[defaults]
inventory = {w / 'inventory.yml'}
collections_path = {w / 'collections'}
local_tmp = {w / 'ansible-tmp'}
forks = 3
timeout = 60
retry_files_enabled = false
interpreter_python = /usr/bin/python3
callbacks_enabled = ansible.posix.profile_tasks
nocolor = true

[ssh_connection]
pipelining = true
control_path_dir = {w / 'cp'}
ssh_args = -F /dev/null -o ControlMaster=auto -o ControlPersist=120s -o IdentitiesOnly=yes -o UserKnownHostsFile={known} -o StrictHostKeyChecking=yes -o ServerAliveInterval=15 -o ServerAliveCountMax=8
""")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(w / "ansible.cfg"), HOME=str(w),
               PATH="/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL="C.UTF-8",
               ANSIBLE_FORCE_COLOR="0", PYTHONUNBUFFERED="1")
    STATE["env"] = env


def write_inventory(f, lockdir):
    """Hosts and the collection's variables; the fleet-wide lock lives on
    the controller (localhost)."""
    hosts = {vm.name: {"ansible_host": "127.0.0.1", "ansible_port": vm.port}
             for vm in f.vms}
    inv = {
        "all": {
            "hosts": {"localhost": {"ansible_connection": "local",
                                    "ansible_python_interpreter": fl.PYTHON}},
            "children": {"apf_hosts": {
                "hosts": hosts,
                "vars": {
                    "ansible_user": "root",
                    "ansible_ssh_private_key_file": str(fl.CACHE / "id_ed25519"),
                    "apf_packages_repo_url": STATE["url"] + "/apt",
                    "apf_packages_repo_key_file": str(REPO_DIR / "apf-suite.asc"),
                    "apf_packages_meta_package": "apf-guest",
                    "apf_packages_version": VERSION,
                    "apf_rollout_expected_kernel": KERNEL,
                    # The VMs are neither KVM hosts nor KVM guests (TCG):
                    # no switch to expect; check_facts checks what they are.
                    "apf_rollout_expected_apf": "any",
                    "apf_rollout_evacuate": "none",
                    "apf_rollout_allow_reboot_fallback": False,
                    "apf_rollout_health_dir": HEALTH_DIR,
                    "apf_rollout_lock_host": "localhost",
                    "apf_rollout_lock_dir": str(f.workdir / lockdir),
                }}}}}
    (f.workdir / "inventory.yml").write_text(json.dumps(inv, indent=2) + "\n")


def ansible(f, args, log, timeout=PLAYBOOK_TIMEOUT):
    p = f.spawn(args, f.workdir / log, env=STATE["env"], cwd=f.workdir)
    rc = f.wait(p, timeout)
    return rc, (f.workdir / log).read_text(errors="replace")


def playbook(f, log, name="rollout", *args):
    return ansible(f, ["ansible-playbook", "-v", *args, "apf_suite.fleet." + name], log)


# What --check must leave as it was in a VM: the files the roles write
# (size and mtime of each), the packages and their selections, the boot.
WATCHED = "/etc/apt /etc/apf /etc/ansible /etc/default /etc/systemd/system /var/lib/apf /run/apf /boot"


def vm_snapshot(vm):
    return vm.out(
        f"find {WATCHED} -xdev -printf '%p %y %s %T@\\n' 2>/dev/null | sort; "
        "dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\\n' | sort | md5sum; "
        "cat /proc/sys/kernel/random/boot_id", check=False)


def controller_snapshot(path):
    return sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in path.rglob("*")) \
        if path.exists() else None


def check_mode_phase(fleet, label, lockdir, converged):
    """--check of site.yml and rollout.yml: exit 0, nothing failed on any
    host, not one watched file in any VM nor the controller's lock
    changed; on a converged fleet, changed=0 too."""
    before = fleet.parallel(vm_snapshot)
    lock_before = controller_snapshot(fleet.workdir / lockdir)
    for name in ("site", "rollout"):
        with phase(f"{name}.yml --check ({label})") as n:
            rc, log = playbook(fleet, f"check-{name}-{label}.log", name, "--check")
            n["note"] = f"rc={rc}"
        rec = recap(log)
        check(f"{name}.yml --check ({label}) exits 0", rc == 0, tail(log))
        check(f"{name}.yml --check ({label}): no host failed or unreachable",
              all(rec.get(v.name, {}).get("failed", 1) == 0 and
                  rec.get(v.name, {}).get("unreachable", 1) == 0 for v in fleet.vms), rec)
        if converged:
            changed = {v.name: rec.get(v.name, {}).get("changed") for v in fleet.vms}
            check(f"{name}.yml --check ({label}): changed=0 on every host",
                  set(changed.values()) == {0}, f"{changed}; " + "\n".join(
                      ln for ln in log.splitlines() if ln.startswith("changed:"))[:3000])
        else:
            check(f"{name}.yml --check ({label}) says what it would do",
                  "check mode:" in log, tail(log))
    after = fleet.parallel(vm_snapshot)
    for vm in fleet.vms:
        diff = sorted(set(before[vm.name].splitlines()) ^ set(after[vm.name].splitlines()))
        check(f"{vm.name}: --check ({label}) changed no file, package or boot", diff == [],
              "\n".join(diff[:40]))
    check(f"--check ({label}) left the controller's lock as it was",
          controller_snapshot(fleet.workdir / lockdir) == lock_before, lockdir)


def recap(text):
    """PLAY RECAP lines -> {host: {ok: n, changed: n, ...}}."""
    out = {}
    for m in re.finditer(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", text, re.M):
        out[m.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
    return out


def tail(text, n=60):
    return "\n".join(text.splitlines()[-n:])


def host_state(vm):
    """What the checks compare: kernel, boot, packages, markers."""
    out = vm.out(
        "uname -r; cat /proc/sys/kernel/random/boot_id; "
        # ${Status}: the role holds the suite's packages ("hold ok
        # installed"); the last word is what matters here.
        "dpkg-query -W -f='${Package}=${Version}:${db:Status-Status}\\n' "
        "apf-guest apfctl 2>/dev/null | grep ':installed$' | tr '\\n' ' '; echo; "
        "ls /etc/apt/sources.list.d/; echo", check=False)
    lines = out.split("\n")
    return {"kernel": lines[0], "boot_id": lines[1],
            "packages": lines[2].split() if len(lines) > 2 else [],
            "sources": " ".join(lines[3:]).split()}


def preflight_apt(vm):
    """apt in the VM against the served repository and Debian's archive,
    with its own lists directory: nothing of it stays on the host."""
    vm.run("rm -rf /tmp/apf-pf && mkdir -p /tmp/apf-pf/lists/partial && "
           "cat >/tmp/apf-pf/apf-suite.asc", stdin=(REPO_DIR / "apf-suite.asc").read_text())
    opts = ("-o Dir::Etc::SourceList=/tmp/apf-pf/sources.list "
            "-o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists=/tmp/apf-pf/lists "
            "-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=")
    r = vm.run(
        "printf '%s\\n' "
        f"'deb [signed-by=/tmp/apf-pf/apf-suite.asc] {STATE['url']}/apt bookworm main' "
        ">/tmp/apf-pf/sources.list && "
        f"apt-get -q {opts} update && "
        f"apt-get -q {opts} install --simulate --no-install-recommends apf-guest && "
        # Debian's archive through QEMU's user networking (the image's apt
        # lists already hold its index; this is what a host with a route
        # to its mirror sees).
        "python3 -c 'import urllib.request as u; print(\"Debian:\", u.urlopen("
        "\"http://deb.debian.org/debian/dists/bookworm/InRelease\", timeout=60).status)'",
        check=False)
    vm.run("rm -rf /tmp/apf-pf")
    return r


def test_preflight(fleet):
    """3 VMs boot, take ssh, and reach the repository and Debian."""
    with phase("boot 3 VMs (kernel A, parallel)") as n:
        states = fleet.boot()
        n["note"] = " ".join(f"{v.name} {v.booted_s:.0f}s" for v in fleet.vms)
    for name, st in states.items():
        check(f"{name} booted (systemd {st})", st in ("running", "degraded"), st)
    with phase("preflight: apt update, install --simulate apf-guest"):
        results = fleet.parallel(preflight_apt)
    for name, r in results.items():
        inst = re.findall(r"^Inst (\S+)", r.stdout, re.M)
        check(f"{name}: apt fetches the signed repository; deb.debian.org reachable",
              r.returncode == 0 and "Debian: 200" in r.stdout, tail(r.stdout + r.stderr, 20))
        check(f"{name}: apt would install apf-guest, apfctl, linux-image-{KERNEL}",
              {"apf-guest", "apfctl", f"linux-image-{KERNEL}"} <= set(inst), inst)
    STATE["before"] = fleet.parallel(host_state)
    for name, s in STATE["before"].items():
        check(f"{name} runs kernel A", s["kernel"] == fl.kernel_version("A"), s)


def test_check_mode_before_rollout(fleet):
    """Acceptance of issue 21: --check against hosts that have nothing of
    the suite yet (no repository, no packages, no units): it reports what
    it would do and changes nothing."""
    if "before" not in STATE:
        pytest.skip("the preflight did not pass")
    write_inventory(fleet, "lock")
    check_mode_phase(fleet, "fresh hosts", "lock", converged=False)


def check_rolled_out(fleet, vm, before):
    """On the new kernel through kexec, units active, fact present."""
    s = host_state(vm)
    n = vm.name
    check(f"{n}: uname -r is {KERNEL}", s["kernel"] == KERNEL, s["kernel"])
    check(f"{n}: boot_id changed", s["boot_id"] != before["boot_id"],
          f"{before['boot_id']} -> {s['boot_id']}")
    # QEMU runs with -no-reboot: a firmware reboot would have ended it.
    check(f"{n}: same QEMU process (-no-reboot), so no firmware reboot",
          vm.alive(), "QEMU exited")
    journal = vm.out("journalctl -b -1 -o cat --no-pager | "
                     "grep -E 'systemd-kexec.service|rebooting with kexec' | tail -n 3",
                     check=False)
    check(f"{n}: previous boot's journal ends in a kexec", "kexec" in journal, journal)
    evac = evacuation_record(vm)
    check(f"{n}: undrained (rollout-evacuated.json: guests returned)",
          evac.get("returned") is True and "returned_by" in evac, evac)
    check(f"{n}: apf-guest={VERSION} and apfctl={VERSION} installed",
          f"apf-guest={VERSION}:installed" in s["packages"]
          and f"apfctl={VERSION}:installed" in s["packages"],
          s["packages"])
    units = vm.out("systemctl is-active apf-setup.service apf-export.timer "
                   "apf-kexec-load.service; systemctl --failed --plain --no-legend",
                   check=False).split("\n")
    check(f"{n}: apf-setup, apf-export.timer, apf-kexec-load active",
          units[:3] == ["active"] * 3 and not any("apf" in u for u in units[3:]), units)
    return s


def test_rollout(fleet):
    if "before" not in STATE:
        pytest.skip("the preflight did not pass")
    write_inventory(fleet, "lock")
    with phase("rollout.yml (3 hosts, serial)") as n:
        rc, log = playbook(fleet, "rollout-1.log")
        n["note"] = f"rc={rc}"
    STATE["rollout_log"] = log
    check("rollout.yml exits 0", rc == 0, tail(log))
    rec = recap(log)
    check("PLAY RECAP names the 3 hosts, none failed or unreachable",
          all(rec.get(v.name, {}).get("failed", 1) == 0 and
              rec.get(v.name, {}).get("unreachable", 1) == 0 for v in fleet.vms), rec)
    with phase("checks after the rollout"):
        for vm in fleet.vms:
            check_rolled_out(fleet, vm, STATE["before"][vm.name])
        check_facts(fleet)
    STATE["rolled_out"] = True


def check_facts(fleet):
    """`ansible -m setup`: ansible_local.apf is apfctl's status of what the
    VM really is.  Under QEMU TCG (CPU max without SVM) it is neither a KVM
    host (no /dev/kvm) nor a KVM guest (TCG has no KVM CPUID leaf), so APF
    is unavailable: role "neither", host and guest null, and our guest
    kernel creates no /sys/kernel/kvm_async_pf (only under KVM).  Under
    KVM the same kernel would report guest.sysfs true and APF on."""
    env = dict(STATE["env"], ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
               ANSIBLE_STDOUT_CALLBACK="json",
               ANSIBLE_CALLBACKS_ENABLED="ansible.builtin.json")
    p = fleet.spawn(["ansible", "apf_hosts", "-m", "ansible.builtin.setup",
                     "-a", "filter=ansible_local"], fleet.workdir / "setup.json",
                    env=env, cwd=fleet.workdir, errlog=fleet.workdir / "setup.err")
    rc = fleet.wait(p, 600)
    text = (fleet.workdir / "setup.json").read_text()
    check("ansible -m setup exits 0", rc == 0,
          tail(text) + (fleet.workdir / "setup.err").read_text())
    hosts = json.loads(text)["plays"][0]["tasks"][0]["hosts"]
    for vm in fleet.vms:
        local = hosts[vm.name]["ansible_facts"].get("ansible_local", {})
        apf = local.get("apf", {})
        real = vm.out("for p in /sys/kernel/kvm_async_pf /dev/kvm; do "
                      "test -e $p && echo $p present || echo $p absent; done; "
                      "journalctl -k -b -o cat --no-pager | grep -c 'Hypervisor detected: KVM'",
                      check=False).split("\n")
        check(f"{vm.name}: ansible_local.apf is apfctl's status of {KERNEL}",
              "error" not in apf and apf.get("kernel") == KERNEL
              and apf.get("version") == VERSION, json.dumps(apf)[:400])
        check(f"{vm.name}: the fact says neither KVM host nor guest, APF unavailable "
              f"(in the VM: {', '.join(real[:2])}, 'Hypervisor detected: KVM' x{real[2]})",
              apf.get("role") == "neither" and apf.get("host") is None
              and apf.get("guest") is None and real[:3] == [
                  "/sys/kernel/kvm_async_pf absent", "/dev/kvm absent", "0"],
              json.dumps(apf))
        roll = local.get("apf_rollout", {})
        check(f"{vm.name}: ansible_local.apf_rollout records the kexec",
              roll.get("state") == "done" and roll.get("kernel") == KERNEL
              and roll.get("boot_method") == "kexec", json.dumps(roll))
        STATE.setdefault("facts", {})[vm.name] = {
            "apf": {k: apf.get(k) for k in ("kernel", "role", "host", "guest")},
            "apf_rollout": {k: roll.get(k) for k in ("state", "boot_method")}}


def test_idempotent(fleet):
    if not STATE.get("rolled_out"):
        pytest.skip("the rollout did not pass")
    before = fleet.parallel(host_state)
    with phase("rollout.yml again (idempotence)") as n:
        rc, log = playbook(fleet, "rollout-2.log")
        n["note"] = f"rc={rc}"
    check("second rollout.yml exits 0", rc == 0, tail(log))
    rec = recap(log)
    changed = {h: rec.get(h, {}).get("changed") for h in (v.name for v in fleet.vms)}
    check("second run: changed=0 on every host", set(changed.values()) == {0},
          f"{changed}; changed tasks:\n" + "\n".join(
              ln for ln in log.splitlines() if ln.startswith("changed:"))[:3000])
    after = fleet.parallel(host_state)
    check("second run: no host rebooted",
          all(before[h]["boot_id"] == after[h]["boot_id"] for h in before),
          {h: (before[h]["boot_id"], after[h]["boot_id"]) for h in before})
    # A converged fleet: --check finds nothing to do and touches nothing.
    check_mode_phase(fleet, "converged fleet", "lock", converged=True)


def evacuation_record(vm):
    r = vm.run("cat /var/lib/apf/rollout-evacuated.json", check=False)
    try:
        return json.loads(r.stdout) if r.returncode == 0 else {}
    except ValueError:
        return {"unparsable": r.stdout}


def inject_failure(vm):
    vm.run(f"mkdir -p {HEALTH_DIR} && cat >{HEALTH_DIR}/{FAIL_CHECK} && "
           f"chmod 755 {HEALTH_DIR}/{FAIL_CHECK}",
           stdin="#!/bin/sh\n# tests/fleet: a health check that fails\n"
                 "echo 'fleet test: injected health check failure' >&2\nexit 1\n")


def test_failure_stops_rollout(fleet):
    """Host 2's health check fails after its kexec: the rollout stops
    there; host 1 is done, host 2 drained with its reason, host 3
    untouched."""
    with phase("boot 3 fresh VMs (kernel A, parallel)") as n:
        fleet.boot()
        n["note"] = " ".join(f"{v.name} {v.booted_s:.0f}s" for v in fleet.vms)
    write_inventory(fleet, "lock-failure")
    h1, h2, h3 = fleet.vms
    inject_failure(h2)
    before = fleet.parallel(host_state)
    with phase("rollout.yml with host 2's health check failing") as n:
        rc, log = playbook(fleet, "rollout-fail.log")
        n["note"] = f"rc={rc}"
    STATE["fail_log"] = log
    check("rollout.yml exits non-zero", rc != 0, f"rc={rc}")
    rec = recap(log)
    check("PLAY RECAP: fleet2 failed", rec.get("fleet2", {}).get("failed", 0) > 0, rec)
    with phase("checks after the failed rollout"):
        check_rolled_out(fleet, h1, before[h1.name])
        # Host 2: its reason, on tmpfs and on disk, naming the check.
        r = h2.run("cat /run/apf/rollout-failed; echo ---; "
                   "cat /var/lib/apf/rollout-failed", check=False)
        run_reason, _, disk_reason = r.stdout.partition("---")
        check("fleet2: /run/apf/rollout-failed names the failed health check",
              r.returncode == 0 and FAIL_CHECK in run_reason, r.stdout + r.stderr)
        check("fleet2: /var/lib/apf/rollout-failed names it too",
              FAIL_CHECK in disk_reason, disk_reason)
        STATE["fleet2 reason"] = run_reason.strip()
        evac = evacuation_record(h2)
        check("fleet2: drained (rollout-evacuated.json without returned_by: "
              "the guests were never brought back)",
              evac.get("host") == "fleet2" and "returned_by" not in evac, evac)
        check("fleet2: runs the new kernel (it failed after the kexec)",
              h2.out("uname -r", check=False) == KERNEL)
        locks = [json.loads(p.read_text()) for p in
                 (fleet.workdir / "lock-failure").glob("*/failed.json")]
        check("the controller's rollout lock holds fleet2's failure",
              len(locks) == 1 and locks[0].get("owner") == "fleet2"
              and FAIL_CHECK in locks[0].get("reason", ""), locks)
        s3 = host_state(h3)
        b3 = before[h3.name]
        check("fleet3 untouched: same boot_id", s3["boot_id"] == b3["boot_id"],
              f"{b3['boot_id']} -> {s3['boot_id']}")
        check("fleet3 untouched: old kernel", s3["kernel"] == fl.kernel_version("A"),
              s3["kernel"])
        check("fleet3 untouched: no apf package", s3["packages"] == [], s3["packages"])
        check("fleet3 untouched: no apf apt source", s3["sources"] == b3["sources"],
              f"{b3['sources']} -> {s3['sources']}")
    # A rerun does not go past the failed host: the lock and the marker
    # stop it, and host 3 stays untouched.
    with phase("rollout.yml again while fleet2 is marked failed") as n:
        rc, log = playbook(fleet, "rollout-blocked.log")
        n["note"] = f"rc={rc}"
    check("rerun exits non-zero (blocked by fleet2's failure)", rc != 0, f"rc={rc}")
    check("rerun says fleet2 was left drained",
          "left drained by a failed rollout" in log or "rollout blocked" in log, tail(log))
    s3 = host_state(h3)
    check("fleet3 still untouched after the rerun",
          s3["boot_id"] == b3["boot_id"] and s3["packages"] == [], s3)


def summary(f, ok):
    print("\n\n  fleet test (3 VMs, QEMU TCG, 1 vCPU each; emulated times)")
    for name, secs, note in PHASES:
        print(f"    {name:55} {secs:7.1f} s  {note}")
    print(f"    {'total (fixture, with cleanup of the rest)':55} {STATE.get('wall', 0):7.1f} s")
    failed = [c for c in CHECKS if c[1] != "ok"]
    print(f"  checks: {len(CHECKS) - len(failed)} ok, {len(failed)} failed")
    for name, outcome in CHECKS:
        print(f"    [{outcome if outcome == 'ok' else 'FAIL'}] {name}"
              + ("" if outcome == "ok" else f"\n        {outcome[:600]}"))
    for k in ("facts", "fleet2 reason"):
        if k in STATE:
            print(f"  {k}: {STATE[k]}")
    print(f"  run directory: {f.workdir}" + (
        "" if fl.KEEP else " (removed; FLEET_KEEP=1 keeps it and the VMs)" if ok
        else " (logs kept: */serial.log, *.log)"))
    out = os.environ.get("FLEET_RESULTS")
    if out:
        Path(out).write_text(json.dumps({
            "phases": [{"phase": a, "seconds": round(b, 1), "note": c} for a, b, c in PHASES],
            "checks": [{"check": a, "outcome": b} for a, b in CHECKS],
            "facts": STATE.get("facts"), "wall_s": round(STATE.get("wall", 0), 1)},
            indent=2) + "\n")
