// SPDX-License-Identifier: GPL-2.0-only
/* Orchestration: allocate and fill the buffer, start the threads, report at
 * intervals, stop, report the result with the guest's APF counters. */
#include "run.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_stats.h"
#include "jsonl.h"
#include "threads.h"

struct run {
	const struct wl_config *cfg;
	int fd;
	struct jl *j;
	size_t page_size, pages;
	unsigned char *buf;
	struct wl_workers *w;
	struct timespec t0, win0;       /* threads started; window opened */
	uint64_t *prev, *now;   /* per-thread counts: last interval, current */
	uint64_t *base;         /* per-thread counts when the window opened */
	struct guest_stats *gs0;        /* guest counters then */
};

static struct timespec plus_s(const struct timespec *t, unsigned s)
{
	struct timespec r = *t;

	r.tv_sec += s;
	return r;
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static double elapsed_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return wl_seconds_between(t0, &now);
}

static void emit_start(struct run *r)
{
	const struct wl_config *c = r->cfg;

	jl_begin(r->j, "start");
	jl_u64(r->j, "version", WL_VERSION);
	jl_u64(r->j, "fault_threads", c->fault_threads);
	jl_u64(r->j, "compute_threads", c->compute_threads);
	jl_u64(r->j, "mb", c->mb);
	jl_u64(r->j, "pages", r->pages);
	jl_u64(r->j, "page_size", r->page_size);
	jl_str(r->j, "access", wl_access_name(c->access));
	jl_u64(r->j, "duration_s", c->passes ? 0 : c->duration_s);
	jl_u64(r->j, "warmup_s", c->passes ? 0 : c->warmup_s);
	jl_u64(r->j, "interval_s", c->interval_s);
	jl_str(r->j, "mode", c->passes ? "finish" : "throughput");
	jl_u64(r->j, "passes", c->passes);
	jl_bool(r->j, "fill", c->fill);
	jl_u64(r->j, "seed", c->seed);
	jl_u64(r->j, "unit_iters", c->unit_iters);
	jl_emit(r->j, r->fd);
}

/* One write per page makes the guest, and through it the host, back every
 * page.  The value is the page number, so no two pages are identical and
 * host KSM cannot merge them back. */
static void fill(struct run *r)
{
	struct timespec t0;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (r->cfg->fill)
		for (i = 0; i < r->pages; i++)
			*(volatile uint64_t *)(r->buf + i * r->page_size) = i + 1;
	jl_begin(r->j, "fill");
	jl_num(r->j, "seconds", r->cfg->fill ? elapsed_since(&t0) : 0.0, 6);
	jl_bool(r->j, "skipped", !r->cfg->fill);
	jl_emit(r->j, r->fd);
}

static void sums(const struct run *r, const uint64_t *counts,
		 uint64_t *fault, uint64_t *compute)
{
	unsigned i, n = wl_workers_count(r->w);

	*fault = *compute = 0;
	for (i = 0; i < n; i++) {
		if (i < r->cfg->fault_threads)
			*fault += counts[i];
		else
			*compute += counts[i];
	}
}

static void emit_interval(struct run *r, double *prev_t)
{
	uint64_t f0, c0, f1, c1;
	double t = elapsed_since(&r->t0), dt;
	unsigned n = wl_workers_count(r->w);

	wl_workers_snapshot(r->w, r->now);
	sums(r, r->prev, &f0, &c0);
	sums(r, r->now, &f1, &c1);
	dt = t - *prev_t;
	jl_begin(r->j, "interval");
	jl_num(r->j, "t", t, 3);
	jl_num(r->j, "fault_pages_per_s", dt > 0 ? (double)(f1 - f0) / dt : 0, 1);
	jl_num(r->j, "compute_units_per_s", dt > 0 ? (double)(c1 - c0) / dt : 0, 1);
	/* Totals since the threads started: any window can be cut from them. */
	jl_u64(r->j, "fault_pages", f1);
	jl_u64(r->j, "compute_units", c1);
	jl_emit(r->j, r->fd);
	memcpy(r->prev, r->now, n * sizeof(*r->now));
	*prev_t = t;
}

/* The measured window opens: counts and guest counters are taken as its
 * zero, and a "window" record tells the harness to take its own. */
static void open_window(struct run *r)
{
	wl_workers_snapshot(r->w, r->base);
	clock_gettime(CLOCK_MONOTONIC, &r->win0);
	gs_sample(r->cfg->sysroot, r->gs0);
	jl_begin(r->j, "window");
	jl_num(r->j, "t", wl_seconds_between(&r->t0, &r->win0), 3);
	jl_u64(r->j, "warmup_s", r->cfg->warmup_s);
	jl_u64(r->j, "duration_s", r->cfg->duration_s);
	jl_emit(r->j, r->fd);
}

/* Waits out the run, reporting every interval; returns the elapsed time of
 * the measured phase, with the final counts in r->now.  Throughput mode
 * runs -w seconds of warm-up first (reported, not measured), then the -t
 * second window. */
static double measure(struct run *r)
{
	const struct wl_config *c = r->cfg;
	struct timespec win = plus_s(&r->t0, c->warmup_s);
	struct timespec end = plus_s(&r->t0, c->warmup_s + c->duration_s);
	struct timespec next, stop;
	unsigned k = 1;
	double prev_t = 0, longest = 0;
	bool in_window = c->passes || !c->warmup_s;
	unsigned i, n = wl_workers_count(r->w);

	if (!c->passes && !c->warmup_s) {
		/* No warm-up: the window is the whole run, opened at go. */
		r->win0 = r->t0;
		jl_begin(r->j, "window");
		jl_num(r->j, "t", 0, 3);
		jl_u64(r->j, "warmup_s", 0);
		jl_u64(r->j, "duration_s", c->duration_s);
		jl_emit(r->j, r->fd);
	}
	for (;;) {
		const struct timespec *deadline;

		next = plus_s(&r->t0, c->interval_s * k);
		if (c->passes) {
			deadline = c->interval_s ? &next : NULL;
		} else {
			deadline = &end;
			if (!in_window && before(&win, deadline))
				deadline = &win;
			if (c->interval_s && before(&next, deadline))
				deadline = &next;
		}
		if (wl_workers_wait(r->w, deadline) || deadline == &end)
			break;
		if (deadline == &win) {
			open_window(r);
			in_window = true;
			/* A late wake-up must not shorten the window. */
			end = plus_s(&r->win0, c->duration_s);
			continue;
		}
		emit_interval(r, &prev_t);
		k++;
	}
	if (!c->passes) {
		/* Counts at the moment the window closed, before the threads
		 * notice the stop flag; a fault thread may sit in a slow fault. */
		wl_workers_snapshot(r->w, r->now);
		clock_gettime(CLOCK_MONOTONIC, &stop);
		return wl_seconds_between(&r->win0, &stop);
	}
	wl_workers_snapshot(r->w, r->now);
	for (i = 0; i < n; i++) {
		double e = wl_workers_end_s(r->w, i, &r->t0);

		if (e > longest)
			longest = e;
	}
	return longest;
}

static double rate(uint64_t count, double seconds)
{
	return seconds > 0 ? (double)count / seconds : 0;
}

static void emit_result(struct run *r, double elapsed,
			const struct guest_stats *gs0,
			const struct guest_stats *gs1)
{
	const struct wl_config *c = r->cfg;
	unsigned i, n = wl_workers_count(r->w);
	uint64_t f, u;

	/* The window's counts: from its opening (zero without a warm-up). */
	for (i = 0; i < n; i++)
		r->now[i] -= r->base[i];
	sums(r, r->now, &f, &u);
	jl_begin(r->j, "result");
	jl_str(r->j, "mode", c->passes ? "finish" : "throughput");
	jl_num(r->j, "elapsed_s", elapsed, 6);
	if (!c->passes)
		jl_u64(r->j, "warmup_s", c->warmup_s);
	jl_u64(r->j, "fault_pages", f);
	jl_num(r->j, "fault_pages_per_s", rate(f, elapsed), 1);
	jl_u64(r->j, "compute_units", u);
	jl_num(r->j, "compute_units_per_s", rate(u, elapsed), 1);
	jl_obj_open(r->j, "per_thread");
	jl_arr_open(r->j, "fault");
	for (i = 0; i < c->fault_threads; i++)
		jl_num(r->j, NULL, rate(r->now[i], c->passes ?
			wl_workers_end_s(r->w, i, &r->t0) : elapsed), 1);
	jl_arr_close(r->j);
	jl_arr_open(r->j, "compute");
	for (i = c->fault_threads; i < n; i++)
		jl_num(r->j, NULL, rate(r->now[i], elapsed), 1);
	jl_arr_close(r->j);
	if (c->passes) {
		/* Time to finish of each fault thread: spread shows fairness. */
		jl_arr_open(r->j, "finish_s");
		for (i = 0; i < c->fault_threads; i++)
			jl_num(r->j, NULL, wl_workers_end_s(r->w, i, &r->t0), 6);
		jl_arr_close(r->j);
	}
	jl_obj_close(r->j);
	gs_emit(r->j, gs0, gs1);
	jl_emit(r->j, r->fd);
}

int wl_run(const struct wl_config *cfg, int out_fd, char *err, size_t errlen)
{
	struct run r = { .cfg = cfg, .fd = out_fd };
	struct guest_stats *gs = calloc(2, sizeof(*gs));
	long ps = sysconf(_SC_PAGESIZE);
	uint64_t steps = 0;
	int rc = WL_EXIT_RUNTIME;
	unsigned n = cfg->fault_threads + cfg->compute_threads;
	double elapsed;

	r.page_size = ps > 0 ? (size_t)ps : 4096;
	r.pages = (size_t)(cfg->mb * 1024 * 1024 / r.page_size);
	r.j = malloc(sizeof(*r.j));
	r.prev = calloc(n, sizeof(*r.prev));
	r.now = calloc(n, sizeof(*r.now));
	r.base = calloc(n, sizeof(*r.base));
	if (!gs || !r.j || !r.prev || !r.now || !r.base) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r.gs0 = &gs[0];
	emit_start(&r);
	/* Ordinary commit accounting (no MAP_NORESERVE): a -m the guest cannot
	 * hold fails here, clearly, rather than in the OOM killer later. */
	r.buf = mmap(NULL, r.pages * r.page_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r.buf == MAP_FAILED) {
		r.buf = NULL;
		snprintf(err, errlen,
			 "cannot map a %llu MiB buffer: %s; use a smaller -m",
			 (unsigned long long)cfg->mb, strerror(errno));
		goto out;
	}
	fill(&r);
	if (cfg->passes)
		steps = cfg->passes * (r.pages / cfg->fault_threads);
	r.w = wl_workers_create(cfg, r.buf, r.pages, r.page_size, steps,
				err, errlen);
	if (!r.w)
		goto out;
	gs_sample(cfg->sysroot, &gs[0]);
	wl_workers_go(r.w, &r.t0);
	elapsed = measure(&r);
	gs_sample(cfg->sysroot, &gs[1]);
	emit_result(&r, elapsed, &gs[0], &gs[1]);
	rc = WL_EXIT_OK;
out:
	if (r.w)
		wl_workers_stop(r.w);
	if (r.buf)
		munmap(r.buf, r.pages * r.page_size);
	free(r.base);
	free(r.now);
	free(r.prev);
	free(r.j);
	free(gs);
	return rc;
}

static int fail(int out_fd, int rc, const char *msg)
{
	fprintf(stderr, "apf-workload: %s\n", msg);
	jl_emit_error(out_fd, msg);
	jl_emit_done(out_fd, rc);
	return rc;
}

int wl_main(int argc, char **argv, int out_fd)
{
	struct wl_config cfg;
	char err[512];
	int rc;

	switch (wl_parse_args(argc, argv, &cfg, err, sizeof(err))) {
	case WL_ARGS_HELP:
		wl_usage(out_fd);
		return WL_EXIT_OK;
	case WL_ARGS_VERSION:
		dprintf(out_fd, "apf-workload %s (output format %d)\n",
			APFWL_VERSION, WL_VERSION);
		return WL_EXIT_OK;
	case WL_ARGS_USAGE:
		return fail(out_fd, WL_EXIT_USAGE, err);
	case WL_ARGS_OK:
	default:
		break;
	}
	err[0] = '\0';
	rc = wl_run(&cfg, out_fd, err, sizeof(err));
	if (rc)
		return fail(out_fd, rc, err[0] ? err : "run failed");
	jl_emit_done(out_fd, WL_EXIT_OK);
	return WL_EXIT_OK;
}
