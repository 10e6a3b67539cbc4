#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Kernel packages from build/tree: pkg.sh deb|rpm host|guest
#  host:  Debian's amd64 config       + configs/host.config,  LOCALVERSION -apf<N>-host
#  guest: Debian's cloud-amd64 config + configs/guest.config, LOCALVERSION -apf<N>-guest
#  (Debian's configs as carried in configs/debian/, for the pinned base;
#  N is APF_RELEASE: `uname -r` 6.12.118-apf1-host, see common.sh)
# deb: make bindeb-pkg (linux-image-6.12.118-apf<N>-<role>, linux-headers-,
#      linux-libc-dev), package version <KERNEL_VERSION>-apf<N>, and the
#      meta package linux-image-apf-<role> (meta-deb.sh) depending on it.
# rpm: make binrpm-pkg (kernel, kernel-headers, kernel-devel; Provides
#      kernel-6.12.118-apf<N>-<role>), RPM release <N>.
# Release packages: exactly the pinned base, or an error.  deb and rpm of
# one role share the objects in build/pkg-<role>/obj (the rpm then takes
# minutes, not another hour) and take turns on them under a lock; each role
# has its own directory, so make -j2 builds host and guest side by side.
# Results in build/packages/, build times in build/packages/times.log.
. "$(dirname "$0")/common.sh"

kind=${1:-} role=${2:-} dry=${3:-}
[ -z "$dry" ] || [ "$dry" = --dry-run ] || die "usage: pkg.sh deb|rpm host|guest [--dry-run]"
case $role in
host) base=config.amd64_none_amd64 ;;
guest) base=config.amd64_none_cloud-amd64 ;;
*) die "role must be host or guest" ;;
esac
case $kind in
deb) command -v dpkg-buildpackage >/dev/null || die "dpkg-buildpackage missing (apt-get install dpkg-dev debhelper)" ;;
rpm) command -v rpmbuild >/dev/null || die "rpmbuild missing (apt-get install rpm)" ;;
*) die "kind must be deb or rpm" ;;
esac

krel=$(kernel_release "$role")
localver=${krel#"$KERNEL_VERSION"}
pkgver=$(pkg_version)
kflags=(LOCALVERSION="$localver" KBUILD_BUILD_VERSION="$APF_RELEASE"
	KBUILD_BUILD_USER=apf-suite KBUILD_BUILD_HOST=apf-suite.invalid)
# --dry-run: the names and the make command, nothing built or unpacked.
if [ -n "$dry" ]; then
	echo "uname -r: $krel"
	if [ "$kind" = deb ]; then
		echo "packages: $(image_package "$role")_${pkgver}_amd64.deb $(meta_package "$role")_${pkgver}_amd64.deb"
		echo "make ${kflags[*]} KDEB_PKGVERSION=$pkgver bindeb-pkg"
	else
		echo "packages: kernel-${krel//-/_}-$APF_RELEASE.x86_64.rpm (provides kernel-$krel)"
		echo "make ${kflags[*]} binrpm-pkg"
	fi
	exit 0
fi

"$KDIR/scripts/apply.sh" exact
[ "$(base_version)" = "$KERNEL_DEB_VERSION" ] || die "build/src is $(base_version), base.mk pins $KERNEL_DEB_VERSION"
check_debian_configs
tree=$BUILD/tree
frag=$KDIR/configs/$role.config
dir=$BUILD/pkg-$role
obj=$dir/obj
out=$BUILD/packages
take_lock "pkg-$role"
mkdir -p "$obj" "$out"
# The Maintainer field of the .debs (scripts/package/mkdebian).
export DEBFULLNAME="APF Suite Maintainers" DEBEMAIL=maintainers@apf-suite.invalid

# Reconfigure only when the base config, the fragment or the series changed.
key=$(cat "$tree/.apf-series" "$frag" "$DEBCFG/$base" | sha256sum)
if [ "$(cat "$obj/.apf-key" 2>/dev/null)" != "$key" ]; then
	cp "$DEBCFG/$base" "$obj/.config"
	merge_fragment "$obj" "$tree" "$frag"
	echo "$key" >"$obj/.apf-key"
fi

t0=$(now)
log "building $kind packages for $role ($base + ${frag#"$KDIR"/}), -j$JOBS; log in ${obj#"$KDIR"/}/$kind.log"
if [ "$kind" = deb ]; then
	rm -f "$dir"/*.deb "$dir"/*.buildinfo "$dir"/*.changes
	make -C "$tree" O="$obj" -j"$JOBS" "${kflags[@]}" KDEB_PKGVERSION="$pkgver" \
		bindeb-pkg >"$obj/deb.log" 2>&1 || { tail -40 "$obj/deb.log" >&2; die "bindeb-pkg failed"; }
	# bindeb-pkg writes next to the O= directory: this role's own $dir.
	mv "$dir"/*.deb "$out"/
	# .buildinfo/.changes are named linux-upstream_<version> for both roles.
	for f in "$dir"/*.buildinfo "$dir"/*.changes; do
		b=${f##*/}
		mv "$f" "$out/${b%.*}-$role.${b##*.}"
	done
	[ -e "$out/$(image_package "$role")_${pkgver}_amd64.deb" ] ||
		die "bindeb-pkg made no $(image_package "$role")_${pkgver}_amd64.deb (LOCALVERSION $localver)"
	"$KDIR/scripts/meta-deb.sh" "$role" "$out"
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
