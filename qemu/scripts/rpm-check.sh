#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# rpm-check.sh [RPM]: check the qemu-system-x86-apf RPM that rpm.sh built
# (default: the one in build/packages): its header, file list and
# dependencies, then install it into an empty root (rpm -i --root --nodeps)
# and run the installed emulator there (with this machine's shared
# libraries, the ones it was built against): --version shows +apf<N>,
# the kvm accelerator is built in, the kvm-accel type has the series'
# async-pf property (QMP), and HMP `info async-pf` answers.  None of
# this needs /dev/kvm or firmware (machine "none", TCG).
# Prints what it checked; fails on the first mismatch.
. "$(dirname "$0")/common.sh"

found=("$BUILD"/packages/qemu-system-x86-apf-[0-9]*.x86_64.rpm)
rpmf=${1:-${found[0]}}
[ -f "$rpmf" ] || die "no qemu-system-x86-apf RPM in ${BUILD#"$QDIR"/}/packages: run make rpm"
T0=$(now)
fail() { die "rpm-check: $*"; }
q() { rpm -qp "$@" "$rpmf" 2>/dev/null; }

# --- header -------------------------------------------------------------------
log "rpm -qip ${rpmf##*/}:"
rpm -qip "$rpmf" 2>/dev/null | sed 's/^/  /' >&2
[ "$(q --qf '%{NAME}')" = qemu-system-x86-apf ] || fail "name is $(q --qf '%{NAME}')"
[ "$(q --qf '%{VERSION}')" = "$QEMU_VERSION" ] || fail "version $(q --qf '%{VERSION}') is not base.mk's $QEMU_VERSION"
case $(q --qf '%{RELEASE}') in "$APF_RELEASE.apf"*) ;; *) fail "release $(q --qf '%{RELEASE}') is not $APF_RELEASE.apf*" ;; esac
evr=$(q --qf '%{EPOCH}:%{VERSION}-%{RELEASE}')
if [ "${NO_SIGN:-0}" != 1 ] && [ "$(q --qf '%{RSAHEADER:pgpsig}')" = "(none)" ]; then
	fail "not signed (rpm.sh signs it; NO_SIGN=1 skips this)"
fi

# --- files --------------------------------------------------------------------
files=$(q -l)
log "rpm -qlp: $(echo "$files" | wc -l) files"
for f in /usr/bin/qemu-system-x86_64 /usr/bin/qemu-kvm /usr/libexec/qemu-bridge-helper \
	/etc/qemu/bridge.conf /usr/share/qemu/trace-events-all /usr/share/qemu/keymaps/en-us \
	/usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/kvmvapic.bin /usr/share/qemu/pvh.bin \
	/usr/share/qemu/multiboot_dma.bin; do
	echo "$files" | grep -qx "$f" || fail "$f is not in the package"
done
# The tools stay with the distribution's packages; no bundled firmware.
for f in /usr/bin/qemu-img /usr/bin/qemu-ga /usr/share/qemu/bios-256k.bin; do
	if echo "$files" | grep -qx "$f"; then fail "$f must not be in the package"; fi
done
q --dump | awk '$1 == "/usr/libexec/qemu-bridge-helper" && $5 != "0104755" { exit 1 }' ||
	fail "qemu-bridge-helper is not setuid root (4755)"

# --- dependencies ---------------------------------------------------------------
prov=$(q --provides)
log "rpm -qp --provides: $(echo "$prov" | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
for p in qemu-system-x86 qemu-system-x86-core qemu-kvm; do
	echo "$prov" | grep -qx "$p = $evr" || fail "does not provide $p = $evr"
done
req=$(q --requires)
for r in seabios-bin seavgabios-bin ipxe-roms-qemu; do
	echo "$req" | grep -qx "$r" || fail "does not require $r"
done
echo "$req" | grep -q 'ShortCircuited' && log "note: built with QEMU_RPM_RESUME=1 (rpmlib(ShortCircuited)): not for release"
# apf-host's requirement (packaging/rpm/apf-suite.spec), also with
# Fedora's epoch (which the version alone cannot rule out: any epoch-2
# qemu-system-x86, 9.x included, satisfies ">= $QEMU_VERSION").
for d in "qemu-system-x86 >= 2:$QEMU_VERSION" "qemu-system-x86-apf >= 2:$QEMU_VERSION"; do
	"$QDIR/scripts/rpm-satisfies.py" "$rpmf" "$d" || fail "does not satisfy '$d'"
done
q --recommends | grep -qx edk2-ovmf || fail "does not recommend edk2-ovmf"
q --obsoletes | grep -qx "qemu-system-x86 < $evr" || fail "does not obsolete qemu-system-x86 < $evr"
q --conflicts | grep -qx qemu-common || fail "does not conflict with qemu-common"

# --- install into an empty root and run it --------------------------------------
root=$BUILD/rpm/check-root
rm -rf "$root"
mkdir -p "$root"
# (Debian's rpm warns that alien is the way to install RPMs on Debian.)
rpm -i --root "$root" --nodeps "$rpmf" 2>&1 | grep -v 'Alien\|assuming you know' >&2
[ "${PIPESTATUS[0]}" = 0 ] || fail "rpm -i --root failed"
rpm -V --nodeps --root "$root" qemu-system-x86-apf || fail "rpm -V after installation"
qemu=$root/usr/bin/qemu-system-x86_64
ver=$("$qemu" --version | head -1)
echo "$ver" | grep -qF "+apf$APF_RELEASE" || fail "$ver: no +apf$APF_RELEASE"
log "installed: $ver"
"$qemu" -accel help | grep -qx kvm || fail "-accel help does not list kvm"
run=(timeout 120 "$qemu" -machine none -accel tcg -nodefaults -display none)
qmp=$(printf '%s\n' '{"execute":"qmp_capabilities"}' \
	'{"execute":"qom-list-properties","arguments":{"typename":"kvm-accel"}}' \
	'{"execute":"quit"}' | "${run[@]}" -qmp stdio) || fail "QMP session failed"
echo "$qmp" | grep -qF '"name": "async-pf"' || fail "kvm-accel has no async-pf property (QMP qom-list-properties)"
log "kvm-accel has async-pf: $(echo "$qmp" | grep -oE '\{"name": "async-pf"[^}]*\}')"
hmp=$(printf 'info async-pf\nquit\n' | "${run[@]}" -monitor stdio | tr -d '\r') || fail "HMP session failed"
echo "$hmp" | grep -q 'Asynchronous page faults are a KVM feature' || fail "HMP info async-pf: no answer"
log "HMP info async-pf (TCG): $(echo "$hmp" | grep 'Asynchronous page faults')"
log "rpm-check: ok ($(( $(now) - T0 ))s)"
