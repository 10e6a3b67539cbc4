#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# pkg-check.sh [host|guest]...
# The kernel packages of build/packages install for real:
#  .deb: into a fresh Debian 12 root (packaging's cached debootstrap) that
#        has initramfs-tools (as every installed system), through apt so dependencies resolve; the kernel,
#        its config, modules, modules.dep and an initramfs must be there;
#        then apt-get purge must take them away again.
#  .rpm: `rpm -qip`, then `rpm -i --root EMPTY --nodeps --noscripts`
#        (layout only: an empty root has no shell for the scriptlets).
# Writes what it saw (dpkg -I, rpm -qip, sizes) to build/pkg-check/<flavour>.txt.
. "$(dirname "$0")/common.sh"

PKGSCRIPTS=$KDIR/../packaging/scripts
OUT=$BUILD/pkg-check
[ "$(id -u)" = 0 ] || die "needs root (chroot, rpm --root)"
command -v rpm >/dev/null || die "rpm missing (apt-get install rpm)"
mkdir -p "$OUT"

fail() { echo "kernel: pkg-check: FAIL: $*" >&2; exit 1; }
must_exist() { [ -e "$1" ] || fail "$2: ${1#"$3"} missing"; }

check_deb() {
	local flavour=$1 ver=$2 report=$3 image=$4 root=$OUT/$1-root headers t0
	headers=$(deb_of linux-headers "$ver")
	{ echo "## dpkg -I $(basename "$image")"; dpkg -I "$image"; echo; } >>"$report"
	t0=$(now)
	"$PKGSCRIPTS"/bookworm-root "$root"
	mkdir -p "$root/tmp/pkgs"
	cp "$image" ${headers:+"$headers"} "$root/tmp/pkgs/"
	APF_APT_CACHE=$KDIR/../packaging/build/cache/apt-archives \
		"$PKGSCRIPTS"/in-root "$root" sh -c 'apt-get install -y -q --no-install-recommends \
		initramfs-tools && apt-get install -y -q --no-install-recommends /tmp/pkgs/*.deb' \
		>"$OUT/$flavour-apt.log" 2>&1 ||
		{ tail -30 "$OUT/$flavour-apt.log" >&2; fail "apt-get install of $(basename "$image") failed"; }
	for f in /boot/vmlinuz-$ver /boot/config-$ver /boot/System.map-$ver /boot/initrd.img-$ver \
		/lib/modules/$ver/modules.dep /lib/modules/$ver/kernel; do
		must_exist "$root$f" "after install" "$root"
	done
	[ -n "$headers" ] && must_exist "$root/usr/src/linux-headers-$ver/Makefile" "after install" "$root"
	{
		echo "## installed in a fresh bookworm root (initramfs-tools, then apt-get install ./*.deb)"
		"$PKGSCRIPTS"/in-root "$root" dpkg-query -W -f='${Package} ${Version} ${Installed-Size} KiB\n' \
			"linux-image-$ver" "linux-headers-$ver" 2>/dev/null || true
		echo "modules: $(find "$root/lib/modules/$ver" -name '*.ko*' | wc -l)," \
			"initrd: $(stat -c %s "$root/boot/initrd.img-$ver") bytes"
	} >>"$report"
	"$PKGSCRIPTS"/in-root "$root" sh -c "apt-get purge -y -q linux-image-$ver ${headers:+linux-headers-$ver}" \
		>>"$OUT/$flavour-apt.log" 2>&1 || fail "apt-get purge linux-image-$ver failed"
	for f in /boot/vmlinuz-$ver /boot/initrd.img-$ver /lib/modules/$ver/kernel; do
		[ ! -e "$root$f" ] || fail "after purge: $f still there"
	done
	echo "purged: vmlinuz, initrd and modules gone ($(( $(now) - t0 ))s in all)" >>"$report"
	rm -rf "$root"
}

check_rpm() {
	local flavour=$1 ver=$2 report=$3 rpmf=$4 root=$OUT/$1-rpmroot name
	name=$(rpm -qp --qf '%{NAME}' "$rpmf" 2>/dev/null)
	{ echo; echo "## rpm -qip $(basename "$rpmf")"; rpm -qip "$rpmf" 2>/dev/null; } >>"$report"
	rm -rf "$root"
	mkdir -p "$root"
	rpm -i --root "$root" --nodeps --noscripts "$rpmf" >"$OUT/$flavour-rpm.log" 2>&1 ||
		{ cat "$OUT/$flavour-rpm.log" >&2; fail "rpm -i --root of $(basename "$rpmf") failed"; }
	rpm --root "$root" -q "$name" >/dev/null ||
		fail "rpm -q in the root does not know the package"
	must_exist "$root/lib/modules/$ver/kernel" "rpm layout" "$root"
	# binrpm-pkg ships the image in /lib/modules/$ver; %post copies it to /boot.
	must_exist "$root/lib/modules/$ver/vmlinuz" "rpm layout" "$root"
	echo "rpm -i --root: $(rpm --root "$root" -ql "$name" | wc -l) files," \
		"$(find "$root/lib/modules/$ver" -name '*.ko*' | wc -l) modules" >>"$report"
	rm -rf "$root"
}

# The newest package file, empty when not built: deb_of NAME VERSION
# (linux-image, linux-headers), rpm_of VERSION (the kernel RPM).
deb_of() { ls "$BUILD/packages/$1-$2"_*.deb 2>/dev/null | tail -1; }
rpm_of() { ls "$BUILD"/packages/kernel-"${1//-/_}"-*.x86_64.rpm 2>/dev/null | tail -1; }

flavours=("$@")
[ $# -gt 0 ] || flavours=(host guest)
checked=0
for flavour in "${flavours[@]}"; do
	case $flavour in host|guest) ;; *) die "unknown flavour '$flavour' (host or guest)" ;; esac
	ver=$(kernel_release "$flavour")
	report=$OUT/$flavour.txt
	: >"$report"
	for kind in deb rpm; do
		case $kind in
		deb) file=$(deb_of linux-image "$ver") ;;
		rpm) file=$(rpm_of "$ver") ;;
		esac
		if [ -z "$file" ]; then
			log "pkg-check: $flavour: no $kind package yet (make -C kernel $kind-$flavour)"
			continue
		fi
		# Not under `if`: errexit must stay on inside.
		"check_$kind" "$flavour" "$ver" "$report" "$file"
		log "pkg-check: $flavour $kind: ok"
		checked=$((checked + 1))
	done
	log "pkg-check: $flavour: report in ${report#"$KDIR"/}"
done
[ "$checked" -gt 0 ] || die "no kernel packages in build/packages: make -C kernel deb rpm"
