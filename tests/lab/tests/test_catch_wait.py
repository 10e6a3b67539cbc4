# SPDX-License-Identifier: GPL-2.0-only
"""Scenario g's switch to post-copy with a guest wait open, without a VM:
catch_guest_wait_open (guest/l1-migrate.sh) run by a real shell against a
fake labqmp (stop/cont on a fake VM whose per-VM debugfs counters move
only while it runs) and fake debugfs files."""
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parent.parent
COMMON = LAB / "guest" / "l1-common.sh"
MIGRATE = LAB / "guest" / "l1-migrate.sh"
SH = shutil.which("dash") or "sh"
PID = 4242

# The fake labqmp: logs each command; "stop" sets the VM's counters to the
# next "not_present ready" line of $T/seq (the last one repeated), as a
# running guest would have moved them; "query-migrate" answers "active",
# or "completed" from the Nth query on where $T/complete-at holds N; exits
# 1 where $T/qmp-fails exists.
FAKE_QMP = r"""labqmp() {
	[ -e "$T/qmp-fails" ] && { echo "labqmp: connect: No such file or directory" >&2; return 1; }
	shift
	for cmd in "$@"; do
		case $cmd in
		*'"stop"'*)
			n=$(($(cat "$T/n") + 1)); echo $n >"$T/n"
			l=$(sed -n "${n}p" "$T/seq"); [ -n "$l" ] || l=$(tail -n 1 "$T/seq")
			set -- $l
			[ -d "$T/vm" ] && { echo "$1" >"$T/vm/async_pf_not_present"; echo "$2" >"$T/vm/async_pf_ready"; }
			echo stop >>"$T/log"; echo '{"return": {}}' ;;
		*'"cont"'*) echo cont >>"$T/log"; echo '{"return": {}}' ;;
		*'"query-migrate"'*)
			q=$(($(cat "$T/q") + 1)); echo $q >"$T/q"
			st=active
			[ -e "$T/complete-at" ] && [ $q -ge "$(cat "$T/complete-at")" ] && st=completed
			echo "{\"return\": {\"status\": \"$st\", \"setup-time\": 1}}" ;;
		esac
	done
}
"""
# The shells the function must run under: dash (POSIX) and busybox ash,
# L1's own shell.
SHELLS = [[shutil.which("dash") or "sh"]] + ([["/bin/busybox", "sh"]] if Path("/bin/busybox").exists() else [])


def catch(tmp_path, seq, smp=1, tries=5, debugfs=True, qmp_fails=False, complete_at=None, sh=None, secs=60):
    """catch_guest_wait_open under a POSIX shell; seq: the (not_present,
    ready) the VM shows at each stop.  Returns (rc, postcopy-wait-1.txt,
    the stop/cont log, console)."""
    (tmp_path / "seq").write_text("".join(f"{a} {b}\n" for a, b in seq))
    (tmp_path / "n").write_text("0\n")
    (tmp_path / "q").write_text("0\n")
    (tmp_path / "log").write_text("")
    dfs = tmp_path / "debugfs"
    dfs.mkdir()
    if debugfs:
        (dfs / f"{PID}-11").mkdir()
        (tmp_path / "vm").symlink_to(dfs / f"{PID}-11")
    if qmp_fails:
        (tmp_path / "qmp-fails").write_text("")
    if complete_at is not None:
        (tmp_path / "complete-at").write_text(f"{complete_at}\n")
    script = (f". {shlex.quote(str(COMMON))}\n. {shlex.quote(str(MIGRATE))}\n" + FAKE_QMP
              + f'd=$T i=1 name=mig LAB_L2_SMP={smp} CATCH_TRIES={tries} CATCH_SECS={secs} CATCH_NAP=true\n'
              + f'catch_guest_wait_open "$T/qmp.sock" {PID}\n')
    env = dict(os.environ, T=str(tmp_path), R=str(tmp_path / "results"), APF_DEBUGFS=str(dfs))
    r = subprocess.run((sh or SHELLS[0]) + ["-c", script], env=env, capture_output=True, text=True,
                       timeout=60)
    assert "not found" not in r.stderr and "rror" not in r.stderr, r.stderr
    out = tmp_path / "postcopy-wait-1.txt"
    return (r.returncode, out.read_text().strip() if out.exists() else None,
            (tmp_path / "log").read_text().split(), r.stdout)


@pytest.mark.parametrize("sh", SHELLS, ids=lambda s: s[0].rsplit("/", 1)[-1])
def test_stops_where_a_wait_is_open_and_leaves_the_vm_stopped(tmp_path, sh):
    # not_present - ready + 1 broadcast: 0, 0, then 2 open
    rc, out, log, _ = catch(tmp_path, [(10, 11), (20, 21), (31, 30)], sh=sh)
    assert rc == 0
    assert out == "tries=3 open=2 stopped=1 migration=active"
    assert log == ["stop", "cont", "stop", "cont", "stop"]


def test_gives_up_at_its_bound_with_the_vm_running(tmp_path):
    rc, out, log, console = catch(tmp_path, [(10, 11)], tries=4)
    assert rc == 1
    assert out == "tries=4 open=0 stopped=0 migration=active"
    # one cont per stop: none more once it gave up
    assert log == ["stop", "cont"] * 4
    assert "tries=4 open=0 stopped=0" in console


@pytest.mark.parametrize("smp,want", [(2, (0, "tries=1 open=1 stopped=1 migration=active")),
                                       (1, (1, "tries=1 open=0 stopped=0 migration=active"))])
def test_counts_one_broadcast_per_l2_vcpu(tmp_path, smp, want):
    # ready 11 for not_present 10: one wait open where two vCPUs enabled APF
    assert catch(tmp_path, [(10, 11)], smp=smp, tries=1)[:2] == want


def test_missing_statistics_resume_the_vm_and_fail_at_once(tmp_path):
    rc, out, log, console = catch(tmp_path, [(1, 0)], debugfs=False)
    assert rc == 2
    assert out == "tries=1 open=unknown stopped=0 migration=active"
    assert log == ["stop", "cont"]
    assert f"no async_pf statistics for the VM of QEMU {PID}" in console


def test_a_garbled_counter_is_not_read_as_a_number(tmp_path):
    rc, out, log, _ = catch(tmp_path, [("x", 0)])
    assert (rc, out, log) == (2, "tries=1 open=unknown stopped=0 migration=active", ["stop", "cont"])


def test_a_qmp_failure_fails_at_once_and_says_why(tmp_path):
    rc, out, log, console = catch(tmp_path, [(1, 0)], qmp_fails=True)
    assert rc == 2
    assert out == "tries=1 open=unknown stopped=0 migration=active"
    assert "QMP stop failed: labqmp: connect" in console


def test_a_migration_that_completed_at_a_stop_leaves_the_source_stopped(tmp_path):
    # the second stop finds pre-copy completed: no cont, the destination has the VM
    rc, out, log, _ = catch(tmp_path, [(10, 11)], complete_at=3)
    assert (rc, out) == (3, "tries=2 open=0 stopped=0 migration=completed")
    assert log == ["stop", "cont", "stop"]


def test_a_cont_just_after_the_completion_is_undone(tmp_path):
    # the migration completed between the stop and the cont: stop again
    rc, out, log, _ = catch(tmp_path, [(10, 11)], complete_at=2)
    assert (rc, out) == (3, "tries=1 open=0 stopped=0 migration=completed")
    assert log == ["stop", "cont", "stop"]


def test_gives_up_after_catch_secs(tmp_path):
    # no time left: no stop at all, the VM runs on
    rc, out, log, _ = catch(tmp_path, [(10, 11)], tries=100000, secs=0)
    assert (rc, out, log) == (1, "tries=0 open=unknown stopped=0 migration=active", [])


@pytest.mark.parametrize("line", ["sleep 2\n\t\t\tcatch_guest_wait_open \"$qmp\" \"$src_pid\"\n"
                                  "\t\t\tlabqmp \"$qmp\" '{\"execute\":\"migrate-start-postcopy\"}'"])
def test_migrate_wait_switches_to_post_copy_from_the_caught_stop(line):
    assert line in MIGRATE.read_text()
