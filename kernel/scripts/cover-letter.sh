#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# cover-letter.sh [host|guest|arm64 ...]
# `make -C kernel cover-letter`: the series laid out for git send-email,
# one directory per series (host: KVM, guest: x86 KVM guest support,
# arm64: KVM/arm64 host and guest, on top of both), in
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

series_list=${*:-host guest arm64}
"$KDIR/scripts/source.sh" newest
BASE=$(base_version)
SEND=$BUILD/send

title_of() {
	case $1 in
	host) echo "KVM: x86: Observe and switch off asynchronous page faults" ;;
	guest) echo "x86/kvm: Async page fault counters and a run-time switch for guests" ;;
	arm64) echo "KVM: arm64: Asynchronous page faults" ;;
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
	arm64)
		cat <<'EOF'
This series brings asynchronous page faults to KVM/arm64.  When a vCPU
at EL0 takes a stage-2 fault on a page the host must read back from
swap, KVM queues the fault on the generic virt/kvm/async_pf.c worker,
as x86 and s390 do, tells the guest "page not present" so that it runs
another task, and "page ready" once the page is in.  The host series'
statistics, kvm.async_pf and KVM_CAP_DISABLE_ASYNC_PF work unchanged;
the Linux guest (patch 4) has the x86 guest's /sys/kernel/kvm_async_pf/
counters, its `enabled` switch and no-kvmapf.

It starts from Gavin Shan's RFC (kvmarm, 2021,
Documentation/virt/kvm/arm/apf.rst there), which was never merged, and
answers the points of its review:

- "A huge number of ioctls and SMCCC calls compared with x86": x86
  uses three MSRs (EN, INT, ACK) and no ioctl.  Here the guest gets one
  SMCCC function, ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID (KVM vendor
  hypervisor function 112, discovered through FEATURES as PTP is), with
  four operations in x1: INFO, ENABLE, DISABLE and ACK, i.e. x86's
  three MSRs and a read-only INFO.  The RFC's SLOTS is gone: the guest
  sizes its own table of waiters, as on x86.  The VMM gets no new
  ioctl: the guest's ENABLE state is a firmware pseudo-register,
  KVM_REG_ARM_FW_ASYNC_PF (0x4150, patch 3), the PPI is another,
  KVM_REG_ARM_FW_ASYNC_PF_IRQ (0x4151, patch 5), and the VMM opts in
  by setting bit 48 of KVM_REG_ARM_VENDOR_HYP_BMAP (patch 2) before the
  VM first runs, as it can for the other bits.  VMMs already save and
  restore every register that KVM_GET_REG_LIST lists, so migration
  needs no more VMM code, as x86's MSRs need nothing beyond
  KVM_GET_MSRS.  The bit is clear by default, and without it the VM
  has no trace of the feature: the function is not reported and the
  two registers are neither listed nor accessible (-ENOENT).  A VM
  under a VMM that knows nothing of async page faults therefore looks
  exactly as on a host without this series, and migrates to one.
- "How does the guest know which SDEI event and which PPI, and what if
  several are exposed?": there is no SDEI event and exactly one PPI.
  INFO returns its INTID, the interface version and the size of the
  control block; the guest maps whatever INTID INFO returns, so nothing
  is described in DT or ACPI.
- "What is the size of the control block?": 64 bytes per vCPU, 64-byte
  aligned, in guest RAM, reached through a gfn_to_hva_cache: a
  little-endian 32-bit "not present" token, a "ready" token (0 means
  empty, ~0 wakes every waiter), the context of the fault that the
  "not present" token is for (PC, SP_EL0 and TTBR0_EL1 of the faulting
  EL0 access) and 32 reserved bytes.  INFO returns the size and the
  layout's version (2); versions are backward compatible (a later one
  only adds operations and fields in the reserved space), so the guest
  accepts any version and size from its own up.  ENABLE refuses a
  block that is unaligned or outside a memslot.
- "Why SDEI and a PPI?": only a PPI.  Like upstream x86, which only
  notifies faults taken in guest user mode, KVM notifies only faults
  taken at EL0 with IRQs unmasked.  A Linux guest runs EL0 with IRQs
  unmasked, so a PPI that KVM makes pending before it resumes the
  faulting instruction is normally taken first, in the faulting task;
  the task then sleeps on its way back to EL0.  Not always: the timer
  can be taken first and the guest reschedule on its way back, so KVM
  writes the faulting context with the token, the guest sleeps only if
  it matches the interrupted task and otherwise orphans the token (its
  "page ready" then only frees it), and the faulting task's retry is
  handled synchronously, never notified twice.  SDEI would only be needed for
  faults at EL1 or with IRQs masked, which stay synchronous as on x86,
  and would need an SDEI firmware interface that QEMU's virt machine
  does not have.  Both notifications use the PPI; the guest tells them
  apart by which token of the block is set.
- "Owned by the VMM?": the VMM chooses the INTID (16-31) by writing
  KVM_REG_ARM_FW_ASYNC_PF_IRQ before the VM first runs; a write naming
  an SGI, an SPI or a PPI of the VM's timers or PMU is refused.  KVM
  then owns the interrupt, as it owns the timer PPIs: the guest's ENABLE
  claims it on the vCPU with kvm_vgic_set_owner(), which also refuses
  another in-kernel owner, and userspace can no longer inject it.

Known limits:

- Weaker than x86: there is no "page ready" prefault and no APF halt.
  kvm_arch_async_page_ready() does not map the page as x86's does, so
  the woken task takes another stage-2 fault, and under the memory
  pressure that made the fault asynchronous the page can be reclaimed
  in between and be notified "not present" again.  Faults at EL1 or
  with IRQs masked block the vCPU in the host with no interrupt
  delivery, where x86 halts the vCPU and still delivers interrupts;
  async_pf_halted reads 0 on arm64.
- The function number (112), the firmware registers (0x4150, 0x4151)
  and the opt-in bit (bit 48 of KVM_REG_ARM_VENDOR_HYP_BMAP) are
  provisional: chosen away from upstream's sequences because the series
  is carried out of tree.  The plan is to move the opt-in to bit 48 of
  KVM_REG_ARM_VENDOR_HYP_BMAP_2 (Linux 6.16, vendor hypervisor functions
  64-127, bit = function - 64), where function 112 = 64 + 48 keeps its
  number and FEATURES needs no masking.  Compat note: VMs saved or
  migrated on this series carry bit 48 of KVM_REG_ARM_VENDOR_HYP_BMAP
  and registers 0x4150/0x4151; a host with the new layout must accept
  that bit from an incoming stream as the opt-in (setting the BMAP_2
  bit) and the two registers under those numbers, or the VMM must
  translate them when it loads such a stream, or those VMs cannot be
  restored there.  The guest is unaffected: it finds function 112
  through FEATURES either way.
- The notification PPI is INTID 16 by default, which the BSA leaves
  unassigned (earlier versions used 19, the BSA's Secure EL2 virtual
  timer); a VMM that uses 16 moves it with KVM_REG_ARM_FW_ASYNC_PF_IRQ.
  KVM makes it edge-triggered before the VM first runs, for VMs that
  are offered async PF, so the guest's GIC driver finds it as it asks
  for.  KVM owns it on a vCPU only from the guest's ENABLE there;
  until then userspace can still inject it.
- The guest does not DISABLE on crash kexec (arm64 has no crash
  shutdown hook for it).  This is benign: the crash kernel runs in
  memory reserved for it, the old kernel's block is in memory it does
  not use, its GIC initialisation leaves the PPI disabled, and the host
  only writes into an empty slot, which nobody empties any more, so
  there is at most one stale notification of each kind, then every
  fault is synchronous.  Suspend and hibernation are covered: the guest
  DISABLEs on the boot CPU from syscore suspend and ENABLEs again at
  resume (patch 4), built but not run yet.
- A VM whose VMM opted in (bit 48) cannot be migrated to a host
  without this series, as for any new firmware bitmap bit; one whose
  VMM did not, can.
EOF
		;;
	esac
}

# How the series was tested: what `make check` verifies, and the result
# notes in results/ (their titles); for arm64, what arm64-check verifies
# and the aarch64 lab.
tested() {
	if [ "$1" = arm64 ]; then
		cat <<'EOF'
Each patch says how it was tested.  For the whole series:

- applies with patch --fuzz=0 on top of the host and guest series, every
  patch is clean under checkpatch.pl --strict, arm64 defconfig with KVM
  and tracing builds arch/arm64/kvm/ and the guest's kvm_apf.o with W=1
  without new warnings, and the new selftest, hypercalls and
  get-reg-list cross-build (make -C kernel arm64-check);
- in an aarch64 lab (L1 this series' host kernel under TCG
  qemu-system-aarch64 with virtualization=on and swap, L2 this series'
  guest under L1's KVM in a 192M memory cgroup): the host's counters
  equal the tracepoints and the guest's counts (4731 faults
  asynchronous in one run, 4711 of them seen by the guest),
  kvm.async_pf=N and the guest's `enabled`=0 and no-kvmapf make every
  fault synchronous (tests/lab/results/2026-12-05-aarch64-lab/ in the
  APF Suite tree);
- aarch64/async_pf_test, and the upstream hypercalls and get-reg-list
  unchanged (bit 48 is opt-in), pass in L1 of that lab;
- live migration in L1 restores the guest's state on the destination
  (92633 "not present" there) with a guest wait open at the post-copy
  switchover, and refuses it on a destination with kvm-asyncpf=off or
  without the function (tests/lab/results/2026-12-06-aarch64-review3/);
- the fixes of the third review (IRQs disabled around the guest's
  hotplug ENABLE/DISABLE, INFO version >= 2 and block size >= 64,
  config_lock around both firmware registers, no first-run PPI
  configuration without the opt-in, kvm_debug() for the restore
  failure) passed b f g h x in the aarch64 lab, and b and h with two L2
  vCPUs (cpu1 offline and online under load); g now switches to
  post-copy with a guest wait open and the destination ends it.
EOF
		return
	fi
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
	case $s in host | guest | arm64) ;; *) die "usage: cover-letter.sh [host|guest|arm64 ...]" ;; esac
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
	for f in $(series_files) $([ "$s" != arm64 ] || patches_of arm64 | touched_files); do
		if [ -f "$SRC_DIR/$f" ]; then
			mkdir -p "$tmp/a/$(dirname "$f")"
			cp "$SRC_DIR/$f" "$tmp/a/$f"
		fi
	done
	if [ "$s" != host ]; then
		# The host series as posted: its numbered patches only (and
		# for arm64 the guest series too)
		for p in "$KDIR"/patches/host/*.patch $([ "$s" != arm64 ] || echo "$KDIR"/patches/guest/*.patch); do
			numbered "$p" || continue
			patch -d "$tmp/a" -p1 --batch --fuzz=0 --no-backup-if-mismatch -s <"$p" || die "host patch does not apply: $p"
		done
	fi
	cp -a "$tmp/a/." "$tmp/b/"
	for p in "${patches[@]}"; do
		patch -d "$tmp/b" -p1 --batch --fuzz=0 --no-backup-if-mismatch -s <"$p" || die "patch does not apply: $p"
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
		case $s in
		guest) echo "Applies on top of the host series (KVM)." ;;
		arm64) echo "Applies on top of the host series (KVM) and the x86 guest series." ;;
		esac
		echo
		echo "Tested:"
		echo
		tested "$s"
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
