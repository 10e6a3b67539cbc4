#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# firmware-debs.sh: Debian's seabios from bookworm-backports into
# build/packages, beside our QEMU packages.  qemu-system-x86 10.0 needs
# seabios (>> 1.16.3-1~); bookworm has 1.16.2 and apt never takes a
# backports version on its own (NotAutomatic), so the suite's repository
# carries the backports package unmodified and `apt-get install apf-host`
# resolves on a plain bookworm host.
. "$(dirname "$0")/common.sh"

out=$BUILD/packages
D=$BUILD/firmware-dl
mkdir -p "$D/lists/partial" "$D/cache/archives/partial" "$BUILD/dl" "$out"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main" \
	>"$D/sources.list"
aptopts=(-o "Dir::Etc::SourceList=$D/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$D/lists" -o "Dir::Cache=$D/cache" -o APT::Architectures::=amd64
	-o Debug::NoLocking=1)
if ! ls "$BUILD"/dl/seabios_*_all.deb >/dev/null 2>&1; then
	apt-get -q "${aptopts[@]}" update >"$D/apt.log" 2>&1 &&
		(cd "$BUILD/dl" && apt-get -q "${aptopts[@]}" download seabios/bookworm-backports >>"$D/apt.log" 2>&1) ||
		{ cat "$D/apt.log" >&2; die "cannot download seabios from bookworm-backports"; }
fi
deb=$(ls "$BUILD"/dl/seabios_*_all.deb | tail -1)
dpkg --compare-versions "$(dpkg-deb -f "$deb" Version)" gt 1.16.3-1~ ||
	die "$(basename "$deb") is older than qemu-system-x86 needs (>> 1.16.3-1~)"
cp "$deb" "$out/"
(cd "$out" && dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null)
log "firmware: $(basename "$deb") in ${out#"$QDIR"/}"
