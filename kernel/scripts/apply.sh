#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# apply.sh [--force] [exact|newest]
# Fresh copy of the pristine source (build/src) into build/tree, then the
# host and guest series on top.  build/tree is what lab/deb/rpm build from
# (always with O=, so the tree itself stays clean).  Kept as it is when
# the base and the diffs did not change; --force redoes it.  The mode is
# source.sh's: release packages take exactly the pinned base (exact, the
# default), the lab the newest one when the pinned base has left the
# archive (newest).
. "$(dirname "$0")/common.sh"

force=0
[ "${1:-}" != --force ] || { force=1; shift; }
mode=${1:-exact}
# One apply at a time: kernel-deb and kernel-rpm, run by make -j2, both
# come here first.
take_lock tree
"$KDIR/scripts/source.sh" "$mode"
tree=$BUILD/tree
key=$(series_key)
# Same base and same diffs: keep the tree (builds may be running in it).
if [ $force = 0 ] && [ "$(cat "$tree/.apf-series" 2>/dev/null)" = "$key" ]; then
	log "tree up to date: ${tree#"$KDIR"/} ($(base_version))"
	exit 0
fi
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
echo "$key" >"$tree/.apf-series"
log "tree ready: ${tree#"$KDIR"/} ($(series | wc -l) patches on $(base_version))"
