#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# names.sh [ROLE [REL]]
# What the kernel packages of a suite build are called, without building
# one (a dry run of pkg.sh's naming; `make -C kernel names`): per role,
# the `uname -r`, LOCALVERSION, the .deb image package and version, the
# meta package, and the capability the kernel RPM provides.  REL defaults
# to APF_RELEASE of base.mk.
. "$(dirname "$0")/common.sh"

rel=${2:-$APF_RELEASE}
case $rel in '' | *[!0-9]*) echo "kernel: usage: names.sh [host|guest [REL]]" >&2; exit 2 ;; esac
roles=${1:-host guest}
for role in $roles; do
	case $role in host | guest) ;; *) echo "kernel: usage: names.sh [host|guest [REL]]" >&2; exit 2 ;; esac
	krel=$(kernel_release "$role" "$rel")
	echo "$role.uname_r=$krel"
	echo "$role.localversion=${krel#"$KERNEL_VERSION"}"
	echo "$role.deb_image=$(image_package "$role" "$rel")"
	echo "$role.deb_version=$(pkg_version "$rel")"
	echo "$role.deb_meta=$(meta_package "$role")"
	echo "$role.rpm_provides=kernel-$krel"
done
