#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# source.sh [MODE]: download Debian's `qemu` source package (trixie's
# deb-src, through the private apt state build/apt/trixie-src) and unpack
# it into build/src/qemu (cached per version).  Writes build/src/base
# ("MODE VERSION"), which the callers read (load_base).
#
# MODE (argument, else $QEMU_BASE_MODE, else exact):
#   exact     the pinned QEMU_DEB_VERSION or fail: release packages (deb,
#             rpm) build exactly what base.mk pins.
#   fallback  the pinned version; if it is gone from the archive (and not
#             cached in build/dl), the newest of the same stable line, with
#             a warning: check and build keep verifying the series after
#             Debian dropped the pinned version.
#   newest    the newest of the stable line (rebase; `make dev` on it).
. "$(dirname "$0")/common.sh"

mode=${1:-${QEMU_BASE_MODE:-exact}}
case $mode in exact | fallback | newest) ;; *) die "source.sh: unknown mode $mode (exact, fallback, newest)" ;; esac

# The pinned version is here if cached in build/dl, or downloadable.  A
# version hidden by APF_APT_PREFERENCES counts as gone, cache included.
pinned_here() {
	apt_hidden qemu "$QEMU_DEB_VERSION" && return 1
	[ -f "$BASE_DSC" ] && return 0
	apt_update trixie-src
	listed "$QEMU_DEB_VERSION" || return 1
	log "downloading the qemu $QEMU_DEB_VERSION source"
	download_source "$QEMU_DEB_VERSION"
}

ver=$QEMU_DEB_VERSION
if [ "$mode" = newest ]; then
	apt_update trixie-src
	# shellcheck disable=SC2046
	ver=$(first_downloadable $(line_versions))
	[ -n "$ver" ] || die "no downloadable qemu $QEMU_LINE.x source in the archive (trixie, trixie-updates, trixie-security)"
elif ! pinned_here; then
	apt_update trixie-src
	if [ "$mode" = exact ]; then
		die "the pinned qemu $QEMU_DEB_VERSION (base.mk) is gone from the archive and not in ${DL#"$QDIR"/}:
  release packages build exactly the pinned base.  Run 'make -C qemu rebase'
  (newest $QEMU_LINE.x listed there: $(newest_in_line)), or add a deb-src line that still has it
  (snapshot.debian.org) with APF_APT_SOURCES=FILE (qemu/README.md)."
	fi
	# shellcheck disable=SC2046
	ver=$(first_downloadable $(line_versions | grep -vxF "$QEMU_DEB_VERSION"))
	[ -n "$ver" ] || die "the pinned qemu $QEMU_DEB_VERSION is gone from the archive, and no other $QEMU_LINE.x source there can be downloaded"
	# The one line scripts and people grep for.
	echo "qemu: WARNING: pinned $QEMU_DEB_VERSION is gone from the archive; checked against $ver; run make rebase" >&2
fi
set_base "$ver"
[ -f "$BASE_DSC" ] || die "no ${BASE_DSC#"$QDIR"/} after the download"

stamp=$BUILD/src/.unpacked
if ! { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$ver" ] && [ -f "$SRC_DIR/VERSION" ]; }; then
	log "unpacking qemu $ver into ${SRC_DIR#"$QDIR"/}"
	unpack_to "$SRC_DIR"
	echo "$ver" >"$stamp"
fi
echo "$mode $ver" >"$BUILD/src/base"
