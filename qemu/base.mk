# SPDX-License-Identifier: GPL-2.0-or-later
# The one place that pins the QEMU base, the carried firmware and the APF
# Suite release.  `make rebase` updates the pins (README.md "Bases").
#
# QEMU_DEB_VERSION: exact version of Debian's `qemu` source package the
#   series in patches/ applies to, from trixie's deb-src (trixie,
#   trixie-updates, trixie-security; the scripts use a private apt state,
#   build/apt).  Release packages (deb, rpm) build exactly this version;
#   check and build fall back to the newest of the same stable line, with
#   a warning, once Debian has dropped it.
# QEMU_VERSION: the upstream version inside it (the VERSION file), checked
#   after unpacking; its major.minor (10.0) is the stable line rebase follows.
# APF_RELEASE: bumped for every release of the suite's QEMU (new patches);
#   back to 1 when the base changes.  The package version is
#   <QEMU_DEB_VERSION>+apf<APF_RELEASE>, and `qemu-system-x86_64 --version`
#   shows it.
# SEABIOS_DEB_VERSION, SEABIOS_SHA256: Debian's bookworm-backports seabios,
#   carried in firmware/ (see firmware/PROVENANCE) because qemu-system-x86
#   needs seabios (>> 1.16.3-1~) and the archive keeps only the newest
#   backport.  The SHA256 is the one in bookworm-backports' Packages index.
# QEMU_DEB_PACKAGES: the binary packages of the APF QEMU, all at
#   <QEMU_DEB_VERSION>+apf<APF_RELEASE>: what scripts/deb.sh builds, what
#   apf-host's apt preferences pin (packaging/deb/debian/rules) and what
#   the Ansible rollback pins (apf_packages_qemu_pinned, compared with
#   this list by ansible/tests/test_templates.py).  One list, so that the
#   pins cannot miss a package.
QEMU_DEB_VERSION := 1:10.0.13+ds-0+deb13u1
QEMU_DEB_PACKAGES := qemu-system-x86 qemu-system-common qemu-system-gui qemu-system-modules-opengl qemu-system-modules-spice qemu-block-extra qemu-utils
QEMU_VERSION     := 10.0.13
APF_RELEASE      := 4
SEABIOS_DEB_VERSION := 1.16.3-2~bpo12+1
SEABIOS_SHA256      := 48390d0a534c66d11789e39518aa219773a9d3677b29fe1af8799dfb563ec713
