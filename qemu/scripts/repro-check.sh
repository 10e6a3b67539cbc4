#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make -C qemu repro-check: the published source package rebuilds to the
# same .debs.  Build 1 is `make deb` (dpkg-source -x of the .dsc in
# build/deb/build, run first if build/packages has no build of the pinned
# version); build 2 extracts the .dsc of build/packages again, in a
# directory with a longer path, under another umask, time zone and
# locale, and runs dpkg-buildpackage -b there.  Every .deb (dbgsym
# included) must have the same SHA256; the ones that differ are shown
# (diffoscope if installed, else cmp and a diff of dpkg-deb -I/-c).
# Writes build/repro/report.md and report.json (times, checksums).
. "$(dirname "$0")/common.sh"

T0=$(now)
pk=$BUILD/packages
dsc=$pk/qemu_${APF_DEB_VERSION#*:}.dsc
R=$BUILD/repro
if [ ! -f "$dsc" ] || [ ! -f "$BUILD/deb/SHA256SUMS" ]; then
	log "no make deb build of $APF_DEB_VERSION: build 1 is make deb"
	"$QDIR/scripts/deb.sh"
fi
t1=$(sed -n "s/^[^ ]* deb qemu-system-x86_${APF_DEB_VERSION#*:} \([0-9]*\)s.*/\1/p" "$pk/times.log" | tail -1)

# Build 2, from the published files only.
rm -rf "$R"
mkdir -p "$R/src"
cp "$dsc" "$pk"/qemu_"${APF_DEB_VERSION#*:}".debian.tar.* "$R/src/"
cp -L "$pk/qemu_${QEMU_UPSTREAM_DS}.orig.tar.xz" "$R/src/" 2>/dev/null ||
	cp "$DL/qemu_${QEMU_UPSTREAM_DS}.orig.tar.xz" "$R/src/"
dir=$R/second-build-in-a-directory-with-a-much-longer-path-than-the-first
T2=$(now)
log "build 2: ${dir#"$QDIR"/} (umask 0002, TZ=Pacific/Kiritimati, LC_ALL=C.UTF-8)"
(umask 0002 && export TZ=Pacific/Kiritimati LC_ALL=C.UTF-8 && deb_build "$R/src/${dsc##*/}" "$dir")
t2=$(( $(now) - T2 ))

# Compare every .deb of build 1 (build/deb/build, dbgsym included) with build 2.
b1=$BUILD/deb/build
same=0 differ=0 rows="" json=""
: >"$R/differences.txt"
for f in "$b1"/*.deb; do
	n=${f##*/}
	s1=$(sha256sum "$f" | cut -d' ' -f1)
	s2=$( [ -f "$dir/$n" ] && sha256sum "$dir/$n" | cut -d' ' -f1 || echo missing)
	if [ "$s1" = "$s2" ]; then
		same=$((same + 1)) verdict=same
	else
		differ=$((differ + 1)) verdict=DIFFERS
		{
			echo "=== $n"
			if [ "$s2" = missing ]; then
				echo "not built by build 2"
			elif command -v diffoscope >/dev/null; then
				diffoscope --text - "$f" "$dir/$n" || true
			else
				cmp "$f" "$dir/$n" || true
				diff <(dpkg-deb -I "$f") <(dpkg-deb -I "$dir/$n") || true
				diff <(dpkg-deb -c "$f") <(dpkg-deb -c "$dir/$n") || true
			fi
		} >>"$R/differences.txt" 2>&1
	fi
	rows="$rows| $n | \`$s1\` | $verdict |"$'\n'
	json="$json${json:+,}"$'\n'"    {\"file\": \"$n\", \"sha256\": \"$s1\", \"second\": \"$s2\", \"same\": $([ "$verdict" = same ] && echo true || echo false)}"
done
for f in "$dir"/*.deb; do
	[ -f "$b1/${f##*/}" ] || { differ=$((differ + 1)); echo "=== ${f##*/}: only in build 2" >>"$R/differences.txt"; }
done
host=$(uname -m)
{
	echo "# qemu repro-check: $APF_DEB_VERSION"
	echo
	echo "Source package: \`${dsc##*/}\` (SHA256 \`$(sha256sum "$dsc" | cut -d' ' -f1)\`)."
	echo "Build 1: make deb, \`${b1#"$QDIR"/}\`, ${t1:-?} s (whole make deb).  Build 2:"
	echo "\`${dir#"$QDIR"/}\`, umask 0002, TZ=Pacific/Kiritimati, LC_ALL=C.UTF-8, ${t2} s."
	echo "JOBS=$JOBS on $(nproc) CPUs ($host), $(date -u +%Y-%m-%d)."
	echo
	echo "| file | SHA256 (build 1) | build 2 |"
	echo "|---|---|---|"
	printf '%s' "$rows"
	echo
	echo "$same identical, $differ differ."
} >"$R/report.md"
{
	echo "{"
	echo "  \"version\": \"$APF_DEB_VERSION\", \"dsc_sha256\": \"$(sha256sum "$dsc" | cut -d' ' -f1)\","
	echo "  \"build1_seconds\": ${t1:-null}, \"build2_seconds\": $t2, \"jobs\": $JOBS, \"cpus\": $(nproc),"
	echo "  \"identical\": $same, \"differ\": $differ,"
	echo "  \"debs\": [$json"
	echo "  ]"
	echo "}"
} >"$R/report.json"
cat "$R/report.md" >&2
if [ "$differ" != 0 ]; then
	head -100 "$R/differences.txt" >&2
	die "repro-check: $differ .deb(s) differ (${R#"$QDIR"/}/differences.txt)"
fi
log "repro-check: all $same .debs identical ($(( $(now) - T0 ))s)"
