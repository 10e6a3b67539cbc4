/* SPDX-License-Identifier: GPL-2.0-only */
/* KVM paravirtual CPUID leaves, as a guest sees them. */
#ifndef APF_KVM_CPUID_H
#define APF_KVM_CPUID_H

#include <stdbool.h>
#include <stdint.h>

#define APF_KVM_FEATURE_ASYNC_PF	 4
#define APF_KVM_FEATURE_ASYNC_PF_VMEXIT 10
#define APF_KVM_FEATURE_ASYNC_PF_INT	 14

struct apf_kvm_cpuid {
	bool hypervisor;	/* CPUID.1:ECX[31] */
	bool kvm;		/* signature "KVMKVMKVM" found */
	uint32_t base;		/* leaf base, 0x40000000 + n*0x100 */
	uint32_t features;	/* EAX of base+1 */
	char signature[13];
};

/* Live: the CPUID instruction.  Under --sysroot: the fixture file
 * SYSROOT/cpuid, lines "LEAF EAX EBX ECX EDX" in hex, so tests can
 * stand in for any hypervisor.  Returns 0 or -errno. */
int apf_kvm_cpuid_read(struct apf_kvm_cpuid *out);
/* Parse that fixture format (fuzzed). */
int apf_kvm_cpuid_parse(const char *text, struct apf_kvm_cpuid *out);

#endif
