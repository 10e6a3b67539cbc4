#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# build/dev/qemu: a git tree of the unpacked Debian source (one commit, the
# base) with patches/ applied on top by `git am`, one commit each.  Edit,
# commit (git commit --amend, git rebase -i), then `make export`.
# The notes that a patch has below its `---` line (what is not part of the
# commit message: test status, what the kernel still needs), which `git am`
# drops, become the commit's git note (refs/notes/commits, copied by
# --amend and rebase; edit with `git notes edit`), and export.sh puts them
# back below the `---` line.
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
# Notes move with their commit through git commit --amend and git rebase
git config notes.rewriteRef refs/notes/commits
notes=$BUILD/dev/notes.txt
for p in $(series); do
	git am -q --keep-cr "$p" || die "git am failed on ${p#"$QDIR"/}"
	patch_notes "$p" >"$notes"
	if [ -s "$notes" ]; then
		git notes add -F "$notes" HEAD
	fi
done
rm -f "$notes"
log "${dev#"$QDIR"/}: Debian qemu $BASE_DEB_VERSION tagged apf-base, $(series | wc -l) patches as commits ($(git notes list | wc -l) with notes below ---)"
