// SPDX-License-Identifier: GPL-2.0-only
/* arm64: a guest learns that it runs on KVM through SMCCC: the vendor
 * hypervisor UID call answers KVM's UUID, and the KVM feature bitmap says
 * which services the host offers (drivers/firmware/smccc/kvm_guest.c).
 * User space cannot make those calls (HVC is undefined at EL0), and the
 * kernel exports their answer through no ABI file of its own.  What we
 * trust is what a driver built on that discovery creates only after it
 * succeeded:
 *
 *  - /sys/kernel/kvm_async_pf/ (our guest kernel, arm64 0004):
 *    kvm_apf_init() creates it only when kvm_arm_hyp_service_available(
 *    ARM_SMCCC_KVM_FUNC_ASYNC_PF) and ASYNC_PF_INFO answered version 1,
 *    so it proves KVM and a host that offers async page faults.  Its
 *    `enabled` file must read 0 or 1: an empty or half-made directory
 *    proves nothing.
 *  - the "kvm-apf" row of /proc/interrupts: the guest mapped and
 *    requested the PPI the host named (x86's ASYNC_PF_INT).  It counts
 *    both notifications, page not present and page ready.
 *  - on stock guest kernels, ptp_kvm's clock (guest_id_ptp.c).
 *
 * Not trusted: DMI (sys_vendor "QEMU", product "KVM Virtual Machine") is
 * the VMM's claim, replaced by -smbios, "QEMU" under TCG too, and absent
 * when QEMU boots the kernel directly (-kernel, as the lab does);
 * /proc/device-tree's "linux,dummy-virt" is QEMU's virt board under any
 * accelerator, and a /hypervisor node there, like /sys/hypervisor, is
 * Xen's; the boot line "smccc: KVM: hypervisor services detected
 * (bitmap)" is the discovery itself but a log message, not ABI: it
 * leaves the ring buffer of a long-running guest and dmesg_restrict hides
 * it from users, so the answer would depend on uptime and privilege.
 *
 * On x86 the x86 probe decides first (our x86 guest creates the same
 * directory, from kvm_para_available()); this one only runs where CPUID
 * found no KVM. */
#include <string.h>

#include "guest_id.h"
#include "probe.h"

int apf_guest_id_arm64(struct apf_guest_probe *g)
{
	struct apf_guest_id *id = &g->id;
	bool on;

	if (apf_guest_switch_get(&on))
		return 0;
	id->kvm = true;
	id->arch = "arm64";
	id->evidence = "kvm_async_pf";
	id->async_pf = true;
	id->irq = "kvm-apf";
	if (apf_proc_interrupts_action(id->irq, &g->hyp))
		memset(&g->hyp, 0, sizeof(g->hyp));
	id->async_pf_int = g->hyp.found;
	return 0;
}
