/* SPDX-License-Identifier: GPL-2.0-only */
/* One stats sample over every source: per VM from QMP, libvirt, debugfs or
 * perf tracepoints (first that works), a host total, and guest counters.
 * Connections and perf counters persist between samples. */
#ifndef APF_STATS_SAMPLER_H
#define APF_STATS_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "counters.h"

enum apf_source {
	APF_SRC_NONE,
	APF_SRC_QMP,		/* QMP query-stats (KVM binary stats) */
	APF_SRC_LIBVIRT,	/* libvirt domain stats (same KVM stats) */
	APF_SRC_DEBUGFS,	/* /sys/kernel/debug/kvm */
	APF_SRC_TRACEPOINTS,	/* perf_event_open counting, since start */
	APF_SRC_SUM,		/* total only: sum of the VM rows */
	APF_SRC_DEBUGFS_TP,	/* total only: stock debugfs + APF tracepoints */
	APF_SRC_SYSFS,		/* guest: /sys/kernel/kvm_async_pf */
};

const char *apf_source_name(enum apf_source s);

struct apf_sampler_cfg {
	bool all;		/* every KVM counter, not the APF set */
	bool vcpus;		/* per-vCPU rows where the source has them */
	const char *qmp;	/* --qmp PATH: socket for the selected VM */
	const char *select;	/* -p PID or -g NAME; NULL: every VM */
	bool no_libvirt, no_perf, no_qmp;
	int qmp_timeout_ms;
	/* Watch each VMM whose VM's stat files are kept open with a pidfd,
	 * and close them when it exits (a VM pid under --sysroot is the
	 * test's own child).  Always on for the live system. */
	bool watch_vmm;
	/* Over a wait longer than this (ms; 0: 10 s) the kept files are
	 * closed, so a VM is not held between samples minutes apart. */
	long hold_max_ms;
};

struct apf_vcpu_row {
	unsigned int index;
	struct apf_counters counters;
};

/* Rows carry the time each VM was read (older libapf: only the sample's
 * end time); code built against both tests for this. */
#define APF_VM_ROW_TIME 1

struct apf_vm_row {
	pid_t pid;
	char name[128];
	enum apf_source source;
	char detail[192];		/* socket path, domain, debugfs dir */
	struct apf_counters counters;
	struct apf_vcpu_row *vcpus;
	size_t nvcpus;
	double time;			/* CLOCK_MONOTONIC s this VM was read
					 * (APF_VM_ROW_TIME says it is there) */
	double window_since;		/* window counts (tracepoints) began */
};

struct apf_sample {
	double time;			/* CLOCK_MONOTONIC seconds, sample end */
	struct apf_vm_row *vms;
	size_t nvms;
	int vms_err;			/* -EACCES: VMs could not be listed */
	enum apf_source total_source;
	struct apf_counters total;
	double total_time;		/* when the total was read */
	double total_window_since;	/* the total's window counts began */
	bool guest;			/* this machine is a KVM guest */
	enum apf_source guest_source;	/* SYSFS, or NONE: HYP row only */
	struct apf_counters guest_counters;
	double guest_time;
};

struct apf_sampler;

/* Returns NULL with *err set.  -ESRCH: the selected VM is not running. */
struct apf_sampler *apf_sampler_open(const struct apf_sampler_cfg *cfg, int *err);
/* Take a sample.  Notes for the operator (a VM whose source failed) are
 * passed to warn once each.  -ESRCH when the selected VM exited. */
int apf_sampler_take(struct apf_sampler *s, struct apf_sample *out,
		     void (*warn)(const char *msg));
void apf_sample_free(struct apf_sample *smp);
/* Sleep ms between samples; a VM's files that are kept open are closed
 * as soon as its VMM exits meanwhile (KVM keeps a VM until they are).
 * 0, or -EINTR when a signal ended the sleep early. */
int apf_sampler_wait(struct apf_sampler *s, long ms);
/* For a caller that waits ms by other means: the kept files are closed
 * when ms is over cfg.hold_max_ms (as apf_sampler_wait() does). */
void apf_sampler_release(struct apf_sampler *s, long ms);
void apf_sampler_close(struct apf_sampler *s);
/* Seconds a VM's QMP is left alone after its fails-th failure in a row
 * (1, 2, 4 ... 64): the first failure waits 1 s. */
double apf_qmp_backoff_s(unsigned int fails);

/* Per-second rate of counter name in row cur against prev (same pid or
 * the total); false when there is no earlier value or it went down. */
bool apf_rate(const struct apf_counters *prev, const struct apf_counter *cur,
	      double dt, double *rate);
const struct apf_vm_row *apf_sample_vm(const struct apf_sample *smp, pid_t pid);
/* Seconds between the reads of one VM in two samples (0 without prev):
 * rates use each VM's own read times, so a VM slow to answer does not
 * stretch or squeeze the interval of the VMs read before it.  0 too when
 * the two were read from different sources (not one series). */
double apf_vm_dt(const struct apf_vm_row *cur, const struct apf_vm_row *prev);
/* Rate of counter c of the host total.  A total the kernel gives (debugfs,
 * tracepoints) uses its own read times; a total summed over the VM rows
 * is the sum of each VM's rate over its own interval (VMs in both
 * samples).  false when there is no rate. */
bool apf_total_rate(const struct apf_sample *cur, const struct apf_sample *prev,
		    const struct apf_counter *c, double *rate);

#endif
