#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Kernel packages from build/tree: pkg.sh deb|rpm host|guest
#  host:  Debian's amd64 config       + configs/host.config,  LOCALVERSION -apf-host
#  guest: Debian's cloud-amd64 config + configs/guest.config, LOCALVERSION -apf-guest
# deb: make bindeb-pkg (linux-image-, linux-headers-, linux-libc-dev), package
#      version <KERNEL_VERSION>-apf<APF_RELEASE>.
# rpm: make binrpm-pkg (kernel, kernel-headers, kernel-devel), RPM release
#      <APF_RELEASE>.
# Both share build/pkg-<role>, so whichever runs second is incremental.
# Results in build/packages/, build times in build/packages/times.log.
. "$(dirname "$0")/common.sh"

kind=$1 role=$2
case $role in
host) base=config.amd64_none_amd64.xz ;;
guest) base=config.amd64_none_cloud-amd64.xz ;;
*) die "role must be host or guest" ;;
esac
case $kind in
deb) command -v dpkg-buildpackage >/dev/null || die "dpkg-buildpackage missing (apt-get install dpkg-dev debhelper)" ;;
rpm) command -v rpmbuild >/dev/null || die "rpmbuild missing (apt-get install rpm)" ;;
*) die "kind must be deb or rpm" ;;
esac

"$KDIR/scripts/source.sh"
tree=$BUILD/tree
[ -f "$tree/.apf-series" ] || die "no patched tree; run make apply"
frag=$KDIR/configs/$role.config
obj=$BUILD/pkg-$role
out=$BUILD/packages
mkdir -p "$obj" "$out"
localver=-apf-$role
pkgver=$KERNEL_VERSION-apf$APF_RELEASE
kflags=(LOCALVERSION="$localver" KBUILD_BUILD_VERSION="$APF_RELEASE"
	KBUILD_BUILD_USER=apf-suite KBUILD_BUILD_HOST=apf-suite.invalid)
# The Maintainer field of the .debs (scripts/package/mkdebian).
export DEBFULLNAME="APF Suite Maintainers" DEBEMAIL=maintainers@apf-suite.invalid

# Reconfigure only when the base config, the fragment or the series changed.
key=$(cat "$tree/.apf-series" "$frag" "/usr/src/$CFG_PKG/$base" | sha256sum)
if [ "$(cat "$obj/.apf-key" 2>/dev/null)" != "$key" ]; then
	xz -dc "/usr/src/$CFG_PKG/$base" >"$obj/.config"
	merge_fragment "$obj" "$tree" "$frag"
	echo "$key" >"$obj/.apf-key"
fi

t0=$(now)
log "building $kind packages for $role ($base + ${frag#"$KDIR"/}), -j$JOBS; log in ${obj#"$KDIR"/}/$kind.log"
if [ "$kind" = deb ]; then
	rm -f "$BUILD"/*.deb "$BUILD"/*.buildinfo "$BUILD"/*.changes
	make -C "$tree" O="$obj" -j"$JOBS" "${kflags[@]}" KDEB_PKGVERSION="$pkgver" \
		bindeb-pkg >"$obj/deb.log" 2>&1 || { tail -40 "$obj/deb.log" >&2; die "bindeb-pkg failed"; }
	# bindeb-pkg writes next to the O= directory.
	mv "$BUILD"/*.deb "$BUILD"/*.buildinfo "$BUILD"/*.changes "$out"/
else
	rm -rf "$obj/rpmbuild/RPMS"
	# The RPM release is the build number that scripts/build-version
	# increments; start it so that it comes out as APF_RELEASE.
	echo $((APF_RELEASE - 1)) >"$obj/.version"
	make -C "$tree" O="$obj" -j"$JOBS" "${kflags[@]}" \
		binrpm-pkg >"$obj/rpm.log" 2>&1 || { tail -40 "$obj/rpm.log" >&2; die "binrpm-pkg failed"; }
	find "$obj/rpmbuild/RPMS" -name '*.rpm' -exec mv {} "$out"/ \;
fi
t=$(( $(now) - t0 ))
echo "$(date -u +%FT%TZ) $kind-$role ${t}s -j$JOBS $(nproc) cpus" >>"$out/times.log"
log "$kind packages for $role in ${t}s:"
ls -l "$out"/*apf?"$role"* >&2 || true
