# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
# The selftest-suite driver inside the L1 host (lab.py selftest --bin DIR),
# sourced by /init from the config disk: runs the static binaries listed in
# /lab/tests.txt (one path relative to DIR a line; the binary itself is
# /lab/st.<basename>) one after the other, as root, each under its own
# bound.  No swap, no L2 QEMU.  lab.env (written by lab.py):
#   SELFTEST_TIMEOUT  bound per test, s (SIGTERM; SIGKILL 10 s later; then
#                     SIGKILL to its process group, for children it left)
# Per test: its output to the console prefixed "L1SELFTEST: [name] " and to
# /results/suite/<name>.txt, the dmesg lines it caused to
# /results/suite/<name>.dmesg, and a line "path rc secs async_pf_after" in
# /results/suite.tsv; a TAP-like line "L1SELFTEST: ok|not ok N path # ..."
# on the console.  The results disk is rewritten after every test, so an
# L1 that dies in test N still leaves tests 1..N-1.
# shellcheck disable=SC1091
. /lab/lab.env
R=/results
# shellcheck source=l1-common.sh
. /lab/l1-common.sh
start_heartbeat
host_info

mkdir -p "$R/suite"
# POSIX semaphores (sem_open, e.g. hardware_disable_test) live in /dev/shm;
# without it sem_open fails and the test dereferences SEM_FAILED.
mkdir -p /dev/shm && { mountpoint -q /dev/shm || mount -t tmpfs -o mode=1777 shm /dev/shm; }
: >"$R/suite.tsv"
total=$(wc -l </lab/tests.txt)
say "suite: $total tests (kernel $(uname -r), kvm.async_pf=$(param), bound ${SELFTEST_TIMEOUT}s each)"
n=0
while read -r t; do
	[ -n "$t" ] || continue
	n=$((n + 1))
	b=${t##*/}
	d0=$(dmesg | wc -l)
	t0=$(uptime_s)
	say "suite: start $n/$total $t"
	# Its own session (setsid: a non-leader, so no fork), whose process
	# group is killed once it ended: a test's forked children (e.g.
	# hardware_disable_test's) must not outlive it.  The inner timeout
	# execs the test; the outer one kills it if SIGTERM did not end it.
	# Output to a file, then to the console: a pipe would wait for the
	# children.  /tmp as cwd: some tests write files there.
	rm -f /tmp/st.pgid
	# shellcheck disable=SC2016
	( cd /tmp && exec setsid sh -c 'echo $$ >/tmp/st.pgid; exec timeout -s KILL "$1" timeout "$2" "$3"' \
		st $((SELFTEST_TIMEOUT + 10)) "$SELFTEST_TIMEOUT" "/lab/st.$b" </dev/null >"$R/suite/$b.txt" 2>&1 )
	echo $? >"$R/suite/$b.rc"
	[ -s /tmp/st.pgid ] && kill -KILL "-$(cat /tmp/st.pgid)" 2>/dev/null
	sed "s/^/L1SELFTEST: [$b] /" "$R/suite/$b.txt"
	t1=$(uptime_s)
	rc=$(cat "$R/suite/$b.rc" 2>/dev/null || echo none)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b - a}')
	dmesg | tail -n +$((d0 + 1)) >"$R/suite/$b.dmesg"
	echo "$t $rc $secs $(param)" >>"$R/suite.tsv"
	case $rc in
	0) tap="ok $n $t" ;;
	4) tap="ok $n $t # SKIP" ;;
	137|143) tap="not ok $n $t # TIMEOUT ${SELFTEST_TIMEOUT}s" ;;
	*) tap="not ok $n $t # rc=$rc" ;;
	esac
	echo "L1SELFTEST: $tap (${secs}s, kvm.async_pf=$(param))"
	write_results
done </lab/tests.txt
say "suite: done, $n tests"
finish
