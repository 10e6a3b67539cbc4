// SPDX-License-Identifier: GPL-2.0-only
/*
 * LD_PRELOAD shim for the aarch64 lab (issue 19, scenario g on arm64): a
 * host kernel without the arm64 async page fault registers, as QEMU sees
 * one.  QEMU learns a vCPU's KVM registers only from KVM_GET_REG_LIST and
 * then migrates exactly those (its cpreg list); this removes
 * KVM_REG_ARM_FW_ASYNC_PF (0x4150) and KVM_REG_ARM_FW_ASYNC_PF_IRQ (0x4151)
 * from every answer, so that a migration destination under it must refuse
 * a stream that has them (qemu/patches/0017) as one on a stock kernel
 * does.  Nothing else changes.  The numbers are spelled out: this
 * machine's <linux/kvm.h> has no arm64 registers.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/ioctl.h>

/* _IOWR(KVMIO, 0xb0, struct kvm_reg_list): a __u64 count, then the ids */
#define KVM_GET_REG_LIST 0xc008aeb0UL
/* KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_FW | index */
#define FW_REG(i) (0x6030000000140000ULL | (i))

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
	ret = real(fd, request, arg);
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
