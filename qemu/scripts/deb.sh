#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make -C qemu deb: Debian's own qemu packaging with our series appended to
# debian/patches/series (as Proxmox's pve-qemu carries its patches), version
# <Debian version>+apf<N>, built for x86 only:
#   qemu-system-x86 qemu-system-common qemu-system-gui qemu-system-modules-opengl
#   qemu-system-modules-spice qemu-block-extra qemu-utils
# plus Debian's arch-independent qemu-system-data of the same version (from
# trixie: building it needs a dozen cross compilers for firmware that x86
# does not use, and qemu-system-x86 needs qemu-system-data >> 10.0.13).
# Output: build/packages/ (the .debs, our source package, Debian's
# qemu-system-data and the carried seabios, indexed).
#
# The x86 reduction is part of the source package (debian-x86.py edits
# debian/ before dpkg-source -b), and the binaries are built from that
# source package only: dpkg-source -x of the .dsc into a fresh directory,
# then dpkg-buildpackage -b.  So anyone can rebuild the published .dsc to
# the same .debs (make repro-check does, in another directory).  Build
# options: DEB_BUILD_OPTIONS="nocheck parallel=JOBS" and the nocheck
# profile (the block test suite and its seabios/qemu-system-data build
# dependencies); neither changes the packages.  SOURCE_DATE_EPOCH comes
# from debian/changelog, whose new entry is dated by the newest patch.
#
# deb.sh [OUTDIR]: OUTDIR (default build/packages).
# QEMU_DEB_RESUME=1 (debugging only): rerun dpkg-buildpackage -nc in the
# build tree a failed run left behind (Debian's rules keep stamps).
. "$(dirname "$0")/common.sh"

T0=$(now)
step() { log "[$(( $(now) - T0 ))s] $*"; }
# base.mk's QEMU_DEB_PACKAGES (apf-host's apt pins name the same list).
KEEP=$QEMU_DEB_PACKAGES
[ -n "$KEEP" ] || die "no QEMU_DEB_PACKAGES in base.mk"
out=${1:-$BUILD/packages}

# Release packages: exactly the pinned base, never a fallback.
"$QDIR/scripts/source.sh" exact
load_base
# A concurrent fallback run may have unpacked another base since.
[ "$BASE_DEB_VERSION" = "$QEMU_DEB_VERSION" ] ||
	die "build/src holds $BASE_DEB_VERSION, base.mk pins $QEMU_DEB_VERSION: run make deb alone"
D=$BUILD/deb
S=$D/source
srcname=qemu-${QEMU_UPSTREAM_DS%+ds}
dsc=$S/qemu_${APF_DEB_VERSION#*:}.dsc
B=$D/build

# --- the source package -----------------------------------------------------------
if [ "${QEMU_DEB_RESUME:-0}" != 1 ]; then
	rm -rf "$S" "$B"
	mkdir -p "$S"
	src=$S/$srcname
	unpack_to "$src"
	step "unpacked Debian's qemu $QEMU_DEB_VERSION"

	# Our series, as Debian patches after Debian's own.
	mkdir -p "$src/debian/patches/apf"
	for p in $(series); do
		cp "$p" "$src/debian/patches/apf/"
		echo "apf/$(basename "$p")" >>"$src/debian/patches/series"
	done
	(cd "$src" && dpkg-source --before-build . >"$D/patches.log" 2>&1) ||
		{ cat "$D/patches.log" >&2; die "the series does not apply on Debian's tree"; }
	step "series applied as debian/patches/apf/ ($(series | wc -l) patches)"

	# x86 only, for bookworm, in debian/ itself.
	# shellcheck disable=SC2086
	"$PYTHON" "$QDIR/scripts/debian-x86.py" "$src" $KEEP
	step "debian/ reduced to x86: $(cd "$src" && dh_listpackages | tr '\n' ' ')"

	# Changelog entry.  Its date is the newest patch's, so the packages are
	# reproducible (SOURCE_DATE_EPOCH comes from debian/changelog).
	date=$(series | xargs sed -n 's/^Date: //p' | while read -r d; do date -d "$d" +%s; done | sort -n | tail -1)
	{
		echo "qemu ($APF_DEB_VERSION) bookworm; urgency=medium"
		echo
		echo "  * APF Suite $APF_RELEASE: Debian's $QEMU_DEB_VERSION, rebuilt for bookworm"
		echo "    with the APF Suite series (debian/patches/apf/):"
		for p in $(series); do
			echo "    - $(sed -n 's/^Subject: \(\[PATCH[^]]*\] \)\{0,1\}//p' "$p" | head -1)"
		done
		echo "  * Built for x86 only (qemu-system-x86 and the packages it uses);"
		echo "    qemu-system-data is Debian's.  No blkio (bookworm lacks it), no"
		echo "    brlapi (its library would come from bookworm-backports)."
		echo
		echo " -- APF Suite Maintainers <maintainers@apf-suite.invalid>  $(LC_ALL=C date -u -R -d "@$date")"
		echo
		cat "$src/debian/changelog"
	} >"$D/changelog.new"
	mv "$D/changelog.new" "$src/debian/changelog"
	[ "$(cd "$src" && dpkg-parsechangelog -S Version)" = "$APF_DEB_VERSION" ] || die "changelog version"

	# Source package: .dsc + debian.tar.xz (our patches and debian/ edits).
	ln -sf "$DL/qemu_${QEMU_UPSTREAM_DS}.orig.tar.xz" "$S/"
	(cd "$S" && dpkg-source -b "$srcname" >"$D/source.log" 2>&1) ||
		{ cat "$D/source.log" >&2; die "dpkg-source -b failed"; }
	[ -f "$dsc" ] || die "dpkg-source -b made no ${dsc##*/}"
	step "source package ${dsc#"$QDIR"/}"
fi

# --- binary packages, from the source package only ------------------------------
deb_build "$dsc" "$B"
step "built"

# --- qemu-system-data of the same version, from Debian ------------------------
data=qemu-system-data_${QEMU_DEB_NOEPOCH}_all.deb
[ -f "$DL/$data" ] || debian_download trixie "qemu-system-data=$QEMU_DEB_VERSION"
[ -f "$DL/$data" ] || die "apt-get download gave no $data"

# build/packages also holds the RPMs of `make rpm` and times.log.
rm -rf "$out/dbgsym" "$out"/*.deb "$out"/*.dsc "$out"/*.debian.tar.* "$out"/*.orig.tar.* "$out"/*.buildinfo "$out/Packages"
mkdir -p "$out/dbgsym"
cp "$B"/*-dbgsym_*.deb "$out/dbgsym/"
for f in "$B"/*.deb; do
	case $f in *-dbgsym_*) ;; *) cp "$f" "$out/" ;; esac
done
cp "$B"/*.buildinfo "$dsc" "$S"/*.debian.tar.* "$out/"
cp "$DL/$data" "$out/"
ln -sf "$DL/qemu_${QEMU_UPSTREAM_DS}.orig.tar.xz" "$out/"
# The seabios qemu-system-x86 needs (bookworm-backports'), carried in qemu/firmware.
"$QDIR/scripts/firmware-debs.sh" "$out"
(cd "$out" && dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null)

# The binary must say what it is.
x=$(ls "$out"/qemu-system-x86_"${APF_DEB_VERSION#*:}"_*.deb) || die "no qemu-system-x86 package"
rm -rf "$D/x" && dpkg-deb -x "$x" "$D/x"
ver=$("$D/x/usr/bin/qemu-system-x86_64" --version | head -1)
rm -rf "$D/x"
echo "$ver" | grep -qF "(Debian $APF_DEB_VERSION)" || die "$ver: no +apf$APF_RELEASE"
log "packages in ${out#"$QDIR"/}:"
(cd "$out" && ls -l ./*.deb | awk '{print "  " $5 "  " $9}') >&2
log "$ver"
(cd "$out" && sha256sum ./*.deb ./*.dsc ./*.debian.tar.* | sed 's| \./| |') >"$D/SHA256SUMS"
secs=$(( $(now) - T0 ))
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) deb qemu-system-x86_${APF_DEB_VERSION#*:} ${secs}s JOBS=$JOBS$([ "${QEMU_DEB_RESUME:-0}" = 1 ] && echo ' resume')" >>"$out/times.log"
log "deb done in ${secs}s"
