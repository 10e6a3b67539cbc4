#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the build dependencies of `make deb` on bookworm, as root: those
# of our source package (Debian's, reduced to the x86 build by
# debian-x86.py, which also drops the ones bookworm lacks), as
# dpkg-buildpackage checks them with the nocheck profile.  On bookworm
# meson >= 1.5 comes from bookworm-backports, and libudev-dev too where
# bookworm-backports' QEMU upgraded libudev1.
# Usage: deb-deps.sh UNPACKED_SOURCE_DIR
. "$(dirname "$0")/common.sh"

src=$1
missing=$(cd "$src" && dpkg-checkbuilddeps -P nocheck 2>&1 | sed -n 's/.*Unmet build dependencies: //p') || true
[ -n "$missing" ] || exit 0
pkgs=""
# dpkg-checkbuilddeps prints "pkg (>> ver) pkg:native ..."
for p in $(echo "$missing" | sed -E 's/\([^)]*\)//g; s/:native//g; s/\|//g'); do
	case $p in
	meson) p="$p/bookworm-backports" ;;
	libudev-dev)
		# must match the installed libudev1, which bookworm-backports'
		# QEMU may have upgraded
		case $(dpkg-query -W -f '${Version}' libudev1 2>/dev/null) in
		*bpo*) p="$p/bookworm-backports" ;;
		esac ;;
	esac
	case " $pkgs " in *" $p "*) ;; *) pkgs="$pkgs $p" ;; esac
done
[ -n "${pkgs# }" ] || exit 0
[ "$(id -u)" = 0 ] || die "missing build dependencies:$pkgs (run as root)"
log "installing build dependencies:$pkgs"
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	-o DPkg::Lock::Timeout=600 $pkgs >&2
