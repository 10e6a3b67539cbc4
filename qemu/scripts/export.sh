#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Write patches/ from build/dev/qemu: git format-patch apf-base..HEAD,
# without the commit ids (stable diffs when nothing changed).
. "$(dirname "$0")/common.sh"

dev=$BUILD/dev/qemu
git -C "$dev" rev-parse -q --verify apf-base >/dev/null || die "no ${dev#"$QDIR"/} (make dev)"
rm -f "$QDIR"/patches/[0-9]*.patch
git -C "$dev" format-patch -q --no-signature --zero-commit --abbrev=12 \
	-o "$QDIR/patches" apf-base..HEAD
log "exported $(series | wc -l) patches to patches/"
