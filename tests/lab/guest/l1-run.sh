# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
# The scenario driver inside the L1 host, sourced by /init from the config
# disk.  lab.env (written by lab.py) says what to run:
#   LAB_SCENARIO, LAB_RUNS (names of L2 runs, in order), LAB_MEMMAX (cgroup
#   memory.max of the L2 QEMU), LAB_L2_MEM, LAB_L2_SMP, LAB_WL (labwl args,
#   ',' for ' '), LAB_T_BOOT/LAB_T_PHASE/LAB_T_RESULTS (step timeouts, s),
#   and per run NAME: RUN_NAME_QEMU (binary), RUN_NAME_ACCEL (accelerator
#   options), RUN_NAME_APPEND (extra L2 command line), RUN_NAME_SWITCH
#   (value written to kvm.async_pf when phase 1 ends), RUN_NAME_WL,
#   RUN_NAME_MACHINE (-M), RUN_NAME_CPU (-cpu, default host),
#   RUN_NAME_MIGRATE/_DEST_APF/_REFUSE (live
#   migration once phase 1 runs: l1-migrate.sh), RUN_NAME_QUIESCE (wait
#   at most LAB_T_QUIESCE s for no async fault in flight before S2:
#   quiesce_wait in l1-common.sh).  The aarch64 lab
#   (issue 19) adds LAB_L2_QEMU (the default binary), LAB_L2_MACHINE (the
#   default -M) and LAB_L2_TTY (ttyAMA: L2's console and results ports).
# For each run it boots L2 under a memory cgroup with swap on the virtio
# disk "labswap", takes labmon snapshots (tracepoints + debugfs) at phase
# boundaries, runs apfctl, and collects L2's own results.  Everything goes
# to /results, which ends up as a tar on the virtio disk "labres".
# shellcheck disable=SC1091
. /lab/lab.env
R=/results
# shellcheck source=l1-common.sh
. /lab/l1-common.sh
# shellcheck source=l1-migrate.sh
. /lab/l1-migrate.sh
: "${LAB_T_BOOT:=240}" "${LAB_T_PHASE:=240}" "${LAB_T_RESULTS:=120}" "${LAB_T_QUIESCE:=60}" "${LAB_L2_SMP:=1}"
l2_qemu=${LAB_L2_QEMU:-qemu-system-x86_64}
start_heartbeat

# Wait until file $1 has a line matching $2, at most $3 s; fails early if
# process $4 (the L2 QEMU) is gone or L2 crashed.
wait_for() {
	f=$1 pat=$2 t=$3 pid=$4 n=0
	while [ $n -lt "$t" ]; do
		grep -q "$pat" "$f" 2>/dev/null && return 0
		# A KCSAN report is not a crash (lab.py counts it): L2 goes on.
		if grep -v 'BUG: KCSAN: ' "$f" 2>/dev/null | grep -qE 'Kernel panic|BUG: |Oops|soft lockup|hung_task|blocked for more than|self-detected stall'; then
			# Let L2 finish its report (stack dumps) before ending it.
			sleep 20
			fail "L2 crashed waiting for '$pat'"; return 1
		fi
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			grep -q "$pat" "$f" 2>/dev/null && return 0
			fail "L2 QEMU exited waiting for '$pat'"; return 1
		fi
		sleep 1
		n=$((n + 1))
	done
	fail "timeout ${t}s waiting for '$pat'"
}

snap() {	# $1 = run dir, $2 = label: labmon snapshot -> $1/snap-$2.json
	echo "$2" >"$1/.req"
	kill -USR1 "$mon" 2>/dev/null || { fail "labmon gone"; return 1; }
	n=0
	while [ ! -f "$1/snap-$2.json" ] && [ $n -lt 300 ]; do usleep 100000; n=$((n + 1)); done
	[ -f "$1/snap-$2.json" ] || { fail "no labmon snapshot $2"; return 1; }
	say "snapshot $2: $(sed -n 's/^"events":{\(.*\)},$/\1/p' "$1/snap-$2.json" | tr -d '"' | cut -c1-220)"
}

# Starts an L2 QEMU: $1 binary, $2 its QMP socket, $3 accelerator options,
# $4 -cpu, $5 more options (monitor, -incoming), $6 its memory cgroup (the
# run's by default), $7 its log (qemu.log), $8 -M (the run's).  The serial
# files are appended to, so that a migration destination continues the
# source's console and results.  Sets qpid; l2_pids lists them all.
l2_start() {
	m=${8:-$machine}
	# shellcheck disable=SC2086,SC2154
	sh -c "echo \$\$ >${6:-$cg}/cgroup.procs; exec $1 $3 ${m:+-M $m} -cpu $4 -m $LAB_L2_MEM -smp $LAB_L2_SMP \
		-name l2-$name -kernel /lab/l2-kernel -initrd /lab/l2-initrd \
		-append 'console=${LAB_L2_TTY:-ttyS}0 loglevel=5 panic=-1 mitigations=off lab.wl=$wl${LAB_L2_TTY:+ lab.restty=${LAB_L2_TTY}1} $append' \
		-nographic -nodefaults -no-reboot $5 \
		-qmp unix:$2,server=on,wait=off \
		-chardev file,id=con,path=$run/console,append=on -serial chardev:con \
		-chardev file,id=res,path=$run/results,append=on -serial chardev:res" >>"${7:-$d/qemu.log}" 2>&1 &
	qpid=$!
	l2_pids="$l2_pids $qpid"
}

apfctl_run() {	# $1 = output base name, rest = apfctl args; keeps rc and stderr
	o=$1; shift
	timeout 60 apfctl "$@" >"$d/$o.json" 2>"$d/$o.err"
	echo $? >"$d/$o.rc"
}

run_one() {
	name=$1
	d=$R/$name
	mkdir -p "$d/l2"
	eval "qemu=\${RUN_${name}_QEMU:-$l2_qemu}"
	eval "accel=\${RUN_${name}_ACCEL:--enable-kvm}"
	eval "append=\${RUN_${name}_APPEND:-}"
	eval "switch=\${RUN_${name}_SWITCH:-}"
	eval "wl=\${RUN_${name}_WL:-$LAB_WL}"
	eval "hostapf=\${RUN_${name}_HOSTAPF:-Y}"
	eval "switchcmd=\${RUN_${name}_SWITCHCMD:-}"
	eval "machine=\${RUN_${name}_MACHINE:-${LAB_L2_MACHINE:-}}"
	eval "cpu=\${RUN_${name}_CPU:-host}"
	eval "migrate=\${RUN_${name}_MIGRATE:-}"
	eval "dest_apf=\${RUN_${name}_DEST_APF:-}"
	eval "refuse=\${RUN_${name}_REFUSE:-}"
	eval "quiesce=\${RUN_${name}_QUIESCE:-}"
	# shellcheck disable=SC2154 # assigned by the evals above
	say "run $name: $qemu $accel -cpu $cpu append='$append' hostapf=$hostapf switch='$switch' wl='$wl'"
	param_w "$hostapf"
	uptime_s >"$d/t-start"

	rm -f "$d/.ready"
	labmon -d "$d" 2>"$d/labmon.err" &
	mon=$!
	n=0
	while [ ! -f "$d/.ready" ] && [ $n -lt 100 ]; do usleep 100000; n=$((n + 1)); done
	[ -f "$d/.ready" ] || { fail "labmon did not start: $(cat "$d/labmon.err")"; return 1; }

	cg=/sys/fs/cgroup/lab-$name
	grep -qw memory /sys/fs/cgroup/cgroup.subtree_control ||
		echo +memory >/sys/fs/cgroup/cgroup.subtree_control
	mkdir -p "$cg"
	echo "$LAB_MEMMAX" >"$cg/memory.max"
	grep -E '^(pswpin|pswpout|pgmajfault) ' /proc/vmstat >"$d/vmstat-pre.txt"
	run=/run/l2-$name
	mkdir -p "$run"
	: >"$run/console"
	: >"$run/results"
	# Our QEMU: an HMP monitor on a FIFO pair, to read `info async-pf`
	# (the patch's per-vCPU async_pf_* table) at the end of the run.
	monitor="-monitor none"
	if [ "$qemu" != "$l2_qemu" ]; then
		mkfifo "$run/hmp.in" "$run/hmp.out"
		monitor="-monitor pipe:$run/hmp"
	fi
	qmp=$run/qmp.sock
	l2_pids=
	: >"$d/qemu.log"
	l2_start "$qemu" "$qmp" "$accel" "$cpu" "$monitor"
	echo $qpid >"$d/qemu.pid"
	hmppid=
	if [ -p "$run/hmp.out" ]; then
		cat "$run/hmp.out" >"$d/hmp.txt" &
		hmppid=$!
	fi
	# L2's console, prefixed, on L1's console: the host runner sees both.
	tail -f "$run/console" 2>/dev/null | awk '{ print "L2| " $0; fflush() }' &
	tailpid=$!

	ok=1
	wait_for "$run/console" 'LABWL phase=1 start' "$LAB_T_BOOT" $qpid || ok=0
	dmesg | grep -q 'user requested TSC rate below hardware speed' &&
		say "warning: KVM could not give L2 its TSC rate (tsc_khz changed after KVM init; see tests/lab/README.md)"
	if [ $ok = 1 ]; then
		snap "$d" S0
		apfctl_run apfctl-status-during status -j
		apfctl_run apfctl-stats-during stats -1 -j -s 3
		# The tracepoint fallback, as on a host whose debugfs is unreadable
		# (lockdown): debugfs unmounted in a private mount namespace.
		o=apfctl-stats-during-nodebugfs
		timeout 60 unshare -m sh -c 'umount /sys/kernel/debug && exec apfctl stats -1 -j -s 3 --no-qmp' \
			>"$d/$o.json" 2>"$d/$o.err"
		echo $? >"$d/$o.rc"
		apfctl_run apfctl-trace trace -j -d 5
		say "apfctl in L1 rc: status=$(cat "$d/apfctl-status-during.rc") stats=$(cat "$d/apfctl-stats-during.rc") trace=$(cat "$d/apfctl-trace.rc")"
		if [ -n "$migrate" ]; then
			# While phase 1 writes: faults are in flight at every hop.
			migrate_all || ok=0
			# The HMP pipe was the first QEMU's.
			[ "$qpid" != "$(cat "$d/qemu.pid")" ] && { kill $hmppid 2>/dev/null; hmppid=; }
		fi
		[ $ok = 1 ] && { wait_for "$run/console" 'LABWL phase=1 end' "$LAB_T_PHASE" $qpid || ok=0; }
	fi
	if [ $ok = 1 ]; then
		if [ -n "$switch" ]; then
			param_w "$switch"
			cat /sys/module/kvm/parameters/async_pf >"$d/switch-phase2.txt" 2>&1
			sleep 1
		fi
		if [ -n "$switchcmd" ]; then
			timeout 60 sh -c "$switchcmd" >"$d/switchcmd.out" 2>&1
			echo $? >"$d/switchcmd.rc"
			say "phase 2 switch: $switchcmd: rc $(cat "$d/switchcmd.rc"): $(head -c 200 "$d/switchcmd.out" | tr '\n' ' ')"
			apfctl_run apfctl-status-phase2 status -j
			sleep 1
		fi
		snap "$d" S1
		wait_for "$run/console" 'LABWL done' "$LAB_T_PHASE" $qpid || ok=0
	fi
	if [ $ok = 1 ]; then
		wait_for "$run/console" 'L2LAB: results written' "$LAB_T_RESULTS" $qpid || ok=0
		# After the workload, before L2 powers off (the per-VM debugfs
		# statistics vanish with the VM).  A run that compares sources
		# for equality (b) first waits, bounded, until no async fault is
		# in flight: every queued fault processed, every "page not
		# present" answered by its "page ready", one broadcast per vCPU
		# (its ENABLE at boot).  Not quiescent within the limit: the
		# snapshots are taken anyway, quiesce.txt says so and the
		# verdict fails on it (scenarios.check_b).
		[ -n "$quiesce" ] && { quiesce_wait "$LAB_L2_SMP" "$LAB_T_QUIESCE" "$d/quiesce.txt" || true; }
		snap "$d" S2
		apfctl_run apfctl-stats-end stats -1 -j
		apfctl_run apfctl-stats-end-vcpus stats -1 -j -v
		apfctl_run apfctl-status-end status -j
		if [ -n "$hmppid" ]; then
			# Between S2 and S3, like apfctl's samples.
			timeout 5 sh -c "echo 'info async-pf' >$run/hmp.in"
			sleep 2
			say "run $name: info async-pf: $(grep -A3 '^async-pf:' "$d/hmp.txt" | tr -s ' \n' ' ' | cut -c1-300)"
		fi
		[ -n "$migrate" ] && labqmp "$qmp" '{"execute":"query-async-pf"}' >"$d/query-async-pf-end.txt" 2>&1
		snap "$d" S3
	fi
	# L2 lingers after its results so that the snapshot above still sees
	# the VM; end it now (SIGTERM: QEMU exits cleanly).
	kill $qpid 2>/dev/null
	n=0
	while kill -0 $qpid 2>/dev/null && [ $n -lt 20 ]; do sleep 1; n=$((n + 1)); done
	kill -9 $qpid 2>/dev/null
	wait $qpid 2>/dev/null
	echo $? >"$d/qemu.rc"
	# Any other QEMU a failed migration left behind.
	# shellcheck disable=SC2086
	kill -9 $l2_pids 2>/dev/null
	sleep 1
	kill $tailpid $hmppid 2>/dev/null
	kill "$mon" 2>/dev/null
	wait "$mon" 2>/dev/null
	param_w Y

	grep -E '^(pswpin|pswpout|pgmajfault) ' /proc/vmstat >"$d/vmstat-post.txt"
	for f in memory.events memory.stat memory.swap.current memory.peak memory.max; do
		[ -f "$cg/$f" ] && cp "$cg/$f" "$d/cg-$f.txt"
		for h in "$cg"-hop*; do
			[ -f "$h/$f" ] && cp "$h/$f" "$d/cg-${h##*-}-$f.txt"
		done
	done
	rmdir "$cg" "$cg"-hop* 2>/dev/null
	cp "$run/console" "$d/l2-console.txt"
	if grep -q LAB-L2-RESULTS-END "$run/results"; then
		sed -n '/LAB-L2-RESULTS-BEGIN/,/LAB-L2-RESULTS-END/p' "$run/results" | tr -d '\r' |
			grep -v LAB-L2-RESULTS | base64 -d | gunzip | tar -xf - -C "$d/l2" ||
			fail "run $name: cannot decode L2 results"
	elif [ $ok = 1 ]; then
		fail "run $name: no L2 results"
	fi
	rm -rf "$run"
	uptime_s >"$d/t-end"
	say "run $name done ($(cat "$d/t-start") -> $(cat "$d/t-end") s)"
}

host_info
# shellcheck disable=SC2154 # status, sw: l1-common.sh's
if setup_swap; then
	for r in $LAB_RUNS; do
		run_one "$r" || true
		[ "$status" = ok ] || break
	done
	swapoff "$sw"
fi
finish
