#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fresh copy of the unpacked Debian source (build/src/qemu, Debian's own
# patches applied) into build/tree/qemu, then our series on top.  The copy
# is hard-linked, so files the series does not touch keep their inode and
# mtime and an existing build directory (make build) rebuilds only what the
# series changed.
. "$(dirname "$0")/common.sh"

"$QDIR/scripts/source.sh"
tree=$BUILD/tree/qemu
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
# Stamp for make: the tree matches this series on this base.
series | xargs cat "$QDIR/base.mk" | sha256sum >"$BUILD/tree/.apf-series"
log "tree ready: ${tree#"$QDIR"/} ($(series | wc -l) patches)"
