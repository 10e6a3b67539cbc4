#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make -C qemu rpm: qemu-system-x86-apf RPM from packaging/rpm/qemu-apf.spec,
# built from the pinned tarball (the Debian package's orig.tar.xz, fetched
# by source.sh) with patches/ applied in series order.  Output, next to the
# .debs: build/packages/*.rpm (signed with packaging's local key unless
# NO_SIGN=1), build time appended to build/packages/times.log, then
# rpmlint (NO_LINT=1 skips it) and rpm-check.sh (NO_CHECK=1 skips it).
# Work tree: build/rpm (rpmbuild's _topdir).
#
# QEMU_RPM_PREP=1: stage and run %prep only (the spec and the series).
# QEMU_RPM_RESUME=1 (debugging only): rerun make in the BUILD tree a failed
# build left behind (rpmbuild removes it after a successful one) and package
# it (rpmbuild --short-circuit, no fresh %prep); rpm marks such packages
# with rpmlib(ShortCircuited), so release builds go without it.
#
# On Debian the build requirements are Debian packages that rpm cannot
# see: rpmbuild runs with --nodeps.
. "$(dirname "$0")/common.sh"

T0=$(now)
TOP=$(cd "$QDIR/.." && pwd)
spec_in=$TOP/packaging/rpm/qemu-apf.spec
R=$BUILD/rpm
out=$BUILD/packages
resume=${QEMU_RPM_RESUME:-0}
command -v rpmbuild >/dev/null || die "rpmbuild missing (apt-get install rpm)"
[ -f "$spec_in" ] || die "no ${spec_in#"$TOP"/}"
# Release package: exactly the pinned base, never a fallback (first: it
# fails early, before anything is installed or built).
"$QDIR/scripts/source.sh" exact

# The x86 option ROMs are built with gcc -m32 and link 32-bit libgcc.a.
gccv=$(gcc -dumpversion | cut -d. -f1)
if [ ! -f "$(dirname "$(gcc -print-libgcc-file-name)")/32/libgcc.a" ]; then
	[ "$(id -u)" = 0 ] || die "32-bit libgcc.a missing for the option ROMs: apt-get install lib32gcc-$gccv-dev (as root)"
	log "installing lib32gcc-$gccv-dev (32-bit libgcc.a for the x86 option ROMs)"
	mkdir -p "$R"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o DPkg::Lock::Timeout=600 "lib32gcc-$gccv-dev" >"$R/apt.log" 2>&1 ||
		{ cat "$R/apt.log" >&2; die "cannot install lib32gcc-$gccv-dev"; }
fi

tarball=$DL/qemu_${QEMU_UPSTREAM_DS}.orig.tar.xz
[ -f "$tarball" ] || die "no ${tarball#"$QDIR"/} after make source"

# One date for the changelog entry and the build (SOURCE_DATE_EPOCH), as
# deb.sh: the newest patch's.
date=$(series | xargs sed -n 's/^Date: //p' | while read -r d; do date -d "$d" +%s; done | sort -n | tail -1)
[ -n "$date" ] || die "no patches in ${QDIR#"$TOP"/}/patches"
export SOURCE_DATE_EPOCH=$date

# --- stage SOURCES and the spec ------------------------------------------------
mkdir -p "$R"/{SOURCES,SPECS,BUILD,RPMS,SRPMS}
rm -rf "${R:?}"/SOURCES/* "${R:?}"/SPECS/* "${R:?}"/RPMS/* "${R:?}"/SRPMS/*
ln -f "$tarball" "$R/SOURCES/" 2>/dev/null || cp "$tarball" "$R/SOURCES/"
n=0
patchlines=$R/patches.inc
: >"$patchlines"
for p in $(series); do
	n=$((n + 1))
	cp "$p" "$R/SOURCES/"
	echo "Patch$n:        $(basename "$p")" >>"$patchlines"
done
spec=$R/SPECS/qemu-apf.spec
grep -q '^#@APF_PATCHES@$' "$spec_in" || die "${spec_in#"$TOP"/} lacks the #@APF_PATCHES@ line"
sed -e "/^#@APF_PATCHES@\$/{r $patchlines" -e 'd}' "$spec_in" >"$spec"
epoch=$(sed -n 's/^Epoch: *//p' "$spec")
{
	echo "* $(LC_ALL=C date -u -d "@$date" '+%a %b %d %Y') APF Suite Maintainers <maintainers@apf-suite.invalid> - $epoch:$QEMU_VERSION-$APF_RELEASE.apf"
	echo "- APF Suite $APF_RELEASE: QEMU $QEMU_VERSION ($QEMU_DEB_VERSION's tarball) with the"
	echo "  APF Suite series:"
	for p in $(series); do
		# Subject: may be folded over several lines.
		echo "  - $(awk '/^Subject: / { s = $0; while ((getline l) > 0 && l ~ /^[ \t]/) s = s " " substr(l, 2); print s; exit }' "$p" |
			sed 's/^Subject: \(\[PATCH[^]]*\] \)\{0,1\}//')"
	done
	echo "- Built for x86_64 only (qemu-system-x86_64)."
} >>"$spec"

# Everything rpmbuild gets beyond the spec, in one macros file (the lint
# step reads it too, to parse the spec).
macros=$R/apf.macros
{
	echo "# Written by qemu/scripts/rpm.sh."
	echo "%_topdir $R"
	echo "%apf_qemu_version $QEMU_VERSION"
	echo "%apf_release $APF_RELEASE"
	echo "%_smp_mflags -j$JOBS"
	# Reproducible: build time and file times from SOURCE_DATE_EPOCH.
	echo "%use_source_date_epoch_as_buildtime 1"
	echo "%clamp_mtime_to_source_date_epoch 1"
	echo "%_buildhost apf-suite.invalid"
	# Debian's rpm: its brp-compress uses bash's `read -d` under #!/bin/sh
	# (dash), so run it with bash (as packaging/scripts/build-rpm).
	if [ "$(rpm --eval '%{_sharedstatedir}')" = /usr/com ]; then
		echo "%__brp_compress bash %{_rpmconfigdir}/brp-compress %{?_prefix}"
	fi
	# Nothing adds the -debuginfo package on Debian's rpm (Fedora's
	# redhat-rpm-config does): ask for it, as packaging/scripts/build-rpm.
	# find-debuginfo also strips the binaries fully, as on Fedora.
	if [ -z "$(rpm --eval '%{?_enable_debug_packages}')" ]; then
		echo "%_enable_debug_packages 1"
		echo "%apf_add_debug_package 1"
	fi
} >"$macros"

# --- build --------------------------------------------------------------------
log="$R/build.log"
args=(--nodeps --load "$macros")
log "rpmbuild (JOBS=$JOBS, log: ${log#"$QDIR"/})"
if [ "${QEMU_RPM_PREP:-0}" = 1 ]; then
	rpmbuild -bp "${args[@]}" "$spec" >"$log" 2>&1 ||
		{ tail -60 "$log" >&2; die "rpmbuild -bp failed (log: ${log#"$QDIR"/})"; }
	log "%prep done: $R/BUILD/qemu-$QEMU_VERSION ($(grep -c '^Patch' "$R/patches.inc") patches)"
	exit 0
elif [ "$resume" = 1 ]; then
	log "QEMU_RPM_RESUME=1: make in the kept BUILD tree, then package (short-circuit)"
	# rpm 4.18: -bb --short-circuit packages the existing buildroot only.
	{ rpmbuild -bc --short-circuit "${args[@]}" "$spec" &&
		rpmbuild -bi --short-circuit "${args[@]}" "$spec" &&
		rpmbuild -bb --short-circuit "${args[@]}" "$spec"; } >"$log" 2>&1 || { tail -60 "$log" >&2; die "rpmbuild failed (log: ${log#"$QDIR"/})"; }
else
	rpmbuild -bb "${args[@]}" "$spec" >"$log" 2>&1 ||
		{ tail -60 "$log" >&2; die "rpmbuild failed (log: ${log#"$QDIR"/})"; }
fi
# The source package, for rebuilds on Fedora (not copied to the repository).
rpmbuild -bs "${args[@]}" "$spec" >>"$log" 2>&1 || die "rpmbuild -bs failed"
secs=$(( $(now) - T0 ))

# Next to the .debs; only the .rpm files of an earlier run are replaced.
# The -debuginfo package goes to debuginfo/ (as deb.sh's dbgsym/), which
# make-repo does not copy into the repository.
mkdir -p "$out/debuginfo"
rm -f "$out"/*.rpm "$out"/debuginfo/*.rpm
find "$R/RPMS" -name '*-debuginfo-*.rpm' -exec mv {} "$out"/debuginfo/ \;
find "$R/RPMS" -name '*.rpm' -exec mv {} "$out"/ \;
rpms=("$out"/*.rpm)
[ -f "${rpms[0]}" ] || die "rpmbuild made no .rpm"
dbg=("$out"/debuginfo/*.rpm)
[ -f "${dbg[0]}" ] || dbg=()
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) rpm $(basename "${rpms[0]}") ${secs}s JOBS=$JOBS$([ "$resume" = 1 ] && echo ' resume')" \
	>>"$out/times.log"
log "built in ${secs}s:"
for f in "${rpms[@]}" "${dbg[@]}"; do printf '  %10d  %s\n' "$(stat -c %s "$f")" "${f##*/}"; done >&2

# Signed with the suite's local key (packaging/scripts/signing-key): the
# yum repository that packaging/scripts/make-repo writes has gpgcheck=1.
# Debian's rpm looks for /usr/bin/gpg2, which bookworm lacks: name gpg.
if [ "${NO_SIGN:-0}" != 1 ]; then
	fpr=$("$TOP/packaging/scripts/signing-key")
	GNUPGHOME=${APF_GNUPGHOME:-$TOP/packaging/build/gpg} rpmsign --addsign \
		--define "_gpg_name $fpr" --define "__gpg $(command -v gpg)" "${rpms[@]}" "${dbg[@]}" >"$R/sign.log" 2>&1 ||
		{ cat "$R/sign.log" >&2; die "rpmsign failed"; }
	log "signed with key $fpr"
fi

# rpmlint with packaging's configuration plus qemu/rpmlint.toml (a
# directory of both: rpmlint merges them, lists appended).  Not on the
# -debuginfo package, as packaging/scripts/lint-rpm: rpmlint misreads its
# split DWARF files.
if [ "${NO_LINT:-0}" != 1 ]; then
	command -v rpmlint >/dev/null || die "rpmlint missing (apt-get install rpmlint)"
	L=$R/lint
	rm -rf "$L"
	mkdir -p "$L/conf" "$L/home/rpmdb"
	cp "$TOP/packaging/rpm/rpmlint.toml" "$L/conf/10-packaging.toml"
	cp "$QDIR/rpmlint.toml" "$L/conf/20-qemu.toml"
	{ cat "$macros"; echo "%_dbpath $L/home/rpmdb"; } >"$L/home/.rpmmacros"
	key=${APF_GNUPGHOME:-$TOP/packaging/build/gpg}/apf-suite.asc
	if [ -f "$key" ]; then HOME=$L/home rpmkeys --import "$key" || die "cannot import $key"; fi
	rc=0
	HOME=$L/home rpmlint -c "$L/conf" "$spec" "${rpms[@]}" >"$L/rpmlint.log" 2>&1 || rc=$?
	cat "$L/rpmlint.log" >&2
	[ $rc = 0 ] || die "rpmlint found errors (above; log: ${L#"$QDIR"/}/rpmlint.log)"
	log "rpmlint: no errors"
fi

if [ "${NO_CHECK:-0}" != 1 ]; then
	"$QDIR/scripts/rpm-check.sh" "${rpms[@]}"
fi
log "rpm done in $(( $(now) - T0 ))s"
