#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# rebase.sh: move the kernel base to the newest linux-source-6.12 in the
# archive (bookworm-security).  Refreshes the apt lists (as root), applies
# the whole series to a fresh unpack of the newest base with fuzz 0 (pins
# unchanged if a patch does not apply), regenerates configs/debian/ from the
# same version's linux-config-6.12, rewrites base.mk (the one place the
# kernel base is pinned) and prints what changed: versions, Debian's
# changelog entries since the old base, config changes.
. "$(dirname "$0")/common.sh"

apt_refresh
old=$KERNEL_DEB_VERSION
new=$(apt_versions "$SRC_PKG" | head -1)
[ -n "$new" ] || die "apt offers no $SRC_PKG (bookworm-security in the apt sources?)"
if [ "$new" = "$old" ]; then
	log "base $SRC_PKG $old is the newest in the archive: nothing to rebase"
	check_debian_configs
	exit 0
fi
if dpkg --compare-versions "$new" lt "$old"; then
	log "pinned $old is newer than anything apt offers (newest: $new): nothing to rebase"
	exit 0
fi
apt_has "$CFG_PKG" "$new" ||
	die "$CFG_PKG $new is not in the archive yet (offered: $(apt_versions "$CFG_PKG" | tr '\n' ' ')); try again later"
log "rebasing $old -> $new"

# The series on a fresh unpack of the new base, with fuzz 0.
R=$BUILD/rebase
rm -rf "$R"
mkdir -p "$R"
tar -C "$R" -xf "$(source_tarball "$new")"
got=$(make -s --no-print-directory -C "$R/$SRC_PKG" kernelversion)
[ "$got" = "$(upstream_of "$new")" ] || die "$SRC_PKG $new unpacks to Linux $got"
apply_series "$R/$SRC_PKG" || die "the series does not apply to $new: pins unchanged"
log "the series applies to $new with fuzz 0 ($(series | wc -l) patches)"
# diffconfig comes from the new tree.
SRC_DIR=$R/$SRC_PKG "$KDIR/scripts/debian-configs.sh" "$new"
rm -rf "$R"

sed -i -e "s/^KERNEL_DEB_VERSION *:= .*/KERNEL_DEB_VERSION := $new/" \
	-e "s/^KERNEL_VERSION *:= .*/KERNEL_VERSION     := $(upstream_of "$new")/" \
	-e "s/^APF_RELEASE *:= .*/APF_RELEASE        := 1/" "$KDIR/base.mk"
log "base.mk: KERNEL_DEB_VERSION $old -> $new, KERNEL_VERSION $(upstream_of "$old") -> $(upstream_of "$new"), APF_RELEASE 1"

# What Debian changed since the old base: the changelog entries above it.
cl=$DL/changelog-$new.gz
if [ -s "$cl" ]; then
	log "Debian's changelog since $old (first 40 lines):"
	# awk stops by itself (no head): a closed pipe would fail the rebase
	# under pipefail after the pins were written.
	zcat "$cl" | awk -v old="linux-6.12 ($old)" 'index($0, old) == 1 { exit }
		NF && n++ < 40 { print "    " $0 }' >&2 || true
fi
log "next: make kernel-check, then commit kernel/base.mk kernel/configs/debian/"
