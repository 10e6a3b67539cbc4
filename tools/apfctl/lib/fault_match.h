/* SPDX-License-Identifier: GPL-2.0-only */
/* Matching kvm_async_pf_not_present to kvm_async_pf_ready by (process,
 * token): per-fault latency, per VM and in total, for apfctl trace.
 * Samples from per-CPU rings are not merged in time order, so a ready may
 * arrive before its not_present: both sides wait in tables for a partner. */
#ifndef APF_FAULT_MATCH_H
#define APF_FAULT_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "histogram.h"
#include "perf_tp.h"
#include "qemu_cmdline.h"
#include "vms.h"

/* Faults waiting for their partner; past this they count as unmatched. */
#define APF_FAULT_PENDING_MAX (1u << 20)

struct pending {
	uint64_t token, time;
	pid_t pid;
	bool used;
};

struct ptable {
	struct pending *e;
	size_t cap, n;		/* cap: a power of two */
};

struct apf_fault_vm {
	pid_t pid;
	char name[APF_NAME_MAX];
	uint64_t not_present, ready, ready_broadcast;
	uint64_t unmatched_np, unmatched_ready;
	struct apf_histogram hist;
};

struct apf_fault_matcher {
	size_t np_idx, ready_idx;	/* tracepoint indexes in tracefs */
	pid_t only_pid;			/* 0: every process */
	const struct apf_vm_list *vms;
	struct apf_fault_vm *vm;
	size_t nvm, capvm;
	struct ptable np, ready;
	struct apf_histogram total;
	uint64_t not_present, ready_n, ready_broadcast;
	int err;			/* first allocation failure */
};

/* Zero c and set the two tracepoint indexes; only_pid and vms may be set
 * after.  Free with apf_fault_matcher_free. */
void apf_fault_matcher_init(struct apf_fault_matcher *c, size_t np_idx,
			    size_t ready_idx);
/* The entry for pid, created (and named) at first sight; NULL on ENOMEM. */
struct apf_fault_vm *apf_fault_vm_get(struct apf_fault_matcher *c, pid_t pid);
/* Feed one sample (an apf_tp_sampler_poll callback; arg is the matcher).
 * np_idx/ready_idx select the two tracepoints, only_pid filters, vms names
 * the processes; all set by the caller before the first sample. */
void apf_fault_match_sample(const struct apf_tp_sample *s, void *arg);
/* Count what still waits as unmatched and sort the VMs by pid. */
void apf_fault_match_finish(struct apf_fault_matcher *c);
void apf_fault_matcher_free(struct apf_fault_matcher *c);

#endif
