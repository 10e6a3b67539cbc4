#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Fresh copy of the pristine source (build/src) into build/tree, then the
# host and guest series on top.  build/tree is what lab/deb/rpm build from
# (always with O=, so the tree itself stays clean).
. "$(dirname "$0")/common.sh"

"$KDIR/scripts/source.sh"
tree=$BUILD/tree
rm -rf "$tree" "$tree.tmp"
# Hard-linked copy (fast); the files the series touches get their own copy
# first so that patching them cannot change the pristine tree.
cp -al "$SRC_DIR" "$tree.tmp"
for f in $(series_files); do
	if [ -f "$tree.tmp/$f" ]; then
		cp -p "$tree.tmp/$f" "$tree.tmp/$f.unlink" && mv "$tree.tmp/$f.unlink" "$tree.tmp/$f"
	fi
done
apply_series "$tree.tmp"
mv "$tree.tmp" "$tree"
# Stamp: the pinned base and the content of every file the series touches,
# so that rewording a commit message does not force kernel rebuilds.
{ echo "$KERNEL_DEB_VERSION"; (cd "$tree" && series_files | xargs cat); } | sha256sum >"$tree/.apf-series"
log "tree ready: ${tree#"$KDIR"/} ($(series | wc -l) patches)"
