/* SPDX-License-Identifier: GPL-2.0-only */
/* Calls that can block for good, run in a worker thread with a deadline.
 * Reading /proc/PID/cmdline takes the process's mmap_lock: a QEMU stuck
 * holding it (the classic `ps` hang) would hang apfctl with it.  A worker
 * past its deadline is left to finish on its own and frees its job then;
 * one that finished in time serves the next call within a second;
 * while APF_BOUNDED_STUCK_MAX of them are still out, later calls fail at
 * once (-EBUSY) instead of piling up threads. */
#ifndef APF_BOUNDED_H
#define APF_BOUNDED_H

#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>

#define APF_BOUNDED_STUCK_MAX 8

/* The workers of one kind of call past their deadline and not ended yet,
 * and how many may be before later calls fail at once. */
struct apf_stuck {
	atomic_uint n;
	unsigned int max;
};

/* Run fn(job) in a worker, waiting at most timeout_ms.  0: it finished
 * (its results are in job, which the caller still owns).  -ETIMEDOUT: it
 * did not; the worker calls drop(job) when it ends, the caller must not
 * touch job again.  -EBUSY (stuck->max still stuck) or a pthread error:
 * fn never ran; the caller still owns job. */
int apf_run_within(struct apf_stuck *stuck, void (*fn)(void *job),
		   void (*drop)(void *job), void *job, int timeout_ms);
/* apf_read_within()'s workers still stuck (at most APF_BOUNDED_STUCK_MAX). */
unsigned int apf_bounded_stuck(void);
/* Worker threads created so far: a finished worker waits a second for the
 * next call, so a burst of calls shares one (tests and benchmarks). */
unsigned int apf_bounded_threads_created(void);

/* reader(path, limit, out) (apf_slurp() or the like) within timeout_ms:
 * its return, or -ETIMEDOUT / -EBUSY as above. */
ssize_t apf_read_within(ssize_t (*reader)(const char *path, size_t limit, char **out),
			const char *path, size_t limit, int timeout_ms, char **out);

#endif
