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
#include <unistd.h>

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

/* One finished worker waits this long for the next call before it ends:
 * a discovery of N new VMs then costs one thread, not N (a thread is ~45 us
 * here against ~1 us for the read itself). */
#define IDLE_MS 1000

/* The idle worker, if any (idle_lock).  Workers are created joinable: one
 * ends either detached by itself or, idle at exit, joined by idle_exit(),
 * so nothing of it is left for a leak checker. */
static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cond;
static pthread_once_t idle_once = PTHREAD_ONCE_INIT;
static enum { IDLE_NONE, IDLE_WAITING, IDLE_HANDED, IDLE_QUIT } idle_state;
static struct run *idle_next;
static pthread_t idle_thread;
static pid_t idle_owner;
static atomic_uint threads_created;

static void idle_exit(void)
{
	pthread_t t;

	/* A child between fork and exec that calls exit() has no worker. */
	if (getpid() != idle_owner)
		return;
	pthread_mutex_lock(&idle_lock);
	if (idle_state != IDLE_WAITING) {
		pthread_mutex_unlock(&idle_lock);
		return;
	}
	idle_state = IDLE_QUIT;
	t = idle_thread;
	pthread_cond_signal(&idle_cond);
	pthread_mutex_unlock(&idle_lock);
	pthread_join(t, NULL);
}

/* fork() copies the idle state but not the worker: a child that goes on
 * in this library (the hook's watcher) starts with none. */
static void idle_prefork(void)
{
	pthread_mutex_lock(&idle_lock);
}

static void idle_parent(void)
{
	pthread_mutex_unlock(&idle_lock);
}

/* Deadlines are CLOCK_MONOTONIC (deadline_in()). */
static void cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(c, &ca);
	pthread_condattr_destroy(&ca);
}

static void idle_child(void)
{
	/* The copied condition variable still counts the parent's waiting
	 * worker: signalling it would wait for that phantom for good. */
	memset(&idle_cond, 0, sizeof(idle_cond));
	cond_init_monotonic(&idle_cond);
	idle_state = IDLE_NONE;
	idle_next = NULL;
	idle_owner = getpid();
	pthread_mutex_unlock(&idle_lock);
}

static void idle_init(void)
{
	cond_init_monotonic(&idle_cond);
	idle_owner = getpid();
	pthread_atfork(idle_prefork, idle_parent, idle_child);
	atexit(idle_exit);
}

static struct timespec deadline_in(int ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/* Make the calling worker the idle one, before it reports its run done so
 * that the caller's next call finds it; false when another one is. */
static bool become_idle(void)
{
	bool ok;

	pthread_mutex_lock(&idle_lock);
	ok = idle_state == IDLE_NONE;
	if (ok) {
		idle_state = IDLE_WAITING;
		idle_thread = pthread_self();
	}
	pthread_mutex_unlock(&idle_lock);
	return ok;
}

/* The idle worker's next run, or NULL when it is to end: none came within
 * IDLE_MS (it detaches itself then) or the process exits (idle_exit()
 * joins it). */
static struct run *next_run(void)
{
	struct timespec deadline = deadline_in(IDLE_MS);
	struct run *r = NULL;

	pthread_mutex_lock(&idle_lock);
	while (idle_state == IDLE_WAITING &&
	       !pthread_cond_timedwait(&idle_cond, &idle_lock, &deadline))
		;
	switch (idle_state) {
	case IDLE_HANDED:
		r = idle_next;
		idle_next = NULL;
		break;
	case IDLE_QUIT:
		break;		/* joined by idle_exit() */
	default:		/* timed out, nothing handed */
		pthread_detach(pthread_self());
		break;
	}
	idle_state = IDLE_NONE;
	pthread_mutex_unlock(&idle_lock);
	return r;
}

/* Give r to the idle worker, if one waits. */
static bool hand_to_idle(struct run *r)
{
	bool handed = false;

	pthread_mutex_lock(&idle_lock);
	if (idle_state == IDLE_WAITING) {
		idle_next = r;
		idle_state = IDLE_HANDED;
		pthread_cond_signal(&idle_cond);
		handed = true;
	}
	pthread_mutex_unlock(&idle_lock);
	return handed;
}

static void *worker(void *arg)
{
	struct run *r = arg;

	while (r) {
		bool abandoned, idle = false;

		r->fn(r->job);
		pthread_mutex_lock(&r->lock);
		r->done = true;
		abandoned = r->abandoned;
		if (!abandoned)
			idle = become_idle();
		pthread_cond_signal(&r->cond);
		pthread_mutex_unlock(&r->lock);
		if (abandoned) {
			struct apf_stuck *stuck = r->stuck;

			r->drop(r->job);
			run_free(r);
			atomic_fetch_sub(&stuck->n, 1);
		}
		if (!idle) {
			pthread_detach(pthread_self());
			return NULL;
		}
		/* r is the caller's again (it frees it): not touched. */
		r = next_run();
	}
	return NULL;
}

static int start_worker(struct run *r)
{
	sigset_t all, old;
	pthread_t t;
	int err;

	if (hand_to_idle(r))
		return 0;
	/* Signals are the caller's (a stop signal must end its wait, not
	 * land in a worker stuck in the kernel): blocked in the worker. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&t, NULL, worker, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!err)
		atomic_fetch_add(&threads_created, 1);
	return err;
}

unsigned int apf_bounded_threads_created(void)
{
	return atomic_load(&threads_created);
}

int apf_run_within(struct apf_stuck *stuck, void (*fn)(void *job),
		   void (*drop)(void *job), void *job, int timeout_ms)
{
	struct timespec deadline;
	struct run *r;
	int err;

	if (timeout_ms < 0)
		timeout_ms = 0;
	if (atomic_load(&stuck->n) >= stuck->max)
		return -EBUSY;
	pthread_once(&idle_once, idle_init);
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fn = fn;
	r->drop = drop;
	r->job = job;
	r->stuck = stuck;
	pthread_mutex_init(&r->lock, NULL);
	cond_init_monotonic(&r->cond);
	err = start_worker(r);
	if (err) {
		run_free(r);
		return err;
	}
	deadline = deadline_in(timeout_ms);
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
