# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
# Live migration of the running L2 (scenario g), sourced by l1-run.sh,
# which calls migrate_all once the workload's phase 1 runs: the guest is
# writing random pages of a buffer mostly in swap, so async page faults are
# in flight when the source stops.  Per run NAME (lab.env):
#   RUN_NAME_MIGRATE   hops, in order, each from the previous QEMU:
#                      BIN[|CPU_OPTS[|fail]]: the destination QEMU, extra
#                      -cpu host options, and "fail" where the destination
#                      must refuse the incoming state (the source then
#                      resumes and the run goes on there)
#   RUN_NAME_DEST_APF  "off": set-async-pf false on each destination before
#                      migrate-incoming (the policy holds before the guest
#                      runs there)
#   RUN_NAME_REFUSE    a QEMU that must refuse to start with the run's -M
#                      (stock QEMU and our machine type): refuse.txt/.rc
# Per hop I it writes qemuI.pid, dest-apf-I.txt (query-async-pf before
# migrate-incoming), migrate-I.txt (the source's last query-migrate),
# dest-status-I.txt (query-status after), hop-I-time.txt (L1 uptime at the
# start and end) and the labmon snapshot MI (both VMs, before the source
# quits); the VM then runs on the destination.  A refused hop also keeps
# the QEMU log (qemu-log-I.txt: the destination's error).
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

# Poll the source's query-migrate until it ends; its last reply goes to $1.
migrate_wait() {
	n=0
	while [ $n -lt "$MIG_T" ]; do
		labqmp "$qmp" '{"execute":"query-migrate"}' >"$1" 2>&1
		grep -qE '"status": "(completed|failed|cancelled)"' "$1" && return 0
		sleep 1
		n=$((n + 1))
	done
	fail "migration did not end in ${MIG_T}s: $(cut -c1-200 "$1")"
}

# Stop a QEMU that has handed its VM over (or failed to take it).
qemu_quit() {	# $1 = QMP socket, $2 = pid
	labqmp "$1" '{"execute":"quit"}' >/dev/null 2>&1
	n=0
	while kill -0 "$2" 2>/dev/null && [ $n -lt 20 ]; do sleep 1; n=$((n + 1)); done
	kill -9 "$2" 2>/dev/null
}

migrate_hop() {	# $1 = hop number, $2 = hop spec
	i=$1
	bin=${2%%|*}
	rest=${2#"$bin"}; rest=${rest#|}
	cpuopts=${rest%%|*}
	expect=${rest#"$cpuopts"}; expect=${expect#|}
	src_qmp=$qmp src_pid=$qpid
	dqmp=$run/qmp$i.sock
	dcpu=host${cpuopts:+,$cpuopts}
	say "run $name: hop $i: $bin -cpu $dcpu${expect:+ (must refuse)}"
	t_hop=$(uptime_s)
	l2_start "$bin" "$dqmp" "$(hop_accel "$bin")" "$dcpu" "-incoming defer -monitor none"
	dpid=$qpid
	qpid=$src_pid
	echo "$dpid" >"$d/qemu$i.pid"
	if [ "$dest_apf" = off ]; then
		labqmp "$dqmp" '{"execute":"set-async-pf","arguments":{"enabled":false}}' \
			'{"execute":"query-async-pf"}' >"$d/dest-apf-$i.txt" 2>&1 ||
			{ fail "hop $i: set-async-pf on the destination: $(cut -c1-200 "$d/dest-apf-$i.txt")"; return 1; }
	elif [ "$bin" != qemu-system-x86_64 ]; then
		labqmp "$dqmp" '{"execute":"query-async-pf"}' >"$d/dest-apf-$i.txt" 2>&1
	fi
	uri="unix:$run/mig$i.sock"
	labqmp "$dqmp" "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"$uri\"}}" \
		>"$d/incoming-$i.txt" 2>&1 ||
		{ fail "hop $i: migrate-incoming: $(cut -c1-200 "$d/incoming-$i.txt")"; return 1; }
	# No bandwidth cap (L1's memory bus is the limit); a downtime the
	# emulated L1 can meet, so pre-copy converges under the writer.
	labqmp "$src_qmp" \
		'{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":4294967296,"downtime-limit":3000}}' \
		"{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"$uri\"}}" >"$d/migrate-start-$i.txt" 2>&1 ||
		{ fail "hop $i: migrate: $(cut -c1-200 "$d/migrate-start-$i.txt")"; return 1; }
	migrate_wait "$d/migrate-$i.txt" || return 1
	st=$(grep -o '"status": "[a-z-]*"' "$d/migrate-$i.txt" | head -1 | cut -d'"' -f4)
	sleep 2
	labqmp "$dqmp" '{"execute":"query-status"}' >"$d/dest-status-$i.txt" 2>&1
	echo $? >"$d/dest-status-$i.rc"
	kill -0 "$dpid" 2>/dev/null || echo "exited" >>"$d/dest-status-$i.txt"
	echo "$t_hop $(uptime_s)" >"$d/hop-$i-time.txt"
	snap "$d" "M$i"
	say "run $name: hop $i: $st; destination: $(cut -c1-120 "$d/dest-status-$i.txt" | tr '\n' ' ')"
	if [ "$expect" = fail ]; then
		# The destination must refuse the state and exit.  The source
		# only knows that its stream was sent (completed, paused); the
		# management layer resumes it, as libvirt's Confirm phase does.
		cp "$d/qemu.log" "$d/qemu-log-$i.txt"
		qemu_quit "$dqmp" "$dpid"
		if grep -q '"running": true' "$d/dest-status-$i.txt"; then
			fail "hop $i: the destination accepted the state"; return 1
		fi
		labqmp "$src_qmp" '{"execute":"cont"}' '{"execute":"query-status"}' >"$d/src-status-$i.txt" 2>&1
		grep -q '"running": true' "$d/src-status-$i.txt" ||
			{ fail "hop $i: the source does not run after the refused migration"; return 1; }
		return 0
	fi
	[ "$st" = completed ] || { fail "hop $i: migration $st: $(cut -c1-300 "$d/migrate-$i.txt")"; return 1; }
	qemu_quit "$src_qmp" "$src_pid"
	qmp=$dqmp
	qpid=$dpid
}

migrate_all() {
	if [ -n "$refuse" ]; then
		timeout 30 "$refuse" -M "$machine" -accel kvm -nodefaults -display none \
			-incoming defer >"$d/refuse.txt" 2>&1
		echo $? >"$d/refuse.rc"
		say "run $name: $refuse -M $machine: rc $(cat "$d/refuse.rc"): $(head -c 200 "$d/refuse.txt")"
	fi
	i=1
	for hop in $migrate; do
		migrate_hop $i "$hop" || return 1
		i=$((i + 1))
	done
	echo "$qpid" >"$d/qemu-final.pid"
}
