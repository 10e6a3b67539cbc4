#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Write patches/ from build/dev/qemu: git format-patch apf-base..HEAD,
# without the commit ids (stable diffs when nothing changed).  A commit's
# git note (dev.sh: the text a patch had below its `---` line) goes back
# below that line, as it was, so that dev and export keep it.
. "$(dirname "$0")/common.sh"

dev=$BUILD/dev/qemu
git -C "$dev" rev-parse -q --verify apf-base >/dev/null || die "no ${dev#"$QDIR"/} (make dev)"
rm -f "$QDIR"/patches/[0-9]*.patch
git -C "$dev" format-patch -q --no-signature --zero-commit --abbrev=12 \
	-o "$QDIR/patches" apf-base..HEAD
# format-patch writes the patches in the order of rev-list --reverse
mapfile -t commits < <(git -C "$dev" rev-list --reverse apf-base..HEAD)
mapfile -t patches < <(series)
[ "${#commits[@]}" = "${#patches[@]}" ] ||
	die "${#commits[@]} commits but ${#patches[@]} patches in patches/"
notes=$BUILD/dev/notes.txt
n=0
for i in "${!commits[@]}"; do
	git -C "$dev" notes show "${commits[$i]}" >"$notes" 2>/dev/null || continue
	[ -s "$notes" ] || continue
	awk -v notes="$notes" '
		done || $0 != "---" { print; next }
		{ print; while ((getline l < notes) > 0) print l; print ""; done = 1 }
	' "${patches[$i]}" >"${patches[$i]}.new"
	mv "${patches[$i]}.new" "${patches[$i]}"
	n=$((n + 1))
done
rm -f "$notes"
log "exported $(series | wc -l) patches to patches/ ($n with notes below ---)"
