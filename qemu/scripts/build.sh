#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make -C qemu build: qemu-system-x86_64 from build/tree/qemu (the pinned
# source with our series) for the VM lab and `make test`, in build/x86_64.
# Incremental: the build directory is kept, and apply.sh's hard-linked tree
# leaves untouched files as they were, so only what the series changes is
# recompiled after the first build.
. "$(dirname "$0")/common.sh"

T0=$(now)
tree=$BUILD/tree/qemu
obj=$BUILD/x86_64
[ -f "$tree/VERSION" ] || die "no ${tree#"$QDIR"/}; run make apply"
# The base the tree was made from: the pinned one, or the fallback, which
# the version string marks (~unpinned).
load_base_from "$BUILD/tree/base"

opts="--python=$PYTHON --target-list=x86_64-softmmu --disable-docs
	--disable-user --disable-install-blobs --firmwarepath=$FIRMWARE_PATH"
want=$(printf '%s\n' "$opts" "$APF_PKGVERSION" | sha256sum)
if [ ! -f "$obj/build.ninja" ] || [ "$(cat "$obj/.apf-configured" 2>/dev/null)" != "$want" ]; then
	rm -rf "$obj"
	mkdir -p "$obj"
	log "configuring ${obj#"$QDIR"/}"
	# shellcheck disable=SC2086
	if ! (cd "$obj" && "$tree/configure" $opts --with-pkgversion="$APF_PKGVERSION" \
		>configure.log 2>&1); then
		tail -30 "$obj/configure.log" >&2
		die "configure failed"
	fi
	echo "$want" >"$obj/.apf-configured"
fi
# A file the last build's series patched and this one does not is a hard
# link to build/src again, with the source's old mtime: ninja would keep
# the patched object (seen when a patch left the series).  Give such a
# file a fresh copy, so that it is compiled again.
stamp=$obj/.apf-series-files
series_files >"$obj/.apf-series-files.now"
if [ -f "$stamp" ]; then
	comm -23 "$stamp" "$obj/.apf-series-files.now" | while read -r f; do
		if [ -f "$tree/$f" ]; then
			cp "$tree/$f" "$tree/$f.fresh" && mv "$tree/$f.fresh" "$tree/$f"
		fi
	done
fi
# qom-test and async-pf-test: the qtests `make test` runs, next to the
# functional test.
if ! ninja -C "$obj" -j"$JOBS" qemu-system-x86_64 tests/qtest/qom-test \
	tests/qtest/async-pf-test >"$obj/ninja.log" 2>&1; then
	grep -E -B2 -A8 'error' "$obj/ninja.log" | head -80 >&2
	die "build failed (log: ${obj#"$QDIR"/}/ninja.log)"
fi
mv "$obj/.apf-series-files.now" "$stamp"
bundle_firmware "$obj"
"$obj/qemu-system-x86_64" --version | head -1 | grep -qF "($APF_PKGVERSION)" ||
	die "qemu-system-x86_64 --version does not show $APF_PKGVERSION"
log "built ${obj#"$QDIR"/}/qemu-system-x86_64 in $(( $(now) - T0 ))s: $("$obj/qemu-system-x86_64" --version | head -1)"
