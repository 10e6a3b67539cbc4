#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make -C kernel check:
#  1. fresh unpack of the pinned source into build/check/linux, apply the
#     whole series (fails on the first patch that does not apply exactly);
#     when the pinned base has left the archive, the newest linux-source-6.12
#     instead, with a warning (source.sh newest): the series is still checked
#     on every fresh machine, and `make rebase` moves the pin;
#  2. scripts/checkpatch.pl --strict on every patch;
#  3. W=1 build of the objects the series touches (x86_64_defconfig + KVM,
#     KVM_INTEL, KVM_AMD as modules, KVM_GUEST): no warning may be new (the
#     pristine tree is built for comparison only if the patched one warns);
#  4. build the KVM selftests the series adds.
. "$(dirname "$0")/common.sh"

T0=$(now)
step() { log "[$(( $(now) - T0 ))s] $*"; }

"$KDIR/scripts/source.sh" newest
BASE=$(base_version)
SRC_TAR=$DL/$SRC_PKG-$BASE.tar.xz
step "source ready ($SRC_PKG $BASE)"

CHK=$BUILD/check
# Delete the previous check tree in the background: removing 1.7 GB of
# files is slow on a busy disk and nothing waits for it.
if [ -e "$CHK" ]; then
	mv "$CHK" "$CHK.old.$$"
	rm -rf "$CHK.old.$$" &
fi
rm -rf "$BUILD"/check.old.* 2>/dev/null &
mkdir -p "$CHK"
tar -C "$CHK" -xf "$SRC_TAR"
mv "$CHK/$SRC_PKG" "$CHK/linux"
tree=$CHK/linux
step "fresh unpack in ${CHK#"$KDIR"/}/linux"
apply_series "$tree"
step "series applies ($(series | wc -l) patches)"

# --- checkpatch -------------------------------------------------------------
# shellcheck disable=SC2046 # patch paths: no blanks, one a word
checkpatch_strict "$tree" $(series)
step "checkpatch --strict clean"

# --- W=1 build of the touched objects ---------------------------------------
targets=""
selftests=""
for f in $(series_files); do
	case $f in
	virt/kvm/*.c | arch/x86/kvm/*.c) t=arch/x86/kvm/ ;; # also arch/x86/kvm/*/*.c
	tools/testing/selftests/kvm/*.c) selftests="$selftests ${f#tools/testing/selftests/kvm/}"; continue ;;
	*.c) t=${f%.c}.o ;;
	*) continue ;;
	esac
	case " $targets " in *" $t "*) ;; *) targets="$targets $t" ;; esac
done
# Headers the series changes are covered by KVM itself and the guest code.
case " $targets " in *" arch/x86/kvm/ "*) ;; *) targets="$targets arch/x86/kvm/" ;; esac
log "W=1 targets:$targets"

config() { # $1 = source tree, $2 = O= dir
	make -s -C "$1" O="$2" x86_64_defconfig >/dev/null
	"$1"/scripts/config --file "$2/.config" -e VIRTUALIZATION -m KVM -m KVM_INTEL -m KVM_AMD \
		-e HYPERVISOR_GUEST -e PARAVIRT -e KVM_GUEST -d WERROR -d KVM_WERROR
	make -s -C "$1" O="$2" olddefconfig >/dev/null
	for o in CONFIG_KVM=m CONFIG_KVM_INTEL=m CONFIG_KVM_AMD=m CONFIG_KVM_GUEST=y CONFIG_KVM_ASYNC_PF=y; do
		grep -qx "$o" "$2/.config" || die "check config: $o did not stick"
	done
}
warnings() { # normalized W=1 warnings: file and message, no line numbers
	{ grep -E '(warning|error):' "$1" || true; } | sed -E 's/:[0-9]+:[0-9]+:/:/; s/^.*\/(linux|linux-source-6.12)\///' | sort -u
}
w1build() { # $1 = base|apf
	local side=$1 src obj
	if [ "$side" = base ]; then src=$SRC_DIR; else src=$tree; fi
	obj=$CHK/out-$side
	mkdir -p "$obj"
	config "$src" "$obj"
	# shellcheck disable=SC2086
	if ! make -C "$src" O="$obj" -j"$JOBS" W=1 $targets >"$obj/w1.log" 2>&1; then
		tail -40 "$obj/w1.log" >&2
		die "W=1 build failed on the $side tree"
	fi
	warnings "$obj/w1.log" >"$CHK/warnings-$side"
	step "W=1 build ($side): $(wc -l <"$CHK/warnings-$side") warnings"
}
w1build apf
# Only when the patched build warns at all, build the pristine tree to
# tell new warnings from old ones.
if [ -s "$CHK/warnings-apf" ]; then
	w1build base
	new=$(comm -13 "$CHK/warnings-base" "$CHK/warnings-apf")
	if [ -n "$new" ]; then
		echo "$new" >&2
		die "the series adds W=1 warnings"
	fi
fi
step "no new W=1 warnings"

# --- selftests ----------------------------------------------------------------
if [ -n "$selftests" ]; then
	obj=$CHK/out-apf
	make -s -C "$tree" O="$obj" headers >/dev/null
	st=$obj/kselftest/kvm
	progs=""
	for s in $selftests; do progs="$progs $st/${s%.c}"; done
	# shellcheck disable=SC2086
	if ! make -C "$tree/tools/testing/selftests/kvm" OUTPUT="$st" \
		KHDR_INCLUDES="-isystem $obj/usr/include" -j"$JOBS" $progs >"$obj/selftests.log" 2>&1; then
		tail -40 "$obj/selftests.log" >&2
		die "selftest build failed"
	fi
	if grep -E 'warning:' "$obj/selftests.log" >&2; then
		die "selftest build has warnings"
	fi
	for p in $progs; do [ -x "$p" ] || die "selftest $p not built"; done
	step "selftests built:$(for s in $selftests; do printf ' %s' "${s%.c}"; done)"
fi

if [ "$BASE" = "$KERNEL_DEB_VERSION" ]; then
	log "check passed in $(( $(now) - T0 ))s on the pinned base $BASE"
else
	log "check passed in $(( $(now) - T0 ))s on $BASE"
	warn_gone "$BASE"
fi
