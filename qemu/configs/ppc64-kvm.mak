# SPDX-License-Identifier: GPL-2.0-or-later
# Devices of the KVM-only qemu-system-ppc64 that scripts/build-ppc64.sh
# cross-builds for ppc64el hosts (make build-ppc64-host): the pseries
# board and what it selects (XICS, XIVE, spapr-vty, spapr-vscsi, PCI,
# NVDIMM, VOF), the virtio devices the VM labs give their guests, and the
# spapr RNG; nothing else (no powernv, no 32-bit boards: they need TCG).
# Copied into the tree as configs/devices/ppc64-softmmu/apf-kvm.mak.
CONFIG_PSERIES=y
CONFIG_SPAPR_RNG=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_BLK=y
CONFIG_VIRTIO_NET=y
CONFIG_VIRTIO_SERIAL=y
CONFIG_VIRTIO_SCSI=y
