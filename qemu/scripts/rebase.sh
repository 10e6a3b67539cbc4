#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make -C qemu rebase: follow Debian within the pinned lines, updating the
# pins in base.mk (and the carried firmware) only when everything checks:
#  - QEMU: the newest qemu source of the stable line (upstream
#    $QEMU_LINE.*; trixie, trixie-updates, trixie-security, chosen by
#    version, not by suite).  If newer than QEMU_DEB_VERSION: download,
#    fresh unpack, the series with fuzz 0 (stops naming the patch that
#    does not apply; pins unchanged), Debian's qemu-system-data of that
#    version downloadable; then QEMU_DEB_VERSION, QEMU_VERSION, and
#    APF_RELEASE back to 1.
#  - seabios: the newest in bookworm-backports.  If newer than the carried
#    one: fetched, its SHA256 checked against the Packages index, stored in
#    firmware/ (the old file removed), PROVENANCE and the pins rewritten.
# Prints old -> new for each pin, Debian's new changelog entries, and a
# summary of what changed in qemu/; then runs check.sh on the new pins
# (NO_CHECK=1 skips it).  Nothing newer: says so, exits 0.
# Honours APF_APT_SOURCES and APF_APT_PREFERENCES (common.sh).
. "$(dirname "$0")/common.sh"

T0=$(now)
R=$BUILD/rebase
rm -rf "$R"
mkdir -p "$R"
for s in trixie-src trixie bookworm-backports; do apt_update "$s" force; done
log "private apt lists updated (trixie, trixie-updates, trixie-security deb-src and deb; bookworm-backports)"

changes=()    # "PIN old -> new"
stuck=""      # why the QEMU pin cannot move, if it cannot

# --- QEMU ------------------------------------------------------------------------
old=$QEMU_DEB_VERSION
newer=$(line_versions | while read -r v; do
	if dpkg --compare-versions "$v" gt "$old"; then echo "$v"; fi
done)
# The newest one the archive really has (a listed version can 404).
# shellcheck disable=SC2086
new=$(first_downloadable $newer)
if [ -n "$new" ]; then
	log "QEMU base: $old -> $new: checking"
	set_base "$new"
	tree=$R/qemu
	unpack_to "$tree"    # the VERSION file says BASE_VERSION
	# The series with fuzz 0, in a subshell: apply_series dies on the
	# first patch that does not apply, and the pins must stay as they are.
	if ! (apply_series "$tree") 2>"$R/apply.log"; then
		cat "$R/apply.log" >&2
		die "rebase onto qemu $new stopped (pins unchanged): $(grep -o 'patches/[^ ]*' "$R/apply.log" | tail -1) does not apply.
  Fix: make -C qemu dev QEMU_BASE_MODE=newest; in build/dev/qemu, git am --show-current-patch,
  fix and commit the patch (or edit it and rerun git am); make -C qemu export; make -C qemu rebase."
	fi
	log "QEMU base: the series applies to $new with fuzz 0 ($(series | wc -l) patches)"
	apt_hidden qemu-system-data "$new" qemu && die "qemu-system-data $new is hidden by APF_APT_PREFERENCES"
	papt trixie apt-cache show "qemu-system-data=$new" >/dev/null 2>&1 ||
		die "qemu $new has no qemu-system-data $new in trixie (yet?): pins unchanged"
	debian_download trixie "qemu-system-data=$new"
	log "QEMU base: qemu-system-data $new downloaded"
	changes+=("QEMU_DEB_VERSION $old -> $new")
	[ "$BASE_VERSION" = "$QEMU_VERSION" ] || changes+=("QEMU_VERSION $QEMU_VERSION -> $BASE_VERSION")
	[ "$APF_RELEASE" = 1 ] || changes+=("APF_RELEASE $APF_RELEASE -> 1")
	# Debian's entries since the pinned version (the top of debian/changelog).
	awk -v old="($old)" '$1 == "qemu" && $2 == old { exit } { print }' \
		"$tree/debian/changelog" >"$R/changelog.new"
else
	[ -z "$newer" ] || stuck="qemu $(echo "$newer" | tr '\n' ' ')is listed, newer than $old, but cannot be downloaded."
	if ! listed "$old"; then
		stuck="${stuck:+$stuck  }The pinned $old is gone from the archive and no newer $QEMU_LINE.x can be downloaded: not rebasing (an older one would be a downgrade).  Release builds need $old from elsewhere (snapshot.debian.org through APF_APT_SOURCES)."
	fi
	log "QEMU base: nothing newer than $old to rebase onto (the archive lists: $(line_versions | tr '\n' ' '))"
fi

# --- seabios (carried) -------------------------------------------------------------
sold=$SEABIOS_DEB_VERSION
snew=$(papt bookworm-backports apt-cache show seabios 2>/dev/null | sed -n 's/^Version: //p' |
	while read -r v; do apt_hidden seabios "$v" || echo "$v"; done | sort_versions | sed -n 1p)
[ -n "$snew" ] || die "no seabios in bookworm-backports"
carried=$QDIR/firmware/seabios_${sold}_all.deb
if dpkg --compare-versions "$snew" gt "$sold" || [ ! -f "$carried" ]; then
	if [ -f "$carried" ]; then log "seabios: $sold -> $snew: fetching"
	else log "seabios: no carried ${carried#"$QDIR"/}: fetching $snew"; fi
	info=$(papt bookworm-backports apt-cache show "seabios=$snew")
	field() { echo "$info" | sed -n "s/^$1: //p" | head -1; }
	sha=$(field SHA256)
	rm -f "$DL/seabios_${snew}_all.deb"
	debian_download bookworm-backports "seabios=$snew"
	f=$DL/seabios_${snew}_all.deb
	[ "$(sha256sum "$f" | cut -d' ' -f1)" = "$sha" ] ||
		die "seabios $snew: SHA256 differs from bookworm-backports' Packages index"
	dpkg --compare-versions "$snew" gt 1.16.3-1~ || die "seabios $snew: older than qemu-system-x86 needs"
	mkdir -p "$QDIR/firmware"
	rm -f "$QDIR"/firmware/seabios_*_all.deb
	cp "$f" "$QDIR/firmware/"
	cat >"$QDIR/firmware/PROVENANCE" <<-EOF
		# Debian packages the suite carries because Debian's archive keeps only
		# the newest build (DESIGN.md "Bases").  Written by qemu/scripts/rebase.sh;
		# the pins (version, SHA256) are in qemu/base.mk; firmware-debs.sh checks
		# them and puts the file into build/packages, unmodified.

		File: seabios_${snew}_all.deb
		Package: seabios
		Version: $snew
		Suite: bookworm-backports main (Architecture: all, from binary-amd64/Packages)
		Archive: http://deb.debian.org/debian
		Filename: $(field Filename)
		Size: $(field Size)
		SHA256: $sha
		SHA256-Source: bookworm-backports InRelease (signed by Debian's archive key) -> Packages index
		Fetched: $(date -u +%Y-%m-%d)
		Why: qemu-system-x86 (10.0) depends on seabios (>> 1.16.3-1~); bookworm has
		 1.16.2-1 and apt takes a backports version only when asked, so a plain
		 bookworm host (no bookworm-backports) gets it from the suite's repository.
	EOF
	changes+=("SEABIOS_DEB_VERSION ${sold:-none} -> $snew" "SEABIOS_SHA256 ${SEABIOS_SHA256:-none} -> $sha")
else
	log "seabios: $sold is the newest in bookworm-backports"
fi

# --- the pins -----------------------------------------------------------------------
if [ ${#changes[@]} = 0 ]; then
	[ -z "$stuck" ] || die "$stuck"
	log "rebase: nothing newer (qemu $old, seabios $sold); nothing changed ($(( $(now) - T0 ))s)"
	exit 0
fi
setpin() { # setpin NAME VALUE: NAME := VALUE in base.mk, keeping the alignment
	grep -q "^$1 *:= " "$QDIR/base.mk" || die "base.mk has no $1"
	sed -i "s|^\($1 *:= *\).*|\1$2|" "$QDIR/base.mk"
}
for c in "${changes[@]}"; do
	# shellcheck disable=SC2086  # "NAME old -> new"
	set -- $c
	setpin "$1" "$4"
done
log "rebase: pins changed (qemu/base.mk):"
printf '  %s\n' "${changes[@]}" >&2
if [ -s "$R/changelog.new" ]; then
	log "Debian's changelog entries new since $old (top):"
	head -40 "$R/changelog.new" | sed 's/^/  | /' >&2
	[ "$(wc -l <"$R/changelog.new")" -le 40 ] || log "  ... ($(wc -l <"$R/changelog.new") lines: ${R#"$QDIR"/}/changelog.new)"
fi
if git -C "$QDIR" rev-parse --git-dir >/dev/null 2>&1; then
	log "changed (to commit: git add qemu/base.mk qemu/firmware):"
	git -C "$QDIR" status --short -- base.mk firmware | sed 's/^/  /' >&2
	git -C "$QDIR" diff --stat -- base.mk firmware >&2
fi
[ -z "$stuck" ] || log "WARNING: $stuck"

if [ "${NO_CHECK:-0}" != 1 ]; then
	log "checking the new pins: check.sh (exact base)"
	QEMU_BASE_MODE=exact "$QDIR/scripts/check.sh"
fi
log "rebase done in $(( $(now) - T0 ))s; next: make -C qemu deb (release packages)${stuck:+; the QEMU pin did not move}"
[ -z "$stuck" ] || exit 1
