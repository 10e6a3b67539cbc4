// SPDX-License-Identifier: GPL-2.0-only
#include "bounded.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct apf_stuck read_stuck = { .max = APF_BOUNDED_STUCK_MAX };

struct run {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done, abandoned;
	void (*fn)(void *job);
	void (*drop)(void *job);
	void *job;
	struct apf_stuck *stuck;
};

static void run_free(struct run *r)
{
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static void *worker(void *arg)
{
	struct run *r = arg;
	bool abandoned;

	r->fn(r->job);
	pthread_mutex_lock(&r->lock);
	r->done = true;
	abandoned = r->abandoned;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	if (abandoned) {
		struct apf_stuck *stuck = r->stuck;

		r->drop(r->job);
		run_free(r);
		atomic_fetch_sub(&stuck->n, 1);
	}
	return NULL;
}

int apf_run_within(struct apf_stuck *stuck, void (*fn)(void *job),
		   void (*drop)(void *job), void *job, int timeout_ms)
{
	struct timespec deadline;
	pthread_condattr_t ca;
	sigset_t all, old;
	pthread_attr_t ta;
	struct run *r;
	pthread_t t;
	int err;

	if (timeout_ms < 0)
		timeout_ms = 0;
	if (atomic_load(&stuck->n) >= stuck->max)
		return -EBUSY;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fn = fn;
	r->drop = drop;
	r->job = job;
	r->stuck = stuck;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	/* Signals are the caller's (a stop signal must end its wait, not
	 * land in a worker stuck in the kernel): blocked in the worker. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&t, &ta, worker, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&ta);
	if (err) {
		run_free(r);
		return err;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->lock);
	while (!r->done) {
		/* ETIMEDOUT, or any other error (which would not wait):
		 * the worker is let go either way. */
		if (pthread_cond_timedwait(&r->cond, &r->lock, &deadline) &&
		    !r->done) {
			/* The worker frees the job and the run when it ends. */
			r->abandoned = true;
			atomic_fetch_add(&stuck->n, 1);
			pthread_mutex_unlock(&r->lock);
			return -ETIMEDOUT;
		}
	}
	pthread_mutex_unlock(&r->lock);
	run_free(r);
	return 0;
}

unsigned int apf_bounded_stuck(void)
{
	return atomic_load(&read_stuck.n);
}

struct read_job {
	ssize_t (*reader)(const char *path, size_t limit, char **out);
	size_t limit;
	ssize_t n;
	char *buf;
	char path[];
};

static void read_run(void *arg)
{
	struct read_job *j = arg;

	j->n = j->reader(j->path, j->limit, &j->buf);
}

static void read_drop(void *arg)
{
	struct read_job *j = arg;

	free(j->buf);
	free(j);
}

ssize_t apf_read_within(ssize_t (*reader)(const char *path, size_t limit, char **out),
			const char *path, size_t limit, int timeout_ms, char **out)
{
	size_t len = strlen(path) + 1;
	struct read_job *j = calloc(1, sizeof(*j) + len);
	ssize_t n;
	int err;

	*out = NULL;
	if (!j)
		return -ENOMEM;
	j->reader = reader;
	j->limit = limit;
	memcpy(j->path, path, len);
	err = apf_run_within(&read_stuck, read_run, read_drop, j, timeout_ms);
	if (err == -ETIMEDOUT)
		return err;	/* j is the worker's now */
	if (err) {
		free(j);
		return err;
	}
	n = j->n;
	*out = j->buf;
	free(j);
	return n;
}
