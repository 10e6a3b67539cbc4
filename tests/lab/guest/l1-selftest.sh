# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
# The selftest driver inside the L1 host (lab.py selftest), sourced by /init
# from the config disk instead of l1-run.sh: runs one static binary from the
# config disk (/lab/selftest, e.g. a KVM selftest built with -static) once,
# as root, on L1's kernel.  No swap, no L2 QEMU.  lab.env (written by lab.py):
#   SELFTEST_NAME     the binary's name (for the log)
#   SELFTEST_ARGS     its arguments, ',' for ' '
#   SELFTEST_TIMEOUT  bound, s
# Its output goes to the console prefixed "L1SELFTEST: " and to
# /results/selftest.txt, its exit status to /results/selftest.rc (124: the
# bound).  kvm.async_pf is logged before and after (a test that changes it
# must restore it).
# shellcheck disable=SC1091
. /lab/lab.env
R=/results
# shellcheck source=l1-common.sh
. /lab/l1-common.sh
start_heartbeat
host_info

args=$(echo "${SELFTEST_ARGS:-}" | tr ',' ' ')
say "selftest: $SELFTEST_NAME $args (kernel $(uname -r), kvm.async_pf=$(param))"
# shellcheck disable=SC2086
( timeout "$SELFTEST_TIMEOUT" /lab/selftest $args; echo $? >"$R/selftest.rc" ) 2>&1 |
	tee "$R/selftest.txt" | sed 's/^/L1SELFTEST: /'
say "selftest: exit $(cat "$R/selftest.rc" 2>/dev/null || echo none), kvm.async_pf=$(param) after"
finish
