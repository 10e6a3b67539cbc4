#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Kernels for the VM lab: tinyconfig + configs/lab-<role>.config, built
# from build/tree (patched) in build/lab-<role>; results in build/lab/.
# Usage: lab.sh [ROLE...], ROLE host or guest (the default: both), or
# ROLE-VARIANT, which adds configs/lab-VARIANT.config and gives
# bzImage-ROLE-VARIANT: debug (lockdep, KASAN, kmemleak) and kcsan
# (issue 16); or arm64-host, arm64-guest: the aarch64 lab's kernels
# (issue 19), tinyconfig + configs/lab-arm64-ROLE.config cross-built
# (CROSS_COMPILE, default aarch64-linux-gnu-) from build/arm64/lab-tree,
# the host + guest + arm64 series, giving Image-ROLE-arm64.  Cached: a
# role is only rebuilt when the series, the fragments or the base
# changed.  The lab takes the newest 6.12 base, with a warning, when the
# pinned one has left the archive (apply.sh newest).
. "$(dirname "$0")/common.sh"

roles=${*:-host guest}
out=$BUILD/lab
mkdir -p "$out"

# The arm64 roles' tree: the source + host + guest + arm64 series, made
# (hard-linked, as arm64-check.sh's) only when one of them changed.
# build/arm64/tree belongs to arm64-check.sh, which remakes it each run.
arm64_tree() {
	local t=$BUILD/arm64/lab-tree key p
	# shellcheck disable=SC2034 # common.sh's xseries and xmktree read it
	XNAME=arm64
	"$KDIR/scripts/source.sh" newest >&2
	mkdir -p "$BUILD/arm64"
	take_lock arm64-lab
	key=$({
		base_version
		for p in $(series) $(xseries); do sed -n '/^diff --git /,$p' "$p"; done
	} | sha256sum | cut -d' ' -f1)
	if [ "$(cat "$t/.apf-series" 2>/dev/null)" != "$key" ]; then
		log "arm64 lab tree: host + guest + arm64 series on $(base_version)"
		xmktree "$t" 1
		echo "$key" >"$t/.apf-series"
	fi
	echo "$t"
}

for role in $roles; do
	case $role in
	arm64-*)
		r=${role#arm64-}
		arch=arm64 cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
		command -v "${cross}gcc" >/dev/null || die "no ${cross}gcc: apt-get install gcc-${cross%-}"
		tree=$(arm64_tree) || exit 1
		frags=$KDIR/configs/lab-arm64-$r.config
		target=Image image=arch/arm64/boot/Image name=Image-$r-arm64
		;;
	*)
		# once per run, as before the arm64 roles
		[ -n "${applied:-}" ] || { "$KDIR/scripts/apply.sh" newest && applied=1; }
		tree=$BUILD/tree
		arch='' cross=''
		# host, guest, or ROLE-VARIANT: configs/lab-VARIANT.config on top
		frags=$KDIR/configs/lab-${role%%-*}.config
		[ "$role" = "${role%%-*}" ] || frags="$frags $KDIR/configs/lab-${role#*-}.config"
		target=bzImage image=arch/x86/boot/bzImage name=bzImage-$role
		;;
	esac
	for frag in $frags; do
		[ -f "$frag" ] || die "no $frag"
	done
	obj=$BUILD/lab-$role
	# The KCSAN guest: arch/x86/kernel/ is KCSAN_SANITIZE := n upstream
	# (early boot code), and the guest side of the series lives in its
	# kvm.o, so the lab instruments that object (its noinstr entry code
	# stays out: noinstr implies __no_kcsan).
	extra=
	[ "$role" = guest-kcsan ] && extra=KCSAN_SANITIZE_kvm.o=y
	# shellcheck disable=SC2086
	key=$({ cat "$tree/.apf-series" $frags; [ -z "$extra" ] || echo "$extra"; } | sha256sum)
	if [ -f "$out/$name" ] && [ "$(cat "$out/.key-$role" 2>/dev/null)" = "$key" ]; then
		log "lab $role kernel up to date: ${out#"$KDIR"/}/$name"
		continue
	fi
	mkdir -p "$obj"
	t0=$(now)
	# ARCH and CROSS_COMPILE only for arm64: the x86 kernels build as before.
	kmake() { nice -n 10 make -C "$tree" O="$obj" ${arch:+ARCH=$arch} ${cross:+CROSS_COMPILE=$cross} "$@"; }
	kmake -s tinyconfig >/dev/null
	for frag in $frags; do
		if [ -n "$arch" ]; then
			ARCH=$arch CROSS_COMPILE=$cross merge_fragment "$obj" "$tree" "$frag"
		else
			merge_fragment "$obj" "$tree" "$frag"
		fi
	done
	log "building lab $role kernel (-j$JOBS), log in ${obj#"$KDIR"/}/build.log"
	# shellcheck disable=SC2086
	if ! kmake -j"$JOBS" $target $extra >"$obj/build.log" 2>&1; then
		tail -30 "$obj/build.log" >&2
		die "lab $role kernel build failed"
	fi
	cp "$obj/$image" "$out/$name"
	cp "$obj/.config" "$out/config-$role"
	t=$(( $(now) - t0 ))
	echo "$key" >"$out/.key-$role"
	echo "$(date -u +%FT%TZ) lab-$role ${t}s -j$JOBS $(nproc) cpus" >>"$out/times.log"
	log "lab $role kernel: ${out#"$KDIR"/}/$name in ${t}s"
done
