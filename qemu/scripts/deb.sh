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
# Output: build/packages/ (the .debs and our source package .dsc).
#
# Debian's rules build every system target; the reduction uses only knobs
# its rules already have: the build profiles pkg.qemu.omit-user and
# pkg.qemu.omit-system-xen, make variables system-packages=x86 (the
# qemu-system-* package list, from debian/control.mk) and qemu-builds
# (the builds: no qemu-user, no Xen), QEMU_CONFIGURE_OPTIONS
# (i386 and x86_64 targets; no blkio, which bookworm lacks; no brlapi, the
# braille chardev, whose library in bookworm-backports would make
# qemu-system-common depend on it), and DH_OPTIONS (-N for the packages we
# do not build).
. "$(dirname "$0")/common.sh"

T0=$(now)
step() { log "[$(( $(now) - T0 ))s] $*"; }
KEEP="qemu-system-x86 qemu-system-common qemu-system-gui qemu-system-modules-opengl
	qemu-system-modules-spice qemu-block-extra qemu-utils"

export DEB_BUILD_PROFILES="pkg.qemu.omit-user pkg.qemu.omit-system-xen"
export DEB_BUILD_OPTIONS="nocheck parallel=$JOBS"
vars=(system-packages=x86 enable-system=y "qemu-builds=qemu microvm man html"
	"QEMU_CONFIGURE_OPTIONS=--target-list=i386-softmmu,x86_64-softmmu --disable-blkio --disable-brlapi")

"$QDIR/scripts/source.sh"
D=$BUILD/deb
src=$D/qemu-${QEMU_UPSTREAM_DS%+ds}
# The unpacked tree is kept while the series and the base stay the same, so
# that a failure late in the packaging resumes where it stopped (Debian's
# rules keep stamps: b/qemu/configured, b/qemu/built, ...).  A change of
# the build options above starts afresh.
stamp=$( (series | xargs cat "$QDIR/base.mk"; echo "${vars[*]} $DEB_BUILD_PROFILES $KEEP") | sha256sum)
if [ -f "$D/.apf-stamp" ] && [ "$(cat "$D/.apf-stamp")" = "$stamp" ] && [ -f "$src/debian/rules" ]; then
	log "reusing ${src#"$QDIR"/} (same series and base)"
else
	rm -rf "$D"
	mkdir -p "$D"
	unpack_to "$src"
	step "unpacked Debian's qemu $QEMU_DEB_VERSION"

	# --- our series, as Debian patches -------------------------------------------
	mkdir -p "$src/debian/patches/apf"
	for p in $(series); do
		cp "$p" "$src/debian/patches/apf/"
		echo "apf/$(basename "$p")" >>"$src/debian/patches/series"
	done
	(cd "$src" && dpkg-source --before-build . >"$D/patches.log" 2>&1) ||
		{ cat "$D/patches.log" >&2; die "the series does not apply on Debian's tree"; }
	step "series applied as debian/patches/apf/ ($(series | wc -l) patches)"

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
		echo "  * Built for x86 only (qemu-system-x86 and the packages it uses)."
		echo
		echo " -- APF Suite Maintainers <maintainers@apf-suite.invalid>  $(LC_ALL=C date -u -R -d "@$date")"
		echo
		cat "$src/debian/changelog"
	} >"$D/changelog.new"
	mv "$D/changelog.new" "$src/debian/changelog"
	[ "$(cd "$src" && dpkg-parsechangelog -S Version)" = "$APF_DEB_VERSION" ] || die "changelog version"

	# Source package (.dsc + debian.tar.xz with our patches), for rebuilds.
	ln -sf "$DL/qemu_${QEMU_UPSTREAM_DS}.orig.tar.xz" "$D/"
	(cd "$D" && dpkg-source -b "$(basename "$src")" >"$D/source.log" 2>&1) ||
		{ cat "$D/source.log" >&2; die "dpkg-source -b failed"; }
	step "source package $(cd "$D" && ls ./*.dsc)"
	echo "$stamp" >"$D/.apf-stamp"
fi

# --- binary packages ------------------------------------------------------------
"$QDIR/scripts/deb-deps.sh" "$src"
# --disable-brlapi: no braille chardev module to install.
sed -i '/chardev-baum\.so/d' "$src/debian/qemu-system-common.install"
all=$(cd "$src" && dh_listpackages -a)
skip=""
for p in $all; do
	case " $(echo $KEEP) " in *" $p "*) ;; *) skip="$skip -N$p" ;; esac
done
export DH_OPTIONS="${skip# }"
log "building: $(cd "$src" && dh_listpackages -a | tr '\n' ' ')"
(cd "$src" && debian/rules build-arch "${vars[@]}" >"$D/build.log" 2>&1) ||
	{ tail -60 "$D/build.log" >&2; die "build failed (log: ${D#"$QDIR"/}/build.log)"; }
step "built"
(cd "$src" && fakeroot debian/rules binary-arch "${vars[@]}" >"$D/binary.log" 2>&1) ||
	{ tail -60 "$D/binary.log" >&2; die "binary-arch failed (log: ${D#"$QDIR"/}/binary.log)"; }
step "packaged"

# --- qemu-system-data of the same version, from Debian ------------------------
data=qemu-system-data_${QEMU_DEB_NOEPOCH}_all.deb
[ -f "$DL/$data" ] || debian_download trixie "qemu-system-data=$QEMU_DEB_VERSION"
[ -f "$DL/$data" ] || die "apt-get download gave no $data"
cp "$DL/$data" "$D/"

out=$BUILD/packages
# build/packages also holds the RPMs of `make rpm` and times.log.
rm -rf "$out/dbgsym" "$out"/*.deb "$out"/*.dsc "$out"/*.debian.tar.* "$out"/*.orig.tar.* "$out/Packages"
mkdir -p "$out/dbgsym"
mv "$D"/*-dbgsym_*.deb "$out/dbgsym/"
mv "$D"/*.deb "$out/"
cp "$D"/*.dsc "$D"/*.debian.tar.* "$out/"
ln -sf "$DL/qemu_${QEMU_UPSTREAM_DS}.orig.tar.xz" "$out/"
# The seabios qemu-system-x86 needs, from bookworm-backports.
"$(dirname "$0")"/firmware-debs.sh
(cd "$out" && dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null)

# The binary must say what it is.
x=$(ls "$out"/qemu-system-x86_"${APF_DEB_VERSION#*:}"_*.deb) || die "no qemu-system-x86 package"
rm -rf "$D/x" && dpkg-deb -x "$x" "$D/x"
ver=$("$D/x/usr/bin/qemu-system-x86_64" --version | head -1)
echo "$ver" | grep -qF "(Debian $APF_DEB_VERSION)" || die "$ver: no +apf$APF_RELEASE"
log "packages in ${out#"$QDIR"/}:"
(cd "$out" && ls -l ./*.deb | awk '{print "  " $5 "  " $9}') >&2
log "$ver"
log "deb done in $(( $(now) - T0 ))s"
