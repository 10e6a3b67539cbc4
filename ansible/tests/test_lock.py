# SPDX-License-Identifier: GPL-2.0-only
"""The fleet-wide rollout lock, for real: the apf_rollout role's lock tasks
run by ansible-playbook on localhost against a throwaway lock directory,
with concurrent takers; then the module's functions on their own."""

import importlib.util
import json
import time
from pathlib import Path

import pytest

from conftest import ANS, finish, need_root

PB = ANS / "tests/playbooks"


@pytest.fixture
def lockvars(tmp_path):
    d = tmp_path / "lock"
    return {"apf_rollout_lock_dir": str(d), "apf_rollout_lock_host": "localhost",
            "apf_rollout_lock_delay": 1, "apf_rollout_lock_timeout": 60}


def entries(lockvars):
    d = Path(lockvars["apf_rollout_lock_dir"])
    out = {}
    for e in sorted(d.iterdir()) if d.is_dir() else []:
        owner = json.loads((e / "owner.json").read_text()) if (e / "owner.json").exists() else {}
        failed = json.loads((e / "failed.json").read_text()) if (e / "failed.json").exists() else None
        out[e.name] = (owner.get("owner") or (failed or {}).get("owner"), failed)
    return out


def take(ansible, lockvars, hosts, **kw):
    return ansible(PB / "lock.yml", dict(lockvars, lock_hosts=hosts, lock_action="take", **kw))


def release(ansible, lockvars, hosts):
    return ansible(PB / "lock.yml", dict(lockvars, lock_hosts=hosts, lock_action="release"))


def test_take_release_idempotent(ansible, lockvars):
    r = take(ansible, lockvars, "h1")
    assert r.rc == 0, r
    assert r.changed("h1") == 1, r
    owner, failed = entries(lockvars)["slot-0"]
    assert owner == "h1" and failed is None
    info = json.loads((Path(lockvars["apf_rollout_lock_dir"]) / "slot-0/owner.json").read_text())
    assert info["since"].endswith("Z") and info["play"] == "Take or release the rollout lock"
    # A second run (the same rollout, rerun) holds it already: no change.
    r = take(ansible, lockvars, "h1")
    assert r.rc == 0 and r.changed("h1") == 0, r
    r = release(ansible, lockvars, "h1")
    assert r.rc == 0 and r.changed("h1") == 1, r
    assert entries(lockvars) == {}
    r = release(ansible, lockvars, "h1")
    assert r.rc == 0 and r.changed("h1") == 0, r


def test_second_taker_times_out(ansible, lockvars):
    assert take(ansible, lockvars, "h1").rc == 0
    t0 = time.monotonic()
    r = take(ansible, lockvars, "h2", apf_rollout_lock_timeout=4)
    waited = time.monotonic() - t0
    assert r.rc != 0, r
    assert "timed out after 4 s waiting for the rollout lock" in r.out, r
    assert "slot-0: h1 since" in r.out, r
    assert waited >= 4, waited
    assert {k: v[0] for k, v in entries(lockvars).items()} == {"slot-0": "h1"}


def test_second_taker_waits_for_release(ansible, lockvars, tmp_path):
    assert take(ansible, lockvars, "h1").rc == 0
    t0 = time.monotonic()
    bg = ansible(PB / "lock.yml", dict(lockvars, lock_hosts="h2", lock_action="take"),
                 background=True, log=tmp_path / "h2.log")
    time.sleep(8)
    # h2 is still waiting: its playbook has not finished, h1 holds the slot.
    assert bg[0].poll() is None, (tmp_path / "h2.log").read_text()
    assert {k: v[0] for k, v in entries(lockvars).items()} == {"slot-0": "h1"}
    assert release(ansible, lockvars, "h1").rc == 0
    r = finish(bg, timeout=120)
    assert r.rc == 0 and r.changed("h2") == 1, r
    assert time.monotonic() - t0 >= 8
    assert {k: v[0] for k, v in entries(lockvars).items()} == {"slot-0": "h2"}


def test_concurrent_takers_one_wins(ansible, lockvars, tmp_path):
    """Two rollouts start at the same moment: exactly one gets the slot."""
    short = dict(lockvars, apf_rollout_lock_timeout=6)
    a = ansible(PB / "lock.yml", dict(short, lock_hosts="h1", lock_action="take"),
                background=True, log=tmp_path / "a.log")
    b = ansible(PB / "lock.yml", dict(short, lock_hosts="h2", lock_action="take"),
                background=True, log=tmp_path / "b.log")
    ra, rb = finish(a), finish(b)
    assert sorted([ra.rc == 0, rb.rc == 0]) == [False, True], (ra, rb)
    loser = rb if ra.rc == 0 else ra
    assert "timed out after 6 s" in loser.out, loser
    assert len(entries(lockvars)) == 1


def test_batch_takes_all_or_nothing(ansible, lockvars):
    # Two slots, h3 holds one: a batch of h1+h2 must not take the other
    # one alone and then wait (two such rollouts would deadlock).
    two = dict(lockvars, apf_rollout_concurrency=2)
    assert take(ansible, two, "h3").rc == 0
    r = take(ansible, dict(two, apf_rollout_lock_timeout=3), "h1:h2")
    assert r.rc != 0 and "timed out" in r.out, r
    assert {k: v[0] for k, v in entries(lockvars).items()} == {"slot-0": "h3"}
    assert release(ansible, two, "h3").rc == 0
    r = take(ansible, two, "h1:h2")
    assert r.rc == 0, r
    assert sorted(v[0] for v in entries(lockvars).values()) == ["h1", "h2"]


def test_batch_larger_than_concurrency_fails_at_once(ansible, lockvars):
    t0 = time.monotonic()
    r = take(ansible, lockvars, "h1:h2")
    assert r.rc != 0, r
    assert "2 hosts of this batch need the rollout lock at once" in r.out, r
    assert "lower apf_rollout_batch to 1" in r.out, r
    assert time.monotonic() - t0 < 30
    assert entries(lockvars) == {}


def test_failed_host_blocks_the_fleet_until_cleared(ansible, lockvars, tmp_path):
    need_root()
    host = {"apf_rollout_state_dir": str(tmp_path / "h2-state"),
            "apf_rollout_run_dir": str(tmp_path / "h2-run"),
            "apf_config_facts_dir": str(tmp_path / "h2-facts")}
    assert take(ansible, lockvars, "h2").rc == 0
    r = ansible(PB / "fail.yml", dict(lockvars, **host, fail_host="h2"))
    assert r.rc != 0, r
    assert "rollout failed on h2: Run the site health checks:" in r.out, r
    assert "non-zero return code: disk check: /var is full" in r.out, r
    # The reason is on the host (run and persistent copies, a local fact)
    # and in its lock slot, which is kept.
    for d in ("h2-run", "h2-state"):
        text = (tmp_path / d / "rollout-failed").read_text()
        assert "Run the site health checks" in text and "/var is full" in text, text
    fact = json.loads((tmp_path / "h2-facts/apf_rollout.fact").read_text())
    assert fact["state"] == "failed" and "/var is full" in fact["reason"], fact
    (owner, failed), = entries(lockvars).values()
    assert owner == "h2" and "/var is full" in failed["reason"], failed
    # Every other host is blocked at once (no waiting for the timeout).
    t0 = time.monotonic()
    r = take(ansible, lockvars, "h1")
    assert r.rc != 0 and "rollout blocked: h2 failed a rollout" in r.out, r
    assert "apf_rollout_clear_host=h2" in r.out, r
    assert time.monotonic() - t0 < 30
    # Releasing does not clear a failed host; unlock.yml does.
    r = release(ansible, lockvars, "h2")
    assert r.rc != 0 and "marked failed" in r.out, r
    r = ansible(ANS / "playbooks/unlock.yml", dict(lockvars, **host, apf_rollout_clear_host="h2"))
    assert r.rc == 0, r
    assert entries(lockvars) == {}
    assert not (tmp_path / "h2-state/rollout-failed").exists()
    assert not (tmp_path / "h2-run/rollout-failed").exists()
    r = take(ansible, lockvars, "h1")
    assert r.rc == 0 and r.changed("h1") == 1, r


def test_unlock_names_the_host(ansible):
    r = ansible(ANS / "playbooks/unlock.yml", {})
    assert r.rc != 0 and "-e apf_rollout_clear_host=HOST" in r.out, r


# --- the module's functions, without Ansible --------------------------------

@pytest.fixture(scope="module")
def lockmod():
    spec = importlib.util.spec_from_file_location(
        "rollout_lock", ANS / "plugins/modules/rollout_lock.py")
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def test_module_slots_bound_holders(lockmod, tmp_path):
    d = str(tmp_path / "l")
    changed, mine, _, _ = lockmod.acquire(d, ["a"], 2, {}, 0, 1)
    assert changed and mine == {"a": "slot-0"}
    changed, mine, _, _ = lockmod.acquire(d, ["b"], 2, {}, 0, 1)
    assert changed and mine == {"b": "slot-1"}
    with pytest.raises(lockmod.LockError, match="timed out after 0 s"):
        lockmod.acquire(d, ["c"], 2, {}, 0, 1)
    # Fewer slots than held (concurrency lowered): nobody new gets in.
    with pytest.raises(lockmod.LockError, match="held by slot-0: a"):
        lockmod.acquire(d, ["c"], 1, {}, 0, 1)
    assert lockmod.release(d, ["a"]) and not lockmod.release(d, ["a"])
    changed, mine, _, _ = lockmod.acquire(d, ["c"], 2, {}, 0, 1)
    assert mine == {"c": "slot-0"}


def test_module_waits_with_sleep_between_tries(lockmod, tmp_path):
    d = str(tmp_path / "l")
    lockmod.acquire(d, ["a"], 1, {}, 0, 1)
    naps = []

    def sleep(s):
        naps.append(s)
        if len(naps) == 3:
            lockmod.release(d, ["a"])

    changed, mine, _, waited = lockmod.acquire(d, ["b"], 1, {}, 3600, 5, sleep=sleep)
    assert changed and mine == {"b": "slot-0"} and naps == [5, 5, 5]


def test_module_failed_without_slot_still_blocks(lockmod, tmp_path):
    d = str(tmp_path / "l")
    assert lockmod.mark_failed(d, ["web/1"], "kexec failed", {})
    (h,) = lockmod.scan(d)
    assert h["entry"] == "failed-web_1" and h["owner"] == "web/1"
    with pytest.raises(lockmod.LockError, match="rollout blocked: web/1 failed"):
        lockmod.acquire(d, ["a"], 1, {}, 0, 1)
    assert lockmod.clear(d, ["web/1"]) and lockmod.scan(d) == []


def test_module_unwritable_dir_says_what_to_do(lockmod, tmp_path):
    need_root()
    import os
    import subprocess
    d = tmp_path / "ro"
    d.mkdir()
    os.chmod(d, 0o555)
    # As an unprivileged user: root would write anyway.
    r = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c",
         "import importlib.util as u,sys; s=u.spec_from_file_location('m', sys.argv[1]); "
         "m=u.module_from_spec(s); s.loader.exec_module(m)\n"
         "try: m.acquire(sys.argv[2], ['a'], 1, {}, 0, 1)\n"
         "except m.LockError as e: print(e)",
         str(ANS / "plugins/modules/rollout_lock.py"), str(d / "lock")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False, text=True)
    assert "cannot create the lock directory" in r.stdout, r.stdout
    assert "set apf_rollout_lock_dir" in r.stdout, r.stdout
