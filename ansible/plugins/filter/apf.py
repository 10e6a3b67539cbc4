# SPDX-License-Identifier: GPL-2.0-only
"""Filters that read apfctl's JSON for the apf_suite.fleet roles.

The roles decide what changed, what a kernel lacks and whether a host is in
the expected APF state from `apfctl ... -j`; the logic lives here (tested in
tests/test_filters.py) rather than in Jinja expressions.
"""

import json

# Tokens of apf_rollout_expected_apf besides 'any' and 'auto'.
EXPECT_TOKENS = ("host-on", "host-off", "guest-on", "guest-off")


def apf_onoff(value):
    """on/off/keep from what YAML made of it: `on` unquoted is True."""
    if value is True:
        return "on"
    if value is False:
        return "off"
    return str(value).strip().lower()


def apf_status(value):
    """apfctl status -j (text or parsed) as a dict; {'error': ...} if not JSON."""
    if isinstance(value, dict):
        return value
    try:
        data = json.loads(value)
    except (TypeError, ValueError) as e:
        return {"error": "not JSON: %s" % e}
    if not isinstance(data, dict):
        return {"error": "not a JSON object"}
    return data


def _switches(stdout):
    data = apf_status(stdout)
    sw = data.get("switches")
    return sw if isinstance(sw, list) else []


def apf_apply_changed(stdout):
    """True when `apfctl apply-config -j` set a switch."""
    return any(isinstance(s, dict) and s.get("result") == "set" for s in _switches(stdout))


def apf_apply_would_change(stdout):
    """True when `apfctl apply-config --check -j` would set a switch."""
    return any(isinstance(s, dict) and s.get("result") == "would-set" for s in _switches(stdout))


def apf_apply_unsupported(stdout):
    """What `apfctl apply-config -j` could not set because the kernel lacks it."""
    out = []
    for s in _switches(stdout):
        if isinstance(s, dict) and s.get("result") == "unsupported":
            out.append("%s=%s: not supported by the running kernel (%s)"
                       % (s.get("key"), s.get("want"), s.get("detail", "")))
    return out


def apf_roles(status):
    """The switch targets of a machine: ['host'], ['guest'], both or []."""
    data = apf_status(status)
    return [r for r in ("host", "guest") if isinstance(data.get(r), dict)]


def apf_switch_plan(status, targets, state):
    """What `apfctl enable|disable --TARGET` would do, from `apfctl status
    -j` (check mode): [{target, present, enabled, would_change}]."""
    data = apf_status(status)
    want = apf_onoff(state) == "on"
    out = []
    for t in targets or []:
        part = data.get(t) if isinstance(data.get(t), dict) else {}
        if t == "host":
            sw = part.get("switch") if isinstance(part.get("switch"), dict) else {}
            present, enabled = sw.get("present") is True, sw.get("enabled")
        else:
            present, enabled = part.get("sysfs") is True, part.get("enabled")
        out.append({"target": t, "present": present, "enabled": enabled,
                    "would_change": present and enabled is not want})
    return out


def _want(expected, conf_host, conf_guest, on_unsupported):
    """The tokens to check and the ones a missing switch may excuse."""
    if expected in (None, False, "", "none"):
        expected = ["any"]
    if isinstance(expected, str):
        expected = [expected]
    tokens, lenient = [], set()
    for e in expected or []:
        e = str(e).strip().lower()
        if e == "any":
            continue
        if e == "auto":
            for side, conf in (("host", conf_host), ("guest", conf_guest)):
                conf = apf_onoff(conf)
                if conf in ("on", "off"):
                    tok = "%s-%s" % (side, conf)
                    tokens.append(tok)
                    if on_unsupported != "fail":
                        lenient.add(tok)
            continue
        if e not in EXPECT_TOKENS:
            raise ValueError("apf_rollout_expected_apf: unknown '%s' (known: any, auto, %s)"
                             % (e, ", ".join(EXPECT_TOKENS)))
        tokens.append(e)
    return tokens, lenient


def apf_state_problems(status, expected="auto", conf_host="keep", conf_guest="keep",
                       on_unsupported="warn"):
    """Why `apfctl status -j` is not the expected APF state ([] when it is).

    expected: a token or a list of them: any (the status only has to
    parse; also false, none or empty), auto (what apf.conf asks for: host_async_pf/guest_async_pf
    on/off; with on_unsupported=warn a kernel without that switch passes),
    host-on, host-off (the kvm.async_pf switch of the APF Suite host kernel
    is present and on/off), guest-on, guest-off
    (/sys/kernel/kvm_async_pf/enabled of the APF Suite guest kernel).
    """
    data = apf_status(status)
    if "error" in data:
        return ["apfctl status -j: %s" % data["error"]]
    try:
        tokens, lenient = _want(expected, conf_host, conf_guest, on_unsupported)
    except ValueError as e:
        return [str(e)]
    problems = []
    for tok in tokens:
        side, want = tok.split("-")
        part = data.get(side)
        if not isinstance(part, dict):
            if tok not in lenient:
                problems.append("%s: apfctl status finds no KVM %s role here (role %s)"
                                % (tok, side, data.get("role")))
            continue
        if side == "host":
            sw = part.get("switch") if isinstance(part.get("switch"), dict) else {}
            present, enabled = sw.get("present") is True, sw.get("enabled")
            where = "kvm.async_pf"
        else:
            present, enabled = part.get("sysfs") is True, part.get("enabled")
            where = "/sys/kernel/kvm_async_pf/enabled"
        if not present:
            if tok not in lenient:
                problems.append("%s: the running kernel (%s) has no %s switch"
                                % (tok, data.get("kernel"), where))
            continue
        if enabled is not (want == "on"):
            problems.append("%s: %s is %s" % (tok, where,
                                             {True: "on", False: "off"}.get(enabled, "unknown")))
    return problems


def apf_evacuation_record(old, host, policy, domains, peer="", shutdown=None, libvirt="",
                          when=""):
    """rollout-evacuated.json: this run's evacuated guests plus those an earlier
    (failed) run evacuated and never brought back."""
    keep = []
    if isinstance(old, dict) and old.get("returned") is False:
        keep = [d for d in old.get("domains") or [] if isinstance(d, dict) and d.get("name")]
    info = {s.get("name"): s for s in shutdown or [] if isinstance(s, dict)}
    new = []
    for name in domains or []:
        if policy == "migrate":
            new.append({"name": name, "action": "migrated", "to": peer})
        elif policy == "shutdown":
            s = info.get(name, {})
            new.append({"name": name, "action": "destroyed" if s.get("destroyed") else "shutdown",
                        "persistent": bool(s.get("persistent", True))})
    names = {d["name"] for d in new}
    out = [d for d in keep if d["name"] not in names] + new
    return {"host": host, "policy": policy, "peer": peer or None, "libvirt": libvirt,
            "time": when, "returned": not out, "domains": out}


def apf_shutdown_info(dominfo_results, destroyed=()):
    """[{name, persistent, destroyed}] from a loop of `virsh dominfo` results."""
    out = []
    for r in dominfo_results or []:
        name = r.get("item")
        persistent = True
        for line in str(r.get("stdout", "")).splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "Persistent":
                persistent = value.strip() == "yes"
        out.append({"name": name, "persistent": persistent, "destroyed": name in destroyed})
    return out


def apf_unit_problems(unit_results):
    """Units that are neither active nor skipped by their condition, from a
    loop of ansible.builtin.systemd results without a state (which only read
    the unit's properties into `status`)."""
    out = []
    for r in unit_results or []:
        status = r.get("status") if isinstance(r.get("status"), dict) else {}
        state = status.get("ActiveState", "")
        if r.get("failed") or not state:
            out.append("unit %s: cannot read it: %s" % (r.get("item"), r.get("msg", "no status")))
        elif status.get("LoadState") not in (None, "loaded"):
            out.append("unit %s is %s" % (r.get("item"), status.get("LoadState")))
        elif state != "active" and status.get("ConditionResult") != "no":
            out.append("unit %s is %s" % (r.get("item"), state))
    return out


def apf_health_problems(results):
    """Health checks that failed, from a loop of `timeout N CHECK` results."""
    out = []
    for r in results or []:
        rc = r.get("rc")
        if rc == 0:
            continue
        lines = (str(r.get("stderr") or "").strip() or str(r.get("stdout") or "").strip()
                 or str(r.get("msg") or "").strip()).splitlines()
        why = "timed out" if rc == 124 else "exit %s" % rc
        out.append("health check %s failed (%s)%s" % (r.get("item"), why,
                                                    ": " + lines[-1] if lines else ""))
    return out


def apf_boot_problems(status, expected, require_boot_loader=False):
    """What keeps the next boot from running exactly `expected` (a
    `uname -r` with the suite build in it, 6.12.118-apf2-host), from
    `apf-boot status -j`: the pin and the target must be that kernel, and
    the boot loader's default must boot it.  Without a supported boot
    loader (a VM booted with -kernel, a container) only the pin and the
    target are checked, unless require_boot_loader.  Exact strings: an
    apf1 build is not an apf2 build."""
    try:
        st = json.loads(status) if isinstance(status, str) else status
    except ValueError:
        st = None
    if not isinstance(st, dict):
        return ["apf-boot status -j gave no JSON: %r" % str(status)[:200]]
    if "error" in st:
        return ["apf-boot: %s" % st["error"]]
    out = []
    if st.get("pin") != expected:
        out.append("boot pin is %s, expected %s" % (st.get("pin") or "unset", expected))
    if st.get("target") != expected:
        out.append("boot target is %s, expected %s" % (st.get("target") or "none", expected))
    loader = st.get("boot_loader")
    if loader in (None, "none"):
        if require_boot_loader:
            out.append("no supported boot loader: a cold boot would not run %s" % expected)
    elif st.get("default_kernel") != "vmlinuz-" + expected or st.get("ok") is not True:
        out.append("the %s default boots %s, not %s" % (loader, st.get("default_kernel") or "nothing",
                                                        expected))
    return out


def apf_lock_entry(h):
    """One entry of rollout_lock's holders, for people: slot, host, holder,
    lease (or STALE, or FAILED and why)."""
    if not isinstance(h, dict):
        return str(h)
    if h.get("taking"):
        who = "(being taken)"
    else:
        who = "%s held by %s" % (h.get("owner") or "?", h.get("holder") or "?")
    text = "%s: %s since %s" % (h.get("entry"), who, h.get("since") or "?")
    failed = h.get("failed")
    if isinstance(failed, dict):
        return text + ", FAILED at %s: %s" % (failed.get("time", "?"), failed.get("reason", "?"))
    if h.get("stale"):
        return text + ", STALE (lease ran out at %s)" % h.get("expires_at")
    step = " (%s)" % h["step"] if h.get("step") else ""
    return text + ", lease until %s%s" % (h.get("expires_at"), step)


class FilterModule:
    """apf_suite.fleet filters."""

    def filters(self):
        return {
            "apf_onoff": apf_onoff,
            "apf_status": apf_status,
            "apf_apply_changed": apf_apply_changed,
            "apf_apply_would_change": apf_apply_would_change,
            "apf_apply_unsupported": apf_apply_unsupported,
            "apf_roles": apf_roles,
            "apf_switch_plan": apf_switch_plan,
            "apf_state_problems": apf_state_problems,
            "apf_boot_problems": apf_boot_problems,
            "apf_evacuation_record": apf_evacuation_record,
            "apf_shutdown_info": apf_shutdown_info,
            "apf_unit_problems": apf_unit_problems,
            "apf_health_problems": apf_health_problems,
            "apf_lock_entry": apf_lock_entry,
        }
