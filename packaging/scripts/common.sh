# SPDX-License-Identifier: GPL-2.0-only
# Shared by the packaging scripts.
# shellcheck shell=bash
set -euo pipefail

PKGDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The tree these scripts package: the repository they sit in, or another
# copy named by APF_TREE (the upgrade test builds a bumped copy).
TREE=${APF_TREE:-$(cd "$PKGDIR/.." && pwd)}
BUILD=${APF_PKG_BUILD:-$PKGDIR/build}
# Debian's python3 and tools first (a pyenv python3 may come first on PATH).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export LC_ALL=C.UTF-8 TZ=UTC

log() { echo "packaging: $*" >&2; }
die() { echo "packaging: error: $*" >&2; exit 1; }
now() { date +%s; }

version() { tr -d ' \n' <"$TREE/VERSION"; }

# Top entry of debian/changelog: version, and its date as an epoch (the
# SOURCE_DATE_EPOCH dpkg-buildpackage would use).
changelog() { echo "$TREE/packaging/deb/debian/changelog"; }
changelog_version() { dpkg-parsechangelog -l "$(changelog)" -S Version; }
changelog_epoch() { dpkg-parsechangelog -l "$(changelog)" -S Timestamp; }

# VERSION is the one version; the changelog's top entry must match it.
check_version() {
	local v c
	v=$(version) c=$(changelog_version)
	[ "$v" = "$c" ] || die "VERSION is $v but packaging/deb/debian/changelog is at $c; run: scripts/bump-version $v"
}

has_ansible() { [ -f "$TREE/ansible/galaxy.yml" ]; }

# Pins the metapackages depend on, from the files that own them.
mk_var() { sed -n "s/^$2 *:= *//p" "$TREE/$1"; }
