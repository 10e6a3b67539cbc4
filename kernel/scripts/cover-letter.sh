#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# cover-letter.sh [host|guest ...]
# `make -C kernel cover-letter`: the series laid out for git send-email,
# one directory per series (host: KVM, guest: x86 KVM guest support), in
# build/send/<series>/:
#   0000-cover-letter.patch  [PATCH 0/N]: summary, the patches' subjects,
#                            diffstat of the whole series, the base, how it
#                            was tested, To:/Cc: from get_maintainer.pl
#   0001-*.patch ...         the series' numbered patches, as in patches/<series>/
#                            (unnumbered [PATCH] ones are downstream only)
#   get_maintainer.txt       scripts/get_maintainer.pl of the base tree on
#                            the series (--no-git: the unpacked source has
#                            no history; --mpath: MAINTAINERS as the series
#                            patches it); get_maintainer-roles.txt with
#                            the roles
# Nothing is sent.  Send with: git send-email build/send/<series>/*.patch
. "$(dirname "$0")/common.sh"

series_list=${*:-host guest}
"$KDIR/scripts/source.sh" newest
BASE=$(base_version)
SEND=$BUILD/send

title_of() {
	case $1 in
	host) echo "KVM: x86: Observe and switch off asynchronous page faults" ;;
	guest) echo "x86/kvm: Async page fault counters and a run-time switch for guests" ;;
	esac
}

blurb_of() {
	case $1 in
	host)
		cat <<'EOF'
Asynchronous page faults let a vCPU run on while KVM faults a non-resident
host page in, but nothing tells an operator whether they are used, how
often they fall back to synchronous faults, or lets a VM opt out without
reloading kvm.ko.  This series adds per-vCPU statistics for the async
fault queue (queued, completed, cancelled, synchronous) and for how faults
reach the guest (not-present #PF, APF halt, page ready), with their
contract in Documentation/virt/kvm/x86/async-pf-stats.rst; a writable
kvm.async_pf module parameter; KVM_CAP_DISABLE_ASYNC_PF to opt a single
VM out at any time; and two selftests, one of them with a guest that
enables paravirtual async page faults.
EOF
		;;
	guest)
		cat <<'EOF'
A KVM guest cannot tell whether paravirtual async page faults happen and
can only turn them off at boot (no-kvmapf).  The first patch fixes a
leak of wake-before-wait nodes in apf_task_wake_all() that goes back to
the introduction of async page faults and can go to stable on its own.
The others add per-CPU counters in /sys/kernel/kvm_async_pf/ and a
writable /sys/kernel/kvm_async_pf/enabled that switches async page
faults off and on at run time, as CPU offline and online do.
EOF
		;;
	esac
}

# How the series was tested: what `make check` verifies, and the result
# notes in results/ (their titles).
tested() {
	cat <<EOF
Each patch says how it was tested.  For the whole series:

- applies with patch --fuzz=0 to a fresh unpack of the base, every patch
  is clean under checkpatch.pl --strict (the selftest patches and the one
  adding a Documentation file only get "added file, does MAINTAINERS need
  updating?": Documentation/virt/kvm/ and the selftests are covered by
  the KVM entry), x86_64_defconfig with KVM, KVM_INTEL, KVM_AMD and
  KVM_GUEST builds the touched objects with W=1 without new warnings, and
  the selftests build;
EOF
	local f t
	for f in "$KDIR"/results/*.md; do
		[ -e "$f" ] || continue
		t=$(sed -n '1s/^# *//p' "$f")
		printf -- '- %s (%s)\n' "$t" "${f#"$KDIR"/}"
	done | fold -s -w 74 | sed 's/ *$//; 2,$s/^\([^-]\)/  \1/'
}

for s in $series_list; do
	case $s in host | guest) ;; *) die "usage: cover-letter.sh [host|guest ...]" ;; esac
	# Only the numbered patches ([PATCH i/N]) are for upstream; an
	# unnumbered one is downstream only (host/0007 moves the capability
	# number out of the upstream sequence) and is left out.
	numbered() { grep -qE '^Subject: \[PATCH( [^]]*)? [0-9]+/[0-9]+\]' "$1"; }
	patches=() downstream=()
	for p in "$KDIR"/patches/"$s"/*.patch; do
		[ -e "$p" ] || continue
		if numbered "$p"; then
			patches+=("$p")
		else
			downstream+=("${p##*/}")
		fi
	done
	n=${#patches[@]}
	[ "$n" -gt 0 ] || die "no numbered patches in patches/$s"
	for i in $(seq 1 "$n"); do
		grep -qE "^Subject: \[PATCH( [^]]*)? $i/$n\]" "${patches[i - 1]}" ||
			die "patches/$s: ${patches[i - 1]##*/} is not numbered $i/$n"
	done
	[ ${#downstream[@]} -eq 0 ] || log "$s: left out (downstream only): ${downstream[*]}"
	out=$SEND/$s
	rm -rf "$out"
	mkdir -p "$out"
	cp "${patches[@]}" "$out/"

	# The touched files, pristine and patched (host first: the guest
	# series applies on top of it), for the diffstat.
	tmp=$(mktemp -d "$BUILD/send.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp/a" "$tmp/b"
	for f in $(series_files); do
		if [ -f "$SRC_DIR/$f" ]; then
			mkdir -p "$tmp/a/$(dirname "$f")"
			cp "$SRC_DIR/$f" "$tmp/a/$f"
		fi
	done
	if [ "$s" = guest ]; then
		# The host series as posted: its numbered patches only
		for p in "$KDIR"/patches/host/*.patch; do
			numbered "$p" || continue
			patch -d "$tmp/a" -p1 --batch --fuzz=0 -s <"$p" || die "host patch does not apply: $p"
		done
	fi
	cp -a "$tmp/a/." "$tmp/b/"
	for p in "${patches[@]}"; do
		patch -d "$tmp/b" -p1 --batch --fuzz=0 -s <"$p" || die "patch does not apply: $p"
	done
	stat=$(cd "$tmp" && { diff -ruN a b || true; } | diffstat -p1 -w 72)

	# Who to send it to: the base tree's get_maintainer.pl on the patches.
	# The MAINTAINERS it reads is the one the series patches (the guest
	# series adds a file to the KVM PARAVIRT entry).
	mnt=$tmp/b/MAINTAINERS
	[ -f "$mnt" ] || mnt=$SRC_DIR/MAINTAINERS
	gm() { (cd "$SRC_DIR" && ./scripts/get_maintainer.pl --mpath "$mnt" --no-git --no-git-fallback "$@"); }
	gm --no-rolestats "${patches[@]}" >"$out/get_maintainer.txt" 2>"$tmp/gm.err" ||
		{ cat "$tmp/gm.err" >&2; die "get_maintainer.pl failed"; }
	# The same with the roles (maintainer, reviewer, list), for people.
	gm "${patches[@]}" >"$out/get_maintainer-roles.txt" 2>/dev/null
	# Lists go to To:, people to Cc:.
	# One address a line (folded header).
	addrs() { sed '$!s/$/,/; 2,$s/^/ /'; }
	to=$(grep -E '@vger\.kernel\.org|@lists\.' "$out/get_maintainer.txt" | addrs || true)
	cc=$(grep -vE '@vger\.kernel\.org|@lists\.' "$out/get_maintainer.txt" | addrs || true)

	from=$(sed -n 's/^From: //p' "${patches[0]}" | head -1)
	{
		echo "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
		echo "From: $from"
		echo "Date: $(LC_ALL=C date -R)"
		echo "Subject: [PATCH 0/$n] $(title_of "$s")"
		[ -z "$to" ] || echo "To: $to"
		[ -z "$cc" ] || echo "Cc: $cc"
		echo
		blurb_of "$s"
		echo
		echo "Base: Linux $(upstream_of "$BASE") as Debian ships it ($SRC_PKG $BASE,"
		echo "Debian's patches applied; not checked against plain v$(upstream_of "$BASE"))."
		[ "$s" = host ] || echo "Applies on top of the host series (KVM)."
		echo
		echo "Tested:"
		echo
		tested
		echo
		sed -n 's/^From: //p' "${patches[0]}" | head -1 | sed "s/\$/ ($n):/"
		for p in "${patches[@]}"; do
			# Subjects are wrapped by format-patch; join the continuation.
			awk '/^Subject: /{sub(/^Subject: \[PATCH [0-9]+\/[0-9]+\] /, ""); s=$0; getline; while ($0 ~ /^ /) { s = s $0; getline } print "  " s; exit }' "$p"
		done
		echo
		echo "$stat"
		echo
		echo "-- "
		echo "APF Suite kernel/scripts/cover-letter.sh"
	} >"$out/0000-cover-letter.patch"
	rm -rf "$tmp"
	trap - EXIT
	log "$s: $out/0000-cover-letter.patch and $n patches; get_maintainer: $(wc -l <"$out/get_maintainer.txt") addresses"
done
