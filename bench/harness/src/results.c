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

static const char *const outcomes[] = { "ok", "crash", "hang", "error", "interrupted" };
#define NOUTCOMES (sizeof(outcomes) / sizeof(outcomes[0]))

/* The figures every mode gets a spread of, over its ok runs. */
static const char *const figures[] = { "compute_units_per_s", "fault_pages_per_s",
				       "elapsed_s" };
/* Counters given as a per-mode median beside the tracepoints. */
static const char *const counters[] = { "guest.page_not_present", "guest.page_ready",
					"cgroup.pgmajfault", "vmstat.pswpin",
					"vmstat.pswpout" };

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

static struct json_object *spread_json(const struct bench_spread *s)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "n", json_object_new_int((int)s->n));
	put_num(o, "median", s->median);
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
	struct bench_spread s;
	size_t n = collect(runs, mode, path, buf);

	if (!n || bench_spread(buf, n, &s))
		return NAN;
	return s.median;
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
		json_object_object_add(m, figures[k], spread_json(&s));
	}
	for (size_t k = 0; k < json_object_array_length(tpnames); k++) {
		const char *name = json_object_get_string(json_object_array_get_idx(tpnames, k));

		snprintf(path, sizeof(path), "tracepoints.%s", name);
		put_num(ev, name, median_of(runs, mode, path, buf));
	}
	for (size_t k = 0; k < sizeof(counters) / sizeof(counters[0]); k++) {
		const char *dot = strchr(counters[k], '.');
		char key[64];

		snprintf(key, sizeof(key), "%.*s_%s", (int)(dot - counters[k]), counters[k], dot + 1);
		put_num(ev, key, median_of(runs, mode, counters[k], buf));
	}
	/* Medians of the APF event counts: how much APF happened per mode. */
	json_object_object_add(m, "events_median", ev);
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
	struct json_object *modes, *ratios, *fig, *fail, *skipped;
	bool same = true, any = false;
	int first = -1;

	line[0] = '\0';
	json_object_object_get_ex(sum, "modes", &modes);
	json_object_object_get_ex(sum, "ratios", &ratios);
	json_object_object_get_ex(ratios, metric, &fig);
	json_object_object_foreach(fig, key, val) {
		append(line, cap, "%s%s ", any ? "  " : "", key);
		if (val)
			append(line, cap, "%.2f", json_object_get_double(val));
		else
			append(line, cap, "n/a");
		any = true;
	}
	if (!any)
		append(line, cap, "no ratios (%s)", json_object_object_get_ex(modes, "pv", NULL) ?
		       "only pv was run" : "mode pv was not run");
	append(line, cap, " (%s medians; ", !strcmp(metric, "compute_units_per_s") ?
	       "compute units/s" : "fault pages/s");
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
	char line[512];
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
