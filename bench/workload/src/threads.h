/* SPDX-License-Identifier: GPL-2.0-only */
/* The two thread classes.  Fault threads touch one byte of a random page per
 * step (under host overcommit most steps are a host swap-in); compute
 * threads do fixed units of CPU work, which is what APF lets the vCPU keep
 * doing while a fault thread waits for its page. */
#ifndef APFWL_THREADS_H
#define APFWL_THREADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "args.h"

struct wl_workers;

/* Creates cfg->fault_threads + cfg->compute_threads threads, all waiting to
 * be started; threads 0..F-1 are fault threads, F.. compute threads.
 * steps_per_fault_thread = 0 runs until stopped (throughput mode).  NULL on
 * failure, with err filled and nothing left running. */
struct wl_workers *wl_workers_create(const struct wl_config *cfg,
				     unsigned char *buf, size_t pages,
				     size_t page_size,
				     uint64_t steps_per_fault_thread,
				     char *err, size_t errlen);
/* Releases every thread at once; *t0 is the start time (CLOCK_MONOTONIC). */
void wl_workers_go(struct wl_workers *w, struct timespec *t0);
/* Sleeps until deadline (CLOCK_MONOTONIC; NULL = no limit) or until every
 * thread has finished.  Returns true when all have finished. */
bool wl_workers_wait(struct wl_workers *w, const struct timespec *deadline);
/* Current per-thread counts (pages or units), n = wl_workers_count(). */
void wl_workers_snapshot(const struct wl_workers *w, uint64_t *counts);
unsigned wl_workers_count(const struct wl_workers *w);
/* When thread i finished (finish mode), as seconds after t0. */
double wl_workers_end_s(const struct wl_workers *w, unsigned i,
			const struct timespec *t0);
/* Asks every thread to stop, joins them and frees w. */
void wl_workers_stop(struct wl_workers *w);

/* One compute unit: iters rounds of a 64-bit hash mix, each depending on
 * the last, so it can be neither vectorised nor folded away. */
uint64_t wl_unit(uint64_t x, uint64_t iters);
/* Per-thread PRNG (xorshift64), seeded through splitmix64 so that threads
 * with neighbouring indices get unrelated streams.  Never returns 0. */
uint64_t wl_seed_for(uint64_t seed, unsigned thread);
uint64_t wl_xorshift64(uint64_t *state);

double wl_seconds_between(const struct timespec *a, const struct timespec *b);

#endif
