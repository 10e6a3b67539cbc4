// SPDX-License-Identifier: GPL-2.0-only
#include "plot.h"

#include <errno.h>
#include <json-c/json.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apf_switch.h"
#include "capture.h"
#include "fileio.h"
#include "report.h"
#include "results.h"

int bench_find_plot_script(char *buf, size_t cap)
{
	const char *env = getenv("APF_BENCH_PLOT_GP");
	char exe[4096], *dir;
	ssize_t n;

	if (env && *env) {
		snprintf(buf, cap, "%s", env);
		return apf_is_file(buf) ? 0 : -ENOENT;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		static const char *const rel[] = { "../plot.gp", "plot.gp",
						   "../share/apf-suite/bench/plot.gp" };

		exe[n] = '\0';
		dir = dirname(exe);
		for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			snprintf(buf, cap, "%s/%s", dir, rel[i]);
			if (apf_is_file(buf))
				return 0;
		}
	}
	snprintf(buf, cap, "/usr/share/apf-suite/bench/plot.gp");
	return apf_is_file(buf) ? 0 : -ENOENT;
}

/* A gnuplot single-quoted string: ' doubles. */
static void gp_quote(char *dst, size_t cap, const char *s)
{
	size_t o = 0;

	if (cap < 3)
		return;
	dst[o++] = '\'';
	for (; *s && o + 3 < cap; s++) {
		if (*s == '\'')
			dst[o++] = '\'';
		dst[o++] = *s == '\n' ? ' ' : *s;
	}
	dst[o++] = '\'';
	dst[o] = '\0';
}

static int copy_file(const char *from, const char *to)
{
	char *text = NULL;
	ssize_t n = apf_slurp(from, 1 << 20, &text);
	FILE *f;
	int err = 0;

	if (n < 0)
		return (int)n;
	f = fopen(to, "w");
	if (!f || fwrite(text, 1, (size_t)n, f) != (size_t)n)
		err = errno ? -errno : -EIO;
	if (f && fclose(f) && !err)
		err = -errno;
	free(text);
	return err;
}

static int ok_modes(struct json_object *root)
{
	struct json_object *sum, *modes;
	int n = 0;

	if (!json_object_object_get_ex(root, "summary", &sum) ||
	    !json_object_object_get_ex(sum, "modes", &modes))
		return 0;
	json_object_object_foreach(modes, k, m) {
		(void)k;
		if (isfinite(bench_jnum(m, "ok")) && bench_jnum(m, "ok") > 0)
			n++;
	}
	return n;
}

/* ok runs with a fault rate above 0 (the log axis needs one). */
static int fault_points(struct json_object *root)
{
	struct json_object *runs;
	int n = 0;

	if (!json_object_object_get_ex(root, "runs", &runs) ||
	    !json_object_is_type(runs, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		struct json_object *r = json_object_array_get_idx(runs, i), *oc;
		double f = bench_jnum(r, "fault_pages_per_s");

		if (json_object_object_get_ex(r, "outcome", &oc) && oc &&
		    !strcmp(json_object_get_string(oc), "ok") && isfinite(f) && f > 0)
			n++;
	}
	return n;
}

int bench_plot(struct json_object *root, const char *dir, char *why, size_t cap)
{
	char script[4096], gp[4096], dat[4200], out[4200], title[1200], expr[10000];
	char copy[4200], last[256], unit[400];
	const char *label = NULL, *line = NULL;
	struct json_object *params, *sum = NULL, *v;
	struct bench_capture c;

	const char *gnuplot = getenv("APF_BENCH_GNUPLOT");

	if (bench_which(gnuplot && *gnuplot ? gnuplot : "gnuplot", gp, sizeof(gp))) {
		snprintf(why, cap, "gnuplot is not installed: no plot (apt-get install gnuplot-nox, then apf-bench plot %s)", dir);
		return -ENOENT;
	}
	if (bench_find_plot_script(script, sizeof(script))) {
		snprintf(why, cap, "plot.gp not found (looked next to the apf-bench binary and in /usr/share/apf-suite/bench); set APF_BENCH_PLOT_GP");
		return -ENOENT;
	}
	if (!ok_modes(root)) {
		snprintf(why, cap, "no mode has an ok run: nothing to plot");
		return -ENODATA;
	}
	if (json_object_object_get_ex(root, "params", &params) &&
	    json_object_object_get_ex(params, "label", &v) && v)
		label = json_object_get_string(v);
	if (json_object_object_get_ex(root, "summary", &sum) &&
	    json_object_object_get_ex(sum, "line", &v) && v)
		line = json_object_get_string(v);
	snprintf(expr, sizeof(expr), "%s%s%s", label ? label : "", label ? ": " : "",
		 line ? line : "apf-bench");
	gp_quote(title, sizeof(title), expr);
	snprintf(copy, sizeof(copy), "%s/plot.gp", dir);
	if (copy_file(script, copy))
		snprintf(copy, sizeof(copy), "%s", script);
	bench_unit_text(root, unit, sizeof(unit));
	gp_quote(dat, sizeof(dat), unit);
	gp_quote(out, sizeof(out), dir);
	{
		struct json_object *m = NULL, *cmp = NULL;
		const char *metric = "compute_units_per_s";

		if (sum && json_object_object_get_ex(sum, "metric", &m) && m)
			metric = json_object_get_string(m);
		if (sum && json_object_object_get_ex(sum, "comparisons", &cmp))
			json_object_object_get_ex(cmp, metric, &cmp);
		snprintf(expr, sizeof(expr), "outdir=%s; plottitle=%s; unitdef=%s; metricname='%s'; nratios=%d; nfaultpts=%d",
			 out, title, dat, !strcmp(metric, "compute_units_per_s") ?
			 "compute units/s" : "fault pages/s",
			 cmp && json_object_is_type(cmp, json_type_object) ? json_object_object_length(cmp) : 0,
			 fault_points(root));
	}
	{
		const char *argv[] = { gp, "-e", expr, copy, NULL };

		bench_capture_run(argv, NULL, 60000, 1 << 16, &c);
	}
	if (c.err || c.status) {
		bench_last_line(c.errout[0] ? c.errout : c.out, last, sizeof(last));
		snprintf(why, cap, "gnuplot failed (%s): %s",
			 c.err ? strerror(-c.err) : "exit status", last);
		bench_capture_free(&c);
		return -EIO;
	}
	bench_capture_free(&c);
	return 0;
}
