#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# meta-deb.sh ROLE OUTDIR [REL]
# The meta package linux-image-apf-ROLE, version <KERNEL_VERSION>-apf<REL>,
# depending on exactly that build's image, linux-image-<KERNEL_VERSION>-
# apf<REL>-ROLE (= <KERNEL_VERSION>-apf<REL>): as Debian's linux-image-amd64
# follows the newest ABI, `apt-get upgrade` moves it to the newest suite
# build and installs that image next to the ones before, which stay until
# removed (apt's kernel autoremoval, /etc/apt/apt.conf.d/01autoremove-kernels,
# keeps the running and the newest).  REL defaults to APF_RELEASE of
# base.mk; pkg.sh runs this after bindeb-pkg.  Needs no kernel build.
. "$(dirname "$0")/common.sh"

role=${1:?usage: meta-deb.sh host|guest OUTDIR [REL]}
out=${2:?usage: meta-deb.sh host|guest OUTDIR [REL]}
rel=${3:-$APF_RELEASE}
case $role in host | guest) ;; *) echo "kernel: usage: meta-deb.sh host|guest OUTDIR [REL]" >&2; exit 2 ;; esac
case $rel in '' | *[!0-9]*) echo "kernel: usage: REL is the suite build number, not '$rel'" >&2; exit 2 ;; esac
command -v dpkg-deb >/dev/null || die "dpkg-deb missing (apt-get install dpkg)"
name=$(meta_package "$role")
ver=$(pkg_version "$rel")
image=$(image_package "$role" "$rel")
case $role in
host) what="KVM hosts" ;;
guest) what="KVM guests" ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/DEBIAN" "$work/usr/share/doc/$name"
cat >"$work/DEBIAN/control" <<CTL
Package: $name
Source: apf-suite-kernel
Version: $ver
Architecture: amd64
Maintainer: APF Suite Maintainers <maintainers@apf-suite.invalid>
Depends: $image (= $ver)
Section: kernel
Priority: optional
Description: APF Suite Linux kernel for $role (the newest build)
 Depends on the newest APF Suite kernel build for $what, now
 $image.
 Earlier builds keep their own package names and kernel releases, and
 install side by side.
CTL
cat >"$work/usr/share/doc/$name/copyright" <<CPY
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: APF Suite

Files: *
Copyright: APF Suite Maintainers
License: GPL-2.0-only
 On Debian systems, the full text is in /usr/share/common-licenses/GPL-2.
CPY
# Reproducible: the file times from base.mk's last commit.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$KDIR" log -1 --format=%ct -- base.mk 2>/dev/null || echo 0)}
find "$work" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
chmod -R u=rwX,go=rX "$work"
mkdir -p "$out"
dpkg-deb --root-owner-group -Zxz -b "$work" "$out/${name}_${ver}_amd64.deb" >/dev/null
log "meta package ${name}_${ver}_amd64.deb -> $image"
