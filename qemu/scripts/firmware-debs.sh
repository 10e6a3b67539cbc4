#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# firmware-debs.sh [OUTDIR]: the carried seabios .deb (qemu/firmware/, pinned
# in base.mk by version and SHA256, provenance in qemu/firmware/PROVENANCE)
# into OUTDIR (default build/packages), beside our QEMU packages; deb.sh
# calls it, then indexes OUTDIR.  No network: the file is in the repository.
#
# Why carried: qemu-system-x86 10.0 needs seabios (>> 1.16.3-1~); bookworm
# has 1.16.2, only bookworm-backports has a newer one, and apt never takes
# a backports version on its own (NotAutomatic).  So the suite's
# repository carries Debian's backports package unmodified and `apt-get
# install apf-host` resolves on a plain bookworm host.  Debian's archive
# keeps only the newest backport, so the file lives here, not in build/dl;
# make rebase replaces it when bookworm-backports has a newer one.
. "$(dirname "$0")/common.sh"

out=${1:-$BUILD/packages}
deb=$QDIR/firmware/seabios_${SEABIOS_DEB_VERSION}_all.deb
[ -f "$deb" ] || die "no ${deb#"$QDIR"/} (base.mk pins seabios $SEABIOS_DEB_VERSION); make rebase fetches it"
sum=$(sha256sum "$deb" | cut -d' ' -f1)
[ "$sum" = "$SEABIOS_SHA256" ] || die "${deb#"$QDIR"/}: SHA256 $sum, base.mk pins $SEABIOS_SHA256"
[ "$(dpkg-deb -f "$deb" Package Version | tr '\n' ' ')" = "Package: seabios Version: $SEABIOS_DEB_VERSION " ] ||
	die "${deb#"$QDIR"/} is not seabios $SEABIOS_DEB_VERSION"
dpkg --compare-versions "$SEABIOS_DEB_VERSION" gt 1.16.3-1~ ||
	die "seabios $SEABIOS_DEB_VERSION is older than qemu-system-x86 needs (>> 1.16.3-1~)"
mkdir -p "$out"
cp "$deb" "$out/"
log "firmware: ${deb##*/} (SHA256 ok) in ${out#"$QDIR"/}"
