# SPDX-License-Identifier: GPL-2.0-or-later
# Devices of the KVM-only qemu-system-aarch64 that scripts/build-aarch64.sh
# cross-builds for arm64 hosts (make build-arm64-host): the virt board and
# what it selects (GICv3, PL011, PL031, virtio-mmio, PCIe), nothing else.
# QEMU's own configs/devices/aarch64-softmmu/minimal.mak also has sbsa-ref,
# which needs TCG.  Copied into the tree as
# configs/devices/aarch64-softmmu/apf-kvm.mak.
CONFIG_ARM_VIRT=y
