// SPDX-License-Identifier: GPL-2.0-only
#include "report.h"

#include <errno.h>
#include <inttypes.h>
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
	double v = path[0] == '@' ? bench_host_value(rec, path + 1) : bench_jnum(rec, path);

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
/* Host counters (the tracepoint columns too) are the window's where the
 * run has one (results.json "window"), else the whole run's. */
static const char *const csv_tail[][2] = {
	{ "guest_page_not_present", "guest.page_not_present" },
	{ "guest_page_ready", "guest.page_ready" },
	{ "pgmajfault", "@cgroup.pgmajfault" },
	{ "pswpin", "@vmstat.pswpin" },
	{ "pswpout", "@vmstat.pswpout" },
	{ "host_async_pf_queued", "window.apfctl.async_pf_queued" },
	{ "host_async_pf_not_present", "window.apfctl.async_pf_not_present" },
	{ "host_async_pf_halted", "window.apfctl.async_pf_halted" },
	{ "latency_p50_ns", "window.latency.ns.p50" },
	{ "latency_p99_ns", "window.latency.ns.p99" },
	{ "latency_p999_ns", "window.latency.ns.p999" },
	{ "warmup_s", "warmup_s" },
	{ "window_busy_share", "window.load.busy_share" },
	{ "window_steal_share", "window.load.steal_share" },
	{ "window_other_share", "window.load.other_share" },
	{ "qemu_cpu_s", "load.qemu_cpu_s" },
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
	fputs(",loadavg1_start,busy,reason\n", f);
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
			snprintf(path, sizeof(path), "@tracepoints.%s",
				 json_object_get_string(json_object_array_get_idx(tp, i)));
			csv_num(f, rec, path);
		}
		for (size_t i = 0; i < sizeof(csv_tail) / sizeof(csv_tail[0]); i++)
			csv_num(f, rec, csv_tail[i][1]);
		{
			struct json_object *la = jget(jget(rec, "load"), "loadavg_start");
			struct json_object *b = jget(jget(rec, "busy"), "flag");

			fputc(',', f);
			if (la && json_object_is_type(la, json_type_array) && json_object_array_get_idx(la, 0))
				fprintf(f, "%.2f", json_object_get_double(json_object_array_get_idx(la, 0)));
			fprintf(f, ",%s,", b ? (json_object_get_boolean(b) ? "1" : "0") : "");
		}
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
	if (!isfinite(v))
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, fabs(v) >= 1000 && fabs(v) < 1e15 ? "%.0f" : "%.4g", v);
	return buf;
}

#define SPREAD_W 40

/* median [95% interval of the median] (min..max) */
static void spread_text(FILE *f, struct json_object *m, const char *fig)
{
	struct json_object *s = jget(m, fig);
	double med = bench_jnum(s, "median");
	char buf[192], a[32], b[32], c[32], d[32], e[32];

	if (!isfinite(med)) {
		fprintf(f, "  %-*s", SPREAD_W, "-");
		return;
	}
	if (jget(s, "median_ci95"))
		snprintf(buf, sizeof(buf), "%s [%s, %s] (%s..%s)", num_text(med, a, sizeof(a)),
			 num_text(bench_jnum(s, "median_ci95.lo"), b, sizeof(b)),
			 num_text(bench_jnum(s, "median_ci95.hi"), c, sizeof(c)),
			 num_text(bench_jnum(s, "min"), d, sizeof(d)),
			 num_text(bench_jnum(s, "max"), e, sizeof(e)));
	else
		snprintf(buf, sizeof(buf), "%s [n/a] (%s..%s)", num_text(med, a, sizeof(a)),
			 num_text(bench_jnum(s, "min"), d, sizeof(d)),
			 num_text(bench_jnum(s, "max"), e, sizeof(e)));
	fprintf(f, "  %-*s", SPREAD_W, buf);
}

static double first_of(struct json_object *a)
{
	struct json_object *v;

	if (!a || !json_object_is_type(a, json_type_array) || !json_object_array_length(a))
		return NAN;
	v = json_object_array_get_idx(a, 0);
	return v ? json_object_get_double(v) : NAN;
}

static void num_col(FILE *f, double v, int w)
{
	char buf[32];

	fprintf(f, " %*s", w, num_text(v, buf, sizeof(buf)));
}

/* What one compute unit is, from the workload's start record. */
void bench_unit_text(struct json_object *root, char *buf, size_t cap)
{
	struct json_object *runs = jget(root, "runs");
	double iters = NAN;

	for (size_t i = 0; runs && i < json_object_array_length(runs) && !isfinite(iters); i++)
		iters = bench_jnum(json_object_array_get_idx(runs, i), "start.unit_iters");
	snprintf(buf, cap, "1 compute unit = %.0f rounds of the workload's 64-bit hash mix, each "
		 "depending on the last (200000 rounds: 1.04 ms natively on the AMD EPYC build "
		 "machine); units/s compare modes on one machine, not machines",
		 isfinite(iters) ? iters : 200000.0);
}

static void comparisons_text(FILE *f, struct json_object *sum, const char *fig,
			     const char *title)
{
	struct json_object *c = jget(jget(sum, "comparisons"), fig);

	if (!c || !json_object_object_length(c))
		return;
	fprintf(f, "\n%s, pv against each mode (ratio of medians; 95%% interval: percentile bootstrap; "
		"Mann-Whitney U two-sided; paired: pv/mode within each repetition):\n", title);
	json_object_object_foreach(c, key, v) {
		struct json_object *by = jget(jget(v, "paired"), "by_rep");
		double lo = bench_jnum(v, "ci95.lo"), hi = bench_jnum(v, "ci95.hi");
		const char *how = jstr(jget(v, "mann_whitney"), "method");

		fprintf(f, "  %-12s %-6.3g", key, bench_jnum(v, "ratio"));
		if (isfinite(lo))
			fprintf(f, " [%.3g, %.3g]", lo, hi);
		else
			fprintf(f, " [n/a]");
		if (jget(v, "mann_whitney"))
			fprintf(f, "  U %.1f, p %.3g (%s)", bench_jnum(v, "mann_whitney.u"),
				bench_jnum(v, "mann_whitney.p"),
				!how || strncmp(how, "exact", 5) ? "normal approx." :
				strstr(how, "ties") ? "exact, given ties" : "exact");
		fprintf(f, "\n  %-12s paired (%.0f reps): median %.3g", "",
			bench_jnum(v, "paired.n"), bench_jnum(v, "paired.median"));
		if (jget(jget(v, "paired"), "median_ci95"))
			fprintf(f, " [%.3g, %.3g]", bench_jnum(v, "paired.median_ci95.lo"),
				bench_jnum(v, "paired.median_ci95.hi"));
		fputs(";", f);
		for (size_t i = 0; by && i < json_object_array_length(by); i++) {
			struct json_object *pair = json_object_array_get_idx(by, i);

			fprintf(f, " r%d %.3g", json_object_get_int(json_object_array_get_idx(pair, 0)),
				json_object_get_double(json_object_array_get_idx(pair, 1)));
		}
		fputc('\n', f);
	}
}

void bench_summary_txt_to(struct json_object *root, FILE *f)
{
	struct json_object *sum = jget(root, "summary"), *params = jget(root, "params");
	struct json_object *machine = jget(root, "machine"), *order = jget(params, "modes");
	struct json_object *modes = jget(sum, "modes"), *runs = jget(root, "runs");
	struct json_object *skipped = jget(root, "skipped"), *src = jget(root, "source");
	struct json_object *idle = jget(root, "idle_at_start"), *dirty = jget(src, "dirty");
	const char *label = jstr(params, "label");
	char unit[400];
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
	if (jget(params, "seed"))
		fprintf(f, "run order: randomized balanced blocks, seed %" PRIu64 "\n",
			json_object_get_uint64(jget(params, "seed")));
	if (src)
		fprintf(f, "source: commit %s%s%s%s\n", or_text(jstr(src, "commit"), "unknown"),
			dirty && json_object_get_boolean(dirty) ? ", DIRTY: " : (dirty ? ", clean" : ""),
			dirty && json_object_get_boolean(dirty) ? or_text(jstr(src, "dirty_paths"), "?") : "",
			src && !jstr(src, "commit") ? " (not from a git checkout)" : "");
	else
		fprintf(f, "source: not recorded (results from before apf-bench recorded it)\n");
	if (idle)
		fprintf(f, "machine at start: load average %.2f on %.0f CPUs, busy %.0f%%, steal %.0f%%%s%s\n",
			first_of(jget(idle, "loadavg")),
			bench_jnum(idle, "ncpu"), 100 * bench_jnum(idle, "busy_share"),
			100 * bench_jnum(idle, "steal_share"),
			jstr(idle, "why") ? "; BUSY: " : " (quiet)", or_text(jstr(idle, "why"), ""));
	fprintf(f, "host counters over %s\n", or_text(jstr(sum, "counters_over"), "?"));
	bench_unit_text(root, unit, sizeof(unit));
	fprintf(f, "%s\n", unit);
	fprintf(f, "\n%-9s %2s %5s %4s %5s  %-*s  %-*s  %4s\n", "mode", "ok",
		"crash", "hang", "error", SPREAD_W, "compute units/s: median [95% CI] (min..max)",
		SPREAD_W, "fault pages/s: median [95% CI] (min..max)", "busy");
	for (size_t i = 0; order && i < json_object_array_length(order); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(order, i));
		struct json_object *m = jget(modes, name), *fl = jget(m, "failures");

		fprintf(f, "%-9s %2.0f %5.0f %4.0f %5.0f", name, bench_jnum(m, "ok"),
			bench_jnum(fl, "crash"), bench_jnum(fl, "hang"), bench_jnum(fl, "error"));
		spread_text(f, m, "compute_units_per_s");
		spread_text(f, m, "fault_pages_per_s");
		fprintf(f, "  %4.0f\n", isfinite(bench_jnum(m, "load.busy_runs")) ?
			bench_jnum(m, "load.busy_runs") : 0.0);
	}
	comparisons_text(f, sum, "compute_units_per_s", "compute units/s");
	comparisons_text(f, sum, "fault_pages_per_s", "fault pages/s");
	fprintf(f, "\nAPF events per run, medians over ok runs (host: tracepoints and apfctl's per-VM counters; guest: its own):\n");
	fprintf(f, "%-9s %12s %12s %12s %12s %12s %12s\n", "mode", "not_present", "host queued",
		"host halted", "guest not_p.", "guest HYP", "pgmajfault");
	for (size_t i = 0; order && i < json_object_array_length(order); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(order, i));
		struct json_object *ev = jget(jget(modes, name), "events_median");

		fprintf(f, "%-9s", name);
		num_col(f, bench_jnum(ev, "kvm_async_pf_not_present"), 12);
		num_col(f, bench_jnum(ev, "host_async_pf_queued"), 12);
		num_col(f, bench_jnum(ev, "host_async_pf_halted"), 12);
		num_col(f, bench_jnum(ev, "guest_page_not_present"), 12);
		num_col(f, bench_jnum(ev, "guest_hyp_interrupts"), 12);
		num_col(f, bench_jnum(ev, "cgroup_pgmajfault"), 12);
		fputc('\n', f);
	}
	fprintf(f, "\nfault latency, not-present to ready (ms; each run's percentile, median over runs):\n");
	fprintf(f, "%-9s %6s %10s %10s %10s %10s %10s %12s\n", "mode", "runs", "faults", "p50", "p90",
		"p99", "p99.9", "worst p99.9");
	for (size_t i = 0; order && i < json_object_array_length(order); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(order, i));
		struct json_object *l = jget(jget(modes, name), "latency_ms");

		fprintf(f, "%-9s %6.0f", name, isfinite(bench_jnum(l, "runs")) ? bench_jnum(l, "runs") : 0);
		num_col(f, bench_jnum(l, "faults_median"), 10);
		num_col(f, bench_jnum(l, "p50"), 10);
		num_col(f, bench_jnum(l, "p90"), 10);
		num_col(f, bench_jnum(l, "p99"), 10);
		num_col(f, bench_jnum(l, "p999"), 10);
		num_col(f, bench_jnum(l, "p999_worst_run"), 12);
		fputc('\n', f);
	}
	fprintf(f, "\nthe machine in the windows (medians over ok runs; shares of all CPUs; other = not the run's QEMU,\n"
		"kernel threads included; fault drift: the window's second half over its first, steady within +-10%%):\n");
	fprintf(f, "%-9s %10s %10s %10s %14s %10s %12s\n", "mode", "busy", "steal", "other",
		"load at start", "busy runs", "fault drift");
	for (size_t i = 0; order && i < json_object_array_length(order); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(order, i));
		struct json_object *l = jget(jget(modes, name), "load");

		fprintf(f, "%-9s", name);
		num_col(f, bench_jnum(l, "busy_share"), 10);
		num_col(f, bench_jnum(l, "steal_share"), 10);
		num_col(f, bench_jnum(l, "other_share"), 10);
		num_col(f, bench_jnum(l, "loadavg1_at_start"), 14);
		fprintf(f, " %10.0f", isfinite(bench_jnum(l, "busy_runs")) ? bench_jnum(l, "busy_runs") : 0);
		if (isfinite(bench_jnum(l, "fault_rate_drift")))
			fprintf(f, " %+11.0f%%\n", 100 * bench_jnum(l, "fault_rate_drift"));
		else
			fprintf(f, " %12s\n", "-");
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
	any = false;
	for (size_t i = 0; runs && i < json_object_array_length(runs); i++) {
		struct json_object *r = json_object_array_get_idx(runs, i);
		struct json_object *b = jget(r, "busy"), *why = jget(b, "reasons");

		if (!b || !json_object_get_boolean(jget(b, "flag")))
			continue;
		if (!any)
			fprintf(f, "\nruns flagged busy (in the figures, but not from a quiet machine):\n");
		any = true;
		fprintf(f, "  %s rep %.0f:", or_text(jstr(r, "mode"), "?"), bench_jnum(r, "rep"));
		for (size_t k = 0; why && k < json_object_array_length(why); k++)
			fprintf(f, "%s %s", k ? ";" : "", json_object_get_string(json_object_array_get_idx(why, k)));
		fputc('\n', f);
	}
}

int bench_write_summary_txt(struct json_object *root, const char *path)
{
	return write_via(path, bench_summary_txt_to, root);
}

/* ---- gnuplot's inputs --------------------------------------------------- */

static void dat_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, " %.6g", v);
	else
		fputs(" NaN", f);
}

/* summary.dat: per mode, the medians and their intervals. */
void bench_summary_dat_to(struct json_object *root, FILE *f)
{
	static const char *const stats[] = { "median", "median_ci95.lo", "median_ci95.hi", "min", "max" };
	static const char *const figs[] = { "compute_units_per_s", "fault_pages_per_s" };
	struct json_object *sum = jget(root, "summary"), *order = jget(jget(root, "params"), "modes");
	struct json_object *modes = jget(sum, "modes");

	fputs("# apf-bench: per mode, over ok runs (NaN: none; ci: the median's exact 95% interval)\n", f);
	fputs("# idx mode ok c_median c_ci_lo c_ci_hi c_min c_max f_median f_ci_lo f_ci_hi f_min f_max\n", f);
	for (size_t i = 0; order && i < json_object_array_length(order); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(order, i));
		struct json_object *m = jget(modes, name);

		fprintf(f, "%zu %s %.0f", i, name, isfinite(bench_jnum(m, "ok")) ? bench_jnum(m, "ok") : 0.0);
		for (size_t k = 0; k < 2; k++)
			for (size_t s = 0; s < sizeof(stats) / sizeof(stats[0]); s++) {
				char path[96];

				snprintf(path, sizeof(path), "%s.%s", figs[k], stats[s]);
				dat_num(f, bench_jnum(m, path));
			}
		fputc('\n', f);
	}
}

/* points.dat: every ok run. */
void bench_points_dat_to(struct json_object *root, FILE *f)
{
	struct json_object *order = jget(jget(root, "params"), "modes"), *runs = jget(root, "runs");

	fputs("# apf-bench: every ok run\n# idx rep compute_units_per_s fault_pages_per_s busy\n", f);
	for (size_t i = 0; order && i < json_object_array_length(order); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(order, i));

		for (size_t r = 0; runs && r < json_object_array_length(runs); r++) {
			struct json_object *x = json_object_array_get_idx(runs, r);
			const char *m = jstr(x, "mode"), *oc = jstr(x, "outcome");
			struct json_object *b = jget(jget(x, "busy"), "flag");

			if (!m || !oc || strcmp(m, name) || strcmp(oc, "ok"))
				continue;
			fprintf(f, "%zu %.0f", i, bench_jnum(x, "rep"));
			dat_num(f, bench_jnum(x, "compute_units_per_s"));
			dat_num(f, bench_jnum(x, "fault_pages_per_s"));
			fprintf(f, " %d\n", b && json_object_get_boolean(b) ? 1 : 0);
		}
	}
}

/* ratios.dat: pv against each mode on the set's figure of merit. */
void bench_ratios_dat_to(struct json_object *root, FILE *f)
{
	struct json_object *sum = jget(root, "summary");
	const char *metric = or_text(jstr(sum, "metric"), "compute_units_per_s");
	struct json_object *c = jget(jget(sum, "comparisons"), metric);
	size_t i = 0;

	fprintf(f, "# apf-bench: pv against each mode, %s\n", metric);
	fputs("# idx name ratio ci_lo ci_hi mann_whitney_p paired_median\n", f);
	if (!c)
		return;
	json_object_object_foreach(c, key, v) {
		fprintf(f, "%zu %s", i++, key);
		dat_num(f, bench_jnum(v, "ratio"));
		dat_num(f, bench_jnum(v, "ci95.lo"));
		dat_num(f, bench_jnum(v, "ci95.hi"));
		dat_num(f, bench_jnum(v, "mann_whitney.p"));
		dat_num(f, bench_jnum(v, "paired.median"));
		fputc('\n', f);
	}
}

int bench_write_summary_dat(struct json_object *root, const char *path)
{
	return write_via(path, bench_summary_dat_to, root);
}

static int write_points(struct json_object *root, const char *path)
{
	return write_via(path, bench_points_dat_to, root);
}

static int write_ratios(struct json_object *root, const char *path)
{
	return write_via(path, bench_ratios_dat_to, root);
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
		{ "points.dat", write_points },
		{ "ratios.dat", write_ratios },
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
