#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# ppc64-check.sh: the pseries async PF series (patches/ppc64/, issue 23:
# the guest in 0001-0002, the KVM-HV host side after them) on top of the
# host and guest series, in its own tree (build/ppc64/tree; build/tree is
# left alone):
#   1. hard-linked copy of the pristine source + host + guest + ppc64
#      series, each patch with --fuzz=0;
#   2. checkpatch --strict on every ppc64 patch (FILE_PATH_CHANGES allowed,
#      as in check.sh);
#   3. cross build for ARCH=powerpc (CROSS_COMPILE=powerpc64le-linux-gnu-,
#      from Debian's gcc-powerpc64le-linux-gnu) of arch/powerpc/kvm/
#      (kvm.o and kvm-hv.o, with virt/kvm/) and the other objects that the
#      series touches, with W=1, on ppc64le_defconfig + PPC_PSERIES +
#      KVM_GUEST + PPC_KVM_ASYNC_PF_GUEST + KVM_BOOK3S_64_HV=m (which
#      selects KVM_ASYNC_PF), twice: 4K pages (what the ppc64 lab runs) and
#      64K pages (the defconfig's); where one warns, the same build of the
#      tree without the ppc64 series (base + host + guest, build/ppc64/base)
#      and only new warnings fail;
#   4. every symbol that kvm-hv.o takes from kvm.o is exported by kvm.o
#      (what modpost would say at link time, which an object build does
#      not reach);
#   5. the tree's uapi headers installed (build/ppc64/out-apf-4k/usr) and
#      the powerpc KVM selftest (tools/testing/selftests/powerpc/kvm/)
#      cross-built against them with the powerpc selftests' -Wall -Werror
#      (build/ppc64/selftests); it needs a POWER9 KVM-HV host to run.
# Steps 1-3 are common.sh's xcheck, shared with arm64-check.sh.
# Not part of `make check`: the series has not run (no ppc64 lab yet).
# JOBS=N (default 2); runs under nice -n 10.
. "$(dirname "$0")/common.sh"

XNAME=ppc64
XARCH=powerpc
CROSS_COMPILE=${CROSS_COMPILE:-powerpc64le-linux-gnu-}

xconfig() { # $1 = source tree, $2 = O= dir, then CONFIG_X=y that must stick
	local src=$1 obj=$2 o pages
	shift 2
	case $XCFG in
	4k) pages=CONFIG_PPC_4K_PAGES ;;
	64k) pages=CONFIG_PPC_64K_PAGES ;;
	*) die "ppc64 config: no such page size: $XCFG" ;;
	esac
	xmake "$src" "$obj" -s ppc64le_defconfig >/dev/null
	# Warnings, not errors (arch/powerpc builds with -Werror by default).
	"$src"/scripts/config --file "$obj/.config" -e PPC_PSERIES -e KVM_GUEST \
		-e PPC_DISABLE_WERROR -d WERROR -d PPC_4K_PAGES -d PPC_64K_PAGES -e "${pages#CONFIG_}" \
		-e VIRTUALIZATION -m KVM_BOOK3S_64 -m KVM_BOOK3S_64_HV
	xmake "$src" "$obj" -s olddefconfig >/dev/null
	for o in CONFIG_PPC_PSERIES=y CONFIG_KVM_GUEST=y CONFIG_PPC_RADIX_MMU=y "$pages=y" "$@"; do
		grep -qx "$o" "$obj/.config" || die "ppc64 config ($XCFG): $o did not stick"
	done
}

# xkvmexports CFG: the symbols that kvm-hv.o uses from kvm.o are exported.
xkvmexports() {
	local d=$XDIR/out-apf-$1/arch/powerpc/kvm nm=${CROSS_COMPILE}nm missing
	if [ ! -f "$d/kvm.o" ] || [ ! -f "$d/kvm-hv.o" ]; then
		die "ppc64 ($1): no kvm.o or kvm-hv.o in ${d#"$KDIR"/}"
	fi
	missing=$(comm -23 \
		<(comm -12 <("$nm" -u "$d/kvm-hv.o" | awk '{ print $2 }' | sort -u) \
			<("$nm" --defined-only "$d/kvm.o" | awk '$2 ~ /^[TDBR]$/ { print $3 }' | sort -u)) \
		<("$nm" "$d/kvm.o" | sed -n 's/.* __export_symbol_//p' | sort -u))
	if [ -n "$missing" ]; then
		echo "$missing" >&2
		die "ppc64 ($1): kvm-hv.o uses symbols of kvm.o that kvm.o does not export"
	fi
	xstep "kvm-hv.o takes only exported symbols from kvm.o ($1)"
}

# xselftest: the uapi headers of the tree, and the powerpc KVM selftest
# cross-built against them.
xselftest() {
	local tree=$XDIR/tree obj=$XDIR/out-apf-4k out=$XDIR/selftests
	xmake "$tree" "$obj" -s headers_install >/dev/null
	rm -rf "$out"
	mkdir -p "$out"
	if ! nice -n 10 make -C "$tree/tools/testing/selftests/powerpc/kvm" ARCH=powerpc \
		CROSS_COMPILE="$CROSS_COMPILE" OUTPUT="$out" \
		KHDR_INCLUDES="-isystem $obj/usr/include" all >"$out/build.log" 2>&1; then
		tail -40 "$out/build.log" >&2
		die "the powerpc KVM selftest does not build (log: ${out#"$KDIR"/}/build.log)"
	fi
	[ -x "$out/async_pf_test" ] || die "no ${out#"$KDIR"/}/async_pf_test"
	xstep "selftests/powerpc/kvm/async_pf_test cross-builds (${out#"$KDIR"/}; not run)"
}

xinit
xcheck "arch/powerpc/kvm/ $(xtargets arch/powerpc/kvm/ virt/kvm/ tools/)" \
	"CONFIG_PPC_KVM_ASYNC_PF_GUEST=y CONFIG_KVM_BOOK3S_64_HV=m CONFIG_KVM_ASYNC_PF=y" 4k 64k
xkvmexports 4k
xkvmexports 64k
xselftest
log "ppc64 check passed in $(($(now) - XT0))s on $(base_version)"
