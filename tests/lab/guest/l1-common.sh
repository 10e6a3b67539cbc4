# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
# Helpers shared by the L1 drivers (l1-run.sh: scenarios; l1-bench.sh: the
# throughput benchmark), sourced from the config disk.  /init defines
# disk(); the driver sets R (its results directory) before sourcing.
: "${R:=/results}"
mkdir -p "$R"
say() { echo "L1LAB: $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
status=ok
fail() {	# first failure wins; the run goes on to cleanup
	say "FAIL $*"
	[ "$status" = ok ] && status="fail: $*"
	return 1
}

# Heartbeat: the host runner treats a silent console as a hang.
# It also says what a stall looks like from L1: per-CPU local timer
# interrupts, KVM exits and async PFs so far, the L2 QEMU's major faults
# (summed over the cgroups HB_CGROUPS matches).
: "${HB_CGROUPS:=/sys/fs/cgroup/lab-*}"
hb_line() {
	loc=$(awk '/^ *LOC:/{s=""; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s = s (s ? "/" : "") $i; print s}' /proc/interrupts)
	ex=$(cat /sys/kernel/debug/kvm/exits 2>/dev/null)
	apf=$(cat /sys/kernel/debug/kvm/async_pf_queued 2>/dev/null)
	# shellcheck disable=SC2086
	mf=$(cat $HB_CGROUPS/memory.stat 2>/dev/null | awk '/^pgmajfault/{s += $2; n++} END{if (n) print s}')
	echo "up=$(uptime_s) swap_used_kb=$(awk '/SwapTotal/{t=$2}/SwapFree/{f=$2}END{print t-f}' /proc/meminfo) loc=$loc exits=${ex:--} apf_queued=${apf:--} l2_majflt=${mf:--}"
}
start_heartbeat() {
	( while :; do sleep 15; say "hb $(hb_line)"; done ) &
	hb=$!
}

param() {	# the kvm.async_pf switch, or none where this kernel lacks it
	cat /sys/module/kvm/parameters/async_pf 2>/dev/null || echo none
}

param_w() {	# write $1 to the kvm.async_pf switch if this kernel has it
	if [ -w /sys/module/kvm/parameters/async_pf ]; then
		echo "$1" >/sys/module/kvm/parameters/async_pf && say "kvm.async_pf <- $1"
	fi
}

# Swap on the virtio disk "labswap" only: zram swaps in synchronously and
# produces no async page faults.  Sets sw (the device) for swapoff.
setup_swap() {
	sw=$(disk labswap) || { fail "no swap disk"; return 1; }
	case $sw in *zram*) fail "refusing swap on zram ($sw): zram swaps in synchronously, no async faults"; return 1 ;; esac
	if grep -q zram /proc/swaps; then
		fail "a zram swap device is active: the lab needs disk swap only"; return 1
	fi
	if ! { mkswap "$sw" >/dev/null && swapon "$sw"; }; then
		fail "swapon $sw"; return 1
	fi
	cat /proc/swaps >"$R/swaps.txt"
	say "swap on $sw: $(awk 'NR==2{print $3" kB"}' /proc/swaps)"
}

# The host's async PF statistics that say whether a fault is in flight, as
# one line "queued completed cancelled not_present ready" (debugfs totals,
# summed over every VM and vCPU; "-" for a file this kernel lacks).
: "${APF_DEBUGFS:=/sys/kernel/debug/kvm}"
apf_totals() {
	line=
	for s in queued completed cancelled not_present ready; do
		v=$(cat "$APF_DEBUGFS/async_pf_$s" 2>/dev/null) || v=
		line="$line ${v:--}"
	done
	echo "${line# }"
}

# quiesce_wait BROADCASTS LIMIT OUT: poll apf_totals (every 0.2 s, at most
# LIMIT s worth of polls) until no async page fault is in flight:
#   queued == completed + cancelled    every queued fault was processed
#   ready == not_present + BROADCASTS  every "page not present" got its
#                                      "page ready", plus one broadcast per
#                                      ENABLE (each vCPU enables once at boot)
# Writes OUT, one line of key=value (quiescent=1|0, polls, limit_s,
# broadcasts and the last values read; scenarios.quiesce_of reads it), and
# says on the console what it found.  Returns 0 when quiescent, 1 when it
# never was within the limit, 2 when the statistics are missing.
# QUIESCE_NAP (default usleep 200000) is the pause between polls.
quiesce_wait() {
	qw_b=$1 qw_limit=$2 qw_out=$3 qw_polls=0 qw_t0=$(uptime_s)
	qw_max=$(($2 * 5))
	[ "$qw_max" -gt 0 ] || qw_max=1
	while :; do
		# shellcheck disable=SC2046
		set -- $(apf_totals)
		qw_polls=$((qw_polls + 1))
		qw_vals="queued=${1:--} completed=${2:--} cancelled=${3:--} not_present=${4:--} ready=${5:--}"
		qw_head="polls=$qw_polls limit_s=$qw_limit broadcasts=$qw_b"
		# A kernel without async_pf_cancelled: nothing is ever cancelled.
		[ "${3:-}" = - ] && set -- "$1" "$2" 0 "$4" "$5"
		case "$#:$1:$2:$3:$4:$5" in
		5:*[!0-9:]*|5:*::*|[!5]:*)
			echo "quiescent=0 missing=1 $qw_head $qw_vals" >"$qw_out"
			say "quiescence: no async_pf_* statistics to read in $APF_DEBUGFS ($qw_vals)"
			return 2 ;;
		esac
		qw_t=$(echo "$qw_t0 $(uptime_s)" | awk '{printf "%.1f", $2 - $1}')
		if [ "$1" -eq $(($2 + $3)) ] && [ "$5" -eq $(($4 + qw_b)) ]; then
			echo "quiescent=1 $qw_head waited_s=$qw_t $qw_vals" >"$qw_out"
			say "quiescent after $qw_polls polls (${qw_t}s): $qw_vals"
			return 0
		fi
		if [ "$qw_polls" -ge "$qw_max" ]; then
			echo "quiescent=0 $qw_head waited_s=$qw_t $qw_vals" >"$qw_out"
			say "not quiescent within ${qw_limit}s ($qw_polls polls): $qw_vals; want queued == completed + cancelled ($(($1 - $2 - $3)) in flight) and ready == not_present + $qw_b broadcasts ($(($5 - $4 - qw_b)) off)"
			return 1
		fi
		${QUIESCE_NAP:-usleep 200000}
	done
}

host_info() {
	{
		echo "kernel $(uname -r)"
		echo "cmdline $(cat /proc/cmdline)"
		for p in /sys/module/kvm/parameters/async_pf /sys/module/kvm_amd/parameters/npt \
			 /sys/module/kvm_amd/parameters/nested /sys/module/kvm_amd/parameters/nrips; do
			[ -f $p ] && echo "$p $(cat $p)"
		done
		# shellcheck disable=SC2010
		ls /sys/kernel/tracing/events/kvm 2>/dev/null | grep -E 'async|inj_exception' | sed 's/^/tracepoint /'
		# shellcheck disable=SC2010
		ls /sys/kernel/debug/kvm 2>/dev/null | grep async_pf | sed 's/^/debugfs /'
		# arm64 (the aarch64 lab): the exception level and KVM's mode
		dmesg | grep -E 'CPU.* started at EL[0-9]|kvm \[[0-9]+\]: .*(mode|initialized)' | sed 's/^\[[^]]*\] /dmesg /'
	} >"$R/host.txt"
	ls -l /dev/kvm >>"$R/host.txt" 2>&1
}

# The results tree as a tar at the start of the disk "labres" (the host
# runner extracts it).  Also used for checkpoints during long runs, so a
# crash later still leaves what was done so far.
write_results() {
	res=$(disk labres) || { say "FATAL no results disk"; return 1; }
	tar -cf "$res" -C "$R" . && sync
}

# kmemleak (the debug lab kernels): two scans 6 s apart (an object is
# reported once unreferenced for 5 s), the report in kmemleak.txt.
kmemleak_scan() {
	[ -w /sys/kernel/debug/kmemleak ] || return 0
	echo scan >/sys/kernel/debug/kmemleak
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >"$R/kmemleak.txt"
	say "kmemleak: $(grep -c '^unreferenced object' "$R/kmemleak.txt") unreferenced objects"
}

# The end of every driver: status file, results tar, power off.
finish() {
	[ -n "${hb:-}" ] && kill "$hb" 2>/dev/null
	kmemleak_scan
	# lockdep (the debug lab kernels): still on at the end
	[ -r /proc/lockdep_stats ] && cat /proc/lockdep_stats >"$R/lockdep_stats.txt"
	dmesg >"$R/dmesg.txt"
	echo "$status" >"$R/status"
	write_results && say "results written ($status)"
	poweroff -f
}
