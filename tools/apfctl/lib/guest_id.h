/* SPDX-License-Identifier: GPL-2.0-only */
/* Is this machine a KVM guest, and what does its host offer for async
 * page faults?  Each architecture answers from what it has, in a probe
 * of its own file: guest_id_x86.c (the CPUID instruction),
 * guest_id_arm64.c (what the kernel's SMCCC discovery left in sysfs).
 * apf_guest_probe() asks them in turn; the first to find KVM decides.
 * Every probe runs on every architecture: evidence that cannot exist
 * there (CPUID on arm64, no SMCCC files on stock x86) is simply absent,
 * so no architecture is chosen at build time and the fixtures of both
 * run everywhere. */
#ifndef APF_GUEST_ID_H
#define APF_GUEST_ID_H

#include <stdbool.h>

struct apf_guest_probe;

struct apf_guest_id {
	bool kvm;		/* a KVM guest */
	const char *arch;	/* the probe that found it: "x86", "arm64" */
	const char *evidence;	/* "cpuid", "kvm_async_pf", "ptp_kvm" */
	bool async_pf;		/* the host offers async page faults */
	bool async_pf_int;	/* ... and their notification interrupt */
	bool async_pf_vmexit;	/* x86: ASYNC_PF_VMEXIT (nested) */
	const char *irq;	/* the /proc/interrupts row that counts the
				 * notifications: "HYP", "kvm-apf" */
};

/* Fill g->id (and the architecture's own fields of g: cpuid, hyp) when
 * this probe finds KVM; leave g->id.kvm false otherwise.  An unreadable
 * source is recorded in g (cpuid_err), not returned: it must not hide
 * the rest of the report.  Returns 0 or -ENOMEM. */
int apf_guest_id_x86(struct apf_guest_probe *g);
int apf_guest_id_arm64(struct apf_guest_probe *g);
int apf_guest_id_ptp(struct apf_guest_probe *g);

#endif
