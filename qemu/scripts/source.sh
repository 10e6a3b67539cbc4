#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Download the pinned Debian `qemu` source package from trixie's deb-src
# (adding that apt source if missing) and unpack it into build/src/qemu
# (cached: done once per pinned version).
. "$(dirname "$0")/common.sh"

dsc=$DL/qemu_${QEMU_DEB_NOEPOCH}.dsc
if [ ! -f "$dsc" ]; then
	list=/etc/apt/sources.list.d/apf-trixie-src.sources
	if [ ! -f "$list" ] || ! apt-cache showsrc "qemu=$QEMU_DEB_VERSION" 2>/dev/null | grep -q '^Package:'; then
		[ "$(id -u)" = 0 ] || die "need the trixie deb-src entry for qemu $QEMU_DEB_VERSION; run as root"
		if [ ! -f "$list" ]; then
			log "adding $list (deb-src only: no trixie binaries)"
			cat >"$list" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie trixie-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: trixie-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
		fi
		apt-get update -q
	fi
	mkdir -p "$DL"
	log "downloading qemu $QEMU_DEB_VERSION source"
	(cd "$DL" && apt-get source -q --download-only "qemu=$QEMU_DEB_VERSION") ||
		die "qemu $QEMU_DEB_VERSION is not in the apt sources; rebase and bump base.mk"
fi

stamp=$BUILD/src/.unpacked
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$QEMU_DEB_VERSION" ] && [ -f "$SRC_DIR/VERSION" ]; then
	exit 0
fi
log "unpacking into ${SRC_DIR#"$QDIR"/}"
unpack_to "$SRC_DIR"
echo "$QEMU_DEB_VERSION" >"$stamp"
