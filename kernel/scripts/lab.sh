#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# bzImages for the VM lab: tinyconfig + configs/lab-<role>.config, built
# from build/tree (patched) in build/lab-<role>; results in build/lab/.
# Usage: lab.sh [ROLE...], ROLE host or guest (the default: both), or
# ROLE-VARIANT, which adds configs/lab-VARIANT.config and gives
# bzImage-ROLE-VARIANT: debug (lockdep, KASAN, kmemleak) and kcsan
# (issue 16).  Cached: a role is only
# rebuilt when the series, the fragments or the base changed.  The lab takes
# the newest 6.12 base, with a warning, when the pinned one has left the
# archive (apply.sh newest).
. "$(dirname "$0")/common.sh"

"$KDIR/scripts/apply.sh" newest

tree=$BUILD/tree
out=$BUILD/lab
mkdir -p "$out"
roles=${*:-host guest}
for role in $roles; do
	# host, guest, or ROLE-VARIANT: configs/lab-VARIANT.config on top
	frags=$KDIR/configs/lab-${role%%-*}.config
	[ "$role" = "${role%%-*}" ] || frags="$frags $KDIR/configs/lab-${role#*-}.config"
	for frag in $frags; do
		[ -f "$frag" ] || die "no $frag"
	done
	obj=$BUILD/lab-$role
	# shellcheck disable=SC2086
	key=$(cat "$tree/.apf-series" $frags | sha256sum)
	if [ -f "$out/bzImage-$role" ] && [ "$(cat "$out/.key-$role" 2>/dev/null)" = "$key" ]; then
		log "lab $role kernel up to date: ${out#"$KDIR"/}/bzImage-$role"
		continue
	fi
	mkdir -p "$obj"
	t0=$(now)
	make -s -C "$tree" O="$obj" tinyconfig >/dev/null
	for frag in $frags; do
		merge_fragment "$obj" "$tree" "$frag"
	done
	log "building lab $role kernel (-j$JOBS), log in ${obj#"$KDIR"/}/build.log"
	if ! make -C "$tree" O="$obj" -j"$JOBS" bzImage >"$obj/build.log" 2>&1; then
		tail -30 "$obj/build.log" >&2
		die "lab $role kernel build failed"
	fi
	cp "$obj/arch/x86/boot/bzImage" "$out/bzImage-$role"
	cp "$obj/.config" "$out/config-$role"
	t=$(( $(now) - t0 ))
	echo "$key" >"$out/.key-$role"
	echo "$(date -u +%FT%TZ) lab-$role ${t}s -j$JOBS $(nproc) cpus" >>"$out/times.log"
	log "lab $role kernel: ${out#"$KDIR"/}/bzImage-$role in ${t}s"
done
