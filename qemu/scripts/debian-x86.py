#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""debian-x86.py SRCDIR PKG...: reduce Debian's qemu packaging in SRCDIR/debian
to the x86 packages PKG... for bookworm, in debian/ itself, so that the source
package deb.sh publishes rebuilds to the same .debs with a plain
`dpkg-buildpackage -b` (no make variables, profiles or DH_OPTIONS needed).

- debian/control-in (and debian/control, regenerated from it the way
  debian/control.mk does): only the source paragraph and PKG...; no
  Build-Depends-Indep (the firmware cross compilers of qemu-system-data,
  which comes from Debian); no build dependencies bookworm lacks or the x86
  build does not use (libblkio-dev, libbrlapi-dev, libxen-dev, the vdso
  qemu-system-data), and their configure switches turned to --disable-*
  (debian/extract-config-opts reads those comments).
- debian/rules: x86 system targets only (system-packages, the configure
  target list), the system build on without the qemu-system metapackage,
  no arch-indep components; the dh calls for qemu-guest-agent and
  qemu-user, which are no longer in debian/control, removed.
- debian/qemu-system-common.install: no braille chardev (brlapi is off).

Every edit is checked: a new Debian base where one no longer matches fails
here, by name, instead of building something else."""
import re
import subprocess
import sys
from pathlib import Path


def die(msg):
    sys.exit(f"qemu: error: debian-x86.py: {msg}")


def sub1(text, pattern, repl, what, count=1, flags=re.M):
    new, n = re.subn(pattern, repl, text, flags=flags)
    if n != count:
        die(f"{what}: expected {count} match(es) of {pattern!r}, found {n}")
    return new


def control_in(path, keep):
    text = path.read_text()
    paras = re.split(r"\n\n+", text.rstrip("\n"))
    out, seen = [paras[0]], set()
    for p in paras[1:]:
        m = re.search(r"^(?::[a-z]+:)?Package: (\S+)", p, re.M)
        if m and m.group(1) in keep:  # (also drops commented-out paragraphs)
            out.append(p)
            seen.add(m.group(1))
    if seen != set(keep):
        die(f"{path.name}: no package(s) {' '.join(sorted(set(keep) - seen))}")
    src = out[0]
    # Build-Depends-Indep: everything up to the next field.
    src = sub1(src, r"^Build-Depends-Indep:\n(?:[ #].*\n)*", "", "Build-Depends-Indep")
    # Features bookworm lacks (blkio) or that would pull in a backports
    # library (brlapi): off, and not build dependencies.
    for feat, dep in (("blkio", "libblkio-dev"), ("brlapi", "libbrlapi-dev")):
        src = sub1(src, rf"^# --enable-{feat}\b", f"# --disable-{feat}", f"--enable-{feat}")
        src = sub1(src, rf"^ {re.escape(dep)}\s.*\n", "", dep)
    # Xen is not built (no qemu-system-xen).
    src = sub1(src, r"^ libxen-dev .*\n", "", "libxen-dev")
    # The vdso archive from qemu-system-data is for qemu-user only.
    src = sub1(src, r"^:debian: qemu-system-data \(>> :vdso-version:\).*\n:debian: +<.*>,\n", "",
               "vdso qemu-system-data build dependency")
    out[0] = src
    path.write_text("\n\n".join(out) + "\n")


def rules(path):
    text = path.read_text()
    block = """include debian/control.mk

# APF Suite (qemu/scripts/debian-x86.py): x86 only, built for bookworm.
# debian/control lists only the packages built here; qemu-system-data is
# Debian's own (its firmware needs a dozen cross compilers x86 does not use).
override system-packages := x86
# on without the qemu-system metapackage, which is not built
override enable-system := y
# no arch-indep package: build-indep and install-indep do nothing
override sysdata-components :=
QEMU_CONFIGURE_OPTIONS = --target-list=i386-softmmu,x86_64-softmmu
"""
    text = sub1(text, r"^include debian/control\.mk\n", block, "include debian/control.mk")
    text = sub1(text, r"^\tdh_install(init|systemd|udev) -pqemu-guest-agent.*\n", "",
                "dh_* -pqemu-guest-agent", count=3)
    text = sub1(text, r"^(\tdh_shlibdeps -a) -Nqemu-user$", r"\1", "dh_shlibdeps -Nqemu-user")
    path.write_text(text)


def main():
    if len(sys.argv) < 3:
        die("usage: debian-x86.py SRCDIR PKG...")
    src, keep = Path(sys.argv[1]), sys.argv[2:]
    deb = src / "debian"
    control_in(deb / "control-in", keep)
    # debian/control as debian/control.mk makes it (debian/rules clean
    # regenerates it when control-in is newer).
    (deb / "control").unlink()
    subprocess.run(["make", "-s", "-f", "debian/control.mk", "debian/control"], cwd=src, check=True,
                   stdout=subprocess.DEVNULL)
    rules(deb / "rules")
    inst = deb / "qemu-system-common.install"
    inst.write_text(sub1(inst.read_text(), r"^.*/chardev-baum\.so\n", "", "chardev-baum.so"))


main()
