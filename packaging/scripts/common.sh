# SPDX-License-Identifier: GPL-2.0-only
# Shared by the packaging scripts.
# shellcheck shell=bash
set -euo pipefail

PKGDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The tree these scripts package: the repository they sit in, or another
# copy named by APF_TREE (the upgrade test builds a bumped copy).
TREE=${APF_TREE:-$(cd "$PKGDIR/.." && pwd)}
BUILD=${APF_PKG_BUILD:-$PKGDIR/build}
# What must outlive `make clean` and a fresh clone (build/ is output, this
# is not): the signing key (gpg/, unless APF_GNUPGHOME) and the
# repositories' history (repo/, unless APF_REPO_STATE).  Never in git
# (.gitignore); back it up (packaging/README.md, "Repositories").
PKG_STATE=${APF_PKG_STATE:-$PKGDIR/state}
GNUPG_DIR=${APF_GNUPGHOME:-$PKG_STATE/gpg}
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

# Before issue 14's review the key and the history lived in build/ (gpg,
# repo-state), where `make clean` removed them: move them once to their
# place in PKG_STATE, where that holds nothing yet.
migrate_from_build() {
	local old=$BUILD/$1 new=$2
	[ -d "$old" ] && [ ! -e "$new" ] || return 0
	mkdir -p "$(dirname "$new")"
	# A gpg-agent of the old GNUPGHOME would answer at the moved socket,
	# looking for the keys where they no longer are.
	if [ -e "$old/S.gpg-agent" ]; then
		gpgconf --homedir "$old" --kill all 2>/dev/null || true
		rm -f "$old"/S.gpg-agent*
	fi
	mv "$old" "$new"
	log "moved ${old#"$PKGDIR"/} to ${new#"$PKGDIR"/} (kept across make clean from now on)"
}
