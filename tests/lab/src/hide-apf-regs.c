// SPDX-License-Identifier: GPL-2.0-only
/*
 * LD_PRELOAD shim for the aarch64 lab (issue 19, scenario g on arm64): a
 * host kernel without the arm64 async page fault function, as QEMU sees
 * one.  Such a kernel refuses bit 48 (KVM_REG_ARM_VENDOR_HYP_BIT_ASYNC_PF)
 * of KVM_REG_ARM_VENDOR_HYP_BMAP with -EINVAL and does not have the bit,
 * and KVM_GET_REG_LIST has no KVM_REG_ARM_FW_ASYNC_PF (0x4150) or
 * KVM_REG_ARM_FW_ASYNC_PF_IRQ (0x4151).  QEMU learns a vCPU's KVM
 * registers only from KVM_GET_REG_LIST and then migrates exactly those
 * (its cpreg list), so a migration destination under this shim must
 * refuse a stream that has them (qemu/patches/0017) as one on a stock
 * kernel does.  Nothing else changes.  The numbers are spelled out: this
 * machine's <linux/kvm.h> has no arm64 registers.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/ioctl.h>

/* _IOWR(KVMIO, 0xb0, struct kvm_reg_list): a __u64 count, then the ids */
#define KVM_GET_REG_LIST 0xc008aeb0UL
/* KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_FW | index */
#define FW_REG(i) (0x6030000000140000ULL | (i))
/* _IOW(KVMIO, 0xab / 0xac, struct kvm_one_reg): a __u64 id, a __u64 addr */
#define KVM_GET_ONE_REG 0x4010aeabUL
#define KVM_SET_ONE_REG 0x4010aeacUL
/* KVM_REG_ARM_FW_FEAT_BMAP_REG(2): KVM_REG_ARM_VENDOR_HYP_BMAP */
#define VENDOR_HYP_BMAP 0x6030000000160002ULL
#define BIT_ASYNC_PF (1ULL << 48)

int ioctl(int fd, unsigned long request, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	if (request == KVM_SET_ONE_REG && ((uint64_t *)arg)[0] == VENDOR_HYP_BMAP &&
	    *(uint64_t *)(uintptr_t)((uint64_t *)arg)[1] & BIT_ASYNC_PF) {
		errno = EINVAL;
		return -1;
	}
	ret = real(fd, request, arg);
	if (ret == 0 && request == KVM_GET_ONE_REG && ((uint64_t *)arg)[0] == VENDOR_HYP_BMAP)
		*(uint64_t *)(uintptr_t)((uint64_t *)arg)[1] &= ~BIT_ASYNC_PF;
	if (ret == 0 && request == KVM_GET_REG_LIST) {
		uint64_t *list = arg, n = list[0], i, j = 0;

		for (i = 0; i < n; i++) {
			uint64_t id = list[1 + i];

			if (id != FW_REG(0x4150) && id != FW_REG(0x4151))
				list[1 + j++] = id;
		}
		list[0] = j;
	}
	return ret;
}
