# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
# The benchmark driver inside the L1 host (lab.py bench), sourced by /init
# from the config disk instead of l1-run.sh.  lab.env (written by lab.py):
#   BENCH_CONFIG    configuration name (for the log)
#   BENCH_ARGS      apf-bench run's arguments after --out, one per line
#   BENCH_TIMEOUT   bound on the whole apf-bench run, s
#   HB_CGROUPS      glob of the cgroups apf-bench puts the L2 QEMU in
# Swap on the "labswap" disk (throttled by the host runner to give it a
# latency), then /lab/apf-bench run ... --out /results/bench --resume; its
# output goes to the console prefixed "L1BENCH: " (the runner shows it and
# does not take L2 crash reports in it for an L1 crash: apf-bench records
# those per run).  A checkpoint of /results goes to the results disk
# whenever apf-bench has rewritten results.json (after every run), so an
# L1 crash leaves every finished run; the runner hands them to the next
# attempt as /lab/prev-bench.tar, which apf-bench --resume continues.
# shellcheck disable=SC1091
. /lab/lab.env
R=/results
# shellcheck source=l1-common.sh
. /lab/l1-common.sh
start_heartbeat

versions() {	# after setup_swap, which sets sw
	echo "l1_kernel $(uname -r)"
	for q in /usr/bin/qemu-system-x86_64 /usr/bin/qemu-apf; do
		[ -x $q ] && echo "l1_qemu $q $($q --version 2>&1 | head -1)"
	done
	echo "apf_bench $(/lab/apf-bench --version 2>&1 | head -1)"
	echo "apfctl $(apfctl --version 2>&1 | head -1)"
	echo "swap_sched $(cat /sys/block/"${sw#/dev/}"/queue/scheduler 2>/dev/null)"
	echo "page_cluster $(cat /proc/sys/vm/page-cluster)"
}

checkpoints() {	# after every run apf-bench finished (results.json changed)
	last=
	while :; do
		sleep 5
		now=$(md5sum "$R/bench/results.json" 2>/dev/null)
		if [ -z "$now" ] || [ "$now" = "$last" ]; then
			continue
		fi
		last=$now
		write_results && say "checkpoint ($(ls "$R/bench/runs" 2>/dev/null | wc -l) run logs)"
	done
}

host_info
# The runs an earlier attempt finished (lab.py: a crashed L1 is retried).
if [ -f /lab/prev-bench.tar ]; then
	mkdir -p "$R/bench" && tar -xf /lab/prev-bench.tar -C "$R/bench" &&
		say "bench $BENCH_CONFIG: resuming $(ls "$R/bench/runs" 2>/dev/null | wc -l) run logs of an earlier attempt"
fi
if setup_swap; then
	versions >"$R/versions.txt"
	say "bench $BENCH_CONFIG: apf-bench run (bound ${BENCH_TIMEOUT}s)"
	checkpoints &
	ck=$!
	# The arguments, one per line (the workload string has spaces).
	set --
	while IFS= read -r a; do set -- "$@" "$a"; done <<EOF
$BENCH_ARGS
EOF
	t0=$(uptime_s)
	{ timeout "$BENCH_TIMEOUT" /lab/apf-bench run --out "$R/bench" "$@" 2>&1
	  echo $? >/tmp/bench.rc; } | awk '{ print "L1BENCH: " $0; fflush() }'
	rc=$(cat /tmp/bench.rc)
	kill $ck 2>/dev/null
	wait $ck 2>/dev/null
	echo "$rc" >"$R/bench-rc"
	say "bench $BENCH_CONFIG: apf-bench exited $rc after $(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN{printf "%.0f", b - a}') s"
	case $rc in
	0) ;;
	124|137|143) fail "timeout: apf-bench ran past ${BENCH_TIMEOUT}s" ;;
	*) fail "apf-bench exited $rc" ;;
	esac
	swapoff "$sw"
fi
finish
