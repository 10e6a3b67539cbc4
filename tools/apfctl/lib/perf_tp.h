/* SPDX-License-Identifier: GPL-2.0-only */
/* Counting and sampling KVM tracepoints with perf_event_open(2).  Works on
 * any stock KVM host, including under lockdown where debugfs stats do not. */
#ifndef APF_PERF_TP_H
#define APF_PERF_TP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tracefs.h"

/* A set of counting events for the discovered tracepoints, either
 * system-wide (one fd per online CPU, pid -1) or for every thread of one
 * process (one fd per thread, cpu -1).  Threads created later are not
 * followed: a sample re-opens per interval. */
struct apf_tp_counter;

/* Open counters for every tracepoint in t.  pid 0 means system-wide.
 * Returns NULL with *err: -EACCES/-EPERM (needs root or CAP_PERFMON),
 * -ENOENT (no tracepoints), -ESRCH (process gone), -errno. */
struct apf_tp_counter *apf_tp_counter_open(const struct apf_tracefs *t,
					   pid_t pid, int *err);
/* Current totals since open, one per tracepoint of t, in t's order. */
int apf_tp_counter_read(struct apf_tp_counter *c, uint64_t *values, size_t n);
void apf_tp_counter_close(struct apf_tp_counter *c);

/* One raw sample of a traced event. */
struct apf_tp_sample {
	size_t tp_index;		/* index into t->tp */
	pid_t pid, tid;
	uint64_t time_ns;		/* perf clock (monotonic) */
	uint64_t token;			/* "token" field, or ~0 if absent */
};

/* Sampling of selected tracepoints system-wide into per-CPU ring buffers. */
struct apf_tp_sampler;
struct apf_tp_sampler *apf_tp_sampler_open(const struct apf_tracefs *t,
					   const size_t *tp_index, size_t ntp,
					   int *err);
/* Poll for up to timeout_ms and hand every sample to cb. Returns the number
 * of samples, or -errno.  lost receives the count of samples the kernel
 * dropped (the running total since open, so repeated calls may pass the
 * same variable).  A signal ends the wait early; every ring is drained
 * anyway.  Samples of different CPUs are not merged in time order. */
int apf_tp_sampler_poll(struct apf_tp_sampler *s, int timeout_ms,
			void (*cb)(const struct apf_tp_sample *, void *),
			void *arg, uint64_t *lost);
void apf_tp_sampler_close(struct apf_tp_sampler *s);

/* The record layer of the sampler's rings, on its own (fuzzed): the perf
 * records in data[tail, head) of a ring of size bytes (a power of two; the
 * offsets wrap), where ids[i] is the perf event id of tracepoint
 * tp_index[i] of t, each sample handed to cb like apf_tp_sampler_poll()
 * does; PERF_RECORD_LOST adds to *lost.  Returns the samples handed, or
 * -EINVAL for bad arguments. */
int apf_tp_parse_ring(const struct apf_tracefs *t, const uint64_t *ids,
		      const size_t *tp_index, size_t nids, unsigned char *data,
		      uint64_t size, uint64_t tail, uint64_t head,
		      void (*cb)(const struct apf_tp_sample *, void *), void *arg,
		      uint64_t *lost);

/* Parse a sysfs CPU list ("0-3,8,10-11\n") into a malloc'd array (caller
 * frees *cpus).  -EINVAL for anything else (ids above 65535 included). */
int apf_cpu_list_parse(const char *s, int **cpus, size_t *n);

#endif
