// SPDX-License-Identifier: GPL-2.0-only
#include "report.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "results.h"

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

static const char *or_text(const char *s, const char *dflt)
{
	return s ? s : dflt;
}

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* Write through NAME.tmp and rename, so a reader never sees half a file. */
static int write_via(const char *path, void (*fn)(struct json_object *, FILE *),
		     struct json_object *root)
{
	char tmp[4200];
	FILE *f;
	int err = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fn(root, f);
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		remove(tmp);
	return err;
}

static void json_to(struct json_object *root, FILE *f)
{
	fputs(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
					     JSON_C_TO_STRING_SPACED |
					     JSON_C_TO_STRING_NOSLASHESCAPE), f);
	fputc('\n', f);
}

int bench_write_json(struct json_object *root, const char *path)
{
	return write_via(path, json_to, root);
}

/* ---- CSV ---------------------------------------------------------------- */

static void csv_text(FILE *f, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
	}
	fputc('"', f);
}

static void csv_num(FILE *f, struct json_object *rec, const char *path)
{
	double v = bench_jnum(rec, path);

	fputc(',', f);
	if (!isfinite(v))
		return;
	if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.6g", v);
}

static const char *const csv_head[] = { "compute_units_per_s", "fault_pages_per_s",
					"elapsed_s", "fill_s" };
static const char *const csv_tail[][2] = {
	{ "guest_page_not_present", "guest.page_not_present" },
	{ "guest_page_ready", "guest.page_ready" },
	{ "pgmajfault", "cgroup.pgmajfault" },
	{ "pswpin", "vmstat.pswpin" },
	{ "pswpout", "vmstat.pswpout" },
	{ "wall_s", "wall_s" },
};

void bench_csv_to(struct json_object *root, FILE *f)
{
	struct json_object *runs = jget(root, "runs"), *tp = bench_tracepoint_names(root);
	size_t ntp = json_object_array_length(tp);

	fputs("mode,rep,order,outcome", f);
	for (size_t i = 0; i < sizeof(csv_head) / sizeof(csv_head[0]); i++)
		fprintf(f, ",%s", csv_head[i]);
	for (size_t i = 0; i < ntp; i++)
		fprintf(f, ",%s", json_object_get_string(json_object_array_get_idx(tp, i)));
	for (size_t i = 0; i < sizeof(csv_tail) / sizeof(csv_tail[0]); i++)
		fprintf(f, ",%s", csv_tail[i][0]);
	fputs(",reason\n", f);
	for (size_t r = 0; runs && r < json_object_array_length(runs); r++) {
		struct json_object *rec = json_object_array_get_idx(runs, r);
		char path[128];

		csv_text(f, jstr(rec, "mode"));
		csv_num(f, rec, "rep");
		csv_num(f, rec, "order");
		fputc(',', f);
		csv_text(f, jstr(rec, "outcome"));
		for (size_t i = 0; i < sizeof(csv_head) / sizeof(csv_head[0]); i++)
			csv_num(f, rec, csv_head[i]);
		for (size_t i = 0; i < ntp; i++) {
			snprintf(path, sizeof(path), "tracepoints.%s",
				 json_object_get_string(json_object_array_get_idx(tp, i)));
			csv_num(f, rec, path);
		}
		for (size_t i = 0; i < sizeof(csv_tail) / sizeof(csv_tail[0]); i++)
			csv_num(f, rec, csv_tail[i][1]);
		fputc(',', f);
		csv_text(f, jstr(rec, "reason"));
		fputc('\n', f);
	}
	json_object_put(tp);
}

int bench_write_csv(struct json_object *root, const char *path)
{
	return write_via(path, bench_csv_to, root);
}

/* ---- summary.txt -------------------------------------------------------- */

/* Rates span 1 to 10^7: whole numbers from 1000 up, 4 digits below. */
static const char *num_text(double v, char *buf, size_t cap)
{
	snprintf(buf, cap, fabs(v) >= 1000 && fabs(v) < 1e15 ? "%.0f" : "%.4g", v);
	return buf;
}

#define SPREAD_W 44

static void spread_text(FILE *f, struct json_object *m, const char *fig)
{
	struct json_object *s = jget(m, fig);
	double med = bench_jnum(s, "median");
	char buf[192], a[32], b[32], c[32], d[32], e[32];

	if (!isfinite(med)) {
		fprintf(f, "  %-*s", SPREAD_W, "-");
		return;
	}
	snprintf(buf, sizeof(buf), "%s [%s, %s] (%s..%s)", num_text(med, a, sizeof(a)),
		 num_text(bench_jnum(s, "q1"), b, sizeof(b)),
		 num_text(bench_jnum(s, "q3"), c, sizeof(c)),
		 num_text(bench_jnum(s, "min"), d, sizeof(d)),
		 num_text(bench_jnum(s, "max"), e, sizeof(e)));
	fprintf(f, "  %-*s", SPREAD_W, buf);
}

static void num_or_dash(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "  %14.0f", v);
	else
		fprintf(f, "  %14s", "-");
}

void bench_summary_txt_to(struct json_object *root, FILE *f)
{
	struct json_object *sum = jget(root, "summary"), *params = jget(root, "params");
	struct json_object *machine = jget(root, "machine"), *order = jget(params, "modes");
	struct json_object *modes = jget(sum, "modes"), *runs = jget(root, "runs");
	struct json_object *skipped = jget(root, "skipped"), *fr;
	const char *label = jstr(params, "label");
	bool any = false;

	fprintf(f, "%s\n", jstr(sum, "line") ? jstr(sum, "line") : "(no summary)");
	if (label)
		fprintf(f, "label: %s\n", label);
	fprintf(f, "host %s, kernel %s, %s\n", or_text(jstr(machine, "hostname"), "?"),
		or_text(jstr(machine, "kernel"), "?"), or_text(jstr(jget(machine, "qemu"), "version"), "QEMU ?"));
	fprintf(f, "workload \"%s\", memory.max %s, guest %.0f MB x %.0f vCPUs, %.0f reps, started %s\n",
		or_text(jstr(params, "workload"), "?"), or_text(jstr(params, "memory_max"), "?"),
		bench_jnum(params, "guest_mem_mb"), bench_jnum(params, "smp"),
		bench_jnum(params, "reps"), or_text(jstr(root, "started"), "?"));
	fr = jget(jget(sum, "ratios"), "fault_pages_per_s");
	if (fr && json_object_object_length(fr)) {
		fprintf(f, "fault pages/s medians:");
		json_object_object_foreach(fr, k, v) {
			if (v)
				fprintf(f, "  %s %.2f", k, json_object_get_double(v));
			else
				fprintf(f, "  %s n/a", k);
		}
		fputc('\n', f);
	}
	fprintf(f, "\n%-9s %2s %5s %4s %5s  %-*s  %-*s  %14s  %14s\n", "mode", "ok",
		"crash", "hang", "error", SPREAD_W, "compute units/s: median [q1, q3] (min..max)",
		SPREAD_W, "fault pages/s: median [q1, q3] (min..max)", "APF not_present",
		"guest not_pres.");
	for (size_t i = 0; order && i < json_object_array_length(order); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(order, i));
		struct json_object *m = jget(modes, name), *fl = jget(m, "failures");
		struct json_object *ev = jget(m, "events_median");

		fprintf(f, "%-9s %2.0f %5.0f %4.0f %5.0f", name, bench_jnum(m, "ok"),
			bench_jnum(fl, "crash"), bench_jnum(fl, "hang"), bench_jnum(fl, "error"));
		spread_text(f, m, "compute_units_per_s");
		spread_text(f, m, "fault_pages_per_s");
		num_or_dash(f, bench_jnum(ev, "kvm_async_pf_not_present"));
		num_or_dash(f, bench_jnum(ev, "guest_page_not_present"));
		fputc('\n', f);
	}
	if (skipped && json_object_object_length(skipped)) {
		fputc('\n', f);
		json_object_object_foreach(skipped, k, v)
			fprintf(f, "skipped %s: %s\n", k, json_object_get_string(v));
	}
	for (size_t i = 0; runs && i < json_object_array_length(runs); i++) {
		struct json_object *r = json_object_array_get_idx(runs, i);
		const char *oc = jstr(r, "outcome");

		if (!oc || !strcmp(oc, "ok"))
			continue;
		if (!any)
			fprintf(f, "\nfailed runs (not in the figures above):\n");
		any = true;
		fprintf(f, "  %s rep %.0f: %s: %s\n", or_text(jstr(r, "mode"), "?"),
			bench_jnum(r, "rep"), oc, or_text(jstr(r, "reason"), ""));
	}
}

int bench_write_summary_txt(struct json_object *root, const char *path)
{
	return write_via(path, bench_summary_txt_to, root);
}

/* ---- summary.dat (plot.gp's input) -------------------------------------- */

static void dat_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, " %.6g", v);
	else
		fputs(" NaN", f);
}

void bench_summary_dat_to(struct json_object *root, FILE *f)
{
	static const char *const stats[] = { "median", "q1", "q3", "min", "max" };
	static const char *const figs[] = { "compute_units_per_s", "fault_pages_per_s" };
	struct json_object *sum = jget(root, "summary"), *order = jget(jget(root, "params"), "modes");
	struct json_object *modes = jget(sum, "modes");

	fputs("# apf-bench: per mode, over ok runs (NaN: no ok run)\n", f);
	fputs("# idx mode ok c_median c_q1 c_q3 c_min c_max f_median f_q1 f_q3 f_min f_max\n", f);
	for (size_t i = 0; order && i < json_object_array_length(order); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(order, i));
		struct json_object *m = jget(modes, name);

		fprintf(f, "%zu %s %.0f", i, name, isfinite(bench_jnum(m, "ok")) ? bench_jnum(m, "ok") : 0.0);
		for (size_t k = 0; k < 2; k++)
			for (size_t s = 0; s < 5; s++) {
				char path[96];

				snprintf(path, sizeof(path), "%s.%s", figs[k], stats[s]);
				dat_num(f, bench_jnum(m, path));
			}
		fputc('\n', f);
	}
}

int bench_write_summary_dat(struct json_object *root, const char *path)
{
	return write_via(path, bench_summary_dat_to, root);
}

int bench_write_all(struct json_object *root, const char *dir)
{
	static const struct {
		const char *name;
		int (*fn)(struct json_object *, const char *);
	} files[] = {
		{ "results.json", bench_write_json },
		{ "results.csv", bench_write_csv },
		{ "summary.txt", bench_write_summary_txt },
		{ "summary.dat", bench_write_summary_dat },
	};
	int first = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[4096];
		int err;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
		err = files[i].fn(root, path);
		if (err) {
			bench_err("cannot write %s: %s", path, strerror(-err));
			if (!first)
				first = err;
		}
	}
	return first;
}
