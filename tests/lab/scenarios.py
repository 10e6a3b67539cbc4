# SPDX-License-Identifier: GPL-2.0-only
"""The lab's scenarios and their verdicts.

Every run of a scenario boots one L1; in it each entry of "runs" boots one
L2 with the workload (labwl: fill the buffer, then phases of random-page
writes + compute).  L1 takes labmon snapshots (tracepoint counts and the
debugfs KVM statistics, read together) at
  S0  workload phase 1 starts
  S1  phase 1 ended (after the run's switch, if any, was flipped)
  S2  the workload is done and L2 collected its own results (L2 idle)
  S3  after apfctl's final samples (so S2 <= apfctl <= S3)
Checks assert presence, equality of two sources and ratios, never exact
event counts (they vary from run to run).
"""
import re

# Each run: name (a shell word), and optionally
#   append  extra L2 kernel command line      switch  kvm.async_pf at phase 2
#   qemu    "apf": our QEMU in L1             accel   accelerator options
#   wl      labwl arguments (',' for ' ')
# Scenario h: off/on cycles of the guest switch, 50 ms apart, during the
# workload (each "off" wakes the waiting tasks and frees the guest's
# wake-before-wait nodes).
TOGGLES = 100

SCENARIOS = {
    "boot": {
        "title": "L1 only: boots, kvm_amd with nested paging, APF tracepoints (quick sanity check)",
        "kernels": None,
        "runs": [],
        "params": {"timeout": 300},
    },
    "a": {
        "title": "stock kernels: APF events seen, apfctl reports them (tracepoints)",
        "kernels": "stock",
        "runs": [{"name": "apf"}],
        "params": {"wl": "--mb,256,--writers,1,--compute,1,--phases,1,--phase-secs,25,--max-secs,600",
                   "timeout": 600},
    },
    "b": {
        "title": "our kernels: debugfs async_pf_* counters equal the tracepoint counts",
        "kernels": "ours",
        # quiesce: L1 waits until no async fault is in flight before S2
        # (l1-common.sh quiesce_wait), so that the sources are compared
        # for equality at a snapshot where none of them can move.
        "runs": [{"name": "apf", "quiesce": True}],
    },
    "c": {
        "title": "host switch kvm.async_pf=N mid-run: queued stops, sync grows",
        "kernels": "ours",
        "runs": [{"name": "switch", "switch": "N"}],
    },
    "d": {
        "title": "guest kvm_async_pf/enabled=0: no not-present, host halts",
        "kernels": "ours",
        "runs": [{"name": "guestoff", "append": "lab.apf_enabled=0"}],
    },
    "e": {
        "title": "guest no-kvmapf vs APF on",
        "kernels": "ours",
        "runs": [{"name": "apf"}, {"name": "noapf", "append": "no-kvmapf"}],
    },
    "h": {
        "title": "guest kvm_async_pf/enabled off and on 100 times under load: waits end, nothing leaks",
        "kernels": "ours",
        "runs": [{"name": "toggle", "append": f"lab.apf_toggle={TOGGLES}"}],
    },
    # The aarch64 lab's CPU property (qemu/patches/0016, 0018): KVM offers
    # the SMCCC function only where QEMU sets bit 48 of
    # KVM_REG_ARM_VENDOR_HYP_BMAP: by default on virt-10.0-apf1 (the "virt"
    # alias), not on upstream's virt-10.0, never with kvm-asyncpf=off.
    "k": {
        "title": "our QEMU, -cpu host,kvm-asyncpf=off and -M virt-10.0: the guest sees no APF function (arm64)",
        "kernels": "ours",
        "arch": "arm64",
        "needs_our_qemu": True,
        "runs": [{"name": "shown", "qemu": "apf"},
                 {"name": "hidden", "qemu": "apf", "cpu": "host,kvm-asyncpf=off"},
                 {"name": "upstream", "qemu": "apf", "machine": "virt-10.0,gic-version=3"}],
    },
    "x": {
        "title": "control (diagnostics, not in lab-check): kvm.async_pf=N from the start",
        "kernels": "ours",
        "runs": [{"name": "hostoff", "hostapf": "N"}],
    },
    "f": {
        "title": "per-VM opt-out, our QEMU: -accel kvm,async-pf=off; on, then apfctl disable --vm",
        "kernels": "ours",
        "needs_our_qemu": True,
        "runs": [{"name": "vmon", "qemu": "apf", "accel": "-accel kvm,async-pf=on",
                  "switchcmd": "apfctl disable --vm l2-vmon"},
                 {"name": "vmoff", "qemu": "apf", "accel": "-accel kvm,async-pf=off"}],
    },
    "g": {
        "title": "live migration, our QEMU: APF faults in flight survive; policy on the destination; "
                 "to stock QEMU 10.0 and back",
        "kernels": "ours",
        "needs_our_qemu": True,
        # The hops start when phase 1 does: 10-40 s each on an idle L0,
        # 100-200 s when L0 is busy (pre-copy at ~2 MB/s, the source reading
        # its swapped-out pages back): half the usual buffer and limit, and
        # phases long enough that the workload runs on the last destination
        # for a while.
        "params": {"wl": "--mb,128,--writers,1,--compute,1,--phases,2,--phase-secs,150,--max-secs,900",
                   "memmax": "96M", "timeout": 1800},
        "runs": [{"name": "mig", "qemu": "apf", "accel": "-accel kvm,async-pf=on",
                  "machine": "pc-i440fx-10.0-apf1",
                  # Four writers: with one, no guest wait was open at the
                  # switchover (results/2026-12-04-migration/).
                  "wl": "--mb,128,--writers,4,--compute,1,--phases,2,--phase-secs,150,--max-secs,900",
                  "migrate": "qemu-apf||fail|pc-i440fx-10.0 qemu-apf|kvm-asyncpf-int=off|fail qemu-apf"},
                 {"name": "migoff", "qemu": "apf", "accel": "-accel kvm,async-pf=on",
                  "machine": "pc-i440fx-10.0-apf1", "migrate": "qemu-apf", "dest_apf": "off"},
                 {"name": "stock", "qemu": "apf", "accel": "-accel kvm,async-pf=on",
                  "machine": "pc-i440fx-10.0", "refuse": "qemu-system-x86_64|pc-i440fx-10.0-apf1",
                  "migrate": "qemu-system-x86_64 qemu-apf"}],
    },
}

# check_b compares apfctl's reading of these with labmon's S2.
APFCTL_COMPARED = ("async_pf_queued", "async_pf_not_present", "async_pf_completed", "async_pf_ready")
APF_STATS = ("async_pf_queued", "async_pf_not_present", "async_pf_halted",
             "async_pf_ready", "async_pf_completed", "async_pf_sync")


# ------------------------------------------------------------ readers --
def snap(run, label):
    return run["snapshots"].get(label) or {}


def ev(run, label, name):
    return (snap(run, label).get("events") or {}).get(name)


def dbg(run, label, name):
    d = snap(run, label).get("debugfs") or {}
    return (d.get("totals") or {}).get(name)


def vm_stats(run, label):
    """The per-VM debugfs directory of the (single) L2 VM."""
    vms = (snap(run, label).get("debugfs") or {}).get("vms") or {}
    return next(iter(vms.values())) if len(vms) == 1 else None


def d_ev(run, a, b, name):
    x, y = ev(run, a, name), ev(run, b, name)
    return None if x is None or y is None else y - x


def d_dbg(run, a, b, name):
    x, y = dbg(run, a, name), dbg(run, b, name)
    return None if x is None or y is None else y - x


def hyp(run, label):
    """Sum of the guest's HYP (hypervisor callback = page ready) interrupts:
    the per-CPU counts of the HYP line on x86, of the kvm-apf PPI's line on
    arm64 (" 13:  7298  GICv3  19 Edge  kvm-apf": not the 19)."""
    txt = run["l2"].get(f"hyp-{label}.txt")
    if txt is None:
        return None
    if ":" not in txt:
        return 0
    n = 0
    for tok in txt.split(":", 1)[1].split():
        if not tok.isdigit():
            break
        n += int(tok)
    return n


def guest(run, label, name):
    return (run["l2"].get(f"kvm_async_pf-{label}") or {}).get(name)


def guest_np_parts(run):
    """The guest counters that together count every "page not present" the
    guest took: page_not_present (a task slept), wake_before_wait (its
    "page ready" came first) and, where the guest has the file (arm64
    0004; x86 guests have none), orphaned (taken in another context than
    the faulting access: no task slept, the access was retried)."""
    post = run["l2"].get("kvm_async_pf-post") or {}
    return ["page_not_present", "wake_before_wait"] + (["orphaned"] if "orphaned" in post else [])


def d_guest(run, name):
    a, b = guest(run, "pre", name), guest(run, "post", name)
    return None if a is None or b is None else b - a


def apfctl(run, name):
    return run["apfctl"].get(name) or {}


def l2_apfctl(run, name):
    return run["l2"].get(f"apfctl-{name}")


def find_counters(doc, key, source=None):
    """(source, value) of every counters dict in an apfctl JSON document
    that has `key`."""
    out = []

    def walk(x):
        if isinstance(x, dict):
            c = x.get("counters")
            if isinstance(c, dict) and key in c and (source is None or x.get("source") == source):
                out.append((x.get("source"), c[key]))
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    walk(doc)
    return out


def quiesce_of(run):
    """What L1's wait for no async fault in flight found (quiesce.txt, one
    line of key=value written by quiesce_wait in l1-common.sh), as a dict
    with numbers as ints ("-" for a statistic the kernel lacks); None for a
    run without it (recorded before the wait existed, or not asked for)."""
    txt = run["files"].get("quiesce.txt")
    if txt is None:
        return None
    out = {}
    for tok in txt.split():
        k, sep, v = tok.partition("=")
        if sep:
            out[k] = int(v) if v.isdigit() else v
    return out


def l2_vcpus(run):
    """L2's vCPUs as L2 counted them at boot: its nproc.txt, or in runs
    recorded before it wrote one, its console's "L2LAB: up ... cpus=N"
    (the console is kept from its end: a long one may have lost it).
    None when neither says."""
    n = (run["l2"].get("nproc.txt") or "").strip()
    if n.isdigit():
        return int(n)
    m = re.search(r"L2LAB: up .*?\bcpus=(\d+)", run["files"].get("l2-console.txt", ""))
    return int(m.group(1)) if m else None


def quiescent(run, label, broadcasts):
    """(ok, detail): no async fault in flight in snapshot `label`: every
    queued fault processed (queued == completed + cancelled) and every
    "page not present" answered, plus one broadcast "page ready" per
    ENABLE (ready == not_present + broadcasts)."""
    q, c, x, np_, r = (dbg(run, label, k) for k in (
        "async_pf_queued", "async_pf_completed", "async_pf_cancelled",
        "async_pf_not_present", "async_pf_ready"))
    x = x or 0
    vals = f"queued {q}, completed {c}, cancelled {x}, not_present {np_}, ready {r}"
    if None in (q, c, np_, r, broadcasts):
        return False, f"{vals}, broadcasts {broadcasts}: missing"
    ok = q == c + x and r == np_ + broadcasts
    return ok, (f"{vals}: {q - c - x} in flight, ready - not_present - {broadcasts} broadcasts "
                f"= {r - np_ - broadcasts}")


def wl_compute(run):
    w = run["l2"].get("wl") or {}
    ph = w.get("phases") or []
    secs = sum(p["secs"] for p in ph)
    return sum(p["compute_iters"] for p in ph) / secs if secs else None


def swapins(run):
    """Major faults of the L2 QEMU's cgroup (its swap-ins: the faults that
    can go async); L1's global pswpin where memory.stat lacks them (a
    kernel without VM event counters has neither /proc/vmstat pswpin)."""
    st = dict(re.findall(r"(\w+) (\d+)", run["files"].get("cg-memory.stat.txt", "")))
    if "pgmajfault" in st:
        return int(st["pgmajfault"])
    pre = dict(re.findall(r"(\w+) (\d+)", run["files"].get("vmstat-pre.txt", "")))
    post = dict(re.findall(r"(\w+) (\d+)", run["files"].get("vmstat-post.txt", "")))
    if "pswpin" in pre and "pswpin" in post:
        return int(post["pswpin"]) - int(pre["pswpin"])
    return None


# ------------------------------------------------------------- checks --
class Checks:
    def __init__(self):
        self.items = []

    def add(self, name, ok, detail="", known=None):
        """known: a known bug elsewhere (text) that makes this check fail
        today; the failure is then recorded as a known issue, not a
        failure, and a pass says that the marker can go."""
        item = {"name": name, "ok": bool(ok), "detail": str(detail)}
        if known:
            item["known_issue"] = known
            if not ok:
                item["ok"] = True
                item["xfail"] = True
            else:
                item["detail"] += " (known issue fixed? remove the marker)"
        self.items.append(item)
        return ok

    def gt0(self, name, v):
        return self.add(name, v is not None and v > 0, f"{v}")

    def eq0(self, name, v):
        return self.add(name, v == 0, f"{v}")

    def eq(self, name, a, b):
        return self.add(name, a is not None and a == b, f"{a} == {b}")


def is_arm64(run):
    """A run of the aarch64 lab (issue 19): L2's interrupts are a GICv3's."""
    return "GICv3" in (run["l2"].get("interrupts-post.txt") or run["l2"].get("interrupts-pre.txt") or "")


def l2_apfctl_guest(c, rn, run):
    """apfctl in L2 (`status -j` after the workload) sees a KVM guest with
    the guest counters: role guest, /sys/kernel/kvm_async_pf found, and
    the counters L2's own snapshot read just before it (snap_guest post,
    a shell loop over the files), each at least that value (apfctl reads
    later) and none missing or extra.  On arm64 apfctl finds the guest
    without CPUID (tools/apfctl/lib/guest_id_arm64.c).  Returns the guest
    object of the status."""
    st = l2_apfctl(run, "status-post") or {}
    g = st.get("guest") or {}
    c.add(f"{rn}: L2 apfctl status: role guest", st.get("role") == "guest",
          f"role={st.get('role')} evidence={g.get('evidence')}")
    snap = {k: v for k, v in (run["l2"].get("kvm_async_pf-post") or {}).items() if k != "enabled"}
    got = g.get("counters") or {}
    c.add(f"{rn}: L2 apfctl status: guest counters == L2's sysfs snapshot (>= each, same names)",
          bool(snap) and set(got) == set(snap) and all(got[k] >= snap[k] for k in snap),
          f"apfctl {got} vs sysfs {snap}")
    return g


def common_run_checks(c, rn, run, apf_on=True):
    """What every run must have: a stable final snapshot, the workload's
    results, swap-ins and async faults in L1.  apf_on=False: L2's APF is
    off; on x86 the host still goes async (and halts the vCPU), on arm64
    a fault only goes async when the guest is notified (arm64 0002), so
    there every fault is synchronous."""
    c.add(f"{rn}: final snapshot stable", snap(run, "S2").get("stable") is True,
          f"tries={snap(run, 'S2').get('tries')}")
    c.add(f"{rn}: L2 workload finished", bool(run["l2"].get("wl")), "wl.json")
    c.gt0(f"{rn}: L2 QEMU major faults in L1 (swap-ins)", swapins(run))
    if apf_on or not is_arm64(run):
        c.gt0(f"{rn}: tracepoint kvm_async_pf_not_present (host went async)",
              ev(run, "S2", "kvm_async_pf_not_present"))
    else:
        c.eq0(f"{rn}: tracepoint kvm_async_pf_not_present (arm64: no notification, no async fault)",
              ev(run, "S2", "kvm_async_pf_not_present"))
        c.gt0(f"{rn}: async_pf_sync (arm64: every fault synchronous)", dbg(run, "S2", "async_pf_sync"))


def summary_of(run):
    s = {"tp_not_present": ev(run, "S2", "kvm_async_pf_not_present"),
         "tp_ready": ev(run, "S2", "kvm_async_pf_ready"),
         "tp_completed": ev(run, "S2", "kvm_async_pf_completed"),
         "tp_inj_pf": ev(run, "S2", "kvm_inj_exception_pf"),
         "swapins": swapins(run), "hyp": hyp(run, "post"),
         "apf_share": (round(ev(run, "S2", "kvm_async_pf_not_present") / swapins(run), 3)
                       if swapins(run) and ev(run, "S2", "kvm_async_pf_not_present") is not None
                       else None),
         "compute_per_s": wl_compute(run)}
    for k in APF_STATS:
        s[k] = dbg(run, "S2", k)
    s["g_page_not_present"] = guest(run, "post", "page_not_present")
    s["g_page_ready"] = guest(run, "post", "page_ready")
    s["g_orphaned"] = guest(run, "post", "orphaned")
    return s


def check_a(c, runs):
    run = runs["apf"]
    common_run_checks(c, "apf", run)
    c.gt0("apf: tracepoint kvm_async_pf_ready", ev(run, "S2", "kvm_async_pf_ready"))
    c.gt0("apf: L2 HYP (page ready) interrupts grew", (hyp(run, "post") or 0) - (hyp(run, "pre") or 0))
    for name in ("stats-during", "stats-during-nodebugfs"):
        a = apfctl(run, name)
        c.add(f"apf: L1 apfctl {name} exit 0", a.get("rc") == 0, f"rc={a.get('rc')} {a.get('stderr', '')[:200]}")
    tps = find_counters(apfctl(run, "stats-during-nodebugfs").get("json"), "kvm_async_pf_not_present",
                        "tracepoints")
    c.add("apf: L1 apfctl stats (debugfs unreadable) counts kvm_async_pf_not_present via tracepoints",
          any(v > 0 for _, v in tps), f"{tps}")
    st = apfctl(run, "status-during").get("json") or {}
    c.add("apf: L1 apfctl status: role host/both", st.get("role") in ("host", "both"), st.get("role"))
    h = st.get("host") or {}
    c.add("apf: L1 apfctl status: stock kernel (no patched counters, no switch), tracepoints listed",
          h.get("counters") == "absent" and (h.get("switch") or {}).get("present") is False
          and "kvm_async_pf_not_present" in (h.get("tracepoints") or []),
          f"counters={h.get('counters')} switch={h.get('switch')}")
    tr = apfctl(run, "trace").get("json") or {}
    c.gt0("apf: L1 apfctl trace measured latencies", ((tr.get("total") or {}).get("count")))
    g = l2_apfctl(run, "status-post") or {}
    c.add("apf: L2 apfctl status: role guest", g.get("role") == "guest", g.get("role"))
    gg = g.get("guest") or {}
    c.add("apf: L2 apfctl status: async_pf on (CPUID ASYNC_PF_INT, no no-kvmapf)",
          gg.get("async_pf") is True and (gg.get("features") or {}).get("async_pf_int") is True,
          f"async_pf={gg.get('async_pf')} features={gg.get('features')}")
    gs = (l2_apfctl(run, "stats-during") or {}).get("guest") or {}
    c.gt0("apf: L2 apfctl stats counted page-ready (HYP) interrupts during the workload",
          (gs.get("rates") or {}).get("hyp_interrupts"))


def check_b_quiescent(c, run):
    """b compares its sources for equality at S2; that is exact only when
    no async fault was in flight there.  L1 waited for that (quiesce.txt);
    S2 itself must show it, and S3, read after apfctl, must not have
    moved.  The broadcasts are one per L2 vCPU (its ENABLE at boot):
    quiesce.txt says how many L1 asked for; a run recorded before the
    wait existed had L2's own count only."""
    q = quiesce_of(run)
    if q is not None:
        c.add("apf: L1 waited until no async fault was in flight before S2 (quiesce.txt)",
              q.get("quiescent") == 1,
              (f"quiescent after {q.get('polls')} polls, {q.get('waited_s')} s" if q.get("quiescent") == 1
               else "no async_pf_* statistics in L1's debugfs" if q.get("missing")
               else f"not quiescent within {q.get('limit_s')} s ({q.get('polls')} polls): queued "
               f"{q.get('queued')}, completed {q.get('completed')}, cancelled {q.get('cancelled')}, "
               f"not_present {q.get('not_present')}, ready {q.get('ready')}, "
               f"{q.get('broadcasts')} broadcasts expected"))
    vcpus = l2_vcpus(run)
    b = q.get("broadcasts") if q is not None else vcpus
    if q is not None:
        c.add(f"apf: L2 has the {b} vCPU(s) L1 started it with (L2's nproc)", vcpus == b,
              f"L2 counted {vcpus}")
    ok, detail = quiescent(run, "S2", b if isinstance(b, int) else None)
    c.add("apf S2: quiescent: queued == completed + cancelled, ready == not_present + one "
          "broadcast per vCPU", ok, detail)
    # What apfctl is compared with must hold still.  The guest runs on:
    # its kernel's own faults (at EL1, or with interrupts masked) are
    # synchronous by design and may still move async_pf_sync (and on x86
    # async_pf_halted), more so with several L2 vCPUs.
    moved = {k: (dbg(run, "S2", k), dbg(run, "S3", k)) for k in APF_STATS
             if dbg(run, "S2", k) != dbg(run, "S3", k)}
    held = {k: v for k, v in moved.items() if k in APFCTL_COMPARED}
    c.add("apf: S3 == S2 for the async_pf_* statistics apfctl is compared with "
          "(no async fault started or ended while apfctl read)",
          not held and dbg(run, "S3", "async_pf_queued") is not None,
          f"S2 -> S3 changed: {moved or 'nothing'}")


def check_b(c, runs):
    run = runs["apf"]
    common_run_checks(c, "apf", run)
    check_b_quiescent(c, run)
    for label in ("S2", "S3"):
        if not snap(run, label).get("stable"):
            continue
        c.eq(f"apf {label}: debugfs async_pf_queued == tracepoint kvm_async_pf_not_present",
             dbg(run, label, "async_pf_queued"), ev(run, label, "kvm_async_pf_not_present"))
        c.eq(f"apf {label}: debugfs async_pf_completed == tracepoint kvm_async_pf_completed",
             dbg(run, label, "async_pf_completed"), ev(run, label, "kvm_async_pf_completed"))
        vm = vm_stats(run, label)
        c.add(f"apf {label}: per-VM debugfs == totals (one VM)",
              vm is not None and all(vm.get(k) == dbg(run, label, k) for k in APF_STATS),
              {k: (vm or {}).get(k) for k in APF_STATS})
        break
    else:
        c.add("apf: a stable snapshot (tracepoints unchanged around the debugfs read)", False)
    q, np_, ha = (dbg(run, "S2", k) for k in ("async_pf_queued", "async_pf_not_present", "async_pf_halted"))
    c.gt0("apf: async_pf_not_present (notifications to the guest)", np_)
    c.add("apf: async_pf_not_present <= async_pf_queued", None not in (q, np_) and np_ <= q, f"{np_} <= {q}")
    rdy, tprdy = dbg(run, "S2", "async_pf_ready"), ev(run, "S2", "kvm_async_pf_ready")
    c.add("apf: 0 < async_pf_ready <= tracepoint kvm_async_pf_ready",
          None not in (rdy, tprdy) and 0 < rdy <= tprdy, f"{rdy} <= {tprdy}")
    # apfctl read between S2 and S3, with nothing in flight and nothing
    # moving (check_b_quiescent): each of its sources (QMP for the VM,
    # debugfs for the total) equals labmon's S2 exactly.
    for name in ("stats-end",):
        doc = apfctl(run, name).get("json")
        for k in APFCTL_COMPARED:
            vals = find_counters(doc, k)
            want = dbg(run, "S2", k)
            c.add(f"apf: L1 apfctl {name} {k} == labmon S2",
                  bool(vals) and want is not None and all(v == want for _, v in vals),
                  f"{vals} == {want}")
    # The guest's own view (read before S2, so never above the host's):
    # every "page not present" the host sent put a task to sleep, found
    # its "page ready" first, or (arm64 0004) came in another context than
    # the faulting access and was orphaned (guest_np_parts).
    parts = guest_np_parts(run)
    gnp = sum(guest(run, "post", k) or 0 for k in parts)
    if is_arm64(run):
        c.add("apf: arm64 guest counts orphaned \"not present\" (kvm_async_pf/orphaned, arm64 0004)",
              guest(run, "post", "orphaned") is not None, f"orphaned={guest(run, 'post', 'orphaned')}")
    c.add(f"apf: guest {'+'.join(parts)} / host async_pf_not_present in [0.9, 1]",
          np_ and 0.9 <= gnp / np_ <= 1.0, f"{gnp} / {np_} (host - guest = {None if np_ is None else np_ - gnp})")
    gr = guest(run, "post", "page_ready")
    c.add("apf: guest page_ready / host async_pf_ready in [0.9, 1]",
          rdy and gr is not None and 0.9 <= gr / rdy <= 1.0, f"{gr} / {rdy}")
    h = (apfctl(run, "status-end").get("json") or {}).get("host") or {}
    c.add("apf: L1 apfctl status: patched counters present, kvm.async_pf switch present and on",
          h.get("counters") == "present" and (h.get("switch") or {}).get("present") is True
          and (h.get("switch") or {}).get("enabled") is True,
          f"counters={h.get('counters')} switch={h.get('switch')}")


def check_c(c, runs):
    run = runs["switch"]
    common_run_checks(c, "switch", run)
    q1, q2 = d_dbg(run, "S0", "S1", "async_pf_queued"), d_dbg(run, "S1", "S2", "async_pf_queued")
    s1, s2 = d_dbg(run, "S0", "S1", "async_pf_sync"), d_dbg(run, "S1", "S2", "async_pf_sync")
    c.gt0("switch: phase 1 (Y): async_pf_queued grew", q1)
    c.eq0("switch: phase 2 (N): async_pf_queued did not grow", q2)
    c.eq0("switch: phase 2 (N): tracepoint kvm_async_pf_not_present did not grow",
          d_ev(run, "S1", "S2", "kvm_async_pf_not_present"))
    c.gt0("switch: phase 2 (N): async_pf_sync grew", s2)
    c.add("switch: async_pf_sync grew faster in phase 2 than in phase 1",
          None not in (s1, s2) and s2 > s1, f"{s1} -> {s2}")
    c.add("switch: kvm.async_pf read N in phase 2",
          run["files"].get("switch-phase2.txt", "").strip() == "N", run["files"].get("switch-phase2.txt"))


def check_d(c, runs):
    run = runs["guestoff"]
    arm = is_arm64(run)
    common_run_checks(c, "guestoff", run, apf_on=False)
    c.add("guestoff: L2 wrote 0 to /sys/kernel/kvm_async_pf/enabled",
          (run["l2"].get("enabled-write.rc") or "").strip() == "0", run["l2"].get("enabled-write.rc"))
    c.add("guestoff: enabled reads 0 after the workload",
          (run["l2"].get("enabled-post.txt") or "").strip() == "0", run["l2"].get("enabled-post.txt"))
    c.eq0("guestoff: async_pf_not_present during the workload (S0..S2)",
          d_dbg(run, "S0", "S2", "async_pf_not_present"))
    if arm:
        # arm64 has no APF halt: nothing is queued at all
        c.eq0("guestoff: async_pf_queued during the workload (S0..S2; arm64)",
              d_dbg(run, "S0", "S2", "async_pf_queued"))
    else:
        c.gt0("guestoff: async_pf_halted grew (S0..S2)", d_dbg(run, "S0", "S2", "async_pf_halted"))
    c.eq0("guestoff: guest page_not_present during the workload", d_guest(run, "page_not_present"))
    if not arm:
        c.gt0("guestoff: host still went async (tracepoint, S0..S2)",
              d_ev(run, "S0", "S2", "kvm_async_pf_not_present"))
    g = l2_apfctl_guest(c, "guestoff", run)
    c.add("guestoff: L2 apfctl status: enabled false, sysfs counters present",
          g.get("enabled") is False and g.get("sysfs") is True,
          f"enabled={g.get('enabled')} sysfs={g.get('sysfs')}")


def check_h(c, runs):
    run = runs["toggle"]
    common_run_checks(c, "toggle", run)
    t = (run["l2"].get("toggles.txt") or "").split()
    c.add(f"toggle: {TOGGLES} off/on cycles of kvm_async_pf/enabled, every write accepted",
          t == [str(TOGGLES), "0"], "toggles.txt: " + " ".join(t))
    c.add("toggle: enabled reads 1 after the workload",
          (run["l2"].get("enabled-post.txt") or "").strip() == "1", run["l2"].get("enabled-post.txt"))
    c.gt0("toggle: guest page_not_present (APF in use between the toggles)",
          d_guest(run, "page_not_present"))
    c.gt0("toggle: guest page_ready", d_guest(run, "page_ready"))
    # run --l2-smp 2: cpu1 also went offline and online every 10th cycle
    hp = (run["l2"].get("hotplug.txt") or "").split()
    if len(hp) == 3 and hp[2] != "1":
        c.add(f"toggle: cpu1 offline/online {TOGGLES // 10} times, every write accepted",
              hp[:2] == [str(TOGGLES // 10), "0"], "hotplug.txt: " + " ".join(hp))


def check_e(c, runs):
    on, off = runs["apf"], runs["noapf"]
    arm = is_arm64(on)
    common_run_checks(c, "apf", on)
    common_run_checks(c, "noapf", off, apf_on=False)
    c.gt0("apf: async_pf_not_present", dbg(on, "S2", "async_pf_not_present"))
    # x86: HYP (page ready); arm64: the kvm-apf PPI (both notifications)
    c.gt0("apf: L2 HYP interrupts grew", (hyp(on, "post") or 0) - (hyp(on, "pre") or 0))
    if not arm:
        # x86 sends "page not present" as a #PF; arm64 as the PPI above
        c.gt0("apf: #PF injections (kvm_inj_exception vector 14)", ev(on, "S2", "kvm_inj_exception_pf"))
    c.eq0("noapf: async_pf_not_present", dbg(off, "S2", "async_pf_not_present"))
    if arm:
        c.eq0("noapf: async_pf_queued (arm64: no APF halt)", dbg(off, "S2", "async_pf_queued"))
    else:
        c.gt0("noapf: async_pf_halted", dbg(off, "S2", "async_pf_halted"))
    c.eq0("noapf: L2 HYP interrupts", hyp(off, "post") or 0)
    if not arm:
        ion, ioff = ev(on, "S2", "kvm_inj_exception_pf"), ev(off, "S2", "kvm_inj_exception_pf")
        c.add("noapf: #PF injections < 10% of the APF run's", None not in (ion, ioff) and ioff * 10 < ion,
              f"{ioff} vs {ion}")
    g = l2_apfctl_guest(c, "noapf", off)
    c.add("noapf: L2 apfctl status: no_kvmapf, async_pf off",
          g.get("no_kvmapf") is True and g.get("async_pf") is False,
          f"no_kvmapf={g.get('no_kvmapf')} async_pf={g.get('async_pf')}")
    g = l2_apfctl_guest(c, "apf", on)
    c.add("apf: L2 apfctl status: async_pf on", g.get("async_pf") is True and g.get("no_kvmapf") is False,
          f"no_kvmapf={g.get('no_kvmapf')} async_pf={g.get('async_pf')}")



def vm_field(run, name, field):
    """A field of the one VM `apfctl status` (output `name`) lists."""
    vms = ((apfctl(run, name).get("json") or {}).get("host") or {}).get("vms") or []
    return vms[0].get(field) if len(vms) == 1 else "no single VM"


def vm_async_pf(run, name):
    """The per-VM async_pf state `apfctl status` reports (via our QEMU)."""
    return vm_field(run, name, "async_pf")


def check_f(c, runs):
    on, off = runs["vmon"], runs["vmoff"]
    common_run_checks(c, "vmon", on)
    # -accel kvm,async-pf=off: the whole run synchronous.
    c.add("vmoff: final snapshot stable", snap(off, "S2").get("stable") is True)
    c.add("vmoff: L2 workload finished", bool(off["l2"].get("wl")), "wl.json")
    c.eq0("vmoff: async_pf_queued", dbg(off, "S2", "async_pf_queued"))
    c.eq0("vmoff: tracepoint kvm_async_pf_not_present", ev(off, "S2", "kvm_async_pf_not_present"))
    c.gt0("vmoff: async_pf_sync", dbg(off, "S2", "async_pf_sync"))
    c.gt0("vmoff: L2 QEMU major faults in L1 (swap-ins)", swapins(off))
    c.add("vmoff: L1 apfctl status: VM async_pf false", vm_async_pf(off, "status-during") is False,
          vm_async_pf(off, "status-during"))
    # async-pf=on, then `apfctl disable --vm` (QMP set-async-pf; qom-set
    # before apf4) at phase 1 end.
    c.add("vmon: L1 apfctl status: VM async_pf true in phase 1", vm_async_pf(on, "status-during") is True,
          vm_async_pf(on, "status-during"))
    c.gt0("vmon: phase 1: async_pf_queued grew", d_dbg(on, "S0", "S1", "async_pf_queued"))
    c.add("vmon: apfctl disable --vm exit 0", on["files"].get("switchcmd.rc", "").strip() == "0",
          on["files"].get("switchcmd.out", "")[:200])
    # status asks the VM's QMP (query-async-pf; qom-get before apf4), so it
    # sees the run-time change.
    c.add("vmon: L1 apfctl status: VM async_pf false in phase 2", vm_async_pf(on, "status-phase2") is False,
          vm_async_pf(on, "status-phase2"))
    c.add("vmon: L1 apfctl status read it over QMP", vm_field(on, "status-phase2", "async_pf_source") == "qmp",
          vm_field(on, "status-phase2", "async_pf_source"))
    c.eq0("vmon: phase 2: async_pf_queued did not grow", d_dbg(on, "S1", "S2", "async_pf_queued"))
    c.gt0("vmon: phase 2: async_pf_sync grew", d_dbg(on, "S1", "S2", "async_pf_sync"))
    check_hmp(c, "vmon", on, "off")
    check_hmp(c, "vmoff", off, "off")


def vm_of(run, label, pid_file):
    """The per-VM debugfs statistics, in snapshot `label`, of the QEMU
    whose pid is in `pid_file` (debugfs names the VM <pid>-<fd>)."""
    pid = run["files"].get(pid_file, "").strip()
    vms = (snap(run, label).get("debugfs") or {}).get("vms") or {}
    hits = [v for k, v in vms.items() if pid and k.split("-")[0] == pid]
    return hits[0] if len(hits) == 1 else {}


def hop_status(run, i):
    """The migration's final status, from the source's last query-migrate."""
    m = re.search(r'"status": "([a-z-]+)"', run["files"].get(f"migrate-{i}.txt", ""))
    return m.group(1) if m else None


def hop_lands(c, rn, run, i):
    c.eq(f"{rn}: hop {i}: migration completed", hop_status(run, i), "completed")
    c.add(f"{rn}: hop {i}: the destination runs the VM",
          '"running": true' in run["files"].get(f"dest-status-{i}.txt", ""),
          run["files"].get(f"dest-status-{i}.txt", "")[:200])


def hop_refused(c, rn, run, i, why, text):
    """The destination exited non-zero with `text` in its own log; the
    source was resumed and runs."""
    rc = run["files"].get(f"dest-rc-{i}.txt", "").strip()
    log = run["files"].get(f"qemu-log-{i}.txt", "")
    c.add(f"{rn}: hop {i} ({why}): the destination refused the state and exited",
          rc not in ("", "0") and text in log, f"rc={rc} {log[-300:]}")
    c.add(f"{rn}: hop {i}: the source runs on (cont)",
          '"running": true' in run["files"].get(f"src-status-{i}.txt", ""),
          run["files"].get(f"src-status-{i}.txt", "")[:200])


def in_flight(vm, broadcasts=1):
    """Guest waits the source VM left open when it stopped: "page not
    present" notifications without their "page ready" (`broadcasts` of the
    ready ones are the broadcasts when the guest's vCPUs, or an incoming
    migration, enabled APF: one per L2 vCPU for a source that booted)."""
    np_, rdy = vm.get("async_pf_not_present"), vm.get("async_pf_ready")
    return None if None in (np_, rdy) else np_ - (rdy - broadcasts)


def caught_waits(run, i):
    """The guest waits catch_guest_wait_open (l1-migrate.sh) saw open when
    it left the source stopped for hop i's switch to post-copy, or None."""
    m = re.search(r"\bopen=(-?\d+) stopped=1\b", run["files"].get(f"postcopy-wait-{i}.txt", ""))
    return int(m.group(1)) if m else None


def check_switchover_waits(c, rn, run, i, src, nb):
    """Hop i switched to post-copy with guest waits open, as the source VM's
    counters show after the handover (they cannot move once it stopped), and
    the catch read the same from the stopped VM."""
    open_ = in_flight(src, nb)
    c.gt0(f"{rn}: source VM: guest waits open when it stopped (not_present - (ready - {nb}))", open_)
    c.add(f"{rn}: hop {i}: the stopped source's waits read before the switch == after the handover",
          open_ is not None and caught_waits(run, i) == open_,
          f"{run['files'].get(f'postcopy-wait-{i}.txt', '').strip()} / {open_}")
    return open_


def check_guest_waits_ended(c, mig, src, dst, open_, parts):
    """g's guest side: the page-ready notifications the source and the
    destination sent reached the guest ([0.9, 1]: L2 reads its counters
    before S2), and every "page not present" it took (the sum of `parts`)
    ended by its own page-ready or, for the `open_` waits open at the
    switchover, by the destination's one broadcast."""
    host_ready = None if None in (src.get("async_pf_ready"), dst.get("async_pf_ready")) \
        else src["async_pf_ready"] + dst["async_pf_ready"]
    gr = guest(mig, "post", "page_ready")
    c.add("mig: guest page_ready / (source + destination async_pf_ready) in [0.9, 1]",
          bool(host_ready) and gr is not None and 0.9 <= gr / host_ready <= 1.0, f"{gr} / {host_ready}")
    taken = [guest(mig, "post", k) for k in parts]
    gnp = None if None in taken else sum(taken)
    c.add(f"mig: guest page_ready + waits open at the switchover >= guest {' + '.join(parts)} "
          "(no wait left without its page-ready or the broadcast)",
          None not in (gr, gnp, open_) and gnp > 0 and gr + open_ >= gnp, f"{gr} + {open_} >= {gnp}")


def check_g(c, runs):
    if is_arm64(runs["mig"]):
        return check_g_arm64(c, runs)
    # Ours to ours: two destinations that must refuse, then post-copy with
    # the guest's waits open at the switchover.
    mig = runs["mig"]
    common_run_checks(c, "mig", mig)
    hop_refused(c, "mig", mig, 1, "-M pc-i440fx-10.0 for a pc-i440fx-10.0-apf1 stream",
                "Machine type received is")
    hop_refused(c, "mig", mig, 2, "-cpu host,kvm-asyncpf-int=off", "does not have kvm-asyncpf-int")
    hop_lands(c, "mig", mig, 3)
    src, dst = vm_of(mig, "M3", "qemu.pid"), vm_of(mig, "S2", "qemu3.pid")
    c.gt0("mig: source VM: async_pf_not_present before the switchover", src.get("async_pf_not_present"))
    nb = l2_vcpus(mig) or 1
    open_ = check_switchover_waits(c, "mig", mig, 3, src, nb)
    c.gt0("mig: destination VM: async_pf_not_present after it", dst.get("async_pf_not_present"))
    # Every page-ready the hosts sent reached the guest (read before S2);
    # the guest's waits all ended: the workload finished (above).  A
    # wake-before-wait counts its page-ready too, so page_not_present alone.
    check_guest_waits_ended(c, mig, src, dst, open_, ["page_not_present"])
    # Policy on the destination, through QMP, before the guest runs there.
    off = runs["migoff"]
    common_run_checks(c, "migoff", off)
    hop_lands(c, "migoff", off, 1)
    dapf = off["files"].get("dest-apf-1.txt", "")
    c.add("migoff: destination query-async-pf after set-async-pf: enabled false, switchable true",
          '"enabled": false' in dapf and '"switchable": true' in dapf, dapf[:300])
    src, dst = vm_of(off, "M1", "qemu.pid"), vm_of(off, "S2", "qemu1.pid")
    c.gt0("migoff: source VM: async_pf_queued before the switchover", src.get("async_pf_queued"))
    c.eq0("migoff: destination VM: async_pf_queued", dst.get("async_pf_queued"))
    c.gt0("migoff: destination VM: async_pf_sync", dst.get("async_pf_sync"))
    c.add("migoff: query-async-pf at the end: enabled false",
          '"enabled": false' in off["files"].get("query-async-pf-end.txt", ""),
          off["files"].get("query-async-pf-end.txt", "")[:200])
    # The upstream machine type to stock QEMU 10.0 and back; ours refused.
    st = runs["stock"]
    common_run_checks(c, "stock", st)
    c.add("stock: stock QEMU refuses our machine type, naming it",
          st["files"].get("refuse.rc", "").strip() not in ("", "0", "124")
          and "pc-i440fx-10.0-apf1" in st["files"].get("refuse.txt", ""),
          f"rc={st['files'].get('refuse.rc', '').strip()} {st['files'].get('refuse.txt', '')[:200]}")
    hop_lands(c, "stock", st, 1)
    hop_lands(c, "stock", st, 2)
    c.gt0("stock: on stock QEMU: async_pf_not_present", vm_of(st, "M2", "qemu1.pid").get("async_pf_not_present"))
    c.gt0("stock: back on our QEMU: async_pf_not_present", vm_of(st, "S2", "qemu2.pid").get("async_pf_not_present"))


def notes_of(runs):
    """Findings that are not verdicts: which source apfctl used, and whether
    it showed any APF counter; its warnings."""
    notes = []
    for rn, run in runs.items():
        for name, a in sorted(run["apfctl"].items()):
            doc = a.get("json")
            if name.startswith("stats") and isinstance(doc, dict):
                tot = doc.get("total") or {}
                apf = sorted(k for k in (tot.get("counters") or {}) if "async_pf" in k)
                vms = [(v.get("name"), v.get("source")) for v in doc.get("vms") or []]
                notes.append(f"{rn}: L1 apfctl {name}: total from {tot.get('source')}, VMs {vms}, "
                             f"APF counters: {apf or 'none'}")
            for line in (a.get("stderr") or "").splitlines():
                if "warning" in line:
                    notes.append(f"{rn}: L1 apfctl {name}: {line.strip()}")
    return notes


def hmp_async_pf(run):
    """Our QEMU's `info async-pf` (hmp.txt): (switch state, column sums) or
    (None, {}) when there is no table."""
    # The monitor writes CRLF and echoes the command with cursor escapes.
    text = run["files"].get("hmp.txt", "").replace("\r", "")
    m = re.search(r"^async-pf: (on|off)", text, re.M)
    head = re.search(r"^CPU +(.*)$", text, re.M)
    if not m or not head:
        return (m.group(1) if m else None), {}
    cols = ["async_pf_" + c for c in head.group(1).split()]
    sums = dict.fromkeys(cols, 0)
    for line in text[head.end() + 1:].splitlines():
        f = line.split()
        if len(f) != len(cols) + 1 or not f[0].isdigit():
            break
        for col, v in zip(cols, f[1:]):
            sums[col] += int(v) if v.isdigit() else 0
    return m.group(1), sums


def check_hmp(c, name, run, state):
    """info async-pf was read between snapshots S2 and S3: its per-vCPU
    sums lie between the debugfs totals of the two."""
    got, sums = hmp_async_pf(run)
    c.add(f"{name}: info async-pf says async-pf: {state}", got == state, f"got {got}")
    for stat in ("async_pf_queued", "async_pf_sync"):
        lo, hi, v = dbg(run, "S2", stat), dbg(run, "S3", stat), sums.get(stat)
        c.add(f"{name}: info async-pf {stat} sum within debugfs S2..S3",
              None not in (lo, hi, v) and lo <= v <= hi, f"S2 {lo} <= {v} <= S3 {hi}")


def check_x(c, runs):
    run = runs["hostoff"]
    c.add("hostoff: final snapshot stable", snap(run, "S2").get("stable") is True)
    c.add("hostoff: L2 workload finished", bool(run["l2"].get("wl")), "wl.json")
    c.gt0("hostoff: L2 QEMU major faults in L1 (swap-ins)", swapins(run))
    c.eq0("hostoff: tracepoint kvm_async_pf_not_present", ev(run, "S2", "kvm_async_pf_not_present"))
    c.gt0("hostoff: async_pf_sync", dbg(run, "S2", "async_pf_sync"))


def check_boot(c, runs, data):
    h = data.get("host", "")
    c.add("L1: /dev/kvm", "/dev/kvm" in h and "crw" in h, "ls -l /dev/kvm")
    if "started at EL" in h:
        # arm64 (the aarch64 lab): L1 entered at EL2 and KVM runs in VHE.
        c.add("L1 (arm64): all CPUs started at EL2, KVM in VHE mode",
              "All CPU(s) started at EL2" in h and "VHE mode initialized successfully" in h,
              "; ".join(ln for ln in h.splitlines() if ln.startswith("dmesg "))[:300])
    else:
        c.add("L1: kvm_amd nested=1, npt=Y", "kvm_amd/parameters/nested 1" in h and
              "kvm_amd/parameters/npt Y" in h, "host.txt")
    c.add("L1: kvm_async_pf_not_present tracepoint", "tracepoint kvm_async_pf_not_present" in h)
    c.add("L1: swap on the virtio disk", "/dev/vd" in data.get("swaps", ""), data.get("swaps", "")[:200])


def check_g_arm64(c, runs):
    """arm64.SCENARIOS["g"]: a destination with kvm-asyncpf=off and one
    without the registers (src/hide-apf-regs.c) refuse the state of a guest
    that enabled APF (qemu/patches/0017), then post-copy to
    one of our QEMUs with the guest's waits open at the switchover; the
    cpreg list carries KVM_REG_ARM_FW_ASYNC_PF, so the destination notifies
    the guest without it enabling again."""
    mig = runs["mig"]
    common_run_checks(c, "mig", mig)
    # Neither destination lists the two registers the stream has; since
    # qemu/patches/0017's second revision cpu_post_load() names them rather
    # than the length check of cpreg_vmstate_array_len refusing first
    # (results/2026-12-05-aarch64-lab/our-qemu.md, the first revision).
    hop_refused(c, "mig", mig, 1, "-cpu host,kvm-asyncpf=off",
                "the source offered asynchronous page faults to the guest (firmware register "
                "0x6030000000144150 in the migration stream), but this CPU has kvm-asyncpf=off")
    hop_refused(c, "mig", mig, 2, "a host kernel without the function (src/hide-apf-regs.c)",
                "the source offered asynchronous page faults to the guest (firmware register "
                "0x6030000000144150 in the migration stream), but this host kernel does not "
                "support them for arm64 guests")
    hop_lands(c, "mig", mig, 3)
    src, dst = vm_of(mig, "M3", "qemu.pid"), vm_of(mig, "S2", "qemu3.pid")
    c.gt0("mig: source VM: async_pf_not_present before the switchover", src.get("async_pf_not_present"))
    nb = l2_vcpus(mig) or 1
    open_ = check_switchover_waits(c, "mig", mig, 3, src, nb)
    c.gt0("mig: destination VM: async_pf_not_present after it (the state restored)",
          dst.get("async_pf_not_present"))
    c.gt0("mig: destination VM: async_pf_ready (the restore's broadcast and completions)",
          dst.get("async_pf_ready"))
    c.add("mig: guest kvm_async_pf/enabled still 1 after the hops",
          (mig["l2"].get("enabled-post.txt") or "").strip() == "1", mig["l2"].get("enabled-post.txt"))
    check_guest_waits_ended(c, mig, src, dst, open_, guest_np_parts(mig))


def smccc_apf_bit(run):
    """Function 112 (async PF) in the guest's "smccc: KVM: hypervisor
    services detected (a3 a2 a1 a0)" line: bit 16 of a3, the word of
    functions 96-127.  None without the line."""
    m = re.search(r"hypervisor services detected \((0x[0-9a-f]+) ", run["l2"].get("dmesg.txt") or "")
    return None if not m else bool(int(m.group(1), 16) & (1 << (112 % 32)))


def check_k(c, runs):
    """The same QEMU, with and without kvm-asyncpf: only the CPU property
    (or, in "upstream", the machine type) differs.  arm64 has no APF halt,
    so with the function hidden the host goes async for nothing and every
    fault is synchronous."""
    shown, hidden = runs["shown"], runs["hidden"]
    common_run_checks(c, "shown", shown)
    common_run_checks(c, "hidden", hidden, apf_on=False)
    if "upstream" in runs:
        # upstream's virt-10.0 keeps a stock QEMU's guest ABI: not offered
        up = runs["upstream"]
        common_run_checks(c, "upstream", up, apf_on=False)
        c.add("upstream (-M virt-10.0): ARM_SMCCC_VENDOR_HYP_KVM_FEATURES does not list function 112",
              smccc_apf_bit(up) is False, smccc_apf_bit(up))
        dm = up["l2"].get("dmesg.txt") or ""
        c.add("upstream (-M virt-10.0): the guest did not find the function (no kvm-apf: line)",
              "Linux version" in dm and "kvm-apf:" not in dm,
              [x for x in dm.splitlines() if "kvm-apf" in x][:2] or f"{len(dm)} bytes")
        c.eq0("upstream (-M virt-10.0): async_pf_queued", dbg(up, "S2", "async_pf_queued"))
    c.add("shown: ARM_SMCCC_VENDOR_HYP_KVM_FEATURES lists function 112", smccc_apf_bit(shown) is True,
          smccc_apf_bit(shown))
    c.add("hidden: ARM_SMCCC_VENDOR_HYP_KVM_FEATURES does not list function 112",
          smccc_apf_bit(hidden) is False, smccc_apf_bit(hidden))
    c.add("shown: the guest found the function (kvm-apf: using PPI)",
          "kvm-apf: using PPI" in (shown["l2"].get("dmesg.txt") or ""))
    c.gt0("shown: guest page_not_present", guest(shown, "post", "page_not_present"))
    c.gt0("shown: async_pf_not_present", dbg(shown, "S2", "async_pf_not_present"))
    dm = hidden["l2"].get("dmesg.txt") or ""
    c.add("hidden: the guest did not find the function (no kvm-apf: line, L2 dmesg read)",
          "Linux version" in dm and "kvm-apf:" not in dm,
          [x for x in dm.splitlines() if "kvm-apf" in x][:2] or f"{len(dm)} bytes")
    c.add("hidden: no /sys/kernel/kvm_async_pf in L2",
          hidden["l2"].get("kvm_async_pf-post") is None and bool(hidden["l2"].get("wl")))
    c.eq0("hidden: async_pf_not_present", dbg(hidden, "S2", "async_pf_not_present"))
    c.eq0("hidden: async_pf_queued", dbg(hidden, "S2", "async_pf_queued"))
    c.eq0("hidden: kvm-apf PPIs in L2", hyp(hidden, "post") or 0)
    check_hmp(c, "shown", shown, "on")
    check_hmp(c, "hidden", hidden, "on")


CHECKS = {"boot": check_boot, "x": check_x, "a": check_a, "b": check_b, "c": check_c, "d": check_d, "e": check_e, "f": check_f,
          "g": check_g, "h": check_h, "k": check_k}


def evaluate(name, data):
    c = Checks()
    runs = data["runs"]
    missing = [r["name"] for r in SCENARIOS[name]["runs"] if r["name"] not in runs]
    if missing:
        c.add("all L2 runs present", False, f"missing {missing}")
        return c.items, {}, []
    try:
        if name == "boot":
            check_boot(c, runs, data)
        else:
            CHECKS[name](c, runs)
    except Exception as e:  # a malformed result is a failed check, not a crash
        c.add("results parse", False, f"{type(e).__name__}: {e}")
    summary, notes = {}, []
    order = [r["name"] for r in SCENARIOS[name]["runs"]]
    for rn in order + sorted(set(runs) - set(order)):
        r = runs[rn]
        try:
            summary[rn] = summary_of(r)
        except Exception as e:
            summary[rn] = {"error": f"{type(e).__name__}: {e}"}
    try:
        notes = notes_of(runs)
    except Exception as e:
        notes = [f"notes: {type(e).__name__}: {e}"]
    return c.items, summary, notes


TABLE_HEAD = ["scn", "kernels", "run", "tp np/ready/compl", "queued/np/halted/sync/ready",
              "guest pnp/HYP", "majflt", "checks", "att/flk", "time", "verdict"]


def _n(v):
    return "-" if v is None else str(v)


def table_row(r):
    """One row per scenario (the first line of multi-run ones shows all runs
    joined with ' | ')."""
    summ = r.get("summary") or {}
    runs = list(summ) or ["-"]

    def col(f):
        return " | ".join(f(summ.get(rn, {})) for rn in runs)
    checks = r.get("checks") or []
    return [
        r.get("scenario"), (r.get("kernels") or {}).get("kind", "-"), " | ".join(runs),
        col(lambda s: f"{_n(s.get('tp_not_present'))}/{_n(s.get('tp_ready'))}/{_n(s.get('tp_completed'))}"),
        col(lambda s: "/".join(_n(s.get(k)) for k in ("async_pf_queued", "async_pf_not_present",
                                                          "async_pf_halted", "async_pf_sync",
                                                          "async_pf_ready"))),
        col(lambda s: f"{_n(s.get('g_page_not_present'))}/{_n(s.get('hyp'))}"),
        col(lambda s: _n(s.get("swapins"))),
        f"{sum(c['ok'] for c in checks)}/{len(checks)}"
        + (f" ({sum(1 for c in checks if c.get('xfail'))} known)" if any(c.get("xfail") for c in checks) else ""),
        f"{len(r.get('attempts') or [])}/{r.get('flakes', 0)}",
        f"{r.get('wall_s', 0):.0f}s",
        r.get("verdict", "-").upper() + (f" ({r['reason'][:60]})" if r.get("verdict") == "skip" else ""),
    ]
