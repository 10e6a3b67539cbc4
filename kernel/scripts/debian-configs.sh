#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# debian-configs.sh [VERSION]
# Regenerate configs/debian/ (the Debian configs the packages start from)
# from linux-config-6.12 VERSION (default: the pinned base) and show what
# changed.  linux-config-6.12 is arch-specific: bookworm-security keeps only
# its newest build, so the configs live in the repository and this is how
# they are refreshed and checked (make -C kernel configs; make rebase).
. "$(dirname "$0")/common.sh"

ver=${1:-$KERNEL_DEB_VERSION}
apt_has "$CFG_PKG" "$ver" ||
	die "$CFG_PKG $ver is not in the archive (offered: $(apt_versions "$CFG_PKG" | tr '\n' ' ')); configs/debian/ stays as it is"
deb=$(fetch_deb "$CFG_PKG" "$ver")
# The archive's own checksum of the .deb, for the provenance.
# shellcheck disable=SC2046
sum=$(apt-cache $(apt_opts) show "$CFG_PKG=$ver" | sed -n 's/^SHA256: //p' | head -1)
[ "$(sha256sum <"$deb" | cut -d' ' -f1)" = "$sum" ] || die "${deb##*/} does not match the archive's SHA256"
# shellcheck disable=SC2046
path=$(apt-cache $(apt_opts) show "$CFG_PKG=$ver" | sed -n 's/^Filename: //p' | head -1)
x=$BUILD/debian-configs
rm -rf "$x"
mkdir -p "$x" "$DEBCFG"
dpkg-deb -x "$deb" "$x"
{
	echo "# Debian's kernel configs for the APF Suite kernel packages (pkg.sh),"
	echo "# unpacked (xz -d) from this package; regenerate: make -C kernel configs"
	echo "Package: $CFG_PKG"
	echo "Version: $ver"
	echo "Archive: http://deb.debian.org/debian-security bookworm-security/main"
	echo "Filename: $path"
	echo "SHA256 .deb: $sum"
	echo "Fetched: $(date -u +%F)"
} >"$x/PROVENANCE"
changed=0
for f in $DEBCFG_FILES; do
	xz -dc "$x/usr/src/$CFG_PKG/$f.xz" >"$x/$f"
	echo "SHA256 $f: $(sha256sum <"$x/$f" | cut -d' ' -f1)" >>"$x/PROVENANCE"
	if [ -f "$DEBCFG/$f" ] && cmp -s "$DEBCFG/$f" "$x/$f"; then
		log "configs/debian/$f: unchanged"
		continue
	fi
	changed=1
	if [ -f "$DEBCFG/$f" ]; then
		log "configs/debian/$f: changed (scripts/diffconfig, old -> new):"
		# diffconfig ships in the kernel tree; any unpacked one will do.
		/usr/bin/python3 "$DIFFCONFIG_TREE/scripts/diffconfig" "$DEBCFG/$f" "$x/$f" 2>/dev/null | sed 's/^/    /' >&2 ||
			diff "$DEBCFG/$f" "$x/$f" | grep '^[<>] CONFIG' | sed 's/^/    /' >&2 || true
	else
		log "configs/debian/$f: new"
	fi
	cp "$x/$f" "$DEBCFG/$f"
done
# The Fetched date alone does not make a change.
if [ $changed = 1 ] || ! diff -q <(grep -v '^Fetched:' "$DEBCFG/PROVENANCE" 2>/dev/null) \
	<(grep -v '^Fetched:' "$x/PROVENANCE") >/dev/null; then
	cp "$x/PROVENANCE" "$DEBCFG/PROVENANCE"
fi
rm -rf "$x"
check_debian_configs "$ver"
log "configs/debian/ is $CFG_PKG $ver"
