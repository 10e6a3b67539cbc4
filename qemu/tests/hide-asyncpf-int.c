// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LD_PRELOAD shim: a host kernel without KVM_FEATURE_ASYNC_PF_INT (Linux
 * before 5.8) as QEMU, and async-pf-test, see one.  Both learn what KVM
 * offers a guest only from KVM_GET_SUPPORTED_CPUID; this clears the
 * feature's bit (14) in leaf 0x40000001 EAX of every answer, so that
 * qemu/scripts/check.sh can run the apf1 machine types' "host lacks it"
 * path on a host that has it.  Nothing else changes.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include <linux/kvm_para.h>

int ioctl(int fd, unsigned long request, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;
	int ret;
	__u32 i;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	ret = real(fd, request, arg);
	if (ret == 0 && request == KVM_GET_SUPPORTED_CPUID) {
		struct kvm_cpuid2 *c = arg;

		for (i = 0; i < c->nent; i++)
			if (c->entries[i].function == KVM_CPUID_FEATURES)
				c->entries[i].eax &= ~(1u << KVM_FEATURE_ASYNC_PF_INT);
	}
	return ret;
}
