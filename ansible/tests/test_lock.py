# SPDX-License-Identifier: GPL-2.0-only
"""The fleet-wide rollout lock, for real: the apf_rollout role's lock tasks
run by ansible-playbook on localhost against a throwaway lock directory,
with concurrent takers, runs that are gone (stale leases), several
controllers sharing one lock, and a failed host; then the module's
functions on their own (with a clock the test moves)."""

import importlib.util
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ANS, Run, finish, need_root

PB = ANS / "tests/playbooks"
RUN1 = "tester@ctl1/run-1"


@pytest.fixture
def lockvars(tmp_path):
    d = tmp_path / "lock"
    return {"apf_rollout_lock_dir": str(d), "apf_rollout_lock_host": "localhost",
            "apf_rollout_lock_delay": 1, "apf_rollout_lock_timeout": 60}


def entries(lockvars):
    d = Path(lockvars["apf_rollout_lock_dir"])
    out = {}
    for e in sorted(d.iterdir()) if d.is_dir() else []:
        if not e.is_dir():
            continue
        owner = json.loads((e / "owner.json").read_text()) if (e / "owner.json").exists() else {}
        failed = json.loads((e / "failed.json").read_text()) if (e / "failed.json").exists() else None
        out[e.name] = (owner.get("owner") or (failed or {}).get("owner"), failed)
    return out


def owner_json(lockvars, entry="slot-0"):
    return json.loads((Path(lockvars["apf_rollout_lock_dir"]) / entry / "owner.json").read_text())


def events(lockvars):
    f = Path(lockvars["apf_rollout_lock_dir"]) / "events.log"
    return [json.loads(line) for line in f.read_text().splitlines()] if f.exists() else []


def take(ansible, lockvars, hosts, holder=RUN1, **kw):
    """The rollout's lock tasks for hosts, as run `holder` (one
    ansible-playbook run stands for one rollout run: the same holder)."""
    extra = dict(lockvars, lock_hosts=hosts, lock_action="take", **kw)
    if holder:
        extra["apf_rollout_lock_holder"] = holder
    return ansible(PB / "lock.yml", extra)


def release(ansible, lockvars, hosts, holder=RUN1):
    return ansible(PB / "lock.yml", dict(lockvars, lock_hosts=hosts, lock_action="release",
                                         apf_rollout_lock_holder=holder))


def lock_playbook(ansible, lockvars, action, **kw):
    """playbooks/lock.yml, run as the operator, for the hosts of lockers."""
    return ansible(ANS / "playbooks/lock.yml",
                   dict(lockvars, apf_rollout_hosts="lockers", apf_rollout_lock_action=action, **kw))


def test_take_release_idempotent(ansible, lockvars):
    r = take(ansible, lockvars, "h1")
    assert r.rc == 0, r
    assert r.changed("h1") == 1, r
    owner, failed = entries(lockvars)["slot-0"]
    assert owner == "h1" and failed is None
    info = owner_json(lockvars)
    assert info["since"].endswith("Z") and info["play"] == "Take or release the rollout lock"
    assert info["holder"] == RUN1 and info["lease"] == 1800 and info["step"] == "acquired"
    assert info["expires"] - time.time() == pytest.approx(1800, abs=120), info
    cfg = json.loads((Path(lockvars["apf_rollout_lock_dir"]) / "lock.json").read_text())
    assert cfg["slots"] == 1 and cfg["created_by"] == RUN1, cfg
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
    r = take(ansible, lockvars, "h2", holder="tester@ctl1/run-2", apf_rollout_lock_timeout=4)
    waited = time.monotonic() - t0
    assert r.rc != 0, r
    assert "timed out after 4 s waiting for the rollout lock" in r.out, r
    assert "slot-0: h1 held by %s since" % RUN1 in r.out, r
    assert "lease until" in r.out, r
    assert waited >= 4, waited
    assert {k: v[0] for k, v in entries(lockvars).items()} == {"slot-0": "h1"}


def test_second_taker_waits_for_release(ansible, lockvars, tmp_path):
    assert take(ansible, lockvars, "h1").rc == 0
    t0 = time.monotonic()
    bg = ansible(PB / "lock.yml", dict(lockvars, lock_hosts="h2", lock_action="take",
                                       apf_rollout_lock_holder="tester@ctl1/run-2"),
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
    # (No holder given: each run names itself user@controller/run-id.)
    ra, rb = finish(a), finish(b)
    assert sorted([ra.rc == 0, rb.rc == 0]) == [False, True], (ra, rb)
    loser = rb if ra.rc == 0 else ra
    assert "timed out after 6 s" in loser.out, loser
    assert len(entries(lockvars)) == 1
    holder = owner_json(lockvars)["holder"]
    assert re.fullmatch(r"[^@/\s]+@[^@/\s]+/\d{8}T\d{6}Z-[0-9a-f]{8}", holder), holder
    assert "held by %s" % holder in loser.out, loser


def test_batch_takes_all_or_nothing(ansible, lockvars):
    # Two slots, h3 holds one: a batch of h1+h2 must not take the other
    # one alone and then wait (two such rollouts would deadlock).
    two = dict(lockvars, apf_rollout_concurrency=2)
    assert take(ansible, two, "h3", holder="tester@ctl1/run-3").rc == 0
    r = take(ansible, dict(two, apf_rollout_lock_timeout=3), "h1:h2")
    assert r.rc != 0 and "timed out" in r.out, r
    assert {k: v[0] for k, v in entries(lockvars).items()} == {"slot-0": "h3"}
    assert release(ansible, two, "h3", holder="tester@ctl1/run-3").rc == 0
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
    r = take(ansible, lockvars, "h1", holder="tester@ctl2/run-9")
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
    r = take(ansible, lockvars, "h1", holder="tester@ctl2/run-9")
    assert r.rc == 0 and r.changed("h1") == 1, r
    kinds = [e["event"] for e in events(lockvars)]
    assert kinds == ["take", "fail", "clear", "take"], kinds
    assert "unlock.yml" in events(lockvars)[2]["by"]


def test_aborted_run_is_recovered(ansible, lockvars):
    """A controller took h1's slot and its run ended without releasing it
    (killed, lost its network): nothing renews the lease.  Once it runs
    out, another host's rollout stops at once naming the gone run; the
    operator sees it STALE with lock.yml and breaks it; the rollout goes
    on.  With apf_rollout_lock_break_stale the rollout breaks it itself,
    and a rerun for the same host takes its own stale slot over."""
    short = dict(lockvars, apf_rollout_lock_ttl=3)
    assert take(ansible, short, "h1", holder="ops@ctl1/run-A").rc == 0
    time.sleep(4)
    t0 = time.monotonic()
    r = take(ansible, short, "h2", holder="ops@ctl2/run-B")
    assert r.rc != 0 and "the run that held h1 is gone" in r.out, r
    assert time.monotonic() - t0 < 40                   # not the 60 s timeout
    r = lock_playbook(ansible, short, "show")
    assert r.rc == 0 and "slot-0: h1 held by ops@ctl1/run-A since" in r.out, r
    assert "STALE (lease ran out at" in r.out and "limit 1" in r.out, r
    r = lock_playbook(ansible, short, "break")
    assert r.rc == 0 and "broke slot-0" in r.out, r
    assert entries(lockvars) == {}
    brk = events(lockvars)[-1]
    assert brk["event"] == "break" and brk["holder"] == "ops@ctl1/run-A", brk
    assert brk["by"].endswith("(lock.yml)") and brk["detail"] == "stale", brk
    assert take(ansible, short, "h2", holder="ops@ctl2/run-B").rc == 0
    time.sleep(4)
    r = take(ansible, short, "h3", holder="ops@ctl3/run-C", apf_rollout_lock_break_stale=True)
    assert r.rc == 0 and "broke slot-0" in r.out, r
    time.sleep(4)
    r = take(ansible, short, "h3", holder="ops@ctl3/run-D")
    assert r.rc == 0 and "took over slot-0" in r.out, r
    assert owner_json(lockvars)["holder"] == "ops@ctl3/run-D"


def test_break_spares_live_slots_unless_forced(ansible, lockvars):
    assert take(ansible, lockvars, "h1").rc == 0
    r = lock_playbook(ansible, lockvars, "break", apf_rollout_lock_break_hosts=["h1"])
    assert r.rc != 0 and "not breaking live lock entries: slot-0: h1 held by" in r.out, r
    r = lock_playbook(ansible, lockvars, "break")             # all stale: none
    assert r.rc == 0 and entries(lockvars) != {}, r
    r = lock_playbook(ansible, lockvars, "break", apf_rollout_lock_break_hosts=["h1"],
                      apf_rollout_lock_break_force=True)
    assert r.rc == 0 and entries(lockvars) == {}, r
    assert events(lockvars)[-1]["detail"] == "forced"


def test_runs_agree_on_the_stored_limit(ansible, lockvars):
    assert take(ansible, lockvars, "h1").rc == 0
    r = take(ansible, dict(lockvars, apf_rollout_concurrency=2), "h2", holder="ops@ctl2/run-B")
    assert r.rc != 0 and "allows 1 host(s) at once" in r.out and "asks for 2" in r.out, r
    r = lock_playbook(ansible, lockvars, "configure", apf_rollout_concurrency=2)
    assert r.rc != 0 and "cannot change the limit" in r.out, r
    assert release(ansible, lockvars, "h1").rc == 0
    r = lock_playbook(ansible, lockvars, "configure", apf_rollout_concurrency=2)
    assert r.rc == 0 and r.changed("h1") == 1 and "limit 2" in r.out, r
    r = take(ansible, dict(lockvars, apf_rollout_concurrency=2), "h1:h2", holder="ops@ctl2/run-B")
    assert r.rc == 0, r
    assert sorted(v[0] for v in entries(lockvars).values()) == ["h1", "h2"]


def test_two_controllers_share_one_lock_host(ansible, lockvars, tmp_path):
    """Several controllers share the fleet: every one delegates the lock to
    the same apf_rollout_lock_host (here an inventory host of its own) and
    directory.  Two controllers' rollouts at once: one gets the slot, the
    other waits and then names the holder, controller and run."""
    shared = dict(lockvars, apf_rollout_lock_host="lockhost", apf_rollout_lock_timeout=6)
    runs = {}
    for ctl, host in (("ctlA", "h1"), ("ctlB", "h2")):
        runs[ctl] = ansible(PB / "lock.yml",
                            dict(shared, lock_hosts=host, lock_action="take",
                                 apf_rollout_lock_holder="ops@%s/run-1" % ctl),
                            background=True, log=tmp_path / ("%s.log" % ctl))
    done = {ctl: finish(bg) for ctl, bg in runs.items()}
    winners = [ctl for ctl, r in done.items() if r.rc == 0]
    assert len(winners) == 1, done
    loser = done["ctlB" if winners == ["ctlA"] else "ctlA"]
    assert "held by ops@%s/run-1" % winners[0] in loser.out, loser
    assert owner_json(lockvars)["holder"] == "ops@%s/run-1" % winners[0]


def tree(*roots):
    """path -> (size, mtime) of everything under roots."""
    out = {}
    for root in roots:
        for p in [Path(root), *Path(root).rglob("*")]:
            if p.exists():
                st = p.lstat()
                out[str(p)] = (st.st_size if p.is_file() else 0, st.st_mtime_ns)
    return out


def check_run(ansible, playbook, extra):
    """ansible-playbook --check with the ansible fixture's inventory."""
    p = subprocess.run(["ansible-playbook", "-i", str(ansible.inventory), "--check", "-e",
                        json.dumps(extra), str(playbook)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, env=ansible.env, timeout=300, check=False)
    return Run(p, p.stdout.decode(errors="replace"))


def test_operator_playbooks_in_check_mode_change_nothing(ansible, lockvars, tmp_path):
    """lock.yml break and unlock.yml with --check, on a lock holding a
    stale slot (h1's run is gone) and a failed host (h2): each says what
    it would break or clear and changes not one file, in the lock
    directory or on the host; without --check they do just that."""
    need_root()
    host = {"apf_rollout_state_dir": str(tmp_path / "h2-state"),
            "apf_rollout_run_dir": str(tmp_path / "h2-run"),
            "apf_config_facts_dir": str(tmp_path / "h2-facts")}
    two = dict(lockvars, apf_rollout_concurrency=2, apf_rollout_lock_ttl=3)
    assert take(ansible, two, "h1:h2", holder="ops@ctl1/run-A").rc == 0
    assert ansible(PB / "fail.yml", dict(two, **host, fail_host="h2")).rc != 0
    time.sleep(4)
    watched = (lockvars["apf_rollout_lock_dir"], tmp_path / "h2-state", tmp_path / "h2-run",
               tmp_path / "h2-facts")
    before, log = tree(*watched), events(lockvars)
    r = check_run(ansible, ANS / "playbooks/lock.yml",
                  dict(two, apf_rollout_hosts="lockers", apf_rollout_lock_action="break"))
    assert r.rc == 0 and r.changed("h1") == 1, r
    assert "STALE (lease ran out at" in r.out and "would break slot-" in r.out, r
    r = check_run(ansible, ANS / "playbooks/unlock.yml",
                  dict(two, **host, apf_rollout_clear_host="h2"))
    assert r.rc == 0 and r.recap["h2"]["failed"] == 0 and r.changed("h2") >= 2, r
    assert tree(*watched) == before and events(lockvars) == log
    assert sorted(v[0] for v in entries(lockvars).values()) == ["h1", "h2"]
    # For real: what --check said.
    r = lock_playbook(ansible, two, "break")
    assert r.rc == 0 and "; broke slot-" in r.out, r
    assert [v[0] for v in entries(lockvars).values()] == ["h2"]
    r = ansible(ANS / "playbooks/unlock.yml", dict(two, **host, apf_rollout_clear_host="h2"))
    assert r.rc == 0 and entries(lockvars) == {}, r
    assert not (tmp_path / "h2-state/rollout-failed").exists()
    assert [e["event"] for e in events(lockvars)][-2:] == ["break", "clear"]


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


class Clock:
    """time.time for the module, moved by the test."""

    def __init__(self):
        self.t = time.time()

    def __call__(self):
        return self.t


def test_module_slots_bound_holders(lockmod, tmp_path):
    d = str(tmp_path / "l")
    r = lockmod.acquire(d, ["a"], 2, "c/1", {}, 0, 1)
    assert r["changed"] and r["slots"] == {"a": "slot-0"} and r["limit"] == 2
    r = lockmod.acquire(d, ["b"], 2, "c/2", {}, 0, 1)
    assert r["changed"] and r["slots"] == {"b": "slot-1"}
    with pytest.raises(lockmod.LockError, match="timed out after 0 s"):
        lockmod.acquire(d, ["c"], 2, "c/3", {}, 0, 1)
    assert lockmod.release(d, ["a"], "c/1") == (True, [])
    assert lockmod.release(d, ["a"], "c/1") == (False, [])
    r = lockmod.acquire(d, ["c"], 2, "c/3", {}, 0, 1)
    assert r["slots"] == {"c": "slot-0"}


def test_module_limit_is_stored_with_the_lock(lockmod, tmp_path):
    """Runs with different apf_rollout_concurrency used to exceed each
    other's limit; the limit now lives in lock.json and a caller asking
    for another one stops at once, saying how to change it."""
    d = str(tmp_path / "l")
    lockmod.acquire(d, ["a"], 1, "ctl1/1", {}, 0, 1)
    assert json.loads(Path(d, "lock.json").read_text())["slots"] == 1
    with pytest.raises(lockmod.LockError, match=r"allows 1 host\(s\) at once .* this run asks "
                       r"for 3.*apf_rollout_concurrency=1.*apf_rollout_lock_action=configure"):
        lockmod.acquire(d, ["b"], 3, "ctl2/1", {}, 0, 1)
    # 0: "whatever the lock says".
    with pytest.raises(lockmod.LockError, match="timed out"):
        lockmod.acquire(d, ["b"], 0, "ctl2/1", {}, 0, 1)
    # Not while anyone holds it.
    with pytest.raises(lockmod.LockError, match="cannot change the limit .* while it is held"):
        lockmod.configure(d, 3, "op")
    lockmod.release(d, ["a"], "ctl1/1")
    assert lockmod.configure(d, 3, "op") and not lockmod.configure(d, 3, "op")
    cfg = json.loads(Path(d, "lock.json").read_text())
    assert cfg["slots"] == 3 and cfg["changed_by"] == "op" and cfg["created_by"] == "ctl1/1"
    r = lockmod.acquire(d, ["a", "b", "c"], 3, "ctl2/1", {}, 0, 1)
    assert sorted(r["slots"]) == ["a", "b", "c"]
    with pytest.raises(lockmod.LockError, match="this run asks for 1"):
        lockmod.acquire(d, ["x"], 1, "ctl1/2", {}, 0, 1)


def test_module_stale_slot_of_another_host_stops_at_once(lockmod, tmp_path):
    """A controller took h1's slot and died: its lease runs out.  Another
    host's taker does not wait out its timeout for a slot nobody will
    release: it stops at once naming the gone run and how to break it;
    with break_stale it breaks it (logged) and goes on."""
    d = str(tmp_path / "l")
    clock = Clock()
    lockmod.acquire(d, ["h1"], 1, "ops@ctl1/run-A", {}, 0, 1, lease=600, clock=clock)
    clock.t += 300
    with pytest.raises(lockmod.LockError, match="timed out"):      # live: waits
        lockmod.acquire(d, ["h2"], 1, "ops@ctl2/run-B", {}, 0, 1, lease=600, clock=clock)
    clock.t += 301
    t0 = time.monotonic()
    with pytest.raises(lockmod.LockError) as e:
        lockmod.acquire(d, ["h2"], 1, "ops@ctl2/run-B", {}, 3600, 1, lease=600, clock=clock)
    assert time.monotonic() - t0 < 5
    msg = str(e.value)
    assert "the run that held h1 is gone" in msg and "held by ops@ctl1/run-A" in msg, msg
    assert "STALE: lease ran out at" in msg and "apf_rollout_lock_action=break" in msg, msg
    assert "apf_rollout_lock_break_stale=true" in msg, msg
    r = lockmod.acquire(d, ["h2"], 1, "ops@ctl2/run-B", {}, 0, 1, lease=600, break_stale=True,
                        clock=clock)
    assert r["broken"] == ["slot-0"] and r["slots"] == {"h2": "slot-0"}, r
    (h,) = lockmod.scan(d, now=clock.t)
    assert (h["owner"], h["holder"], h["stale"]) == ("h2", "ops@ctl2/run-B", False)
    ev = [json.loads(x) for x in Path(d, "events.log").read_text().splitlines()]
    assert [x["event"] for x in ev] == ["take", "break", "take"], ev
    assert ev[1]["holder"] == "ops@ctl1/run-A" and ev[1]["by"] == "ops@ctl2/run-B", ev


def test_module_rerun_takes_over_its_own_stale_slot(lockmod, tmp_path):
    """The same host rolled out by a new run: a stale slot (the old run is
    gone) is taken over at once; a live one (another controller is rolling
    that host out right now) is waited for."""
    d = str(tmp_path / "l")
    clock = Clock()
    lockmod.acquire(d, ["h1"], 1, "ops@ctl1/run-A", {}, 0, 1, lease=600, clock=clock)
    with pytest.raises(lockmod.LockError, match="timed out .*h1 held by ops@ctl1/run-A"):
        lockmod.acquire(d, ["h1"], 1, "ops@ctl2/run-B", {}, 0, 1, lease=600, clock=clock)
    # The same run again keeps it (changed: nothing).
    r = lockmod.acquire(d, ["h1"], 1, "ops@ctl1/run-A", {}, 0, 1, lease=600, clock=clock)
    assert not r["changed"] and r["slots"] == {"h1": "slot-0"}
    clock.t += 601
    r = lockmod.acquire(d, ["h1"], 1, "ops@ctl2/run-B", {}, 0, 1, lease=600, clock=clock)
    assert r["changed"] and r["taken_over"] == ["slot-0"] and r["slots"] == {"h1": "slot-0"}
    assert lockmod.scan(d, now=clock.t)[0]["holder"] == "ops@ctl2/run-B"


def test_module_renew_extends_the_lease_and_notices_a_lost_lock(lockmod, tmp_path):
    d = str(tmp_path / "l")
    clock = Clock()
    lockmod.acquire(d, ["h1"], 1, "run-A", {}, 0, 1, lease=100, clock=clock)
    clock.t += 90
    lockmod.renew(d, ["h1"], "run-A", 1300, "reboot", clock=clock)
    (h,) = lockmod.scan(d, now=clock.t + 1000)
    assert not h["stale"] and h["step"] == "reboot" and h["expires"] == pytest.approx(clock.t + 1300)
    since = lockmod.scan(d)[0]["since"]
    # Another run's renewal: refused.
    with pytest.raises(lockmod.LockError, match="h1 lost the rollout lock .*held by run-A"):
        lockmod.renew(d, ["h1"], "run-B", 100, "verify", clock=clock)
    # An operator broke it (forced): the holder's next renewal stops it.
    assert lockmod.break_entries(d, ["h1"], "", force=True, by="op") == ["slot-0"]
    with pytest.raises(lockmod.LockError, match="h1 lost the rollout lock .*holds no slot"):
        lockmod.renew(d, ["h1"], "run-A", 100, "verify", clock=clock)
    assert since.endswith("Z")


def test_module_break_only_stale_unless_forced(lockmod, tmp_path):
    d = str(tmp_path / "l")
    clock = Clock()
    lockmod.acquire(d, ["h1", "h2"], 2, "run-A", {}, 0, 1, lease=100, clock=clock)
    lockmod.renew(d, ["h2"], "run-A", 1000, "reboot", clock=clock)
    clock.t += 200
    with pytest.raises(lockmod.LockError, match="not breaking live lock entries: slot-1: h2"):
        lockmod.break_entries(d, ["h2"], "", force=False, clock=clock)
    # All stale ones, the live one left; failed entries are never broken.
    lockmod.mark_failed(d, ["h9"], "kexec failed", {})
    assert lockmod.break_entries(d, [], "", force=False, clock=clock) == ["slot-0"]
    assert sorted(h["entry"] for h in lockmod.scan(d, now=clock.t)) == ["failed-h9", "slot-1"]
    assert lockmod.break_entries(d, [], "run-A", force=True, clock=clock) == ["slot-1"]


def test_module_check_mode_writes_nothing(lockmod, tmp_path):
    d = tmp_path / "l"
    r = lockmod.acquire(str(d), ["h1"], 1, "run-A", {}, 0, 1, check=True)
    assert r["changed"] and not d.exists()
    lockmod.acquire(str(d), ["h1"], 1, "run-A", {}, 0, 1)
    before = sorted(p.name for p in d.rglob("*")), (d / "slot-0/owner.json").read_text()
    # A live holder: check mode says what it would wait for, at once.
    t0 = time.monotonic()
    r = lockmod.acquire(str(d), ["h2"], 1, "run-B", {}, 3600, 1, check=True)
    assert time.monotonic() - t0 < 5
    assert r["would_wait"] and "h1 held by run-A" in r["would_wait"][0], r
    assert lockmod.release(str(d), ["h1"], "run-A", check=True) == (True, [])
    assert lockmod.mark_failed(str(d), ["h1"], "x", {}, check=True)
    assert lockmod.break_entries(str(d), ["h1"], "", force=True, check=True) == ["slot-0"]
    assert lockmod.clear(str(d), ["h1"], check=True)
    lockmod.renew(str(d), ["h1"], "run-A", 10, "x", check=True)
    assert (sorted(p.name for p in d.rglob("*")), (d / "slot-0/owner.json").read_text()) == before
    # A failed host blocks in check mode as it would for real.
    lockmod.mark_failed(str(d), ["h1"], "verification failed", {})
    with pytest.raises(lockmod.LockError, match="rollout blocked: h1 failed"):
        lockmod.acquire(str(d), ["h2"], 1, "run-B", {}, 0, 1, check=True)


def test_module_writes_are_durable(lockmod, tmp_path, monkeypatch):
    """Every file written is fsync'ed before its rename, and the directory
    after every mkdir, rename and removal, so a crash of the lock host
    leaves the old state or the new one."""
    d = tmp_path / "l"
    synced = []
    real = os.fsync

    def fsync(fd):
        synced.append(os.readlink("/proc/self/fd/%d" % fd))
        return real(fd)

    monkeypatch.setattr(lockmod.os, "fsync", fsync)
    lockmod.acquire(str(d), ["h1"], 1, "run-A", {}, 0, 1)
    names = [Path(p).name for p in synced]
    # lock.json (its temporary file, then the directory after the link),
    # the slot's mkdir, owner.json's temporary file then the slot directory.
    assert any(n.startswith(".lock.json.") for n in names), names
    assert any(n.startswith(".owner.json.") for n in names), names
    assert str(d) in synced and str(d / "slot-0") in synced, synced
    assert names.index(next(n for n in names if n.startswith(".owner.json."))) < \
        len(names) - 1 - names[::-1].index("slot-0"), names
    synced.clear()
    lockmod.release(str(d), ["h1"], "run-A")
    assert str(d) in synced and (d / "events.log").exists()
    assert not (d / "slot-0").exists() and not [p for p in d.iterdir() if p.name.startswith(".")]


def test_module_empty_slot_of_a_dead_taker_goes(lockmod, tmp_path):
    """mkdir then owner.json: a taker that died in between left an empty
    slot; after a grace minute it holds nothing and is removed."""
    d = tmp_path / "l"
    lockmod.acquire(str(d), ["h0"], 1, "run-A", {}, 0, 1)
    lockmod.release(str(d), ["h0"], "run-A")
    (d / "slot-0").mkdir()
    with pytest.raises(lockmod.LockError, match=r"timed out .*being taken"):
        lockmod.acquire(str(d), ["h1"], 1, "run-B", {}, 0, 1)
    old = time.time() - lockmod.TAKING_GRACE - 5
    os.utime(d / "slot-0", (old, old))
    r = lockmod.acquire(str(d), ["h1"], 1, "run-B", {}, 0, 1)
    assert r["broken"] == ["slot-0"] and r["slots"] == {"h1": "slot-0"}, r


def test_module_waits_with_sleep_between_tries(lockmod, tmp_path):
    d = str(tmp_path / "l")
    lockmod.acquire(d, ["a"], 1, "run-A", {}, 0, 1)
    naps = []

    def sleep(s):
        naps.append(s)
        if len(naps) == 3:
            lockmod.release(d, ["a"], "run-A")

    r = lockmod.acquire(d, ["b"], 1, "run-B", {}, 3600, 5, sleep=sleep)
    assert r["changed"] and r["slots"] == {"b": "slot-0"} and naps == [5, 5, 5]


def test_module_failed_without_slot_still_blocks(lockmod, tmp_path):
    d = str(tmp_path / "l")
    assert lockmod.mark_failed(d, ["web/1"], "kexec failed", {})
    (h,) = lockmod.scan(d)
    assert h["entry"] == "failed-web_1" and h["owner"] == "web/1" and not h["stale"]
    with pytest.raises(lockmod.LockError, match="rollout blocked: web/1 failed"):
        lockmod.acquire(d, ["a"], 1, "run-A", {}, 0, 1)
    assert lockmod.clear(d, ["web/1"]) and lockmod.scan(d) == []


def test_module_reads_a_lock_of_0_1_0(lockmod, tmp_path):
    """A slot written by 0.1.0 (no holder, no lease, no lock.json): its
    lease counts from `since`; the limit comes from the first new caller."""
    d = tmp_path / "l"
    (d / "slot-0").mkdir(parents=True)
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 100))
    (d / "slot-0/owner.json").write_text(json.dumps({"owner": "h1", "since": since, "pid": 4}))
    (h,) = lockmod.scan(str(d), lease=1800)
    assert not h["stale"] and h["expires"] == pytest.approx(time.time() + 1700, abs=5)
    assert lockmod.scan(str(d), lease=60)[0]["stale"]
    with pytest.raises(lockmod.LockError, match="timed out .*slot-0: h1 since"):
        lockmod.acquire(str(d), ["h2"], 1, "run-B", {}, 0, 1)
    assert json.loads((d / "lock.json").read_text())["slots"] == 1


def test_module_unwritable_dir_says_what_to_do(lockmod, tmp_path):
    need_root()
    import subprocess
    d = tmp_path / "ro"
    d.mkdir()
    os.chmod(d, 0o555)
    # As an unprivileged user: root would write anyway.
    r = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c",
         "import importlib.util as u,sys; s=u.spec_from_file_location('m', sys.argv[1]); "
         "m=u.module_from_spec(s); s.loader.exec_module(m)\n"
         "try: m.acquire(sys.argv[2], ['a'], 1, 'run-A', {}, 0, 1)\n"
         "except m.LockError as e: print(e)",
         str(ANS / "plugins/modules/rollout_lock.py"), str(d / "lock")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False, text=True)
    assert "cannot create the lock directory" in r.stdout, r.stdout
    assert "set apf_rollout_lock_dir" in r.stdout, r.stdout
