#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Install the pinned linux-source-6.12 (+ linux-config-6.12) with apt and
# unpack it into build/src (cached: done once per pinned version).
. "$(dirname "$0")/common.sh"

installed() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }

if [ "$(installed $SRC_PKG)" != "$KERNEL_DEB_VERSION" ] ||
   [ "$(installed $CFG_PKG)" != "$KERNEL_DEB_VERSION" ] || [ ! -f "$SRC_TAR" ]; then
	[ "$(id -u)" = 0 ] || die "need $SRC_PKG=$KERNEL_DEB_VERSION installed; run as root (apt-get)"
	log "installing $SRC_PKG $CFG_PKG $KERNEL_DEB_VERSION"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-cache show "$SRC_PKG=$KERNEL_DEB_VERSION" >/dev/null 2>&1; then
		apt-get update -q
	fi
	apt-cache show "$SRC_PKG=$KERNEL_DEB_VERSION" >/dev/null 2>&1 ||
		die "$SRC_PKG $KERNEL_DEB_VERSION is not in the apt sources (bookworm-security); rebase and bump base.mk"
	apt-get install -y -q --no-install-recommends --allow-downgrades \
		"$SRC_PKG=$KERNEL_DEB_VERSION" "$CFG_PKG=$KERNEL_DEB_VERSION"
fi

stamp=$BUILD/src/.unpacked
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$KERNEL_DEB_VERSION" ] && [ -f "$SRC_DIR/Makefile" ]; then
	exit 0
fi
log "unpacking $SRC_TAR into ${BUILD#"$KDIR"/}/src"
rm -rf "$BUILD/src"
mkdir -p "$BUILD/src"
tar -C "$BUILD/src" -xf "$SRC_TAR"
ver=$(make -s --no-print-directory -C "$SRC_DIR" kernelversion)
[ "$ver" = "$KERNEL_VERSION" ] || die "$SRC_TAR is $ver, base.mk says $KERNEL_VERSION"
echo "$KERNEL_DEB_VERSION" >"$stamp"
