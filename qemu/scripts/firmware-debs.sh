#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# firmware-debs.sh: Debian's seabios from bookworm-backports into
# build/packages, beside our QEMU packages (deb.sh calls it, then indexes
# build/packages).  qemu-system-x86 10.0 needs seabios (>> 1.16.3-1~);
# bookworm has 1.16.2 and apt never takes a backports version on its own
# (NotAutomatic), so the suite's repository carries the backports package
# unmodified and `apt-get install apf-host` resolves on a plain bookworm host.
. "$(dirname "$0")/common.sh"

ls "$DL"/seabios_*_all.deb >/dev/null 2>&1 || debian_download bookworm-backports seabios/bookworm-backports
deb=$(ls "$DL"/seabios_*_all.deb | tail -1)
dpkg --compare-versions "$(dpkg-deb -f "$deb" Version)" gt 1.16.3-1~ ||
	die "$(basename "$deb") is older than qemu-system-x86 needs (>> 1.16.3-1~)"
mkdir -p "$BUILD/packages"
cp "$deb" "$BUILD/packages/"
log "firmware: $(basename "$deb") in ${BUILD#"$QDIR"/}/packages"
