#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# rebase.sh: move the kernel base to the newest linux-source-6.12 in the
# archive (bookworm-security).  Refreshes the apt lists (as root), applies
# the whole series to a fresh unpack of the newest base with fuzz 0 (pins
# unchanged if a patch does not apply), regenerates configs/debian/ from the
# same version's linux-config-6.12, rewrites base.mk (the one place the
# kernel base is pinned), runs the check on the new pins and prints what
# changed: versions, Debian's changelog entries since the old base, config
# changes.  All or nothing: on any failure (or ^C) base.mk and
# configs/debian/ are restored.  NO_CHECK=1 skips the check.
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
	apt_has "$SRC_PKG" "$old" &&
		die "apt offers $old and older only; nothing to rebase"
	die "pinned $old is not offered and the newest offered is older ($new): apt lists older than the pin (run apt-get update), or the pin is gone with nothing newer"
fi
apt_has "$CFG_PKG" "$new" ||
	die "$CFG_PKG $new is not in the archive yet (offered: $(apt_versions "$CFG_PKG" | tr '\n' ' ')); try again later"
log "rebasing $old -> $new"

# All or nothing: the pins as they were come back unless we get to the end.
R=$BUILD/rebase
BAK=$BUILD/rebase-pins
rm -rf "$R" "$BAK"
mkdir -p "$R" "$BAK"
cp -a "$KDIR/base.mk" "$DEBCFG" "$BAK/"
done_ok=0
restore() {
	if [ $done_ok = 0 ]; then
		cp -a "$BAK/base.mk" "$KDIR/base.mk"
		rm -rf "$DEBCFG" && cp -a "$BAK/debian" "$DEBCFG"
		echo "kernel: rebase stopped: base.mk and configs/debian/ restored ($old)" >&2
	fi
	rm -rf "$R" "$BAK"
}
trap restore EXIT
trap 'exit 130' INT TERM

# The series on a fresh unpack of the new base, with fuzz 0.
tar -C "$R" -xf "$(source_tarball "$new")"
got=$(make -s --no-print-directory -C "$R/$SRC_PKG" kernelversion)
[ "$got" = "$(upstream_of "$new")" ] || die "$SRC_PKG $new unpacks to Linux $got"
(apply_series "$R/$SRC_PKG") || die "the series does not apply to $new: pins unchanged"
log "the series applies to $new with fuzz 0 ($(series | wc -l) patches)"
DIFFCONFIG_TREE=$R/$SRC_PKG "$KDIR/scripts/debian-configs.sh" "$new"
rm -rf "$R"

sed -i -e "s/^KERNEL_DEB_VERSION *:= .*/KERNEL_DEB_VERSION := $new/" \
	-e "s/^KERNEL_VERSION *:= .*/KERNEL_VERSION     := $(upstream_of "$new")/" \
	-e "s/^APF_RELEASE *:= .*/APF_RELEASE        := 1/" "$KDIR/base.mk"
if [ "${NO_CHECK:-0}" != 1 ]; then
	log "checking the new pins (make check; NO_CHECK=1 skips)"
	"$KDIR/scripts/check.sh" || die "make check fails on $new: pins unchanged"
fi
done_ok=1
log "base.mk: KERNEL_DEB_VERSION $old -> $new, KERNEL_VERSION $(upstream_of "$old") -> $(upstream_of "$new"), APF_RELEASE 1"

# What Debian changed since the old base: the changelog entries above it.
cl=$DL/changelog-$new.gz
if [ -s "$cl" ]; then
	log "Debian's changelog since $old (first 40 lines):"
	# awk stops by itself (no head): a closed pipe would fail the rebase
	# under pipefail.
	zcat "$cl" | awk -v old="linux-6.12 ($old)" 'index($0, old) == 1 { exit }
		NF && n++ < 40 { print "    " $0 }' >&2 || true
fi
log "next: commit kernel/base.mk kernel/configs/debian/"
