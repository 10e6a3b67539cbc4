#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# build/dev/qemu: a git tree of the unpacked Debian source (one commit, the
# base) with patches/ applied on top by `git am`, one commit each.  Edit,
# commit (git commit --amend, git rebase -i), then `make export`.
# The base: the pinned one (or the fallback when Debian dropped it);
# QEMU_BASE_MODE=newest: the newest of the stable line, to fix the series
# where `make rebase` stopped.
. "$(dirname "$0")/common.sh"

"$QDIR/scripts/source.sh" "${QEMU_BASE_MODE:-fallback}"
load_base
dev=$BUILD/dev/qemu
[ ! -e "$dev" ] || die "${dev#"$QDIR"/} exists; export or remove it first"
git_base_tree "$SRC_DIR" "$dev"
cd "$dev" || exit 1
for p in $(series); do
	git am -q --keep-cr "$p" || die "git am failed on ${p#"$QDIR"/}"
done
log "${dev#"$QDIR"/}: Debian qemu $BASE_DEB_VERSION tagged apf-base, $(series | wc -l) patches as commits"
