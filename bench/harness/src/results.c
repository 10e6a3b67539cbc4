// SPDX-License-Identifier: GPL-2.0-only
#include "results.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apfwl.h"
#include "quantiles.h"
#include "stats.h"

#define CI_LEVEL 0.95
#define BOOTSTRAP_ITERS 10000

static const char *const outcomes[] = { "ok", "crash", "hang", "error", "interrupted" };
#define NOUTCOMES (sizeof(outcomes) / sizeof(outcomes[0]))

/* The figures every mode gets a spread of, over its ok runs. */
static const char *const figures[] = { "compute_units_per_s", "fault_pages_per_s",
				       "elapsed_s" };
/* Counters given as a per-mode median beside the tracepoints: the guest's
 * are the workload's own window deltas; the host's are taken over the
 * window ("window.") where the run has one, else over the whole run. */
static const char *const counters[] = { "guest.page_not_present", "guest.page_ready",
					"guest.hyp_interrupts", "cgroup.pgmajfault",
					"vmstat.pswpin", "vmstat.pswpout" };
/* apfctl's per-VM counters over the window (APF Suite host kernels). */
static const char *const host_counters[] = { "async_pf_queued", "async_pf_not_present",
					     "async_pf_halted", "async_pf_ready",
					     "async_pf_completed", "async_pf_sync" };

void bench_json_setup(void)
{
	json_c_set_serialization_double_format("%.10g", JSON_C_OPTION_GLOBAL);
}

void bench_json_teardown(void)
{
	json_c_set_serialization_double_format(NULL, JSON_C_OPTION_GLOBAL);
}

double bench_jnum(struct json_object *o, const char *path)
{
	double v;

	return apfwl_get_num(o, path, &v) ? NAN : v;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

struct json_object *bench_tracepoint_names(struct json_object *root)
{
	struct json_object *runs, *names = json_object_new_array();

	if (!json_object_object_get_ex(root, "runs", &runs) ||
	    !json_object_is_type(runs, json_type_array))
		return names;
	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		struct json_object *tp;

		if (!json_object_object_get_ex(json_object_array_get_idx(runs, i),
					       "tracepoints", &tp) ||
		    !json_object_is_type(tp, json_type_object))
			continue;
		json_object_object_foreach(tp, name, val) {
			bool seen = false;

			(void)val;
			for (size_t k = 0; k < json_object_array_length(names); k++)
				if (!strcmp(json_object_get_string(json_object_array_get_idx(names, k)), name))
					seen = true;
			if (!seen)
				json_object_array_add(names, json_object_new_string(name));
		}
	}
	return names;
}

static void put_num(struct json_object *o, const char *key, double v)
{
	json_object_object_add(o, key, isfinite(v) ? json_object_new_double(v) : NULL);
}

/* {"lo", "hi", "coverage"} of the median's exact interval, or null. */
static struct json_object *median_ci_json(const double *v, size_t n)
{
	struct json_object *o;
	double lo, hi, cov;

	if (bench_median_ci(v, n, CI_LEVEL, &lo, &hi, &cov))
		return NULL;
	o = json_object_new_object();
	put_num(o, "lo", lo);
	put_num(o, "hi", hi);
	put_num(o, "coverage", cov);
	return o;
}

static struct json_object *spread_json(const struct bench_spread *s, const double *v)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "n", json_object_new_int((int)s->n));
	put_num(o, "median", s->median);
	/* Distribution-free: ranks of the sorted runs (n >= 6 for 95%). */
	json_object_object_add(o, "median_ci95", median_ci_json(v, s->n));
	put_num(o, "q1", s->q1);
	put_num(o, "q3", s->q3);
	put_num(o, "min", s->min);
	put_num(o, "max", s->max);
	put_num(o, "mean", s->mean);
	return o;
}

/* Values at path over the ok runs of mode; returns how many. */
static size_t collect(struct json_object *runs, const char *mode, const char *path,
		      double *v)
{
	size_t n = 0;

	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		struct json_object *r = json_object_array_get_idx(runs, i);
		const char *m = jstr(r, "mode"), *oc = jstr(r, "outcome");
		double x;

		if (!m || !oc || strcmp(m, mode) || strcmp(oc, "ok"))
			continue;
		x = bench_jnum(r, path);
		if (isfinite(x))
			v[n++] = x;
	}
	return n;
}

static double median_of(struct json_object *runs, const char *mode, const char *path,
			double *buf)
{
	size_t n = collect(runs, mode, path, buf);

	return n ? bench_median(buf, n) : NAN;
}

static bool has_window(struct json_object *r)
{
	struct json_object *w;

	return json_object_object_get_ex(r, "window", &w) && w &&
	       json_object_is_type(w, json_type_object);
}

/* A host counter of a run: over its window when it has one, else over the
 * whole run. */
double bench_host_value(struct json_object *r, const char *path)
{
	char wpath[160];

	if (has_window(r)) {
		snprintf(wpath, sizeof(wpath), "window.%s", path);
		return bench_jnum(r, wpath);
	}
	return bench_jnum(r, path);
}

static bool run_is(struct json_object *r, const char *mode)
{
	const char *m = jstr(r, "mode"), *oc = jstr(r, "outcome");

	return m && oc && !strcmp(m, mode) && !strcmp(oc, "ok");
}

static double host_median(struct json_object *runs, const char *mode, const char *path,
			  double *buf)
{
	size_t n = 0;

	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		struct json_object *r = json_object_array_get_idx(runs, i);
		double x;

		if (!run_is(r, mode))
			continue;
		x = bench_host_value(r, path);
		if (isfinite(x))
			buf[n++] = x;
	}
	return n ? bench_median(buf, n) : NAN;
}

static bool run_busy(struct json_object *r)
{
	struct json_object *b, *f;

	return json_object_object_get_ex(r, "busy", &b) && b &&
	       json_object_object_get_ex(b, "flag", &f) && json_object_get_boolean(f);
}

/* The window's fault latency (not-present to ready) per mode: each
 * percentile's median over the ok runs, and the worst run's p99.9. */
static struct json_object *latency_summary(struct json_object *runs, const char *mode,
					   double *buf)
{
	static const char *const pct[] = { "p50", "p90", "p99", "p999" };
	struct json_object *o = json_object_new_object();
	char path[96];
	size_t n;

	snprintf(path, sizeof(path), "window.latency.count");
	n = collect(runs, mode, path, buf);
	json_object_object_add(o, "runs", json_object_new_int((int)n));
	put_num(o, "faults_median", n ? bench_median(buf, n) : NAN);
	for (size_t k = 0; k < sizeof(pct) / sizeof(pct[0]); k++) {
		snprintf(path, sizeof(path), "window.latency.ns.%s", pct[k]);
		n = collect(runs, mode, path, buf);
		put_num(o, pct[k], n ? bench_median(buf, n) / 1e6 : NAN);
		if (!strcmp(pct[k], "p999")) {
			double mx = NAN;

			for (size_t i = 0; i < n; i++)
				if (!(buf[i] / 1e6 <= mx))
					mx = buf[i] / 1e6;
			put_num(o, "p999_worst_run", mx);
		}
	}
	return o;
}

/* How steady the fault rate was in a run's window: the mean interval rate
 * of the window's second half over its first half, minus 1 (NaN with
 * fewer than two intervals in the window).  A window still on the ramp
 * after the fill shows a large positive drift: raise the workload's -w. */
double bench_window_drift(struct json_object *r)
{
	struct json_object *iv;
	double w0 = bench_jnum(r, "window.t_s"), len = bench_jnum(r, "window.elapsed_s");
	double rates[512], a = 0, b = 0;
	size_t n = 0;

	if (!isfinite(w0) || !isfinite(len) || !json_object_object_get_ex(r, "intervals", &iv) ||
	    !json_object_is_type(iv, json_type_array))
		return NAN;
	for (size_t i = 0; i < json_object_array_length(iv) && n < 512; i++) {
		struct json_object *row = json_object_array_get_idx(iv, i);
		double t, f;

		if (!json_object_is_type(row, json_type_array) || json_object_array_length(row) < 2)
			continue;
		t = json_object_get_double(json_object_array_get_idx(row, 0));
		f = json_object_get_double(json_object_array_get_idx(row, 1));
		/* Intervals that end inside the window and began in it. */
		if (t > w0 + 0.5 && t <= w0 + len + 0.5 && isfinite(f))
			rates[n++] = f;
	}
	/* The first interval after the window opened may start before it. */
	if (n >= 3 && w0 > 0) {
		memmove(rates, rates + 1, (n - 1) * sizeof(rates[0]));
		n--;
	}
	if (n < 2)
		return NAN;
	for (size_t i = 0; i < n / 2; i++)
		a += rates[i];
	for (size_t i = n - n / 2; i < n; i++)
		b += rates[i];
	return a > 0 ? b / a - 1 : NAN;
}

/* How quiet the machine was over the windows of a mode's ok runs. */
static struct json_object *load_summary(struct json_object *runs, const char *mode,
					double *buf)
{
	static const char *const keys[] = { "busy_share", "steal_share", "other_share" };
	struct json_object *o = json_object_new_object();
	int busy = 0, all = 0;
	size_t n;

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		char path[96];

		snprintf(path, sizeof(path), "window.load.%s", keys[k]);
		n = collect(runs, mode, path, buf);
		put_num(o, keys[k], n ? bench_median(buf, n) : NAN);
	}
	n = 0;
	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		struct json_object *r = json_object_array_get_idx(runs, i), *la;
		const char *m = jstr(r, "mode");

		if (!m || strcmp(m, mode))
			continue;
		all++;
		busy += run_busy(r);
		if (run_is(r, mode) && json_object_object_get_ex(r, "load", &la) &&
		    json_object_object_get_ex(la, "loadavg_start", &la) &&
		    json_object_is_type(la, json_type_array) && json_object_array_length(la) &&
		    json_object_array_get_idx(la, 0))
			buf[n++] = json_object_get_double(json_object_array_get_idx(la, 0));
	}
	put_num(o, "loadavg1_at_start", n ? bench_median(buf, n) : NAN);
	n = 0;
	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		struct json_object *r = json_object_array_get_idx(runs, i);
		double d;

		if (run_is(r, mode) && isfinite(d = bench_window_drift(r)))
			buf[n++] = d;
	}
	put_num(o, "fault_rate_drift", n ? bench_median(buf, n) : NAN);
	json_object_object_add(o, "busy_runs", json_object_new_int(busy));
	json_object_object_add(o, "runs", json_object_new_int(all));
	return o;
}

static struct json_object *mode_summary(struct json_object *runs, const char *mode,
					struct json_object *tpnames, double *buf,
					size_t *counts)
{
	struct json_object *m = json_object_new_object(), *f = json_object_new_object();
	struct json_object *ev = json_object_new_object();
	char path[128];

	memset(counts, 0, NOUTCOMES * sizeof(*counts));
	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		struct json_object *r = json_object_array_get_idx(runs, i);
		const char *rm = jstr(r, "mode"), *oc = jstr(r, "outcome");

		if (!rm || !oc || strcmp(rm, mode))
			continue;
		for (size_t k = 0; k < NOUTCOMES; k++)
			if (!strcmp(oc, outcomes[k]))
				counts[k]++;
	}
	json_object_object_add(m, "ok", json_object_new_int((int)counts[0]));
	for (size_t k = 1; k < NOUTCOMES; k++)
		json_object_object_add(f, outcomes[k], json_object_new_int((int)counts[k]));
	/* Failures stand apart from the figures, which come from ok runs only. */
	json_object_object_add(m, "failures", f);
	for (size_t k = 0; k < sizeof(figures) / sizeof(figures[0]); k++) {
		struct bench_spread s;
		size_t n = collect(runs, mode, figures[k], buf);

		if (bench_spread(buf, n, &s))
			memset(&s, 0, sizeof(s));
		json_object_object_add(m, figures[k], spread_json(&s, buf));
	}
	for (size_t k = 0; k < json_object_array_length(tpnames); k++) {
		const char *name = json_object_get_string(json_object_array_get_idx(tpnames, k));

		snprintf(path, sizeof(path), "tracepoints.%s", name);
		put_num(ev, name, host_median(runs, mode, path, buf));
	}
	for (size_t k = 0; k < sizeof(counters) / sizeof(counters[0]); k++) {
		const char *dot = strchr(counters[k], '.');
		char key[64];

		snprintf(key, sizeof(key), "%.*s_%s", (int)(dot - counters[k]), counters[k], dot + 1);
		put_num(ev, key, !strncmp(counters[k], "guest.", 6) ?
			median_of(runs, mode, counters[k], buf) :
			host_median(runs, mode, counters[k], buf));
	}
	for (size_t k = 0; k < sizeof(host_counters) / sizeof(host_counters[0]); k++) {
		char key[64];

		snprintf(path, sizeof(path), "window.apfctl.%s", host_counters[k]);
		snprintf(key, sizeof(key), "host_%s", host_counters[k]);
		put_num(ev, key, median_of(runs, mode, path, buf));
	}
	/* Medians of the APF event counts: how much APF happened per mode. */
	json_object_object_add(m, "events_median", ev);
	json_object_object_add(m, "latency_ms", latency_summary(runs, mode, buf));
	json_object_object_add(m, "load", load_summary(runs, mode, buf));
	return m;
}

static double mode_median(struct json_object *modes, const char *mode, const char *fig)
{
	struct json_object *m;
	char path[96];

	if (!json_object_object_get_ex(modes, mode, &m))
		return NAN;
	snprintf(path, sizeof(path), "%s.median", fig);
	return bench_jnum(m, path);
}

static struct json_object *ratios_for(struct json_object *modes, const char *fig)
{
	static const char *const against[] = { "off", "halt", "baseline" };
	struct json_object *r = json_object_new_object();
	double pv = mode_median(modes, "pv", fig);

	for (size_t i = 0; i < sizeof(against) / sizeof(against[0]); i++) {
		double d = mode_median(modes, against[i], fig);
		char key[32];

		if (!json_object_object_get_ex(modes, against[i], NULL))
			continue;
		snprintf(key, sizeof(key), "pv/%s", against[i]);
		put_num(r, key, isfinite(pv) && isfinite(d) && d > 0 ? pv / d : NAN);
	}
	return r;
}

/* Per repetition: pv's figure over the other mode's, where both runs of
 * that repetition are ok (the runs of one block ran minutes apart). */
static struct json_object *paired_json(struct json_object *runs, const char *other,
				       const char *fig)
{
	struct json_object *o = json_object_new_object(), *list = json_object_new_array();
	size_t nrep = 0, n = 0;
	double *pv, *ot, *ratios;

	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		double rep = bench_jnum(json_object_array_get_idx(runs, i), "rep");

		if (isfinite(rep) && rep >= 1 && rep <= 100000 && (size_t)rep > nrep)
			nrep = (size_t)rep;
	}
	pv = malloc((nrep + 1) * sizeof(*pv));
	ot = malloc((nrep + 1) * sizeof(*ot));
	ratios = malloc((nrep + 1) * sizeof(*ratios));
	if (!pv || !ot || !ratios)
		goto out;
	for (size_t r = 0; r <= nrep; r++)
		pv[r] = ot[r] = NAN;
	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		struct json_object *x = json_object_array_get_idx(runs, i);
		double rep = bench_jnum(x, "rep");

		if (!isfinite(rep) || rep < 1 || (size_t)rep > nrep)
			continue;
		if (run_is(x, "pv"))
			pv[(size_t)rep] = bench_jnum(x, fig);
		else if (run_is(x, other))
			ot[(size_t)rep] = bench_jnum(x, fig);
	}
	for (size_t r = 1; r <= nrep; r++) {
		struct json_object *pair;

		if (!isfinite(pv[r]) || !isfinite(ot[r]) || ot[r] <= 0)
			continue;
		ratios[n++] = pv[r] / ot[r];
		pair = json_object_new_array();
		json_object_array_add(pair, json_object_new_int((int)r));
		json_object_array_add(pair, json_object_new_double(pv[r] / ot[r]));
		json_object_array_add(list, pair);
	}
out:
	json_object_object_add(o, "by_rep", list);
	json_object_object_add(o, "n", json_object_new_int((int)n));
	put_num(o, "median", n ? bench_median(ratios, n) : NAN);
	json_object_object_add(o, "median_ci95", n ? median_ci_json(ratios, n) : NULL);
	free(pv);
	free(ot);
	free(ratios);
	return o;
}

/* pv against one other mode on one figure: the ratio of medians with its
 * bootstrap interval, the rank test, the paired ratios. */
static struct json_object *comparison(struct json_object *runs, const char *other,
				      const char *fig, uint64_t seed, double *a, double *b)
{
	struct json_object *o = json_object_new_object(), *ci, *mw;
	size_t na = collect(runs, "pv", fig, a), nb = collect(runs, other, fig, b);
	double ma = na ? bench_median(a, na) : NAN, mb = nb ? bench_median(b, nb) : NAN;
	double lo, hi;
	struct bench_mwu m;

	json_object_object_add(o, "n_pv", json_object_new_int((int)na));
	json_object_object_add(o, "n_other", json_object_new_int((int)nb));
	put_num(o, "ratio", isfinite(ma) && isfinite(mb) && mb > 0 ? ma / mb : NAN);
	if (na && nb && !bench_ratio_ci_bootstrap(a, na, b, nb, BOOTSTRAP_ITERS, seed,
						  CI_LEVEL, &lo, &hi)) {
		ci = json_object_new_object();
		put_num(ci, "lo", lo);
		put_num(ci, "hi", hi);
		json_object_object_add(ci, "method", json_object_new_string(
			"percentile bootstrap of the ratio of medians, 10000 resamples of each mode, seeded"));
		json_object_object_add(o, "ci95", ci);
	} else {
		json_object_object_add(o, "ci95", NULL);
	}
	if (na && nb && !bench_mann_whitney(a, na, b, nb, &m)) {
		mw = json_object_new_object();
		put_num(mw, "u", m.u);
		put_num(mw, "z", m.z);
		put_num(mw, "p", m.p);
		json_object_object_add(mw, "method", json_object_new_string(
			!m.exact ? "normal approximation, tie-corrected variance, continuity correction, two-sided" :
			m.ties ? "exact (permutation distribution of U over midranks, given the ties), two-sided" :
			"exact (permutation distribution of U), two-sided"));
		json_object_object_add(mw, "exact", json_object_new_boolean(m.exact));
		json_object_object_add(mw, "ties", json_object_new_boolean(m.ties));
		json_object_object_add(o, "mann_whitney", mw);
	} else {
		json_object_object_add(o, "mann_whitney", NULL);
	}
	json_object_object_add(o, "paired", paired_json(runs, other, fig));
	return o;
}

static struct json_object *comparisons_for(struct json_object *runs, struct json_object *modes,
					   const char *fig, uint64_t seed, size_t nruns)
{
	static const char *const against[] = { "off", "halt", "baseline" };
	struct json_object *c = json_object_new_object();
	double *a = calloc(nruns ? nruns : 1, sizeof(double));
	double *b = calloc(nruns ? nruns : 1, sizeof(double));

	if (!a || !b || !json_object_object_get_ex(modes, "pv", NULL))
		goto out;
	for (size_t i = 0; i < sizeof(against) / sizeof(against[0]); i++) {
		char key[32];

		if (!json_object_object_get_ex(modes, against[i], NULL))
			continue;
		snprintf(key, sizeof(key), "pv/%s", against[i]);
		/* A seed per comparison and figure, all from the plan's. */
		json_object_object_add(c, key, comparison(runs, against[i], fig,
			seed ^ (UINT64_C(0x9e3779b97f4a7c15) * (i + 1 + (fig[0] == 'f' ? 8 : 0))),
			a, b));
	}
out:
	free(a);
	free(b);
	return c;
}

static void append(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
}

static void summary_line(struct json_object *root, struct json_object *sum,
			 struct json_object *order, const char *metric,
			 char *line, size_t cap)
{
	struct json_object *modes, *comps, *fig, *fail, *skipped;
	bool same = true, any = false;
	int first = -1;

	line[0] = '\0';
	json_object_object_get_ex(sum, "modes", &modes);
	json_object_object_get_ex(sum, "comparisons", &comps);
	json_object_object_get_ex(comps, metric, &fig);
	json_object_object_foreach(fig, key, val) {
		double r = bench_jnum(val, "ratio"), lo = bench_jnum(val, "ci95.lo");
		double hi = bench_jnum(val, "ci95.hi"), p = bench_jnum(val, "mann_whitney.p");

		append(line, cap, "%s%s ", any ? "  " : "", key);
		if (isfinite(r))
			append(line, cap, "%.2f", r);
		else
			append(line, cap, "n/a");
		if (isfinite(lo) && isfinite(hi))
			append(line, cap, " [%.2f, %.2f]", lo, hi);
		if (isfinite(p))
			append(line, cap, " p=%.2g", p);
		any = true;
	}
	if (!any)
		append(line, cap, "no ratios (%s)", json_object_object_get_ex(modes, "pv", NULL) ?
		       "only pv was run" : "mode pv was not run");
	append(line, cap, " (%s: ratios of medians, 95%% bootstrap intervals, Mann-Whitney p; ",
	       !strcmp(metric, "compute_units_per_s") ? "compute units/s" : "fault pages/s");
	for (size_t i = 0; i < json_object_array_length(order); i++) {
		struct json_object *m;
		int ok;

		if (!json_object_object_get_ex(modes, json_object_get_string(
				json_object_array_get_idx(order, i)), &m))
			continue;
		ok = (int)bench_jnum(m, "ok");
		if (first < 0)
			first = ok;
		else if (ok != first)
			same = false;
	}
	if (same) {
		append(line, cap, "%d ok run%s per mode", first < 0 ? 0 : first,
		       first == 1 ? "" : "s");
	} else {
		append(line, cap, "ok runs:");
		for (size_t i = 0; i < json_object_array_length(order); i++) {
			const char *name = json_object_get_string(json_object_array_get_idx(order, i));
			struct json_object *m;

			if (json_object_object_get_ex(modes, name, &m))
				append(line, cap, "%s %s %d", i ? "," : "", name,
				       (int)bench_jnum(m, "ok"));
		}
	}
	json_object_object_get_ex(sum, "failures", &fail);
	append(line, cap, "; crashes %d, hangs %d", (int)bench_jnum(fail, "crash"),
	       (int)bench_jnum(fail, "hang"));
	if (bench_jnum(fail, "error") > 0)
		append(line, cap, ", errors %d", (int)bench_jnum(fail, "error"));
	if (bench_jnum(fail, "interrupted") > 0)
		append(line, cap, ", interrupted %d", (int)bench_jnum(fail, "interrupted"));
	if (bench_jnum(sum, "busy_runs") > 0)
		append(line, cap, "; BUSY MACHINE: %d run%s flagged", (int)bench_jnum(sum, "busy_runs"),
		       bench_jnum(sum, "busy_runs") == 1 ? "" : "s");
	if (json_object_object_get_ex(root, "skipped", &skipped) &&
	    json_object_is_type(skipped, json_type_object) &&
	    json_object_object_length(skipped)) {
		any = false;
		append(line, cap, "; skipped:");
		json_object_object_foreach(skipped, name, why) {
			(void)why;
			append(line, cap, "%s %s", any ? "," : "", name);
			any = true;
		}
	}
	append(line, cap, ")");
}

int bench_summarize(struct json_object *root)
{
	struct json_object *params, *order, *runs, *sum, *modes, *ratios, *fail, *tpnames;
	size_t nruns, total[NOUTCOMES] = { 0 };
	const char *metric = "fault_pages_per_s";
	struct json_object *seedj, *comps;
	uint64_t seed = 1;
	char line[768];
	int busy = 0;
	bool windowed = false;
	double *buf;

	if (!json_object_object_get_ex(root, "params", &params) ||
	    !json_object_object_get_ex(params, "modes", &order) ||
	    !json_object_is_type(order, json_type_array) ||
	    !json_object_object_get_ex(root, "runs", &runs) ||
	    !json_object_is_type(runs, json_type_array))
		return -EINVAL;
	nruns = json_object_array_length(runs);
	buf = calloc(nruns ? nruns : 1, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	tpnames = bench_tracepoint_names(root);
	sum = json_object_new_object();
	modes = json_object_new_object();
	for (size_t i = 0; i < json_object_array_length(order); i++) {
		struct json_object *name = json_object_array_get_idx(order, i);
		size_t counts[NOUTCOMES];

		if (!json_object_is_type(name, json_type_string))
			continue;
		json_object_object_add(modes, json_object_get_string(name),
				       mode_summary(runs, json_object_get_string(name),
						    tpnames, buf, counts));
		for (size_t k = 0; k < NOUTCOMES; k++)
			total[k] += counts[k];
	}
	/* "finish" runs have no compute threads: then pages/s is the figure. */
	for (size_t i = 0; i < nruns; i++) {
		double c = bench_jnum(json_object_array_get_idx(runs, i), "compute_units_per_s");

		if (isfinite(c) && c > 0)
			metric = "compute_units_per_s";
	}
	json_object_object_add(sum, "metric", json_object_new_string(metric));
	json_object_object_add(sum, "quantiles", json_object_new_string(
		"linear interpolation between order statistics (type 7, as numpy and R)"));
	json_object_object_add(sum, "modes", modes);
	ratios = json_object_new_object();
	json_object_object_add(ratios, "compute_units_per_s", ratios_for(modes, "compute_units_per_s"));
	json_object_object_add(ratios, "fault_pages_per_s", ratios_for(modes, "fault_pages_per_s"));
	json_object_object_add(sum, "ratios", ratios);
	if (json_object_object_get_ex(params, "seed", &seedj) && seedj)
		seed = json_object_get_uint64(seedj);
	comps = json_object_new_object();
	json_object_object_add(comps, "compute_units_per_s",
			       comparisons_for(runs, modes, "compute_units_per_s", seed, nruns));
	json_object_object_add(comps, "fault_pages_per_s",
			       comparisons_for(runs, modes, "fault_pages_per_s", seed, nruns));
	json_object_object_add(sum, "comparisons", comps);
	for (size_t i = 0; i < nruns; i++) {
		struct json_object *r = json_object_array_get_idx(runs, i);

		busy += run_busy(r);
		windowed |= has_window(r);
	}
	json_object_object_add(sum, "busy_runs", json_object_new_int(busy));
	json_object_object_add(sum, "counters_over", json_object_new_string(windowed ?
		"the measured window (the workload's window line to its result)" :
		"the whole run (boot, fill and shutdown included: recorded before the window existed)"));
	json_object_object_add(sum, "intervals", json_object_new_string(
		"medians: exact order-statistic 95% intervals (null below 6 runs); ratios: percentile bootstrap"));
	fail = json_object_new_object();
	for (size_t k = 1; k < NOUTCOMES; k++)
		json_object_object_add(fail, outcomes[k], json_object_new_int((int)total[k]));
	json_object_object_add(sum, "ok_runs", json_object_new_int((int)total[0]));
	json_object_object_add(sum, "failures", fail);
	summary_line(root, sum, order, metric, line, sizeof(line));
	json_object_object_add(sum, "line", json_object_new_string(line));
	json_object_object_add(root, "summary", sum);
	json_object_put(tpnames);
	free(buf);
	return 0;
}
