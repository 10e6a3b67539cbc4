# SPDX-License-Identifier: GPL-2.0-only
"""rollout.yml for real on localhost, where that is safe: three inventory
hosts (connection local) that already run "the rollout's result" (this
machine's kernel, an installed package at its version, apfctl's status)
must be left alone, batch by batch (a second run of a finished rollout
changes nothing); and a host that needs the rollout but finds the lock
held by a failed host stops the play before anything is touched, with the
hosts after it never started (any_errors_fatal).  Every directory the role
could write is under the test's temporary directory.  The rollout proper
(kexec, verification, failures) runs on VMs in tests/fleet."""

import importlib.util
import json
import os
import subprocess

import pytest

from conftest import ANS, APFCTL, PY, ansible_env, need_root

PB = ANS / "playbooks/rollout.yml"
ROLLBACK = ANS / "playbooks/rollback.yml"


def installed(pkg):
    return subprocess.run(["dpkg-query", "-W", "--showformat=${Version}", pkg],
                          stdout=subprocess.PIPE, text=True, check=True).stdout


@pytest.fixture
def fleet(tmp_path):
    need_root()
    if not APFCTL.exists():
        pytest.skip("apfctl is not built (make all)")
    kernel = os.uname().release

    def inventory(per_host=None):
        common = {
            "ansible_connection": "local", "ansible_python_interpreter": PY,
            "apf_packages_meta_package": "apt", "apf_packages_version": installed("apt"),
            "apf_rollout_expected_kernel": kernel, "apf_rollout_expected_apf": "any",
            "apf_config_apfctl": str(APFCTL),
            "apf_rollout_lock_host": "localhost",
            "apf_rollout_lock_dir": str(tmp_path / "lock"),
            "apf_rollout_lock_timeout": 5, "apf_rollout_lock_delay": 1,
            "apf_rollout_state_dir": str(tmp_path / "state"),
            "apf_rollout_run_dir": str(tmp_path / "run"),
            "apf_config_facts_dir": str(tmp_path / "facts"),
            "apf_packages_repo_url": "",     # apf_packages would stop at its first task
        }
        hosts = {h: dict((per_host or {}).get(h, {})) for h in ("h1", "h2", "h3")}
        inv = {"all": {"hosts": {"localhost": {"ansible_connection": "local",
                                               "ansible_python_interpreter": PY}},
                       "children": {"apf_hosts": {"hosts": hosts, "vars": common}}}}
        path = tmp_path / "inventory.json"
        path.write_text(json.dumps(inv))
        return path

    def run(inv, *extra, playbook=PB):
        p = subprocess.run(["ansible-playbook", "-i", str(inv), *extra, str(playbook)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env=ansible_env(tmp_path), cwd=tmp_path, timeout=600, check=False)
        from conftest import Run
        return Run(p, p.stdout)

    return inventory, run, tmp_path


def batches(out):
    return out.count("PLAY [Roll the APF Suite out, canary first]")


def test_finished_rollout_changes_nothing(fleet):
    inventory, run, tmp = fleet
    inv = inventory()
    r = run(inv)
    assert r.rc == 0, r
    assert batches(r.out) == 3, r                        # canary, then one by one
    for h in ("h1", "h2", "h3"):
        assert r.recap[h]["changed"] == 0 and r.recap[h]["failed"] == 0, r
    assert r.out.count("already done: %s" % os.uname().release) == 3, r
    assert not (tmp / "lock").exists() and not (tmp / "state").exists()
    r = run(inv, "-e", "apf_rollout_batch=2")
    assert r.rc == 0 and batches(r.out) == 2, r         # canary, then a batch of two
    assert all(r.recap[h]["changed"] == 0 for h in ("h1", "h2", "h3")), r


def test_failed_host_in_lock_stops_the_rollout_untouched(fleet):
    inventory, run, tmp = fleet
    spec = importlib.util.spec_from_file_location(
        "rollout_lock", ANS / "plugins/modules/rollout_lock.py")
    lock = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lock)
    lock.mark_failed(str(tmp / "lock"), ["kvm09"], "verification failed: kernel 6.1", {})
    inv = inventory({"h2": {"apf_rollout_expected_kernel": "6.12.117-apf-guest"}})
    r = run(inv)
    assert r.rc != 0, r
    assert r.recap["h1"]["failed"] == 0 and r.recap["h1"]["changed"] == 0, r
    assert r.recap["h2"]["failed"] == 1, r
    assert "rollout blocked: kvm09 failed a rollout" in r.out, r
    assert "rollout needed: kernel %s, not 6.12.117-apf-guest" % os.uname().release in r.out, r
    assert "h3" not in r.recap, r                        # its batch never started
    assert "evacuate.yml for" not in r.out and not (tmp / "state").exists(), r


def test_rollback_needs_every_version_named(fleet):
    """rollback.yml refuses, before any host is touched, a host of
    apf-host without its QEMU version (apf-host's apt pin would keep the
    newer QEMU), and any host without the exact kernel."""
    inventory, run, tmp = fleet
    inv = inventory({"h2": {"apf_packages_meta_package": "apf-host"},
                     "h3": {"apf_rollout_expected_kernel": ""}})
    r = run(inv, playbook=ROLLBACK)
    assert r.rc != 0, r
    assert r.recap["h2"]["failed"] == 1 and r.recap["h3"]["failed"] == 1, r
    assert r.recap["h1"]["failed"] == 0, r
    assert "a rollback names the build to go back to" in r.out, r
    assert "PLAY [Roll the APF Suite out, canary first]" not in r.out, r
    assert not (tmp / "lock").exists() and not (tmp / "state").exists()


def test_rollback_goes_through_the_rollout(fleet):
    """With every version named, rollback.yml is the rollout: canary
    first, then batches; hosts already on the named build are left alone."""
    inventory, run, tmp = fleet
    inv = inventory({"h2": {"apf_packages_qemu_version": "1:10.0.13+ds-0+deb13u1+apf1"}})
    r = run(inv, playbook=ROLLBACK)
    assert r.rc == 0, r
    assert batches(r.out) == 3, r
    assert r.out.count("already done: %s" % os.uname().release) == 3, r
    assert all(r.recap[h]["changed"] == 0 and r.recap[h]["failed"] == 0 for h in ("h1", "h2", "h3")), r
    assert not (tmp / "lock").exists() and not (tmp / "state").exists()
