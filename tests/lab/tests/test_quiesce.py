# SPDX-License-Identifier: GPL-2.0-only
"""Scenario b's quiescent snapshot and the L2 vCPU count, without a VM:
quiesce_wait (guest/l1-common.sh) run by a real shell against a fake
reader of the host's async_pf_* statistics, b's verdict on what it
recorded, and `make run ARCH=arm64 L2_SMP=2 S=b` followed from the
Makefile through lab.py's arguments and parameters to L1's and L2's QEMU
command lines."""
import copy
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(LAB))
import arm64lab  # noqa: E402
import lab  # noqa: E402
import scenarios  # noqa: E402
from l1run import l2_start_cmdline  # noqa: E402

COMMON = LAB / "guest" / "l1-common.sh"
SH = shutil.which("dash") or "sh"


def quiesce(tmp_path, seq, broadcasts=1, limit=2, debugfs=None):
    """quiesce_wait BROADCASTS LIMIT OUT under a POSIX shell.  seq: the
    lines a fake apf_totals returns, one per poll, the last one repeated
    (None: the real apf_totals, reading debugfs, a directory here).
    Returns (rc, quiesce.txt, console, polls read)."""
    out = tmp_path / "quiesce.txt"
    script = f". {shlex.quote(str(COMMON))}\n"
    if seq is not None:
        (tmp_path / "seq").write_text("\n".join(seq) + "\n")
        (tmp_path / "n").write_text("0\n")
        # The reader runs in a command substitution (a subshell): its
        # poll count lives in a file.
        script += r'''apf_totals() {
	n=$(($(cat "$T/n") + 1)); echo $n >"$T/n"
	l=$(sed -n "${n}p" "$T/seq"); [ -n "$l" ] || l=$(tail -n 1 "$T/seq")
	echo "$l"
}
'''
    script += f'QUIESCE_NAP=true quiesce_wait {broadcasts} {limit} "$T/quiesce.txt"\n'
    env = dict(os.environ, T=str(tmp_path), R=str(tmp_path / "results"))
    if debugfs is not None:
        env["APF_DEBUGFS"] = str(debugfs)
    r = subprocess.run([SH, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert r.stderr == "", r.stderr
    polls = int((tmp_path / "n").read_text()) if seq is not None else None
    return r.returncode, out.read_text() if out.exists() else None, r.stdout, polls


# queued completed cancelled not_present ready
IN_FLIGHT = "100 98 0 100 99"     # two faults queued, one page-ready not sent
READY_LAGS = "100 100 0 100 100"  # processed, but one page-ready short
QUIET = "100 100 0 100 101"       # everything answered, one broadcast


def test_quiesce_wait_returns_once_nothing_is_in_flight(tmp_path):
    rc, txt, con, polls = quiesce(tmp_path, [IN_FLIGHT, IN_FLIGHT, READY_LAGS, QUIET, IN_FLIGHT])
    assert rc == 0 and polls == 4
    assert txt.startswith("quiescent=1 polls=4 limit_s=2 broadcasts=1 waited_s=")
    assert txt.rstrip().endswith("queued=100 completed=100 cancelled=0 not_present=100 ready=101")
    assert "L1LAB: quiescent after 4 polls" in con


def test_quiesce_wait_gives_up_at_its_bound_with_a_clear_message(tmp_path):
    rc, txt, con, polls = quiesce(tmp_path, [IN_FLIGHT], limit=3)
    # 5 polls a second: 15, not one more
    assert rc == 1 and polls == 15
    assert txt.startswith("quiescent=0 polls=15 limit_s=3 broadcasts=1 ")
    assert "not quiescent within 3s (15 polls)" in con
    assert "want queued == completed + cancelled (2 in flight)" in con
    assert "ready == not_present + 1 broadcasts (-2 off)" in con
    q = scenarios.quiesce_of({"files": {"quiesce.txt": txt}})
    assert q["quiescent"] == 0 and q["queued"] == 100 and q["completed"] == 98 and q["broadcasts"] == 1


def test_quiesce_wait_wants_one_broadcast_per_l2_vcpu(tmp_path):
    # Two vCPUs, two ENABLEs: ready == not_present + 1 is still one short.
    rc, _, _, polls = quiesce(tmp_path, [QUIET], broadcasts=2, limit=1)
    assert rc == 1 and polls == 5
    rc, txt, _, polls = quiesce(tmp_path, [QUIET, "100 100 0 100 102"], broadcasts=2)
    assert rc == 0 and polls == 2 and "broadcasts=2 " in txt


def test_quiesce_wait_counts_cancelled_faults_as_done(tmp_path):
    rc, _, _, polls = quiesce(tmp_path, ["100 97 0 98 99", "100 97 3 98 99"])
    assert rc == 0 and polls == 2


@pytest.mark.parametrize("line", ["- - - - -", "100 100", "100 x 0 100 101"])
def test_quiesce_wait_refuses_missing_or_garbled_statistics_at_once(tmp_path, line):
    rc, txt, con, polls = quiesce(tmp_path, [line, QUIET])
    assert rc == 2 and polls == 1
    assert txt.startswith("quiescent=0 missing=1 ")
    assert "no async_pf_* statistics" in con


def test_quiesce_wait_reads_the_debugfs_totals(tmp_path):
    """The real reader: debugfs's files, a kernel without
    async_pf_cancelled reading as none cancelled; no files at all is
    the missing case."""
    dbg = tmp_path / "kvm"
    dbg.mkdir()
    for k, v in {"queued": 7, "completed": 7, "not_present": 5, "ready": 6, "halted": 2}.items():
        (dbg / f"async_pf_{k}").write_text(f"{v}\n")
    rc, txt, _, _ = quiesce(tmp_path, None, debugfs=dbg)
    assert rc == 0
    assert "queued=7 completed=7 cancelled=- not_present=5 ready=6" in txt
    (dbg / "async_pf_completed").write_text("6\n")
    rc, txt, _, _ = quiesce(tmp_path, None, debugfs=dbg, limit=1)
    assert rc == 1 and "quiescent=0 polls=5 " in txt
    rc, txt, _, _ = quiesce(tmp_path, None, debugfs=tmp_path / "none")
    assert rc == 2 and "missing=1" in txt


def test_l1_run_waits_before_s2_only_where_asked():
    text = (LAB / "guest" / "l1-run.sh").read_text()
    wait = text.index('quiesce_wait "$LAB_L2_SMP" "$LAB_T_QUIESCE" "$d/quiesce.txt"')
    assert text.index('wait_for "$run/console" \'L2LAB: results written\'') < wait < text.index('snap "$d" S2')
    assert '[ -n "$quiesce" ] && { quiesce_wait' in text
    assert 'eval "quiesce=\\${RUN_${name}_QUIESCE:-}"' in text


# ------------------------------------------------- b's verdict on it --
def b_fixture():
    names = sorted(p.name for p in (LAB / "tests" / "fixtures").glob("b-*") if p.is_dir())
    if not names:
        pytest.skip("no recorded results for scenario b")
    return lab.collect(LAB / "tests" / "fixtures" / names[0])


def failed(data):
    return [c["name"] for c in scenarios.evaluate("b", data)[0] if not c["ok"]]


def with_quiesce(data, vcpus=1, quiescent=1):
    """The recorded run as one with L1's wait (quiesce.txt from S2's
    values) and L2 started with `vcpus` vCPUs, its ENABLE broadcasts
    among the ready ones in every snapshot and in apfctl's numbers."""
    data = copy.deepcopy(data)
    run = data["runs"]["apf"]
    extra = vcpus - 1
    for s in run["snapshots"].values():
        deb = s.get("debugfs") or {}
        for d in [deb.get("totals") or {}] + list((deb.get("vms") or {}).values()):
            if "async_pf_ready" in d:
                d["async_pf_ready"] += extra
    for a in run["apfctl"].values():
        def bump(x):
            if isinstance(x, dict):
                if isinstance(x.get("counters"), dict) and "async_pf_ready" in x["counters"]:
                    x["counters"]["async_pf_ready"] += extra
                for v in x.values():
                    bump(v)
            elif isinstance(x, list):
                for v in x:
                    bump(v)
        bump(a.get("json"))
    run["l2"]["nproc.txt"] = f"{vcpus}\n"
    g = lambda k: scenarios.dbg(run, "S2", k)  # noqa: E731
    run["files"]["quiesce.txt"] = (
        f"quiescent={quiescent} polls=3 limit_s=60 broadcasts={vcpus} waited_s=0.4 "
        f"queued={g('async_pf_queued')} completed={g('async_pf_completed')} cancelled=0 "
        f"not_present={g('async_pf_not_present')} ready={g('async_pf_ready')}\n")
    return data


def test_b_passes_quiescent_with_one_and_with_two_vcpus():
    data = b_fixture()
    assert failed(data) == []
    for vcpus in (1, 2):
        d = with_quiesce(data, vcpus)
        assert failed(d) == [], vcpus
        names = [c["name"] for c in scenarios.evaluate("b", d)[0]]
        assert "apf: L1 waited until no async fault was in flight before S2 (quiesce.txt)" in names
        assert f"apf: L2 has the {vcpus} vCPU(s) L1 started it with (L2's nproc)" in names


def test_b_fails_when_l1_never_saw_it_quiescent():
    d = with_quiesce(b_fixture(), quiescent=0)
    checks = {c["name"]: c for c in scenarios.evaluate("b", d)[0]}
    c = checks["apf: L1 waited until no async fault was in flight before S2 (quiesce.txt)"]
    assert not c["ok"] and c["detail"].startswith("not quiescent within 60 s (3 polls): queued ")
    assert [n for n, c in checks.items() if not c["ok"]] == [c["name"]]


def test_b_fails_on_a_fault_in_flight_at_s2():
    d = with_quiesce(b_fixture())
    tot = d["runs"]["apf"]["snapshots"]["S2"]["debugfs"]["totals"]
    tot["async_pf_completed"] -= 1
    f = failed(d)
    assert "apf S2: quiescent: queued == completed + cancelled, ready == not_present + one " \
           "broadcast per vCPU" in f
    # a page-ready missing (or a broadcast too many) is the same failure
    d = with_quiesce(b_fixture())
    d["runs"]["apf"]["snapshots"]["S2"]["debugfs"]["totals"]["async_pf_ready"] += 1
    checks = {c["name"]: c for c in scenarios.evaluate("b", d)[0]}
    c = checks["apf S2: quiescent: queued == completed + cancelled, ready == not_present + one "
               "broadcast per vCPU"]
    assert not c["ok"] and "0 in flight, ready - not_present - 1 broadcasts = 1" in c["detail"]


def test_b_two_vcpus_need_two_broadcasts_and_an_l2_with_two():
    d = with_quiesce(b_fixture(), vcpus=2)
    d["runs"]["apf"]["snapshots"]["S2"]["debugfs"]["totals"]["async_pf_ready"] -= 1
    assert "apf S2: quiescent: queued == completed + cancelled, ready == not_present + one " \
           "broadcast per vCPU" in failed(d)
    d = with_quiesce(b_fixture(), vcpus=2)
    run = d["runs"]["apf"]
    run["l2"]["nproc.txt"] = "1\n"
    assert failed(d) == ["apf: L2 has the 2 vCPU(s) L1 started it with (L2's nproc)"]
    # a guest that did not say: not taken for the right count
    del run["l2"]["nproc.txt"]
    run["files"]["l2-console.txt"] = ""
    assert "apf: L2 has the 2 vCPU(s) L1 started it with (L2's nproc)" in failed(d)


def test_b_wants_apfctl_equal_to_s2_and_s3_unmoved():
    d = with_quiesce(b_fixture())
    run = d["runs"]["apf"]
    vm = run["apfctl"]["stats-end"]["json"]["vms"][0]["counters"]
    vm["async_pf_not_present"] += 1
    assert failed(d) == ["apf: L1 apfctl stats-end async_pf_not_present == labmon S2"]
    S3_HELD = ("apf: S3 == S2 for the async_pf_* statistics apfctl is compared with "
               "(no async fault started or ended while apfctl read)")
    for k in scenarios.APFCTL_COMPARED:
        d = with_quiesce(b_fixture())
        d["runs"]["apf"]["snapshots"]["S3"]["debugfs"]["totals"][k] += 1
        assert failed(d) == [S3_HELD], k
    # the guest's own synchronous faults may go on (EL1, IRQs masked;
    # L2_SMP=2 on arm64: results/2026-12-06-aarch64-review3)
    d = with_quiesce(b_fixture())
    d["runs"]["apf"]["snapshots"]["S3"]["debugfs"]["totals"]["async_pf_sync"] += 2
    assert failed(d) == []


# -------------------------------- L2_SMP=2 from make to QEMU (arm64) --
def make_n(*args):
    r = subprocess.run(["make", "-s", "-n", "-C", str(LAB), *args], capture_output=True,
                       text=True, check=True)
    # the recipe's continuation lines, as the shell would join them
    return [shlex.split(x) for x in r.stdout.replace("\\\n", " ").splitlines() if "lab.py" in x]


@pytest.mark.skipif(not shutil.which("make"), reason="no make")
def test_make_run_arm64_l2_smp_reaches_lab_py():
    (cmd,) = make_n("run", "ARCH=arm64", "L2_SMP=2", "S=b")
    argv = cmd[cmd.index("./lab.py") + 1:]
    assert argv[:2] == ["--arch", "arm64"] and "run" in argv
    args = lab.arg_parser().parse_args(argv)
    assert (args.arch, args.cmd, args.scenarios, args.l2_smp, args.kernels) == \
        ("arm64", "run", ["b"], 2, "ours")
    # without L2_SMP: the scenario's own (1)
    (cmd,) = make_n("run", "ARCH=arm64", "S=b")
    assert "--l2-smp" not in cmd
    assert lab.arg_parser().parse_args(cmd[cmd.index("./lab.py") + 1:]).l2_smp == 0


@pytest.mark.parametrize("bad", ["0", "-1", "two"])
def test_l2_smp_must_be_a_positive_number(bad, capsys):
    with pytest.raises(SystemExit):
        lab.arg_parser().parse_args(["--arch", "arm64", "run", "--l2-smp", bad, "b"])


def test_l2_smp_sets_l2_and_at_least_as_many_l1_vcpus(tmp_path, monkeypatch):
    monkeypatch.setattr(lab, "ARCH", "arm64")
    scn = dict(lab.SCENARIOS["b"], name="b")
    imgs = {"kernels": {"l1": Path("/k"), "l2": tmp_path / "k"}, "l1_initrd": Path("/i"),
            "l2_initrd": tmp_path / "i"}
    (tmp_path / "k").write_text("k")
    (tmp_path / "i").write_text("i")
    for smp, l1 in ((None, 2), (2, 2), (4, 4)):
        argv = ["--arch", "arm64", "run"] + (["--l2-smp", str(smp)] if smp else []) + ["b"]
        params = lab.scenario_params(scn, "ours", lab.arg_parser().parse_args(argv))
        assert (params["l2_smp"], params["l1_smp"], params["l2_qemu"]) == (smp or 1, l1, "apf")
        cmd = arm64lab.l1_cmd(imgs, params, "console=ttyAMA0", "file=s,if=none,id=swap",
                              Path("/c"), Path("/r"))
        assert cmd[cmd.index("-smp") + 1] == str(l1)
        env = lab.make_cfg_tar(tmp_path / "cfg.tar", scn, imgs, params)
        assert env["LAB_L2_SMP"] == str(smp or 1)
        assert env["RUN_apf_QUIESCE"] == "1" and env["LAB_T_QUIESCE"] == "60"
        with tarfile.open(tmp_path / "cfg.tar") as t:
            text = t.extractfile("lab.env").read().decode()
            assert f"LAB_L2_SMP={smp or 1}\n" in text
            assert t.extractfile("l1-common.sh").read() == COMMON.read_bytes()
    # the checker kernels' longer limits cover the wait too
    params = lab.scenario_params(scn, "debug", lab.arg_parser().parse_args(["run", "b"]))
    assert params["t_quiesce"] == 60 * lab.CHECKED_SLOWDOWN
    # other scenarios do not wait
    env = lab.make_cfg_tar(tmp_path / "c.tar", dict(lab.SCENARIOS["c"], name="c"), imgs, params)
    assert not any(k.endswith("_QUIESCE") and k.startswith("RUN_") for k in env)


def test_l2_start_gives_l2_the_smp_of_lab_env(tmp_path):
    """l2_start's QEMU command line, expanded by a real shell with an
    arm64 lab.env of LAB_L2_SMP=2."""
    out = l2_start_cmdline(tmp_path, "/usr/bin/qemu-apf", smp=2)
    assert " -smp 2 " in out and " -m 512 " in out and "-M virt,gic-version=3" in out


def test_g_counts_one_broadcast_per_l2_vcpu_in_the_open_waits():
    """The source VM's open guest waits: not_present - (ready - one
    broadcast per vCPU); with two vCPUs one open wait is still one."""
    vm = {"async_pf_not_present": 50, "async_pf_ready": 51}
    assert scenarios.in_flight(vm) == 0
    assert scenarios.in_flight({"async_pf_not_present": 50, "async_pf_ready": 51}, 2) == 1
    assert scenarios.l2_vcpus({"files": {"l2-console.txt": "x\nL2LAB: up kernel=6.12 cpus=2 cmdline=..."},
                               "l2": {}}) == 2
    assert scenarios.l2_vcpus({"files": {}, "l2": {}}) is None
    # L2's own file first; the console only for runs recorded without it
    assert scenarios.l2_vcpus({"files": {"l2-console.txt": "L2LAB: up cpus=1 x"},
                               "l2": {"nproc.txt": "2\n"}}) == 2
    names = sorted(p.name for p in (LAB / "tests" / "fixtures").glob("g-*") if p.is_dir())
    if not names:
        pytest.skip("no recorded results for scenario g")
    data = lab.collect(LAB / "tests" / "fixtures" / names[0])
    checks = [c["name"] for c in scenarios.evaluate("g", data)[0]]
    # one vCPU: the check as it always was named
    assert "mig: source VM: guest waits open when it stopped (not_present - (ready - 1))" in checks
    mig = data["runs"]["mig"]
    mig["files"]["l2-console.txt"] = mig["files"]["l2-console.txt"].replace("cpus=1 ", "cpus=2 ")
    mig["l2"]["nproc.txt"] = "2\n"
    checks = [c["name"] for c in scenarios.evaluate("g", data)[0]]
    assert "mig: source VM: guest waits open when it stopped (not_present - (ready - 2))" in checks
