#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make -C qemu check (part of the top-level make check):
#  1. fresh unpack of the pinned Debian source into build/check/qemu and the
#     whole series on top (fails on the first patch that does not apply
#     exactly, without fuzz).  If Debian has dropped the pinned version
#     (and build/dl has no copy), the newest of the same stable line, with
#     a warning (source.sh fallback; QEMU_BASE_MODE=exact refuses instead);
#  2. QEMU's scripts/checkpatch.pl on every patch;
#  3. a minimal configure (x86_64-softmmu, no optional features) and a
#     compile of the objects the series touches, with QEMU's -Werror; the
#     same for aarch64-softmmu cross-built for arm64 hosts (KVM only), for
#     target/arm/ and the shared sources, and for ppc64-softmmu cross-built
#     for ppc64el hosts (KVM only, pseries only), for target/ppc/, hw/ppc/,
#     the pseries qtests and the shared sources, where the cross toolchains
#     are installed;
#  4. qemu-system-x86_64 from that configuration, and the qtests the series
#     adds or changes (async-pf-test: query-async-pf, set-async-pf and
#     info async-pf under qtest, TCG and, where /dev/kvm answers, KVM;
#     qmp-cmd-test; qom-test), each run (~3 min on 2 cores), and
#     async-pf-test's asyncpf-int cases again as on a host kernel without
#     KVM_FEATURE_ASYNC_PF_INT (tests/hide-asyncpf-int.c, LD_PRELOAD);
#  5. a syntax check of the functional tests the series adds.
# The full-featured binary, the functional test and the smoke test are
# `make build` and `make test`.
. "$(dirname "$0")/common.sh"

T0=$(now)
step() { log "[$(( $(now) - T0 ))s] $*"; }

"$QDIR/scripts/source.sh" "${QEMU_BASE_MODE:-fallback}"
load_base
step "source ready: qemu $BASE_DEB_VERSION ($BASE_MODE)"

CHK=$BUILD/check
rm -rf "$CHK"
mkdir -p "$CHK"
tree=$CHK/qemu
unpack_to "$tree"
step "fresh unpack in ${CHK#"$QDIR"/}/qemu"
apply_series "$tree"
step "series applies ($(series | wc -l) patches)"

# --- checkpatch ---------------------------------------------------------------
# shellcheck disable=SC2046
checkpatch_clean "$tree" $(series) || die "checkpatch found problems"
step "checkpatch clean"

# --- compile the touched objects ------------------------------------------------
obj=$CHK/obj
mkdir -p "$obj"
if ! (cd "$obj" && "$tree/configure" --python="$PYTHON" \
	--target-list=x86_64-softmmu --without-default-features \
	--disable-docs --disable-user --disable-install-blobs \
	--enable-kvm --enable-tcg --firmwarepath="$FIRMWARE_PATH" \
	>configure.log 2>&1); then
	tail -30 "$obj/configure.log" >&2
	die "configure failed"
fi
step "configured (x86_64-softmmu, no optional features)"

# Sources whose objects to compile: the .c files the series touches, plus
# the users of the .hx files it touches (they are compiled into them).
sources=""
for f in $(series_files); do
	case $f in
	*.c) sources="$sources $f" ;;
	hmp-commands-info.hx | hmp-commands.hx) sources="$sources monitor/hmp-target.c" ;;
	qemu-options.hx) sources="$sources system/vl.c" ;;
	*.hx) die "check.sh does not know what compiles $f" ;;
	esac
done
# objects_of OBJ SOURCE...: the objects of OBJ's configuration built from
# the sources.  compile_commands.json maps each source to its object(s); a
# source can be in several targets (tests/qtest/*.c for each qtest binary,
# for example).  A source prefixed with "?" may be missing from the
# configuration (the x86 files in the arm64 one).
objects_of() {
	local db=$1/compile_commands.json
	shift
	"$PYTHON" - "$db" "$tree" "$@" <<'PY'
import json, os, sys
db, tree, args = sys.argv[1], os.path.realpath(sys.argv[2]), sys.argv[3:]
optional = {a[1:] for a in args if a.startswith('?')}
srcs = [a.lstrip('?') for a in args]
want = {os.path.join(tree, s): s for s in srcs}
found = {}
for e in json.load(open(db)):
    f = os.path.realpath(os.path.join(e['directory'], e['file']))
    if f in want:
        found.setdefault(want[f], []).append(e['output'])
missing = [s for s in srcs if s not in found and s not in optional]
# Stubs (accel/stubs/kvm-stub.c) are built only where the real code is
# not (here: CONFIG_KVM); anything else must be in this configuration.
stubs = [s for s in missing if '/stubs/' in s or s.startswith('stubs/')]
if stubs:
    print('stubs not built in this configuration (skipped): ' + ' '.join(stubs),
          file=sys.stderr)
missing = [s for s in missing if s not in stubs]
if missing:
    sys.exit('not in this configuration: ' + ' '.join(missing))
print(' '.join(sorted({o for outs in found.values() for o in outs})))
PY
}
# target/arm/ and hw/arm/ are compiled in the arm64 configuration below,
# not here; target/ppc/, hw/ppc/ and the pseries qtests in the ppc64 one.
x86_sources=""
arm_sources=""
ppc_sources=""
for f in $sources; do
	case $f in
	target/arm/* | hw/arm/*) arm_sources="$arm_sources $f" ;;
	target/ppc/* | hw/ppc/* | tests/qtest/spapr-*) ppc_sources="$ppc_sources $f" ;;
	*)
		x86_sources="$x86_sources $f"
		arm_sources="$arm_sources ?$f"
		ppc_sources="$ppc_sources ?$f"
		;;
	esac
done
# shellcheck disable=SC2086
objects=$(objects_of "$obj" $x86_sources) || die "cannot map the touched sources to objects"
log "objects:$(printf ' %s' $objects)"
# shellcheck disable=SC2086
ninja_strict "$obj" "the touched objects" $objects
step "touched objects compile ($(echo $objects | wc -w))"

# cross_compile_touched ARCH SOURCE...: the touched objects again in
# prepare_cross_host's configuration for ARCH hosts (KVM only,
# cross-compiled: the arm64 and ppc64 KVM code builds on those hosts
# only).  Skipped, saying so, where the cross toolchain or the :ARCH -dev
# packages are missing (as on CI).
cross_compile_touched() {
	local arch=$1 obj objects
	shift
	if ! cross_deps_present "$arch"; then
		log "no $(cross_triplet "$arch")-gcc or :$arch packages: the $arch objects are not compiled (APF_CROSS_ARCHES=$arch scripts/install-deps)"
		return 0
	fi
	obj=$CHK/obj-$arch
	mkdir -p "$obj"
	prepare_cross_host "$arch" "$tree" "$CHK/$arch-fdt"
	# shellcheck disable=SC2086
	if ! (cd "$obj" && "$tree/configure" --python="$PYTHON" $CROSS_OPTS >configure.log 2>&1); then
		tail -30 "$obj/configure.log" >&2
		die "configure failed ($arch)"
	fi
	objects=$(objects_of "$obj" "$@") || die "cannot map the touched sources to $arch objects"
	# shellcheck disable=SC2086
	ninja_strict "$obj" "the touched objects ($arch)" $objects
	step "touched objects compile for $arch ($(echo $objects | wc -w))"
}
# arm64: target/arm/, hw/arm/ and the shared sources (issue 19); ppc64el:
# target/ppc/, hw/ppc/, the pseries qtests and the shared sources (issue 23)
# shellcheck disable=SC2086
cross_compile_touched arm64 $arm_sources
# shellcheck disable=SC2086
cross_compile_touched ppc64el $ppc_sources

# --- the qtests the series touches ----------------------------------------------
qtests=""
for f in $(series_files); do
	case $f in
	tests/qtest/spapr-*) ;; # pseries only: compiled for ppc64 above
	tests/qtest/*-test.c) qtests="$qtests ${f%.c}" ;;
	esac
done
[ -n "$qtests" ] || die "the series has no qtest (async-pf-test is expected)"
# shellcheck disable=SC2086
if ! ninja -C "$obj" -j"$JOBS" qemu-system-x86_64 $qtests >"$obj/ninja-qtest.log" 2>&1; then
	grep -E -B2 -A8 'error' "$obj/ninja-qtest.log" | head -80 >&2
	die "qemu-system-x86_64 or a qtest does not build"
fi
bundle_firmware "$obj"
step "built qemu-system-x86_64 and${qtests//tests\/qtest\//}"
for t in $qtests; do
	name=${t##*/}
	run_qtest "$obj" "$t" "$name.tap" || die "$name failed (log: ${obj#"$QDIR"/}/$name.tap)"
	step "$name: $(grep -c '^ok' "$obj/$name.tap") passed, $(grep -c '^ok.*# SKIP' "$obj/$name.tap" || true) skipped"
done
grep -E '^(ok|not ok)|^# host kernel' "$obj/async-pf-test.tap" >&2 || true
# async-pf-test once more as on a host kernel without
# KVM_FEATURE_ASYNC_PF_INT (before Linux 5.8), which QEMU and the test only
# see through KVM_GET_SUPPORTED_CPUID: tests/hide-asyncpf-int.c clears it
# there.  The apf1 types must then leave kvm-asyncpf-int out, silently.
if grep -q '^# host kernel: .*KVM_FEATURE_ASYNC_PF_INT yes' "$obj/async-pf-test.tap"; then
	cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -o "$obj/hide-asyncpf-int.so" \
		"$QDIR/tests/hide-asyncpf-int.c" -ldl || die "cannot build tests/hide-asyncpf-int.c"
	LD_PRELOAD=$obj/hide-asyncpf-int.so run_qtest "$obj" tests/qtest/async-pf-test \
		async-pf-test-no-int.tap -p /x86_64/async-pf/kvm/asyncpf-int ||
		die "async-pf-test failed as on a host without KVM_FEATURE_ASYNC_PF_INT"
	grep -q '^# host kernel: .*KVM_FEATURE_ASYNC_PF_INT no' "$obj/async-pf-test-no-int.tap" ||
		die "tests/hide-asyncpf-int.c did not hide KVM_FEATURE_ASYNC_PF_INT"
	step "async-pf-test as on a host without KVM_FEATURE_ASYNC_PF_INT: $(grep -c '^ok' "$obj/async-pf-test-no-int.tap") passed"
else
	log "async-pf-test's KVM cases did not run here, or the host lacks KVM_FEATURE_ASYNC_PF_INT itself: no second run"
fi

# --- functional tests: Python syntax ------------------------------------------
for f in $(series_files); do
	case $f in
	tests/functional/*.py)
		"$PYTHON" -m py_compile "$tree/$f" || die "$f: Python syntax error" ;;
	esac
done
step "functional tests compile"

if [ "$BASE_DEB_VERSION" = "$QEMU_DEB_VERSION" ]; then
	log "check passed in $(( $(now) - T0 ))s"
else
	log "check passed in $(( $(now) - T0 ))s, against $BASE_DEB_VERSION: NOT the pinned $QEMU_DEB_VERSION (gone from the archive); run make rebase"
fi
