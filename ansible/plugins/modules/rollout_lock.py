#!/usr/bin/python
# SPDX-License-Identifier: GPL-2.0-only
"""apf_suite.fleet.rollout_lock: the fleet-wide rollout lock (see DOCUMENTATION)."""

import json
import os
import re
import shutil
import time

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: rollout_lock
short_description: Fleet-wide rollout lock made of atomic slot directories
description:
  - A lock directory I(path) on one machine (the controller by default)
    holds up to I(slots) slot directories C(slot-N), each taken with an
    atomic mkdir and holding C(owner.json) (owner, time, and I(info)).
  - I(state=acquired) takes one slot for every host in I(owners), all or
    nothing (a batch of hosts never holds part of the slots while waiting
    for the rest, so two rollouts cannot deadlock); it waits up to
    I(timeout) seconds, polling every I(delay) seconds, while other hosts
    hold them.  An owner that already holds a slot keeps it (a rollout
    interrupted on the controller continues).
  - A slot with C(failed.json) (I(state=failed)) blocks every taker at
    once, as kured does; a host that failed its rollout stops the fleet
    until an operator clears it (I(state=cleared)).
  - I(state=released) frees the owners' slots (refused for a failed one),
    I(state=query) only reports.
version_added: "0.1.0"
author: APF Suite Maintainers
options:
  path:
    description: The lock directory (created if missing).
    type: path
    required: true
  state:
    description: What to do.
    type: str
    choices: [acquired, released, failed, cleared, query]
    default: acquired
  owners:
    description: The hosts that take, release, fail or lose their slots.
    type: list
    elements: str
    default: []
  slots:
    description: How many hosts of the fleet may hold the lock at once.
    type: int
    default: 1
  timeout:
    description: Seconds to wait for free slots (0 tries once).
    type: int
    default: 3600
  delay:
    description: Seconds between tries.
    type: int
    default: 10
  reason:
    description: Why the host failed (I(state=failed)).
    type: str
    default: ""
  info:
    description: More fields for owner.json or failed.json (controller, user, play).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Take the rollout lock for this batch
  apf_suite.fleet.rollout_lock:
    path: /var/lib/apf/rollout-lock
    owners: "{{ ansible_play_batch }}"
    slots: 1
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
slots:
  description: The slot directory of each owner (acquired).
  type: dict
  returned: always
holders:
  description: Every entry of the lock directory (slot, owner, since, failed).
  type: list
  returned: always
waited:
  description: Seconds spent waiting.
  type: float
  returned: always
"""

SLOT_RE = re.compile(r"^slot-\d+$")


class LockError(Exception):
    """A lock operation that cannot succeed (the message says why and what to do)."""


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path, data):
    """Write atomically: readers see the old file or the whole new one."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, sort_keys=True)
        f.write("\n")
    os.rename(tmp, path)


def ensure_dir(path):
    try:
        os.makedirs(path, mode=0o755, exist_ok=True)
    except OSError as e:
        raise LockError("cannot create the lock directory %s: %s; create it once, writable "
                        "for the user running ansible-playbook (sudo install -d -o \"$USER\" %s), "
                        "or set apf_rollout_lock_dir" % (path, e.strerror, path)) from e


def scan(path):
    """Every entry of the lock directory, slots first, in name order."""
    out = []
    try:
        names = sorted(os.listdir(path))
    except OSError as e:
        raise LockError("cannot read the lock directory %s: %s" % (path, e.strerror)) from e
    for name in names:
        d = os.path.join(path, name)
        if name.startswith(".") or not os.path.isdir(d):
            continue
        owner = _read_json(os.path.join(d, "owner.json")) or {}
        failed = _read_json(os.path.join(d, "failed.json"))
        out.append({"entry": name, "slot": bool(SLOT_RE.match(name)),
                    "owner": owner.get("owner") or (failed or {}).get("owner"),
                    "since": owner.get("since"), "failed": failed})
    return out


def describe(h):
    who = h["owner"] or "(being taken: no owner.json yet)"
    text = "%s: %s since %s" % (h["entry"], who, h["since"] or "?")
    if h["failed"]:
        text += ", FAILED at %s: %s" % (h["failed"].get("time", "?"),
                                        h["failed"].get("reason", "no reason given"))
    return text


def blocked_message(path, failed):
    hosts = sorted({h["owner"] or h["entry"] for h in failed})
    return ("rollout blocked: %s failed a rollout and holds the lock %s (%s).  Fix the host, "
            "then clear it: ansible-playbook apf_suite.fleet.unlock -e apf_rollout_clear_host=%s "
            "(or remove %s/%s on the lock host and /var/lib/apf/rollout-failed on the host); "
            "see the collection's docs/README.md"
            % (", ".join(hosts), path, "; ".join(describe(h) for h in failed), hosts[0],
               path, failed[0]["entry"]))


def try_acquire(path, owners, slots, info):
    """One try: (taken, mine, holders); taken is None when too few slots are free.

    Slots are slot-0 .. slot-(slots-1), so the atomic mkdir alone bounds the
    holders; a batch that gets only part of what it needs gives it back.
    """
    holders = scan(path)
    failed = [h for h in holders if h["failed"]]
    if failed:
        raise LockError(blocked_message(path, failed))
    mine = {h["owner"]: h["entry"] for h in holders if h["owner"] in owners}
    need = [o for o in owners if o not in mine]
    if not need:
        return {}, mine, holders
    in_use = len([h for h in holders if h["slot"] and h["owner"] not in owners])
    if slots - in_use - len(mine) < len(need):
        return None, mine, holders
    taken = {}
    for owner in need:
        for index in range(slots):
            d = os.path.join(path, "slot-%d" % index)
            try:
                os.mkdir(d, 0o755)
            except FileExistsError:
                continue
            except OSError as e:
                raise LockError("cannot create %s: %s" % (d, e.strerror)) from e
            data = dict(info)
            data.update({"owner": owner, "since": _now(), "pid": os.getpid()})
            try:
                _write_json(os.path.join(d, "owner.json"), data)
            except OSError as e:
                shutil.rmtree(d, ignore_errors=True)
                raise LockError("cannot write %s/owner.json: %s" % (d, e.strerror)) from e
            taken[owner] = "slot-%d" % index
            break
    if len(taken) < len(need):
        # Another rollout took a slot between our scan and our mkdir.
        for entry in taken.values():
            shutil.rmtree(os.path.join(path, entry), ignore_errors=True)
        return None, mine, scan(path)
    mine.update(taken)
    return taken, mine, scan(path)


def acquire(path, owners, slots, info, timeout, delay, sleep=time.sleep):
    if slots < 1:
        raise LockError("apf_rollout_concurrency must be 1 or more (got %d)" % slots)
    if len(owners) > slots:
        raise LockError(
            "%d hosts of this batch need the rollout lock at once (%s) but it has %d slot(s): "
            "the hosts of one batch are rolled out together, so lower apf_rollout_batch to %d "
            "or raise apf_rollout_concurrency" % (len(owners), ", ".join(owners), slots, slots))
    ensure_dir(path)
    start = time.monotonic()
    while True:
        taken, mine, holders = try_acquire(path, owners, slots, info)
        waited = time.monotonic() - start
        if taken is not None:
            return bool(taken), mine, holders, waited
        if waited >= timeout:
            raise LockError(
                "timed out after %d s waiting for the rollout lock %s (%d slot(s)) for %s: held by %s"
                % (int(waited), path, slots, ", ".join(owners),
                   "; ".join(describe(h) for h in holders if h["slot"]) or "nobody now"))
        sleep(min(delay, max(timeout - waited, 0.1)))


def entries_of(path, owner):
    return [h for h in scan(path) if h["owner"] == owner]


def release(path, owners):
    changed = False
    for owner in owners:
        for h in entries_of(path, owner):
            if h["failed"]:
                raise LockError("%s's lock entry %s/%s is marked failed (%s): clear it with "
                                "apf_suite.fleet.unlock, not by releasing it"
                                % (owner, path, h["entry"], h["failed"].get("reason")))
            shutil.rmtree(os.path.join(path, h["entry"]))
            changed = True
    return changed


def mark_failed(path, owners, reason, info):
    ensure_dir(path)
    changed = False
    for owner in owners:
        mine = entries_of(path, owner)
        if mine:
            entry = mine[0]["entry"]
        else:
            # The slot vanished (cleared by hand mid-rollout): still block.
            entry = "failed-" + re.sub(r"[^A-Za-z0-9_.-]", "_", owner)
            os.makedirs(os.path.join(path, entry), mode=0o755, exist_ok=True)
        data = dict(info)
        data.update({"owner": owner, "time": _now(), "reason": reason})
        _write_json(os.path.join(path, entry, "failed.json"), data)
        changed = True
    return changed


def clear(path, owners):
    changed = False
    if not os.path.isdir(path):
        return False
    for owner in owners:
        for h in entries_of(path, owner):
            shutil.rmtree(os.path.join(path, h["entry"]))
            changed = True
    return changed


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", default="acquired",
                       choices=["acquired", "released", "failed", "cleared", "query"]),
            owners=dict(type="list", elements="str", default=[]),
            slots=dict(type="int", default=1),
            timeout=dict(type="int", default=3600),
            delay=dict(type="int", default=10),
            reason=dict(type="str", default=""),
            info=dict(type="dict", default={}),
        ),
        supports_check_mode=False,
    )
    p = module.params
    path, owners, state = p["path"], p["owners"], p["state"]
    if state != "query" and not owners:
        module.fail_json(msg="rollout_lock: owners is empty", holders=[])
    result = {"changed": False, "slots": {}, "holders": [], "waited": 0.0}
    try:
        if state == "acquired":
            changed, mine, _, waited = acquire(path, owners, p["slots"], p["info"],
                                               max(p["timeout"], 0), max(p["delay"], 1))
            result.update(changed=changed, slots=mine, waited=round(waited, 1))
        elif state == "released":
            result["changed"] = release(path, owners)
        elif state == "failed":
            result["changed"] = mark_failed(path, owners, p["reason"], p["info"])
        elif state == "cleared":
            result["changed"] = clear(path, owners)
        if os.path.isdir(path):
            result["holders"] = scan(path)
    except LockError as e:
        holders = []
        try:
            holders = scan(path) if os.path.isdir(path) else []
        except LockError:
            pass
        module.fail_json(msg=str(e), holders=holders)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
