#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make -C qemu test: run the tests of the series against build/x86_64
# (make build): QEMU's qom-test qtest (every x86_64 machine type, with the
# accelerator now in the QOM tree), the async-pf-test qtest (QMP
# query-async-pf/set-async-pf and HMP info async-pf, under qtest, TCG and,
# where /dev/kvm is usable, KVM), the functional test
# tests/functional/test_x86_64_kvm_async_pf.py (KVM parts are skipped where
# /dev/kvm is missing), and scripts/smoke.py, whose output is kept in
# build/test/smoke.txt.
. "$(dirname "$0")/common.sh"

T0=$(now)
step() { log "[$(( $(now) - T0 ))s] $*"; }
tree=$BUILD/tree/qemu
obj=$BUILD/x86_64
qemu=$obj/qemu-system-x86_64
[ -x "$qemu" ] || die "no $qemu; run make build"
out=$BUILD/test
rm -rf "$out"
mkdir -p "$out"

QTEST_QEMU_BINARY=$qemu "$obj/tests/qtest/qom-test" --tap -k >"$out/qom-test.tap" 2>&1 ||
	{ grep -v '^ok' "$out/qom-test.tap" | tail -20 >&2; die "qom-test failed"; }
step "qom-test: $(grep -c '^ok' "$out/qom-test.tap") passed"

# async-pf-test: its KVM cases are skipped where /dev/kvm is not usable;
# g_test_message lines (#) say what the host kernel has.
QTEST_QEMU_BINARY=$qemu "$obj/tests/qtest/async-pf-test" --tap -k >"$out/async-pf-test.tap" 2>&1 ||
	{ grep -v '^ok' "$out/async-pf-test.tap" | tail -20 >&2; die "async-pf-test failed"; }
step "async-pf-test: $(grep -c '^ok' "$out/async-pf-test.tap") passed ($(grep -c '^ok.*# SKIP' "$out/async-pf-test.tap") of them skipped)"
grep -E '^(ok|not ok)|^# host kernel' "$out/async-pf-test.tap" >&2

export PYTHONPATH=$tree/python:$tree/tests/functional
(cd "$out" && QEMU_TEST_QEMU_BINARY=$qemu QEMU_BUILD_ROOT=$obj \
	"$obj/pyvenv/bin/python3" "$tree/tests/functional/test_x86_64_kvm_async_pf.py" \
	>functional.tap 2>functional.log) ||
	{ cat "$out/functional.tap" "$out/functional.log" >&2; die "functional test failed"; }
step "functional test: $(grep -c '^ok' "$out/functional.tap") passed, $(grep -c '# SKIP' "$out/functional.tap") skipped"
grep -E '^(ok|not ok)' "$out/functional.tap" >&2

if [ -w /dev/kvm ]; then
	"$obj/pyvenv/bin/python3" "$QDIR/scripts/smoke.py" "$qemu" >"$out/smoke.txt" 2>&1 ||
		{ cat "$out/smoke.txt" >&2; die "smoke test failed"; }
	cat "$out/smoke.txt" >&2
	step "smoke test ok (${out#"$QDIR"/}/smoke.txt)"
else
	log "no /dev/kvm: smoke test skipped"
fi
log "test passed in $(( $(now) - T0 ))s"
