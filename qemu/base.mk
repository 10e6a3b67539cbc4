# SPDX-License-Identifier: GPL-2.0-or-later
# The one place that pins the QEMU base and the APF Suite release.
#
# QEMU_DEB_VERSION: exact version of Debian's `qemu` source package the
#   series in patches/ applies to.  It comes from trixie's deb-src (the
#   scripts add that source entry); bookworm-backports' 10.0.2 has no
#   downloadable debian tarball.  Bump it together with a rebase of patches/.
# QEMU_VERSION: the upstream version inside it (the VERSION file), checked
#   after unpacking.
# APF_RELEASE: bumped for every release of the suite's QEMU (new patches,
#   rebase); the package version becomes <QEMU_DEB_VERSION>+apf<APF_RELEASE>
#   and `qemu-system-x86_64 --version` shows it.
QEMU_DEB_VERSION := 1:10.0.13+ds-0+deb13u1
QEMU_VERSION     := 10.0.13
APF_RELEASE      := 1
