// SPDX-License-Identifier: GPL-2.0-only
/* Worker threads.  Each has its own cache line for its counter so that the
 * threads do not slow each other down through false sharing; the main
 * thread reads the counters with relaxed atomics. */
#include "threads.h"

#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STACK_SIZE ((size_t)256 * 1024) /* small: the guest may be short of RAM */

struct worker {
	alignas(64) _Atomic uint64_t count;
	_Atomic uint64_t sink;          /* keeps the work observable */
	struct timespec end;            /* written before running-- */
	struct wl_workers *w;
	uint64_t seed;
	unsigned idx;
	bool fault;
	bool created;
	pthread_t tid;
};

enum gate { GATE_WAIT, GATE_GO, GATE_ABORT };

struct wl_workers {
	const struct wl_config *cfg;
	unsigned char *buf;
	size_t pages, page_size;
	uint64_t steps;                 /* per fault thread; 0 = until stop */
	atomic_bool stop;
	pthread_mutex_t lock;
	pthread_cond_t gate_cv;         /* main -> workers: start */
	pthread_cond_t done_cv;         /* workers -> main: finished */
	enum gate gate;
	unsigned running;
	unsigned n;
	struct worker *workers;
};

double wl_seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

uint64_t wl_unit(uint64_t x, uint64_t iters)
{
	uint64_t i;

	for (i = 0; i < iters; i++) {
		x += i;         /* no fixed point even if x ever mixes to 0 */
		x ^= x >> 33;
		x *= 0xff51afd7ed558ccdULL;
		x ^= x >> 33;
		x *= 0xc4ceb9fe1a85ec53ULL;
		x ^= x >> 33;
	}
	return x;
}

uint64_t wl_seed_for(uint64_t seed, unsigned thread)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL * ((uint64_t)thread + 1);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z ? z : 0x2545f4914f6cdd1dULL;
}

uint64_t wl_xorshift64(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/* Returns false when told to abort before the start. */
static bool wait_for_gate(struct wl_workers *w)
{
	enum gate g;

	pthread_mutex_lock(&w->lock);
	while (w->gate == GATE_WAIT)
		pthread_cond_wait(&w->gate_cv, &w->lock);
	g = w->gate;
	pthread_mutex_unlock(&w->lock);
	return g == GATE_GO;
}

static void finished(struct worker *me)
{
	struct wl_workers *w = me->w;

	clock_gettime(CLOCK_MONOTONIC, &me->end);
	pthread_mutex_lock(&w->lock);
	w->running--;
	pthread_cond_broadcast(&w->done_cv);
	pthread_mutex_unlock(&w->lock);
}

static void fault_loop(struct worker *me)
{
	struct wl_workers *w = me->w;
	enum wl_access access = w->cfg->access;
	uint64_t state = me->seed, n = 0, sum = 0;

	for (;;) {
		uint64_t r;
		volatile unsigned char *p;

		if (w->steps ? n >= w->steps
			     : atomic_load_explicit(&w->stop, memory_order_relaxed))
			break;
		r = wl_xorshift64(&state);
		/* Multiply-shift maps r onto [0, pages) without a division. */
		p = w->buf + (size_t)(((unsigned __int128)r * w->pages) >> 64) *
			     w->page_size;
		if (access == WL_ACCESS_WRITE ||
		    (access == WL_ACCESS_RW && !(n & 1)))
			*p = (unsigned char)r;
		else
			sum += *p;
		n++;
		atomic_store_explicit(&me->count, n, memory_order_relaxed);
	}
	atomic_store_explicit(&me->sink, sum, memory_order_relaxed);
}

static void compute_loop(struct worker *me)
{
	struct wl_workers *w = me->w;
	uint64_t x = me->seed, n = 0;

	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		x = wl_unit(x, w->cfg->unit_iters);
		atomic_store_explicit(&me->sink, x, memory_order_relaxed);
		atomic_store_explicit(&me->count, ++n, memory_order_relaxed);
	}
}

static void *worker_main(void *arg)
{
	struct worker *me = arg;

	if (!wait_for_gate(me->w))
		return NULL;
	if (me->fault)
		fault_loop(me);
	else
		compute_loop(me);
	finished(me);
	return NULL;
}

static void join_all(struct wl_workers *w)
{
	unsigned i;

	for (i = 0; i < w->n; i++)
		if (w->workers[i].created)
			pthread_join(w->workers[i].tid, NULL);
}

static void destroy(struct wl_workers *w)
{
	pthread_cond_destroy(&w->done_cv);
	pthread_cond_destroy(&w->gate_cv);
	pthread_mutex_destroy(&w->lock);
	free(w->workers);
	free(w);
}

static int init_sync(struct wl_workers *w)
{
	pthread_condattr_t ca;
	int rc;

	if ((rc = pthread_condattr_init(&ca)))
		return rc;
	/* Deadlines are CLOCK_MONOTONIC: immune to the guest's clock being set. */
	rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!rc)
		rc = pthread_cond_init(&w->done_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (rc)
		return rc;
	if ((rc = pthread_cond_init(&w->gate_cv, NULL))) {
		pthread_cond_destroy(&w->done_cv);
		return rc;
	}
	if ((rc = pthread_mutex_init(&w->lock, NULL))) {
		pthread_cond_destroy(&w->gate_cv);
		pthread_cond_destroy(&w->done_cv);
	}
	return rc;
}

static int spawn_all(struct wl_workers *w, char *err, size_t errlen)
{
	pthread_attr_t attr;
	unsigned i;
	int rc;

	if ((rc = pthread_attr_init(&attr))) {
		snprintf(err, errlen, "pthread_attr_init: %s", strerror(rc));
		return -1;
	}
	pthread_attr_setstacksize(&attr, STACK_SIZE);
	for (i = 0; i < w->n; i++) {
		rc = pthread_create(&w->workers[i].tid, &attr, worker_main,
				    &w->workers[i]);
		if (rc) {
			snprintf(err, errlen,
				 "cannot start thread %u of %u: %s; use fewer threads (-f, -c)",
				 i + 1, w->n, strerror(rc));
			break;
		}
		w->workers[i].created = true;
	}
	pthread_attr_destroy(&attr);
	return rc ? -1 : 0;
}

struct wl_workers *wl_workers_create(const struct wl_config *cfg,
				     unsigned char *buf, size_t pages,
				     size_t page_size,
				     uint64_t steps_per_fault_thread,
				     char *err, size_t errlen)
{
	struct wl_workers *w = calloc(1, sizeof(*w));
	unsigned i, n = cfg->fault_threads + cfg->compute_threads;

	if (!w || !(w->workers = aligned_alloc(alignof(struct worker),
					       n * sizeof(struct worker)))) {
		snprintf(err, errlen, "out of memory for %u threads", n);
		free(w);
		return NULL;
	}
	memset(w->workers, 0, n * sizeof(struct worker));
	if ((errno = init_sync(w))) {
		snprintf(err, errlen, "cannot set up thread sync: %m");
		free(w->workers);
		free(w);
		return NULL;
	}
	w->cfg = cfg;
	w->buf = buf;
	w->pages = pages;
	w->page_size = page_size;
	w->steps = steps_per_fault_thread;
	w->n = n;
	w->running = n;
	w->gate = GATE_WAIT;
	atomic_init(&w->stop, false);
	for (i = 0; i < n; i++) {
		struct worker *k = &w->workers[i];

		k->w = w;
		k->idx = i;
		k->fault = i < cfg->fault_threads;
		k->seed = wl_seed_for(cfg->seed, i);
		atomic_init(&k->count, 0);
		atomic_init(&k->sink, 0);
	}
	if (spawn_all(w, err, errlen)) {
		pthread_mutex_lock(&w->lock);
		w->gate = GATE_ABORT;
		pthread_cond_broadcast(&w->gate_cv);
		pthread_mutex_unlock(&w->lock);
		join_all(w);
		destroy(w);
		return NULL;
	}
	return w;
}

void wl_workers_go(struct wl_workers *w, struct timespec *t0)
{
	pthread_mutex_lock(&w->lock);
	clock_gettime(CLOCK_MONOTONIC, t0);
	w->gate = GATE_GO;
	pthread_cond_broadcast(&w->gate_cv);
	pthread_mutex_unlock(&w->lock);
}

bool wl_workers_wait(struct wl_workers *w, const struct timespec *deadline)
{
	bool all_done;
	int rc = 0;

	pthread_mutex_lock(&w->lock);
	while (w->running > 0 && rc != ETIMEDOUT) {
		if (deadline)
			rc = pthread_cond_timedwait(&w->done_cv, &w->lock, deadline);
		else
			pthread_cond_wait(&w->done_cv, &w->lock);
	}
	all_done = w->running == 0;
	pthread_mutex_unlock(&w->lock);
	return all_done;
}

unsigned wl_workers_count(const struct wl_workers *w)
{
	return w->n;
}

void wl_workers_snapshot(const struct wl_workers *w, uint64_t *counts)
{
	unsigned i;

	for (i = 0; i < w->n; i++)
		counts[i] = atomic_load_explicit(&w->workers[i].count,
						 memory_order_relaxed);
}

double wl_workers_end_s(const struct wl_workers *w, unsigned i,
			const struct timespec *t0)
{
	return wl_seconds_between(t0, &w->workers[i].end);
}

void wl_workers_stop(struct wl_workers *w)
{
	atomic_store(&w->stop, true);
	join_all(w);
	destroy(w);
}
