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
# qom-test and async-pf-test: the qtests `make test` runs, next to the
# functional test.
configure_and_build "$tree" "$obj" "$opts" qemu-system-x86_64 tests/qtest/qom-test \
	tests/qtest/async-pf-test
commit_series_stamp "$obj"
bundle_firmware "$obj"
"$obj/qemu-system-x86_64" --version | head -1 | grep -qF "($APF_PKGVERSION)" ||
	die "qemu-system-x86_64 --version does not show $APF_PKGVERSION"
log "built ${obj#"$QDIR"/}/qemu-system-x86_64 in $(( $(now) - T0 ))s: $("$obj/qemu-system-x86_64" --version | head -1)"
