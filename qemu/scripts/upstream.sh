#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make -C qemu upstream: what sending the series to qemu-devel needs, per
# posting of upstream/postings, in build/upstream/NAME/:
#  - the patches by `git format-patch --cover-letter`, numbered within the
#    posting, the cover letter's subject and text from upstream/NAME.cover;
#  - QEMU's scripts/checkpatch.pl on every patch (checkpatch.txt): any
#    error or warning fails;
#  - scripts/get_maintainer.pl on every patch (NNNN-*.cc: the Cc of that
#    patch; cover.cc: everyone, for the cover letter; to.txt: the lists);
#  - send-email.sh, the git send-email command that sends them (it is
#    written, never run: sending is a person's decision; it refuses to
#    run while a patch carries the project identity, which cannot sign
#    the DCO).
# Each posting is applied alone to a git tree of the pinned base, so a
# posting that needs a downstream patch fails here.  Nothing is sent and
# nothing outside build/upstream changes.
. "$(dirname "$0")/common.sh"

"$QDIR/scripts/source.sh" "${QEMU_BASE_MODE:-fallback}"
load_base
UP=$QDIR/upstream
out=$BUILD/upstream
git=$out/git
rm -rf "$out"
git_base_tree "$SRC_DIR" "$git"
log "git tree of Debian qemu $BASE_DEB_VERSION in ${git#"$QDIR"/}"

# patch_file NNNN: the patch of patches/ with that number.
patch_file() {
	local f
	f=$(series | grep "/$1-" || true)
	[ "$(echo "$f" | grep -c .)" = 1 ] || die "upstream/postings: no single patch $1 in patches/"
	echo "$f"
}

# Every patch in exactly one posting (or in "downstream").
listed=$(grep -v '^#' "$UP/postings" | awk '{ for (i = 2; i <= NF; i++) print $i }' | sort)
[ -z "$(echo "$listed" | uniq -d)" ] ||
	die "upstream/postings names a patch twice: $(echo "$listed" | uniq -d | tr '\n' ' ')"
have=$(series | sed 's|.*/\([0-9]*\)-.*|\1|' | sort)
[ "$listed" = "$have" ] ||
	die "upstream/postings does not list each patch once: $(comm -3 <(echo "$have") <(echo "$listed") | tr -d '\t' | tr '\n' ' ')"

# cover_field NAME FIELD: "Field: value" from the head of NAME.cover.
cover_field() {
	sed -n "/^\$/q; s/^$2: *//p" "$UP/$1.cover"
}

summary=$out/SUMMARY
: >"$summary"
while read -r name nums; do
	case $name in '' | '#'*) continue ;; downstream)
		echo "downstream (not sent): $nums" >>"$summary"
		continue ;;
	esac
	[ -f "$UP/$name.cover" ] || die "no upstream/$name.cover"
	prefix=$(cover_field "$name" Prefix)
	subject=$(cover_field "$name" Subject)
	if [ -z "$prefix" ] || [ -z "$subject" ]; then
		die "upstream/$name.cover: no Prefix: or Subject: line"
	fi
	git -C "$git" checkout -q -b "$name" apf-base
	for n in $nums; do
		git -C "$git" am -q --keep-cr "$(patch_file "$n")" || {
			git -C "$git" am --abort
			die "posting $name: patch $n does not apply to the base without the patches before it"
		}
	done
	dir=$out/$name
	git -C "$git" format-patch -q --cover-letter --thread=shallow --no-signature \
		--subject-prefix="$prefix" -o "$dir" apf-base.."$name"
	cover=$dir/0000-cover-letter.patch
	[ -f "$cover" ] || die "posting $name: git format-patch wrote no cover letter"
	body=$(sed '1,/^$/d' "$UP/$name.cover")
	SUBJECT=$subject BODY=$body perl -0pi -e \
		's/\*\*\* SUBJECT HERE \*\*\*/$ENV{SUBJECT}/; s/\*\*\* BLURB HERE \*\*\*/$ENV{BODY}/' "$cover"
	! grep -q '\*\*\* .* HERE \*\*\*' "$cover" || die "posting $name: cover letter placeholders left"
	patches=$(printf '%s\n' "$dir"/[0-9]*.patch | grep -vxF "$cover")

	# shellcheck disable=SC2086
	checkpatch_clean "$git" $patches 2>"$dir/checkpatch.txt" ||
		{ cat "$dir/checkpatch.txt" >&2; die "posting $name: checkpatch found problems"; }

	: >"$dir/cover.cc"
	: >"$dir/to.txt"
	for p in $patches; do
		gm() { (cd "$git" && perl scripts/get_maintainer.pl --no-git --no-git-fallback \
			--no-rolestats "$@" "$p"); }
		gm --m --r --no-l >"${p%.patch}.cc" || die "get_maintainer.pl failed on ${p##*/}"
		gm --no-m --no-r --l >>"$dir/to.txt" || die "get_maintainer.pl failed on ${p##*/}"
		cat "${p%.patch}.cc" >>"$dir/cover.cc"
	done
	sort -u -o "$dir/cover.cc" "$dir/cover.cc"
	sort -u -o "$dir/to.txt" "$dir/to.txt"
	grep -qx 'qemu-devel@nongnu.org' "$dir/to.txt" || echo qemu-devel@nongnu.org >>"$dir/to.txt"
	cp "$dir/cover.cc" "${cover%.patch}.cc"
	# git send-email runs --cc-cmd with the patch's path: its .cc file.
	cat >"$dir/cc-cmd" <<'EOF'
#!/bin/sh
exec cat "${1%.patch}.cc"
EOF
	chmod +x "$dir/cc-cmd"
	{
		echo '#!/bin/sh'
		echo "# Sends posting $name; add --dry-run first, and --annotate to edit."
		# shellcheck disable=SC2016  # for the generated script
		echo 'cd "$(dirname "$0")" || exit 1'
		# The project identity cannot sign a DCO: a person sends.
		# shellcheck disable=SC2016  # for the generated script
		echo 'if grep -l "apf-suite\.invalid" 0*.patch; then echo "send-email.sh: the patches above carry the project identity; replace From: and Signed-off-by: with your own first" >&2; exit 1; fi'
		printf 'exec git send-email --no-chain-reply-to --suppress-cc=self \\\n'
		while read -r to; do printf '\t--to=%s \\\n' "$to"; done <"$dir/to.txt"
		printf '\t--cc-cmd=./cc-cmd "$@" 0*.patch\n'
	} >"$dir/send-email.sh"
	chmod +x "$dir/send-email.sh"
	{
		echo "posting $name: [$prefix 0/$(echo "$patches" | wc -l)] $subject"
		for p in $patches; do echo "  ${p##*/} (Cc $(grep -c . "${p%.patch}.cc"))"; done
		echo "  To: $(tr '\n' ' ' <"$dir/to.txt")"
		echo "  checkpatch: clean; send: ${dir#"$QDIR"/}/send-email.sh (after replacing the project identity)"
	} >>"$summary"
	log "posting $name: $(echo "$patches" | wc -l) patches, checkpatch clean, $(grep -c . "$dir/cover.cc") Cc"
done <"$UP/postings"
cat "$summary" >&2
log "ready in ${out#"$QDIR"/} (nothing was sent)"
