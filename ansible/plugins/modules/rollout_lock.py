#!/usr/bin/python
# SPDX-License-Identifier: GPL-2.0-only
"""apf_suite.fleet.rollout_lock: the fleet-wide rollout lock (see DOCUMENTATION)."""

import calendar
import errno
import json
import os
import re
import shutil
import time

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: rollout_lock
short_description: Fleet-wide rollout lock made of atomic slot directories with leases
description:
  - A lock directory I(path) on one machine (the controller by default, or
    one machine every controller reaches) holds C(lock.json), which stores
    the lock's limit (how many hosts of the fleet may be in maintenance at
    once), and up to that many slot directories C(slot-N), each taken with
    an atomic mkdir and holding C(owner.json).
  - A slot names its I(owner) (the host being rolled out), its I(holder)
    (the controller and the run that took it, e.g.
    C(ops@ctl1/20261203T101500Z-3f9a01c2)) and a lease; the holder renews
    it (I(state=renewed)) before every step, promising to be back within
    I(lease) seconds.  A slot whose lease ran out is stale; the run that
    held it is gone.
  - I(state=acquired) takes one slot for every host in I(owners), all or
    nothing (a batch of hosts never holds part of the slots while waiting
    for the rest, so two rollouts cannot deadlock); it waits up to
    I(timeout) seconds, polling every I(delay) seconds, while live holders
    fill the slots.  The limit is the one stored with the lock; a caller
    asking for another I(slots) fails at once (runs sharing a lock must
    agree; I(state=configured) changes it while nobody holds the lock).
  - A slot of one of I(owners) held by the same I(holder) is kept; one with
    a stale lease is taken over (a rerun after an aborted run continues
    that host); one held by another live run is waited for.  A stale slot
    of another host stops the caller at once, naming it and how to break
    it, unless I(break_stale) (then it is broken and logged).
  - A slot with C(failed.json) (I(state=failed)) blocks every taker at
    once and never goes stale, as kured does; a host that failed its
    rollout stops the fleet until an operator clears it (I(state=cleared)).
  - I(state=released) frees the owners' slots (a failed one is refused;
    another live holder's is left alone).  I(state=broken) removes stale
    entries (of I(owners) or I(holder) when given), live ones only with
    I(force).  I(state=query) only reports.
  - Every write is durable; files are written to a temporary name,
    fsync'ed and renamed, and the directory is fsync'ed after every
    mkdir, rename and removal.  Every change is appended to C(events.log).
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
    choices: [acquired, renewed, released, failed, cleared, broken, configured, query]
    default: acquired
  owners:
    description: The hosts that take, renew, release, fail or lose their slots.
    type: list
    elements: str
    default: []
  holder:
    description:
      - Who holds the slots (I(acquired), I(renewed), I(released),
        I(failed)), the controller and the run, C(user@controller/run-id).
      - For I(broken), only entries of this holder.
    type: str
    default: ""
  slots:
    description:
      - The lock's limit, which must equal the stored one (I(acquired)), or
        the new limit (I(configured)).  0 takes the stored one (1 for a new
        lock).
    type: int
    default: 0
  lease:
    description: Seconds within which the holder renews its slots (I(acquired), I(renewed)).
    type: int
    default: 1800
  break_stale:
    description: I(acquired) breaks stale slots of other hosts instead of stopping.
    type: bool
    default: false
  force:
    description: I(broken) also breaks entries whose lease has not run out.
    type: bool
    default: false
  step:
    description: What the holder is doing now (recorded with the lease).
    type: str
    default: ""
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
    description:
      - More fields for owner.json or failed.json (play, batch).
      - For I(cleared), I(broken) and I(configured), C(by) names who did it
        in events.log.
    type: dict
    default: {}
notes:
  - Supports check mode. Nothing is written; I(acquired) reports what it
    would take, and what it would wait for instead of waiting.
  - The lease is counted on the lock host's clock only, so controllers
    with skewed clocks still agree.
"""

EXAMPLES = r"""
- name: Take the rollout lock for this batch
  apf_suite.fleet.rollout_lock:
    path: /var/lib/apf/rollout-lock
    owners: "{{ ansible_play_batch }}"
    holder: "ops@ctl1/20261203T101500Z-3f9a01c2"
    slots: 1
    lease: 1800
  delegate_to: localhost
  run_once: true

- name: Break the slots whose runs are gone
  apf_suite.fleet.rollout_lock:
    path: /var/lib/apf/rollout-lock
    state: broken
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
slots:
  description: The slot directory of each owner (acquired).
  type: dict
  returned: always
holders:
  description: Every entry of the lock directory (entry, owner, holder, since, expires_at, stale, failed).
  type: list
  returned: always
limit:
  description: The lock's limit (stored in lock.json).
  type: int
  returned: when the lock directory exists
waited:
  description: Seconds spent waiting.
  type: float
  returned: always
taken_over:
  description: Stale slots of the owners that this call took over (acquired).
  type: list
  returned: always
broken:
  description: Entries this call broke (acquired with break_stale, broken).
  type: list
  returned: always
would_wait:
  description: In check mode, the live holders I(acquired) would wait for.
  type: list
  returned: always
"""

SLOT_RE = re.compile(r"^slot-(\d+)$")
LOCK_FILE = "lock.json"
EVENTS = "events.log"
# A slot directory without owner.json is being taken (mkdir, then the
# write); one that old is left over from a taker that died in between.
TAKING_GRACE = 60


class LockError(Exception):
    """A lock operation that cannot succeed (the message says why and what to do)."""


def _iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _parse_iso(text):
    try:
        return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))
    except (TypeError, ValueError, OverflowError):
        return None


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# --- durable writes -----------------------------------------------------------

def _fsync_dir(d):
    """Make a directory's entries (a mkdir, rename or removal in it) durable."""
    try:
        fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:
        # Some file systems cannot fsync a directory (EINVAL); their
        # directory operations are synchronous or not, nothing to add.
        if e.errno not in (errno.EINVAL, errno.EBADF, errno.EROFS):
            raise
    finally:
        os.close(fd)


def _tmp_name(path):
    d, base = os.path.split(path)
    return os.path.join(d, ".%s.%d.%s.tmp" % (base, os.getpid(), os.urandom(4).hex()))


def _write_tmp(path, data):
    tmp = _tmp_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return tmp


def _write_json(path, data):
    """Replace path atomically and durably: readers see the old file or the
    whole new one, and after a crash one of them is there."""
    tmp = _write_tmp(path, data)
    try:
        os.rename(tmp, path)
    except OSError:
        os.unlink(tmp)
        raise
    _fsync_dir(os.path.dirname(path))


def _create_json(path, data):
    """Create path with data unless it exists (link(2) is atomic and fails
    on an existing name): True if this call created it."""
    tmp = _write_tmp(path, data)
    try:
        os.link(tmp, path)
        created = True
    except FileExistsError:
        created = False
    finally:
        os.unlink(tmp)
    _fsync_dir(os.path.dirname(path))
    return created


def _remove_entry(path, entry):
    """Remove a slot directory: renamed away first (atomic: scanners and a
    concurrent remover see it whole or gone), then deleted.  False if it
    was already gone."""
    gone = os.path.join(path, ".gone-%s-%d-%s" % (entry, os.getpid(), os.urandom(4).hex()))
    try:
        os.rename(os.path.join(path, entry), gone)
    except FileNotFoundError:
        return False
    _fsync_dir(path)
    shutil.rmtree(gone, ignore_errors=True)
    return True


def _event(path, event, **fields):
    """One JSON line in events.log: who took, renewed, released, broke,
    failed or cleared what, and when."""
    fields.update(event=event, time=_iso(time.time()))
    line = (json.dumps(fields, sort_keys=True) + "\n").encode()
    try:
        fd = os.open(os.path.join(path, EVENTS),
                     os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError:
        return
    try:
        os.write(fd, line)
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- reading the lock -----------------------------------------------------------

def ensure_dir(path):
    try:
        os.makedirs(path, mode=0o755, exist_ok=True)
    except OSError as e:
        raise LockError("cannot create the lock directory %s: %s; create it once, writable "
                        "for the user running ansible-playbook (sudo install -d -o \"$USER\" %s), "
                        "or set apf_rollout_lock_dir" % (path, e.strerror, path)) from e


def read_config(path):
    """lock.json, or None where there is none yet."""
    f = os.path.join(path, LOCK_FILE)
    if not os.path.exists(f):
        return None
    cfg = _read_json(f)
    if not cfg or not isinstance(cfg.get("slots"), int) or cfg["slots"] < 1:
        raise LockError("%s is unreadable or has no valid 'slots': fix it (e.g. "
                        "{\"slots\": 1}) or, when no rollout runs, remove it" % f)
    return cfg


def limit_of(path, slots, holder, check=False):
    """The lock's limit: the stored one, which a caller's slots (unless 0)
    must equal; a new lock stores the caller's (1 for 0)."""
    cfg = read_config(path)
    if cfg is None:
        want = slots or 1
        if check:
            return want
        _create_json(os.path.join(path, LOCK_FILE),
                     {"slots": want, "created": _iso(time.time()), "created_by": holder})
        cfg = read_config(path)
    if slots and cfg["slots"] != slots:
        raise LockError(
            "the rollout lock %s allows %d host(s) at once (set %s by %s); this run asks for %d. "
            "Every run sharing a lock uses its limit: run with -e apf_rollout_concurrency=%d, or "
            "change the limit while no rollout holds the lock: ansible-playbook "
            "apf_suite.fleet.lock -e apf_rollout_lock_action=configure -e apf_rollout_concurrency=%d"
            % (path, cfg["slots"], cfg.get("changed") or cfg.get("created", "?"),
               cfg.get("changed_by") or cfg.get("created_by") or "?", slots, cfg["slots"], slots))
    return cfg["slots"]


def scan(path, lease=1800, now=None):
    """Every entry of the lock directory, in name order, with its lease
    judged on this machine's clock."""
    now = time.time() if now is None else now
    out = []
    try:
        names = sorted(os.listdir(path))
    except OSError as e:
        raise LockError("cannot read the lock directory %s: %s" % (path, e.strerror)) from e
    for name in names:
        d = os.path.join(path, name)
        if name.startswith(".") or not os.path.isdir(d):
            continue
        owner = _read_json(os.path.join(d, "owner.json"))
        failed = _read_json(os.path.join(d, "failed.json"))
        expires = None
        if owner is not None:
            expires = owner.get("expires")
            if not isinstance(expires, (int, float)):
                # A slot of 0.1.0 (no lease): counted from when it was taken.
                t = _parse_iso(owner.get("renewed") or owner.get("since"))
                expires = (t + lease) if t is not None else 0
        else:
            try:
                expires = os.stat(d).st_mtime + TAKING_GRACE
            except OSError:
                continue
        m = SLOT_RE.match(name)
        out.append({
            "entry": name, "slot": bool(m), "index": int(m.group(1)) if m else None,
            "owner": (owner or {}).get("owner") or (failed or {}).get("owner"),
            "holder": (owner or {}).get("holder") or (failed or {}).get("holder"),
            "since": (owner or {}).get("since"),
            "step": (owner or {}).get("step"),
            "expires": expires, "expires_at": _iso(expires) if expires else None,
            "stale": failed is None and expires is not None and now > expires,
            "taking": owner is None and failed is None,
            "failed": failed})
    return out


def describe(h, now=None):
    now = time.time() if now is None else now
    if h["taking"]:
        who = "(being taken: no owner.json yet)"
    else:
        who = h["owner"] or "?"
        if h["holder"]:
            who += " held by %s" % h["holder"]
    text = "%s: %s since %s" % (h["entry"], who, h["since"] or "?")
    if h["failed"]:
        text += ", FAILED at %s: %s" % (h["failed"].get("time", "?"),
                                        h["failed"].get("reason", "no reason given"))
    elif h["stale"]:
        text += ", STALE: lease ran out at %s (%d s ago)" % (h["expires_at"], now - h["expires"])
    elif h["expires"]:
        text += ", lease until %s%s" % (h["expires_at"],
                                        " (%s)" % h["step"] if h["step"] else "")
    return text


def blocked_message(path, failed):
    hosts = sorted({h["owner"] or h["entry"] for h in failed})
    return ("rollout blocked: %s failed a rollout and holds the lock %s (%s).  Fix the host, "
            "then clear it: ansible-playbook apf_suite.fleet.unlock -e apf_rollout_clear_host=%s "
            "(or remove %s/%s on the lock host and /var/lib/apf/rollout-failed on the host); "
            "see the collection's docs/README.md"
            % (", ".join(hosts), path, "; ".join(describe(h) for h in failed), hosts[0],
               path, failed[0]["entry"]))


def stale_message(path, stale, now):
    hosts = sorted({h["owner"] or h["entry"] for h in stale})
    return ("rollout blocked: the run that held %s is gone (%s).  The host may have been left "
            "drained part way (see /var/lib/apf/rollout-evacuated.json on it).  Check it, then "
            "break the stale lock: ansible-playbook apf_suite.fleet.lock -e "
            "apf_rollout_lock_action=break (or rerun with -e apf_rollout_lock_break_stale=true "
            "to break stale slots as the rollout meets them); see the collection's docs/README.md"
            % (", ".join(hosts), "; ".join(describe(h, now) for h in stale)))


# --- operations ---------------------------------------------------------------

def _owner_record(owner, holder, info, lease, step, now, since=None):
    data = dict(info)
    data.update({"owner": owner, "holder": holder, "since": since or _iso(now),
                 "renewed": _iso(now), "expires": now + lease, "expires_at": _iso(now + lease),
                 "lease": lease, "step": step})
    return data


def try_acquire(path, owners, limit, holder, info, lease, break_stale, check, now):
    """One try: a dict with taken (None when too few slots are free), mine,
    taken_over, broken, waiting_for.

    Slots are slot-0 .. slot-(limit-1), so the atomic mkdir alone bounds
    the holders; a batch that gets only part of what it needs gives it back.
    """
    res = {"taken": None, "mine": {}, "taken_over": [], "broken": [], "waiting_for": []}
    holders = scan(path, lease, now)
    failed = [h for h in holders if h["failed"]]
    if failed:
        raise LockError(blocked_message(path, failed))
    # A slot directory left empty by a taker that died between its mkdir
    # and its write holds no host: it goes without asking.
    empty = [h for h in holders if h["taking"] and h["stale"]]
    holders = [h for h in holders if h not in empty]
    ours = [h for h in holders if h["owner"] in owners]
    others = [h for h in holders if h["owner"] not in owners]
    keep = [h for h in ours if h["holder"] == holder]
    takeover = [h for h in ours if h["holder"] != holder and h["stale"]]
    conflict = [h for h in ours if h["holder"] != holder and not h["stale"]]
    stale = [h for h in others if h["stale"]]
    live = [h for h in others if not h["stale"]]
    if stale and not break_stale:
        raise LockError(stale_message(path, stale, now))
    res["mine"] = {h["owner"]: h["entry"] for h in keep}
    need = [o for o in owners if o not in res["mine"]]
    busy = len([h for h in live + conflict if h["slot"]])
    res["waiting_for"] = live + conflict
    if conflict or limit - busy - len(keep) < len(need):
        return res
    if not need:
        res["taken"] = {}
        return res
    if check:
        res["taken"] = {o: "slot-?" for o in need}
        res["taken_over"] = [h["entry"] for h in takeover]
        res["broken"] = [h["entry"] for h in stale + empty]
        return res
    for h in empty:
        if _remove_entry(path, h["entry"]):
            res["broken"].append(h["entry"])
            _event(path, "break", entry=h["entry"], by=holder,
                   detail="empty slot left by a taker that died")
    for h in stale + takeover:
        if _remove_entry(path, h["entry"]):
            kind = "taken over" if h in takeover else "broken"
            res["taken_over" if h in takeover else "broken"].append(h["entry"])
            _event(path, "takeover" if h in takeover else "break", entry=h["entry"],
                   owner=h["owner"], holder=h["holder"], by=holder,
                   detail="%s: lease ran out at %s" % (kind, h["expires_at"]))
    taken = {}
    for owner in need:
        for index in range(limit):
            d = os.path.join(path, "slot-%d" % index)
            try:
                os.mkdir(d, 0o755)
            except FileExistsError:
                continue
            except OSError as e:
                raise LockError("cannot create %s: %s" % (d, e.strerror)) from e
            _fsync_dir(path)
            try:
                _write_json(os.path.join(d, "owner.json"),
                            _owner_record(owner, holder, info, lease, "acquired", now))
            except OSError as e:
                _remove_entry(path, "slot-%d" % index)
                raise LockError("cannot write %s/owner.json: %s" % (d, e.strerror)) from e
            taken[owner] = "slot-%d" % index
            break
    # Another rollout took a slot between our scan and our mkdir, or the
    # limit was lowered meanwhile: give back what we got and try again.
    cfg = read_config(path) or {"slots": limit}
    if len(taken) < len(need) or any(int(e[5:]) >= cfg["slots"] for e in taken.values()):
        for entry in taken.values():
            _remove_entry(path, entry)
        res["waiting_for"] = [h for h in scan(path, lease, now) if h["owner"] not in owners]
        return res
    for owner, entry in taken.items():
        _event(path, "take", entry=entry, owner=owner, holder=holder)
    res["taken"] = taken
    res["mine"].update(taken)
    return res


def acquire(path, owners, slots, holder, info, timeout, delay, lease=1800, break_stale=False,
            check=False, sleep=time.sleep, clock=time.time):
    if slots < 0:
        raise LockError("apf_rollout_concurrency must be 1 or more (got %d)" % slots)
    if not holder:
        raise LockError("rollout_lock: holder is empty (the controller and run that take the lock)")
    if not check:
        ensure_dir(path)
    limit = limit_of(path, slots, holder, check) if os.path.isdir(path) else (slots or 1)
    if len(owners) > limit:
        raise LockError(
            "%d hosts of this batch need the rollout lock at once (%s) but it has %d slot(s): "
            "the hosts of one batch are rolled out together, so lower apf_rollout_batch to %d "
            "or raise apf_rollout_concurrency" % (len(owners), ", ".join(owners), limit, limit))
    start = time.monotonic()
    while True:
        if not os.path.isdir(path):        # check mode, a lock not created yet
            return {"changed": True, "slots": {o: "slot-?" for o in owners}, "taken_over": [],
                    "broken": [], "would_wait": [], "waited": 0.0, "limit": limit}
        res = try_acquire(path, owners, limit, holder, info, lease, break_stale, check, clock())
        waited = time.monotonic() - start
        if res["taken"] is not None:
            return {"changed": bool(res["taken"] or res["taken_over"] or res["broken"]),
                    "slots": dict(res["mine"], **res["taken"]), "taken_over": res["taken_over"],
                    "broken": res["broken"], "would_wait": [], "waited": waited, "limit": limit}
        if check:
            return {"changed": True, "slots": res["mine"], "taken_over": [], "broken": [],
                    "would_wait": [describe(h) for h in res["waiting_for"]], "waited": 0.0,
                    "limit": limit}
        if waited >= timeout:
            raise LockError(
                "timed out after %d s waiting for the rollout lock %s (%d slot(s)) for %s: held by %s"
                % (int(waited), path, limit, ", ".join(owners),
                   "; ".join(describe(h) for h in res["waiting_for"]) or "nobody now"))
        sleep(min(delay, max(timeout - waited, 0.1)))


def entries_of(path, owner, lease=1800, now=None):
    return [h for h in scan(path, lease, now) if h["owner"] == owner]


def renew(path, owners, holder, lease, step, check=False, clock=time.time):
    """Extend the owners' leases: now + lease.  A slot that is gone or held
    by someone else means this run lost the lock (an operator broke it):
    the caller must stop."""
    now = clock()
    for owner in owners:
        mine = [h for h in entries_of(path, owner, lease, now) if h["slot"]] \
            if os.path.isdir(path) else []
        if not mine or mine[0]["holder"] != holder:
            raise LockError(
                "%s lost the rollout lock %s: %s.  Someone broke or cleared it (see %s/%s); "
                "stopping rather than go on unprotected"
                % (owner, path, describe(mine[0], now) if mine else "it holds no slot there",
                   path, EVENTS))
        if check:
            continue
        d = os.path.join(path, mine[0]["entry"])
        old = _read_json(os.path.join(d, "owner.json")) or {}
        data = dict(old)
        data.update(_owner_record(owner, holder, {}, lease, step, now, since=old.get("since")))
        _write_json(os.path.join(d, "owner.json"), data)
    return False


def release(path, owners, holder="", check=False, lease=1800):
    """Free the owners' slots.  Returns (changed, left): left are slots of
    these owners that another live run holds, which are not touched."""
    changed, left = False, []
    if not os.path.isdir(path):
        return False, []
    for owner in owners:
        for h in entries_of(path, owner, lease):
            if h["failed"]:
                raise LockError("%s's lock entry %s/%s is marked failed (%s): clear it with "
                                "apf_suite.fleet.unlock, not by releasing it"
                                % (owner, path, h["entry"], h["failed"].get("reason")))
            if holder and h["holder"] != holder and not h["stale"]:
                left.append(describe(h))
                continue
            if check or _remove_entry(path, h["entry"]):
                changed = True
                if not check:
                    _event(path, "release", entry=h["entry"], owner=owner, holder=h["holder"],
                           by=holder or None)
    return changed, left


def mark_failed(path, owners, reason, info, holder="", check=False):
    if not check:
        ensure_dir(path)
    changed = False
    for owner in owners:
        mine = entries_of(path, owner) if os.path.isdir(path) else []
        changed = True
        if check:
            continue
        if mine:
            entry = mine[0]["entry"]
        else:
            # The slot vanished (cleared by hand mid-rollout): still block.
            entry = "failed-" + re.sub(r"[^A-Za-z0-9_.-]", "_", owner)
            os.makedirs(os.path.join(path, entry), mode=0o755, exist_ok=True)
            _fsync_dir(path)
        data = dict(info)
        data.update({"owner": owner, "holder": holder, "time": _iso(time.time()),
                     "reason": reason})
        _write_json(os.path.join(path, entry, "failed.json"), data)
        _event(path, "fail", entry=entry, owner=owner, holder=holder, detail=reason)
    return changed


def clear(path, owners, by="", check=False):
    changed = False
    if not os.path.isdir(path):
        return False
    for owner in owners:
        for h in entries_of(path, owner):
            if check or _remove_entry(path, h["entry"]):
                changed = True
                if not check:
                    _event(path, "clear", entry=h["entry"], owner=owner, holder=h["holder"],
                           by=by or None)
    return changed


def break_entries(path, owners, holder, force, by="", check=False, lease=1800, clock=time.time):
    """Remove stale entries (of owners, or of holder, when given); live ones
    only with force.  Failed entries are cleared, not broken."""
    if not os.path.isdir(path):
        return []
    now = clock()
    picked = [h for h in scan(path, lease, now) if not h["failed"]
              and (not owners or h["owner"] in owners) and (not holder or h["holder"] == holder)]
    live = [h for h in picked if not h["stale"]]
    if live and not force:
        if owners or holder:
            raise LockError(
                "not breaking live lock entries: %s.  Their runs renew them; break one only when "
                "you know its controller is gone (-e apf_rollout_lock_break_force=true)"
                % "; ".join(describe(h, now) for h in live))
        picked = [h for h in picked if h["stale"]]
    broken = []
    for h in picked:
        if check or _remove_entry(path, h["entry"]):
            broken.append(h["entry"])
            if not check:
                _event(path, "break", entry=h["entry"], owner=h["owner"], holder=h["holder"],
                       by=by or None, detail="stale" if h["stale"] else "forced")
    return broken


def configure(path, slots, by="", check=False):
    if slots < 1:
        raise LockError("the lock's limit must be 1 or more (got %d)" % slots)
    if not check:
        ensure_dir(path)
    cfg = read_config(path) if os.path.isdir(path) else None
    if cfg and cfg["slots"] == slots:
        return False
    held = scan(path) if os.path.isdir(path) else []
    if held:
        raise LockError("cannot change the limit of %s while it is held: %s"
                        % (path, "; ".join(describe(h) for h in held)))
    if check:
        return True
    data = dict(cfg or {"created": _iso(time.time()), "created_by": by})
    data.update({"slots": slots, "changed": _iso(time.time()), "changed_by": by})
    _write_json(os.path.join(path, LOCK_FILE), data)
    _event(path, "configure", by=by or None, detail="slots %s -> %d"
           % (cfg["slots"] if cfg else "none", slots))
    return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", default="acquired",
                       choices=["acquired", "renewed", "released", "failed", "cleared",
                                "broken", "configured", "query"]),
            owners=dict(type="list", elements="str", default=[]),
            holder=dict(type="str", default=""),
            slots=dict(type="int", default=0),
            lease=dict(type="int", default=1800),
            break_stale=dict(type="bool", default=False),
            force=dict(type="bool", default=False),
            step=dict(type="str", default=""),
            timeout=dict(type="int", default=3600),
            delay=dict(type="int", default=10),
            reason=dict(type="str", default=""),
            info=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    p = module.params
    path, owners, state, check = p["path"], p["owners"], p["state"], module.check_mode
    lease = max(p["lease"], 1)
    if state in ("acquired", "renewed", "released", "failed", "cleared") and not owners:
        module.fail_json(msg="rollout_lock: owners is empty", holders=[])
    result = {"changed": False, "slots": {}, "holders": [], "waited": 0.0, "taken_over": [],
              "broken": [], "would_wait": []}
    try:
        if state == "acquired":
            r = acquire(path, owners, p["slots"], p["holder"], p["info"], max(p["timeout"], 0),
                        max(p["delay"], 1), lease, p["break_stale"], check)
            r["waited"] = round(r["waited"], 1)
            result.update(r)
        elif state == "renewed":
            result["changed"] = renew(path, owners, p["holder"], lease, p["step"], check)
        elif state == "released":
            result["changed"], result["left"] = release(path, owners, p["holder"], check, lease)
        elif state == "failed":
            result["changed"] = mark_failed(path, owners, p["reason"], p["info"], p["holder"],
                                            check)
        elif state == "cleared":
            result["changed"] = clear(path, owners, p["info"].get("by", ""), check)
        elif state == "broken":
            result["broken"] = break_entries(path, owners, p["holder"], p["force"],
                                             p["info"].get("by", ""), check, lease)
            result["changed"] = bool(result["broken"])
        elif state == "configured":
            result["changed"] = configure(path, p["slots"], p["info"].get("by", ""), check)
        if os.path.isdir(path):
            result["holders"] = scan(path, lease)
            cfg = read_config(path)
            if cfg:
                result["limit"] = cfg["slots"]
    except LockError as e:
        holders = []
        try:
            holders = scan(path, lease) if os.path.isdir(path) else []
        except LockError:
            pass
        module.fail_json(msg=str(e), holders=holders)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
