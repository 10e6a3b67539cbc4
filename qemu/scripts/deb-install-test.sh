#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make -C qemu deb-install-test: install build/packages into a throwaway
# Debian 12 root (debootstrap minbase, cached as a tarball in build/dl):
# plain bookworm (bookworm, bookworm-updates, bookworm-security; NO
# bookworm-backports, the case the carried seabios is for) plus
# build/packages as a local apt repository, then `apt-get install
# qemu-system-x86=<pinned>+apf<N>`: apt must find qemu-system-data and
# seabios (>> 1.16.3-1~) there.  Then run the installed qemu-system-x86_64:
# version string, /machine/accel, "info async-pf" and query-async-pf under
# TCG.
# Needs root.  The package tier of tests/ does the full install test.
. "$(dirname "$0")/common.sh"

T0=$(now)
step() { log "[$(( $(now) - T0 ))s] $*"; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot)"
pk=$BUILD/packages
# Release test: exactly what base.mk pins.
x86=$pk/qemu-system-x86_${APF_DEB_VERSION#*:}_amd64.deb
[ -f "$x86" ] || die "no ${x86#"$QDIR"/} (base.mk pins $APF_DEB_VERSION): run make deb"
if [ ! -f "$pk/seabios_${SEABIOS_DEB_VERSION}_all.deb" ] || [ ! -f "$pk/Packages" ]; then
	die "${pk#"$QDIR"/} has no seabios $SEABIOS_DEB_VERSION or no Packages index: run make deb"
fi
root=$BUILD/deb-root
tgz=$BUILD/dl/bookworm-minbase.tgz
cleanup() {
	for m in proc dev/pts dev; do umount "$root/$m" 2>/dev/null || true; done
}
trap cleanup EXIT
cleanup
rm -rf "$root"
if [ ! -f "$tgz" ]; then
	debootstrap --variant=minbase --make-tarball="$tgz" bookworm "$root.dl" \
		http://deb.debian.org/debian >"$BUILD/debootstrap.log" 2>&1 ||
		{ tail -20 "$BUILD/debootstrap.log" >&2; die "debootstrap --make-tarball failed"; }
	rm -rf "$root.dl"
fi
debootstrap --variant=minbase --unpack-tarball="$tgz" bookworm "$root" \
	http://deb.debian.org/debian >"$BUILD/debootstrap.log" 2>&1 ||
	{ tail -20 "$BUILD/debootstrap.log" >&2; die "debootstrap failed"; }
step "fresh bookworm minbase root"

cat >"$root/etc/apt/sources.list" <<'SRC'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
deb [trusted=yes] file:/srv/apf ./
SRC
mkdir -p "$root/srv/apf"
cp "$pk"/*.deb "$pk/Packages" "$root/srv/apf/"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
in_root() { chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }
in_root apt-get update -q >"$BUILD/deb-root-apt.log" 2>&1 ||
	{ tail -20 "$BUILD/deb-root-apt.log" >&2; die "apt-get update failed"; }
# No bookworm-backports: seabios (>> 1.16.3-1~) can only come from the
# carried one in our repository, qemu-system-data from Debian's copy there.
if ! in_root apt-get install -y -q --no-install-recommends "qemu-system-x86=$APF_DEB_VERSION" \
	>>"$BUILD/deb-root-apt.log" 2>&1; then
	tail -30 "$BUILD/deb-root-apt.log" >&2
	die "apt-get install qemu-system-x86=$APF_DEB_VERSION failed (plain bookworm + build/packages)"
fi
step "apt-get install qemu-system-x86=$APF_DEB_VERSION (plain bookworm + build/packages): ok"
# shellcheck disable=SC2016  # dpkg-query's format
in_root dpkg-query -W -f '${Package} ${Version}\n' qemu-system-x86 qemu-system-common qemu-system-data seabios ipxe-qemu >&2
# shellcheck disable=SC2016
[ "$(in_root dpkg-query -W -f '${Version}' seabios)" = "$SEABIOS_DEB_VERSION" ] ||
	die "seabios installed is not the carried $SEABIOS_DEB_VERSION"

ver=$(in_root qemu-system-x86_64 --version | head -1)
echo "$ver" | grep -qF "+apf$APF_RELEASE" || die "installed: $ver"
out=$(printf '%s\n' '{"execute":"qmp_capabilities"}' \
	'{"execute":"qom-get","arguments":{"path":"/machine/accel","property":"type"}}' \
	'{"execute":"human-monitor-command","arguments":{"command-line":"info async-pf"}}' \
	'{"execute":"query-async-pf"}' \
	'{"execute":"quit"}' |
	in_root timeout 60 qemu-system-x86_64 -machine q35 -accel tcg -S -nodefaults \
		-display none -qmp stdio 2>&1)
echo "$out" | grep -q '"return": "tcg-accel"' || { echo "$out" >&2; die "no /machine/accel"; }
echo "$out" | grep -q 'Asynchronous page faults are a KVM feature' || { echo "$out" >&2; die "no info async-pf"; }
# query-async-pf (0010) exists and says why it cannot answer under TCG.
echo "$out" | grep -q '"class": "GenericError", "desc": "[^"]*this VM uses the tcg accelerator' ||
	{ echo "$out" >&2; die "no query-async-pf"; }
log "installed $ver: /machine/accel, info async-pf and query-async-pf work"
log "deb install test passed in $(( $(now) - T0 ))s"
