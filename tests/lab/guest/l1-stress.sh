# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
# The stress driver inside the L1 host (lab.py stress), sourced by /init
# from the config disk instead of l1-run.sh.  One L1 boot is one trial: the
# runner counts the crashes.  lab.env (written by lab.py):
#   STRESS_MODE      exits: labexit (src/labexit.c), tiny VMs that exit to L1
#                    as often as the emulator allows, beside syscall threads;
#                    linux: L2 Linux guests booted one after the other, each
#                    running labwl for STRESS_L2_SECS at most
#                    swap: as linux, with each L2 QEMU in a memory cgroup
#                    (STRESS_MEMMAX) over L1's swap disk, so L1 reclaims and
#                    swaps L2's memory while L2 runs (the benchmark's load)
#   STRESS_SECS      how long, s
#   STRESS_VCPUS, STRESS_SYSCALLS   labexit's -v, -s (exits)
#   STRESS_L2_SMP, STRESS_L2_SECS, STRESS_WL   L2 vCPUs, bound, labwl args (linux)
#   STRESS_L2_MEM, STRESS_MEMMAX   L2 memory (MB), the cgroup's memory.max (swap)
# shellcheck disable=SC1091
. /lab/lab.env
R=/results
# shellcheck source=l1-common.sh
. /lab/l1-common.sh
start_heartbeat
host_info

stress_exits() {
	say "stress: labexit -t $STRESS_SECS -v $STRESS_VCPUS -s $STRESS_SYSCALLS"
	if /lab/labexit -t "$STRESS_SECS" -v "$STRESS_VCPUS" -s "$STRESS_SYSCALLS" >"$R/labexit.txt" 2>&1; then
		say "stress: $(cat "$R/labexit.txt")"
	else
		fail "labexit exited $?: $(head -c 300 "$R/labexit.txt")"
	fi
}

# One L2 boot with labwl, ended when labwl is done or after STRESS_L2_SECS.
l2_cycle() {
	log=$R/l2-$1.log
	$L2_WRAP qemu-system-x86_64 -enable-kvm -cpu host -m "${STRESS_L2_MEM:-256}" -smp "$STRESS_L2_SMP" -nodefaults \
		-display none -no-reboot -serial "file:$log" -kernel /lab/l2-kernel \
		-initrd /lab/l2-initrd -append "console=ttyS0 loglevel=4 lab.wl=$STRESS_WL" \
		>"$R/qemu-$1.log" 2>&1 &
	q=$!
	n=0
	while [ $n -lt "$STRESS_L2_SECS" ] && kill -0 $q 2>/dev/null; do
		grep -q 'LABWL done' "$log" 2>/dev/null && break
		sleep 1
		n=$((n + 1))
	done
	# How it ended: by itself (rc; 0 after a guest reset, -no-reboot),
	# killed at the bound, or killed by someone else (137: SIGKILL).
	how=exited
	if kill -0 $q 2>/dev/null; then
		how=bound
		if grep -q 'LABWL done' "$log" 2>/dev/null; then how=finished; fi
		kill $q 2>/dev/null
	fi
	wait $q
	rc=$?
	oom=$(awk '/^oom_kill /{print $2}' "${cg:-/nonexistent}/memory.events" 2>/dev/null)
	why="ended=$how rc=$rc after=${n}s oom_kill=${oom:--}"
	if grep -qE 'Kernel panic|BUG: |Oops|soft lockup|general protection' "$log" 2>/dev/null; then
		say "stress: L2 cycle $1 crashed: $(grep -m1 -E 'Kernel panic|BUG: |Oops|soft lockup|general protection' "$log")"
		echo "$1 crash $why" >>"$R/l2-outcomes"
	elif grep -q 'LABWL done' "$log"; then
		echo "$1 done $why" >>"$R/l2-outcomes"
	else
		say "stress: L2 cycle $1 ended without labwl done ($why): $(tail -c 200 "$log" | tr '\n' ' ')"
		echo "$1 incomplete $why" >>"$R/l2-outcomes"
	fi
}

stress_linux() {
	say "stress: L2 Linux boots for ${STRESS_SECS}s (smp $STRESS_L2_SMP, labwl $STRESS_WL)"
	t_end=$(( $(cut -d. -f1 /proc/uptime) + STRESS_SECS ))
	c=0
	while [ "$(cut -d. -f1 /proc/uptime)" -lt $t_end ]; do
		c=$((c + 1))
		l2_cycle $c
		# an L2 QEMU that cannot start at all is the lab's fault, not a crash
		case $(tail -n 1 "$R/l2-outcomes") in
		*" incomplete ended=exited "*" after=0s "*) instant=$((${instant:-0} + 1)) ;;
		*) instant=0 ;;
		esac
		if [ "$instant" -ge 3 ]; then
			fail "L2 QEMU exits at once, 3 times: $(tail -c 300 "$R/qemu-$c.log")"
			return
		fi
	done
	line="LABEXIT: l2_cycles=$c l2_done=$(grep -c ' done' "$R/l2-outcomes") l2_crash=$(grep -c ' crash' "$R/l2-outcomes") l2_incomplete=$(grep -c ' incomplete' "$R/l2-outcomes")"
	say "stress: $line"
	echo "$line" >"$R/labexit.txt"
}

# L2 QEMUs started through a script that first joins the memory cgroup.
stress_swap() {
	setup_swap || return
	cg=/sys/fs/cgroup/lab-stress
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
	if ! mkdir -p $cg || ! echo "$STRESS_MEMMAX" >$cg/memory.max; then
		fail "memory cgroup $cg"
		return
	fi
	printf '#!/bin/sh\necho $$ >%s/cgroup.procs || exit 1\nexec "$@"\n' $cg >/tmp/l2-in-cgroup
	chmod +x /tmp/l2-in-cgroup
	L2_WRAP=/tmp/l2-in-cgroup
	say "stress: L2 in $cg, memory.max $STRESS_MEMMAX, L2 ${STRESS_L2_MEM}M"
	stress_linux
	say "stress: swap: $(awk '/SwapTotal/{t=$2}/SwapFree/{f=$2}END{print t-f}' /proc/meminfo) kB used at the end, pswpin $(awk '/pswpin/{print $2}' /proc/vmstat)"
}

case ${STRESS_MODE:-exits} in
exits) stress_exits ;;
linux) stress_linux ;;
swap) stress_swap ;;
*) fail "unknown STRESS_MODE $STRESS_MODE" ;;
esac
finish
