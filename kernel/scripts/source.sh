#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# source.sh [exact|newest]: Debian's linux-source-6.12 at the pinned
# version, downloaded with apt (not installed) and unpacked into build/src
# (cached: done once per version).  "newest" (make check, the lab) falls
# back, with a warning, to the newest 6.12 in the archive when the pinned
# one is gone; "exact" (the default, release packages) fails instead.
. "$(dirname "$0")/common.sh"

mode=${1:-exact}
case $mode in exact | newest) ;; *) die "source.sh: mode must be exact or newest" ;; esac

unpack() {
	local ver stamp=$BUILD/src/.unpacked tar got
	ver=$(choose_base "$mode")
	if [ "$(cat "$stamp" 2>/dev/null)" = "$ver" ] && [ -f "$SRC_DIR/Makefile" ]; then
		return 0
	fi
	tar=$(source_tarball "$ver")
	log "unpacking $SRC_PKG $ver into ${BUILD#"$KDIR"/}/src"
	rm -rf "$BUILD/src"
	mkdir -p "$BUILD/src"
	tar -C "$BUILD/src" -xf "$tar"
	got=$(make -s --no-print-directory -C "$SRC_DIR" kernelversion)
	[ "$got" = "$(upstream_of "$ver")" ] || die "$SRC_PKG $ver unpacks to Linux $got"
	echo "$ver" >"$stamp"
}
# Concurrent makes (kernel-deb beside kernel-rpm) unpack once.
take_lock source
unpack
