# SPDX-License-Identifier: GPL-2.0-only
"""The rollout's evacuate and restore steps for real on localhost, where
that is safe: virsh against libvirt's own test driver (test:///default,
a fresh in-memory hypervisor per connection with one running domain,
"test"; nothing of this machine's libvirt is touched) or against a
libvirt socket that does not exist, and apfctl on a fixture sysroot (with
or without QEMU VMs).  The host's records go to the test's directory."""

import json
import shutil

import pytest

from conftest import ANS, APFCTL, TOP, need_root

PB = ANS / "tests/playbooks/evacuate.yml"
FIX = TOP / "tools/apfctl/tests/fixtures"
NO_LIBVIRT = "qemu+unix:///system?socket=/nonexistent/apf-test/sock"


@pytest.fixture
def host(tmp_path):
    need_root()
    if not APFCTL.exists():
        pytest.skip("apfctl is not built (make all)")
    if not shutil.which("virsh"):
        pytest.skip("virsh is not installed (libvirt-clients)")

    def make(fixture, **kw):
        wrapper = tmp_path / "apfctl"
        wrapper.write_text('#!/bin/sh\nexec %s --sysroot %s "$@"\n' % (APFCTL, FIX / fixture))
        wrapper.chmod(0o755)
        v = {"apf_config_apfctl": str(wrapper), "apf_rollout_expected_kernel": "6.12.117-apf-host",
             "apf_rollout_state_dir": str(tmp_path / "state"),
             "apf_rollout_run_dir": str(tmp_path / "run")}
        v.update(kw)
        return v
    return make


def record(v):
    with open(v["apf_rollout_state_dir"] + "/rollout-evacuated.json") as f:
        return json.load(f)


def test_shutdown_then_start(ansible, host):
    # The test driver's domain never stops (each virsh call is a new
    # hypervisor): the timeout and destroy path runs.
    v = host("patched-guest", apf_rollout_libvirt_uri="test:///default",
             apf_rollout_evacuate="shutdown", apf_rollout_shutdown_timeout=5)
    r = ansible(PB, v)
    assert r.rc == 0, r
    assert "test did not stop within 5 s: destroying them" in r.out, r
    rec = record(v)
    assert rec["returned"] is True and rec["returned_by"] == "start", rec
    assert rec["domains"] == [{"name": "test", "action": "destroyed", "persistent": True}], rec
    assert rec["policy"] == "shutdown" and rec["libvirt"] == "ok", rec


def test_guests_kept_across_a_failed_run(ansible, host):
    v = host("patched-guest", apf_rollout_libvirt_uri="test:///default",
             apf_rollout_evacuate="shutdown", apf_rollout_shutdown_timeout=1, evac_restore=False)
    assert ansible(PB, v).rc == 0
    assert record(v)["returned"] is False
    # The next run finds nothing running (here: libvirt gone) but still
    # owes "test" its return.
    v2 = dict(v, apf_rollout_libvirt_uri=NO_LIBVIRT, apf_rollout_guests_return="scheduler",
              evac_restore=True)
    r = ansible(PB, v2)
    assert r.rc == 0, r
    rec = record(v)
    assert [d["name"] for d in rec["domains"]] == ["test"] and rec["returned_by"] == "scheduler"


def test_no_libvirt_nothing_running(ansible, host):
    v = host("patched-guest", apf_rollout_libvirt_uri=NO_LIBVIRT, apf_rollout_evacuate="shutdown")
    r = ansible(PB, v)
    assert r.rc == 0, r
    assert "no libvirt daemon runs and apfctl sees no QEMU VMs: nothing to evacuate" in r.out, r
    assert record(v)["domains"] == [] and record(v)["libvirt"] == "no-daemon"


def test_no_libvirt_but_qemu_runs_stops(ansible, host):
    v = host("patched-host", apf_rollout_libvirt_uri=NO_LIBVIRT, apf_rollout_evacuate="shutdown")
    r = ansible(PB, v)
    assert r.rc != 0, r
    assert "cannot evacuate" in r.out and "QEMU VMs running: web01, testvm" in r.out, r
    # evacuate=none: the operator said guests may stop with the host.
    r = ansible(PB, dict(v, apf_rollout_evacuate="none"))
    assert r.rc == 0, r
