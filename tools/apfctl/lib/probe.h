/* SPDX-License-Identifier: GPL-2.0-only */
/* What this kernel supports and how it is set, as host and as guest. */
#ifndef APF_PROBE_H
#define APF_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "counters.h"
#include "guest_id.h"
#include "kvm_cpuid.h"
#include "procfs.h"
#include "tracefs.h"

enum apf_debugfs_state {
	APF_DEBUGFS_NOT_MOUNTED,	/* no debugfs at /sys/kernel/debug */
	APF_DEBUGFS_NO_KVM,		/* mounted, no kvm/ directory */
	APF_DEBUGFS_UNLISTABLE,		/* kvm/ not listable (not root) */
	APF_DEBUGFS_STATS_EPERM,	/* listable, stat files refused */
	APF_DEBUGFS_READABLE,
	APF_DEBUGFS_STATS_UNREADABLE,	/* stat files fail otherwise (e.g.
					 * not regular files): debugfs_err */
};

struct apf_param {
	char module[16];
	char name[48];
	char value[64];
};

struct apf_host_probe {
	bool dev_kvm;
	bool kvm_module;
	char vendor_module[16];		/* kvm_intel, kvm_amd, kvm_pvm, "" */
	struct apf_param *params;	/* kvm and vendor module parameters */
	size_t nparams;
	enum apf_debugfs_state debugfs;
	int debugfs_err;		/* -errno behind STATS_UNREADABLE */
	char lockdown[24];		/* none/integrity/confidentiality/"" */
	bool counters;			/* our async_pf_* stats exist */
	bool switch_present;		/* /sys/module/kvm/parameters/async_pf */
	bool switch_on;
	struct apf_tracefs tracefs;
};

struct apf_guest_probe {
	struct apf_guest_id id;		/* KVM?  decided by guest_id_*.c */
	struct apf_kvm_cpuid cpuid;	/* x86 */
	int cpuid_err;			/* CPUID unreadable: treated as none */
	bool no_kvmapf;			/* on the kernel command line */
	struct apf_irq_row hyp;		/* /proc/interrupts row id.irq (HYP
					 * when no probe found KVM) */
	bool sysfs;			/* /sys/kernel/kvm_async_pf/ */
	bool sysfs_enabled_known, enabled;
	struct apf_counters counters;
};

bool apf_is_host(const struct apf_host_probe *h);
bool apf_is_guest(const struct apf_guest_probe *g);

int apf_host_probe(struct apf_host_probe *h);
void apf_host_probe_free(struct apf_host_probe *h);
int apf_guest_probe(struct apf_guest_probe *g);
void apf_guest_probe_free(struct apf_guest_probe *g);
const char *apf_debugfs_state_name(enum apf_debugfs_state s);

/* The switches of DESIGN.md.  Each returns 0, -ENOENT when this kernel
 * lacks the switch, -EACCES/-EPERM without privilege, or -errno. */
int apf_host_switch_set(bool on);
int apf_guest_switch_set(bool on);
int apf_host_switch_get(bool *on);
int apf_guest_switch_get(bool *on);

#endif
