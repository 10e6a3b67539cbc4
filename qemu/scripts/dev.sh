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
mkdir -p "$BUILD/dev"
cp -a "$SRC_DIR" "$dev"
rm -rf "$dev/.pc"
cd "$dev" || exit 1
git init -q
git config user.name "APF Suite Maintainers"
git config user.email maintainers@apf-suite.invalid
git add -A >/dev/null
git commit -q -m "Debian qemu $BASE_DEB_VERSION"
git tag apf-base
for p in $(series); do
	git am -q --keep-cr "$p" || die "git am failed on ${p#"$QDIR"/}"
done
log "${dev#"$QDIR"/}: Debian qemu $BASE_DEB_VERSION tagged apf-base, $(series | wc -l) patches as commits"
