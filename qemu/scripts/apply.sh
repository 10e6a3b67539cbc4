#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fresh copy of the unpacked Debian source (build/src/qemu, Debian's own
# patches applied) into build/tree/qemu, then our series on top.  The copy
# is hard-linked, so files the series does not touch keep their inode and
# mtime and an existing build directory (make build) rebuilds only what the
# series changed.
# The base: the pinned one, or the fallback (source.sh) when Debian has
# dropped it.  apply.sh --if-changed (make build) keeps a tree that is
# already this series on this base.
. "$(dirname "$0")/common.sh"

"$QDIR/scripts/source.sh" "${QEMU_BASE_MODE:-fallback}"
load_base
tree=$BUILD/tree/qemu
want=$( (echo "$BASE_DEB_VERSION"; series | xargs cat "$QDIR/base.mk") | sha256sum)
if [ "${1:-}" = --if-changed ] && [ -f "$tree/VERSION" ] && [ "$(cat "$BUILD/tree/.apf-series" 2>/dev/null)" = "$want" ]; then
	exit 0
fi
rm -rf "$tree" "$tree.tmp"
mkdir -p "$BUILD/tree"
cp -al "$SRC_DIR" "$tree.tmp"
# Give the files the series touches their own copy, so that patching them
# can never write through a hard link into build/src.
for f in $(series_files); do
	if [ -f "$tree.tmp/$f" ]; then
		cp -p "$tree.tmp/$f" "$tree.tmp/$f.unlink" && mv "$tree.tmp/$f.unlink" "$tree.tmp/$f"
	fi
done
apply_series "$tree.tmp"
mv "$tree.tmp" "$tree"
# The tree matches this series on this base (build.sh reads the base).
cp "$BUILD/src/base" "$BUILD/tree/base"
echo "$want" >"$BUILD/tree/.apf-series"
log "tree ready: ${tree#"$QDIR"/} (qemu $BASE_DEB_VERSION + $(series | wc -l) patches)"
