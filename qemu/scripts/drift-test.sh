#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make -C qemu drift-test: what happens once Debian drops the pinned base,
# simulated on a copy of qemu/ (build/drift/qemu, its own build/):
#  - the pinned qemu source and qemu-system-data are hidden from the private
#    apt states (APF_APT_PREFERENCES: Pin-Priority -1 for that version);
#  - a newer version of the same line appears: a local archive
#    (APF_APT_SOURCES, file:) with Debian's source plus one changelog entry
#    as <pinned>u+1 (e.g. +deb13u1 -> +deb13u2), and Debian's
#    qemu-system-data relabelled to that version.  (Today the archive has
#    no other downloadable 10.0.x: trixie-security's 10.0.2 404s.)
# Then, in the copy:
#  1. make check passes against the newer version and prints the warning;
#  2. make deb refuses (release packages build exactly the pin);
#  3. make rebase moves the pins to the newer version (and runs check on them);
#  4. make check passes without a warning.
# Log: build/drift/drift.log.
. "$(dirname "$0")/common.sh"

T0=$(now)
step() { log "drift-test [$(( $(now) - T0 ))s] $*"; }
W=$BUILD/drift
rm -rf "$W"
mkdir -p "$W/archive" "$W/qemu/build/dl"
cp -a "$QDIR/Makefile" "$QDIR/base.mk" "$QDIR/rpmlint.toml" "$QDIR/patches" "$QDIR/scripts" "$QDIR/firmware" "$W/qemu/"
old=$QEMU_DEB_VERSION
if [[ $old =~ ^(.*u)([0-9]+)$ ]]; then
	new=${BASH_REMATCH[1]}$((BASH_REMATCH[2] + 1))
else
	new=$old.1
fi

# --- the simulated archive --------------------------------------------------------
"$QDIR/scripts/source.sh" exact >/dev/null
data=qemu-system-data_${QEMU_DEB_NOEPOCH}_all.deb
[ -f "$DL/$data" ] || debian_download trixie "qemu-system-data=$old"
orig=qemu_${QEMU_UPSTREAM_DS}.orig.tar.xz
ln -f "$DL/$orig" "$W/archive/" 2>/dev/null || cp "$DL/$orig" "$W/archive/"
# Seed the copy's download cache with the upstream tarball only (apt-get
# source skips a file it already has); the .dsc must come through apt.
ln -f "$DL/$orig" "$W/qemu/build/dl/" 2>/dev/null || cp "$DL/$orig" "$W/qemu/build/dl/"
src=$W/fake/qemu-${QEMU_VERSION}
mkdir -p "$W/fake"
dpkg-source --no-check -x "$BASE_DSC" "$src" >/dev/null
{
	echo "qemu ($new) trixie-security; urgency=medium"
	echo
	echo "  * Simulated update for the APF Suite's make -C qemu drift-test:"
	echo "    Debian's $old unchanged."
	echo
	echo " -- APF Suite drift test <maintainers@apf-suite.invalid>  $(LC_ALL=C date -u -R)"
	echo
	cat "$src/debian/changelog"
} >"$W/changelog" && mv "$W/changelog" "$src/debian/changelog"
(cd "$W/fake" && ln -sf "$W/archive/$orig" . && dpkg-source -b "${src##*/}" >/dev/null 2>&1) ||
	die "dpkg-source -b of the simulated $new failed"
mv "$W/fake/qemu_${new#*:}".* "$W/archive/"
x=$W/fake/data
dpkg-deb -R "$DL/$data" "$x"
sed -i "s/^Version: .*/Version: $new/" "$x/DEBIAN/control"
dpkg-deb -Zgzip -b "$x" "$W/archive/qemu-system-data_${new#*:}_all.deb" >/dev/null
rm -rf "$W/fake"
(cd "$W/archive" && dpkg-scansources . /dev/null >Sources 2>/dev/null && dpkg-scanpackages . /dev/null >Packages 2>/dev/null)
cat >"$W/sources.list" <<EOF
deb-src [trusted=yes] file:$W/archive ./
deb [trusted=yes] file:$W/archive ./
EOF
cat >"$W/hide-pinned.pref" <<EOF
# make drift-test: Debian dropped the pinned qemu (source and qemu-system-data).
Package: src:qemu qemu-system-data
Pin: version $old
Pin-Priority: -1
EOF
step "simulated archive: $new in ${W#"$QDIR"/}/archive; $old hidden (${W#"$QDIR"/}/hide-pinned.pref)"

export APF_APT_SOURCES=$W/sources.list APF_APT_PREFERENCES=$W/hide-pinned.pref
unset QEMU_BUILD_DIR QEMU_BASE_MODE
L=$W/drift.log
run() { # run NAME make-target...: make -C the copy, output in $W/NAME.log and $L
	local name=$1 rc=0
	shift
	echo "=== make -C build/drift/qemu $*" >>"$L"
	make -C "$W/qemu" "$@" >"$W/$name.log" 2>&1 || rc=$?
	cat "$W/$name.log" >>"$L"
	return $rc
}
warning="qemu: WARNING: pinned $old is gone from the archive; checked against $new; run make rebase"

# 1. check: passes against $new, with the warning.
run check1 check || { tail -30 "$W/check1.log" >&2; die "1. make check failed with the pinned base hidden"; }
grep -qxF "$warning" "$W/check1.log" || { tail -30 "$W/check1.log" >&2; die "1. make check did not print: $warning"; }
step "1. make check passed against $new and warned:"
echo "  $warning" >&2

# 2. deb: refuses, before building anything.
if run deb deb; then die "2. make deb built with the pinned base hidden"; fi
grep -q "is gone from the archive" "$W/deb.log" || { tail -20 "$W/deb.log" >&2; die "2. make deb failed, but not saying why"; }
[ ! -d "$W/qemu/build/deb" ] || die "2. make deb started a build"
step "2. make deb refused: $(grep -m1 'error:' "$W/deb.log")"

# 3. rebase: pins move to $new, check.sh passes on them.
run rebase rebase || { tail -30 "$W/rebase.log" >&2; die "3. make rebase failed"; }
got=$(sed -n 's/^QEMU_DEB_VERSION *:= *//p' "$W/qemu/base.mk")
[ "$got" = "$new" ] || die "3. make rebase pinned $got, not $new"
[ "$(sed -n 's/^APF_RELEASE *:= *//p' "$W/qemu/base.mk")" = 1 ] || die "3. APF_RELEASE is not 1 after the rebase"
grep -q "check passed" "$W/rebase.log" || die "3. make rebase did not check the new pins"
step "3. make rebase: $(grep -m1 'QEMU_DEB_VERSION' "$W/rebase.log" | sed 's/^ *//'), check passed on it"

# 4. check on the new pins: no warning.
run check2 check || { tail -30 "$W/check2.log" >&2; die "4. make check failed on the rebased pins"; }
if grep -q WARNING "$W/check2.log"; then die "4. make check still warns after the rebase"; fi
step "4. make check on the rebased pins: passed, no warning"
log "drift-test passed in $(( $(now) - T0 ))s (log: ${L#"$QDIR"/})"
