# SPDX-License-Identifier: GPL-2.0-only
# The one place that pins the kernel base and the APF Suite release.
#
# KERNEL_DEB_VERSION: exact version of Debian's linux-source-6.12 (and
#   linux-config-6.12) package the patch series applies to.  bookworm gets
#   6.12 through bookworm-security (6.12.x-N~deb12uM); bump it together with
#   a rebase of patches/ when Debian moves on and drops the old version.
# KERNEL_VERSION: the upstream version inside that package (Makefile
#   VERSION.PATCHLEVEL.SUBLEVEL), checked after unpacking.
# APF_RELEASE: bumped for every release of the suite's kernel packages
#   (new patches, config changes, rebase); goes into the package versions
#   <KERNEL_VERSION>-apf<APF_RELEASE>.
KERNEL_DEB_VERSION := 6.12.118-1~deb12u1
KERNEL_VERSION     := 6.12.118
APF_RELEASE        := 1
