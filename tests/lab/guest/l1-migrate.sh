# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
# Live migration of the running L2 (scenario g), sourced by l1-run.sh,
# which calls migrate_all once the workload's phase 1 runs: the guest is
# writing random pages of a buffer mostly in swap, so async page faults are
# in flight when the source stops.  Per run NAME (lab.env):
#   RUN_NAME_MIGRATE   hops, in order, each from the previous QEMU:
#                      BIN[|CPU_OPTS[|fail[|MACHINE]]]: the destination
#                      QEMU, extra -cpu host options, "fail" where the
#                      destination must refuse the incoming state (pre-copy;
#                      the source then resumes and the run goes on there;
#                      other hops switch to post-copy once active), and the
#                      destination's -M where it differs from the run's
#   RUN_NAME_DEST_APF  "off": set-async-pf false on each destination before
#                      migrate-incoming (the policy holds before the guest
#                      runs there)
#   RUN_NAME_REFUSE    BIN|MACHINE: a QEMU that must refuse to start with
#                      that -M (stock QEMU, our machine type): refuse.txt/.rc
# Per hop I it writes qemuI.pid, dest-apf-I.txt (query-async-pf before
# migrate-incoming), migrate-I.txt (the source's last query-migrate),
# dest-status-I.txt (query-status after), hop-I-time.txt (L1 uptime at the
# start and end) and the labmon snapshot MI (both VMs, before the source
# quits), qemu-log-I.txt (the destination's log) and, where it was refused,
# dest-rc-I.txt (its exit status) and src-status-I.txt.
# Post-copy hops also write postcopy-wait-I.txt, postcopy-stop-I.txt and
# postcopy-cont-I.txt (catch_guest_wait_open), postcopy-I.txt (the switch)
# and, where the destination had to be resumed, dest-cont-I.txt.
# Uses from l1-run.sh: d, run, cg, qemu, accel, machine, qpid, qmp,
# l2_start, snap, say, fail.

MIG_T=${LAB_T_MIGRATE:-300}

# The accelerator options of a hop's QEMU: ours takes the run's, stock QEMU
# has no async-pf property.
hop_accel() {
	case $1 in
	qemu-system-x86_64) echo "-accel kvm" ;;
	*) echo "$accel" ;;
	esac
}

# The guest's waits open on the VM of QEMU $1: "page not present"
# notifications without their "page ready" ($2 of the ready ones, default
# 1, are the broadcasts when the guest's vCPUs enabled APF), from its per-VM
# debugfs statistics; nothing without them.  Consistent only while the VM is
# stopped: its vCPUs move both counters.
open_guest_waits() {
	for v in "$APF_DEBUGFS/$1"-*; do
		[ -r "$v/async_pf_not_present" ] || continue
		ogw_np=$(cat "$v/async_pf_not_present") && ogw_rd=$(cat "$v/async_pf_ready") || return
		case "$ogw_np:$ogw_rd" in *[!0-9:]*|:*|*:) return ;; esac
		echo $((ogw_np - ogw_rd + ${2:-1}))
		return
	done
}

# The status of the migration in labqmp's reply file $1 (its first
# "status": query-status replies say "running" there, not a status).
mig_status() {
	grep -o '"status": "[a-z-]*"' "$1" | head -1 | cut -d'"' -f4
}

# catch_guest_wait_open QMP PID: leave the source stopped at an instant
# where the guest waits for a page, for the switch to post-copy (g checks
# that such waits survive the switchover).  Polling the counters of a
# running VM and then switching missed them on the checker kernels: the two
# reads race the guest (the last poll of try 6 read -6 open), and a wait
# ends before the migration thread stops the VM (results/
# 2026-12-04-debug-kernels/g-attempts.md).  So: QMP stop (the same
# pause_all_vcpus() as the migration's own stop; KVM sees vCPUs leave
# KVM_RUN either way), read the counters that only the stopped vCPU
# threads move, and where none is open, cont, let the guest run 0.1-0.5 s
# (random, so as not to beat in time with the workload) and try again, for
# at most CATCH_TRIES (300) tries and CATCH_SECS (60) s.  The migration
# is still pre-copy meanwhile and may complete on its own: each stop asks
# query-migrate in the same connection, and a cont that came just after
# the completion is undone (stop) so that only the destination runs the VM.
# Writes postcopy-stop-$i.txt (the last stop's replies) and
# postcopy-wait-$i.txt (tries, open, stopped=1|0, migration=STATUS).
# Returns 0 with the VM stopped and a wait open, 1 with the VM running
# where none was caught, 2 where QMP or the statistics failed (VM
# resumed), 3 where the migration ended first (the source stopped if it
# completed).  CATCH_NAP (default usleep) sleeps the given microseconds.
catch_guest_wait_open() {
	cw_tries=0 cw_open='' cw_rc=1 cw_st=active
	cw_end=$(($(cut -d. -f1 /proc/uptime) + ${CATCH_SECS:-60}))
	while [ $cw_tries -lt "${CATCH_TRIES:-300}" ] && [ "$(cut -d. -f1 /proc/uptime)" -lt $cw_end ]; do
		cw_tries=$((cw_tries + 1))
		if ! labqmp "$1" '{"execute":"stop"}' '{"execute":"query-migrate"}' \
			>"$d/postcopy-stop-$i.txt" 2>&1; then
			say "run $name: hop $i: QMP stop failed: $(cut -c1-200 "$d/postcopy-stop-$i.txt")"
			cw_rc=2; break
		fi
		cw_st=$(mig_status "$d/postcopy-stop-$i.txt")
		[ "$cw_st" = active ] || { cw_rc=3; break; }
		cw_open=$(open_guest_waits "$2" "${LAB_L2_SMP:-1}")
		if [ -z "$cw_open" ]; then
			say "run $name: hop $i: no async_pf statistics for the VM of QEMU $2 in $APF_DEBUGFS"
			cw_rc=2; break
		fi
		[ "$cw_open" -gt 0 ] && { cw_rc=0; break; }
		labqmp "$1" '{"execute":"cont"}' '{"execute":"query-migrate"}' >"$d/postcopy-cont-$i.txt" 2>&1
		cw_st=$(mig_status "$d/postcopy-cont-$i.txt")
		if [ "$cw_st" != active ]; then
			# completed before the cont: only the destination may run it
			[ "$cw_st" = completed ] && labqmp "$1" '{"execute":"stop"}' >/dev/null 2>&1
			cw_rc=3; break
		fi
		cw_r=$(od -An -N2 -tu2 /dev/urandom)
		${CATCH_NAP:-usleep} $((100000 + ${cw_r:-0} * 6))
	done
	case $cw_rc in
	0|1) ;;	# stopped with a wait open; running (resumed in the loop)
	3) # A completed migration handed the VM over: the source stays stopped.
	   [ "$cw_st" = completed ] || labqmp "$1" '{"execute":"cont"}' >/dev/null 2>&1 ;;
	*) labqmp "$1" '{"execute":"cont"}' >/dev/null 2>&1 ;;
	esac
	echo "tries=$cw_tries open=${cw_open:-unknown} stopped=$([ $cw_rc = 0 ] && echo 1 || echo 0) migration=${cw_st:-unknown}" \
		>"$d/postcopy-wait-$i.txt"
	say "run $name: hop $i: $(cat "$d/postcopy-wait-$i.txt")"
	return $cw_rc
}

# Poll the source's query-migrate until it ends; its last reply goes to $1.
# From the first "active", with $2 = postcopy, switch to post-copy: the VM
# then runs on the destination while its pages still arrive.
migrate_wait() {
	t_end=$(($(cut -d. -f1 /proc/uptime) + MIG_T))
	pc=$2
	while [ "$(cut -d. -f1 /proc/uptime)" -lt $t_end ]; do
		kill -0 "$src_pid" 2>/dev/null || { fail "the source QEMU exited during the migration"; return 1; }
		labqmp "$qmp" '{"execute":"query-migrate"}' >"$1" 2>&1
		grep -qE '"status": "(completed|failed|cancelled)"' "$1" && return 0
		if [ "$pc" = postcopy ] && grep -q '"status": "active"' "$1"; then
			sleep 2
			catch_guest_wait_open "$qmp" "$src_pid"
			labqmp "$qmp" '{"execute":"migrate-start-postcopy"}' >"$d/postcopy-$i.txt" 2>&1
			pc=started
		fi
		sleep 1
	done
	fail "migration did not end in ${MIG_T}s: $(cut -c1-200 "$1")"
}

# Stop a QEMU that has handed its VM over (or failed to take it).
qemu_quit() {	# $1 = QMP socket, $2 = pid
	kill -0 "$2" 2>/dev/null && labqmp "$1" '{"execute":"quit"}' >/dev/null 2>&1
	n=0
	while kill -0 "$2" 2>/dev/null && [ $n -lt 20 ]; do sleep 1; n=$((n + 1)); done
	kill -9 "$2" 2>/dev/null
}

hop_fail() {	# the destination goes, the run fails
	qemu_quit "$dqmp" "$dpid"
	fail "hop $i: $*"
}

# A hop's destination must refuse the incoming state and exit non-zero,
# with its reason in its own log; the source only knows that its stream was
# sent (paused), and the management layer resumes it, as libvirt's Confirm
# phase does.
hop_refused() {
	n=0
	while kill -0 "$dpid" 2>/dev/null && [ $n -lt 30 ]; do sleep 1; n=$((n + 1)); done
	if kill -0 "$dpid" 2>/dev/null; then
		hop_fail "the destination still runs 30 s after the stream ended"; return 1
	fi
	wait "$dpid"
	echo $? >"$d/dest-rc-$i.txt"
	labqmp "$src_qmp" '{"execute":"cont"}' '{"execute":"query-status"}' >"$d/src-status-$i.txt" 2>&1
	grep -q '"running": true' "$d/src-status-$i.txt" ||
		{ fail "hop $i: the source does not run after the refused migration"; return 1; }
}

migrate_hop() {	# $1 = hop number, $2 = hop spec BIN|CPU_OPTS|EXPECT|MACHINE
	i=$1
	IFS='|' read -r bin cpuopts expect dmachine <<EOF_HOP
$2
EOF_HOP
	src_qmp=$qmp src_pid=$qpid
	dqmp=$run/qmp$i.sock
	dcpu=host${cpuopts:+,$cpuopts}
	mode=postcopy
	[ "$expect" = fail ] && mode=precopy
	say "run $name: hop $i: $bin -cpu $dcpu${dmachine:+ -M $dmachine} ($mode)${expect:+, must refuse}"
	t_hop=$(uptime_s)
	# A cgroup of its own with the same limit: in the source's, the pages
	# it receives would evict the ones the source is sending.
	mkdir -p "$cg-hop$i"
	echo "$LAB_MEMMAX" >"$cg-hop$i/memory.max"
	: >"$d/qemu-log-$i.txt"
	l2_start "$bin" "$dqmp" "$(hop_accel "$bin")" "$dcpu" "-incoming defer -monitor none" \
		"$cg-hop$i" "$d/qemu-log-$i.txt" "$dmachine"
	dpid=$qpid
	qpid=$src_pid
	echo "$dpid" >"$d/qemu$i.pid"
	caps='{"execute":"migrate-set-capabilities","arguments":{"capabilities":[{"capability":"postcopy-ram","state":'$([ $mode = postcopy ] && echo true || echo false)'}]}}'
	if [ "$dest_apf" = off ]; then
		labqmp "$dqmp" '{"execute":"set-async-pf","arguments":{"enabled":false}}' \
			'{"execute":"query-async-pf"}' >"$d/dest-apf-$i.txt" 2>&1 ||
			{ hop_fail "set-async-pf on the destination: $(cut -c1-200 "$d/dest-apf-$i.txt")"; return 1; }
	elif [ "$bin" != qemu-system-x86_64 ]; then
		labqmp "$dqmp" '{"execute":"query-async-pf"}' >"$d/dest-apf-$i.txt" 2>&1
	fi
	uri="unix:$run/mig$i.sock"
	labqmp "$dqmp" "$caps" "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"$uri\"}}" \
		>"$d/incoming-$i.txt" 2>&1 ||
		{ hop_fail "migrate-incoming: $(cut -c1-200 "$d/incoming-$i.txt")"; return 1; }
	# No bandwidth cap (L1's memory bus is the limit); a downtime the
	# emulated L1 can meet, so that pre-copy converges under the writer.
	labqmp "$src_qmp" "$caps" \
		'{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":4294967296,"downtime-limit":3000}}' \
		"{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"$uri\"}}" >"$d/migrate-start-$i.txt" 2>&1 ||
		{ hop_fail "migrate: $(cut -c1-200 "$d/migrate-start-$i.txt")"; return 1; }
	migrate_wait "$d/migrate-$i.txt" $mode || { qemu_quit "$dqmp" "$dpid"; return 1; }
	st=$(mig_status "$d/migrate-$i.txt")
	sleep 2
	labqmp "$dqmp" '{"execute":"query-status"}' >"$d/dest-status-$i.txt" 2>&1
	# A pre-copy that completed while catch_guest_wait_open had the source
	# stopped hands over a paused VM (QEMU keeps the source's run state);
	# the management layer that paused it resumes it on the destination.
	if [ $mode = postcopy ] && grep -q '"status": "paused"' "$d/dest-status-$i.txt"; then
		labqmp "$dqmp" '{"execute":"cont"}' '{"execute":"query-status"}' >"$d/dest-cont-$i.txt" 2>&1
		say "run $name: hop $i: destination paused after the handover, cont: $(cut -c1-120 "$d/dest-cont-$i.txt" | tr '\n' ' ')"
		cp "$d/dest-cont-$i.txt" "$d/dest-status-$i.txt"
	fi
	echo "$t_hop $(uptime_s)" >"$d/hop-$i-time.txt"
	snap "$d" "M$i"
	say "run $name: hop $i: $st; destination: $(cut -c1-120 "$d/dest-status-$i.txt" | tr '\n' ' ')"
	if [ "$expect" = fail ]; then
		hop_refused
		return
	fi
	[ "$st" = completed ] || { hop_fail "migration $st: $(cut -c1-300 "$d/migrate-$i.txt")"; return 1; }
	qemu_quit "$src_qmp" "$src_pid"
	qmp=$dqmp
	qpid=$dpid
}

migrate_all() {
	if [ -n "$refuse" ]; then
		rbin=${refuse%%|*} rmachine=${refuse#*|}
		timeout 30 "$rbin" -M "$rmachine" -accel kvm -nodefaults -display none \
			-incoming defer >"$d/refuse.txt" 2>&1
		echo $? >"$d/refuse.rc"
		say "run $name: $rbin -M $rmachine: rc $(cat "$d/refuse.rc"): $(head -c 200 "$d/refuse.txt")"
	fi
	i=1
	for hop in $migrate; do
		migrate_hop $i "$hop" || return 1
		i=$((i + 1))
	done
	echo "$qpid" >"$d/qemu-final.pid"
	# The checks need the workload running on the last destination.
	if grep -q 'LABWL done' "$run/console"; then
		fail "the workload ended before the last hop did (hops, L1 uptime from/to: $(cat "$d"/hop-*-time.txt | tr "\n" " "); is L0 busy?)"
		return 1
	fi
}
