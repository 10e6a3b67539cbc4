// SPDX-License-Identifier: GPL-2.0-only
/* x86: the KVM signature in the hypervisor CPUID leaves, and the feature
 * bits of the leaf after it, as the guest kernel's kvm_para_available()
 * and kvm_para_has_feature() read them.  The CPUID instruction (or,
 * under --sysroot, the fixture file "cpuid") is the host's own answer,
 * the same on stock and patched guests. */
#include <string.h>

#include "guest_id.h"
#include "probe.h"

int apf_guest_id_x86(struct apf_guest_probe *g)
{
	struct apf_guest_id *id = &g->id;

	g->cpuid_err = apf_kvm_cpuid_read(&g->cpuid);
	if (g->cpuid_err)
		memset(&g->cpuid, 0, sizeof(g->cpuid));
	if (!g->cpuid.kvm)
		return 0;
	id->kvm = true;
	id->arch = "x86";
	id->evidence = "cpuid";
	id->async_pf = g->cpuid.features & (1u << APF_KVM_FEATURE_ASYNC_PF);
	id->async_pf_int = g->cpuid.features & (1u << APF_KVM_FEATURE_ASYNC_PF_INT);
	id->async_pf_vmexit = g->cpuid.features & (1u << APF_KVM_FEATURE_ASYNC_PF_VMEXIT);
	/* Page-ready interrupts ("Hypervisor callback interrupts"). */
	id->irq = "HYP";
	if (apf_proc_interrupts_row(id->irq, &g->hyp))
		memset(&g->hyp, 0, sizeof(g->hyp));
	return 0;
}
