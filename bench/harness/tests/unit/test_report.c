// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the results document: per-mode summary over ok runs,
 * failures counted apart, ratios, the summary line, and the CSV, JSON,
 * summary.txt and summary.dat writers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "results.h"

#define assert_close(a, b) assert_true(fabs((a) - (b)) < 1e-6)

static struct json_object *run(const char *mode, int rep, const char *outcome,
			       double compute, double faults, long long not_present)
{
	struct json_object *r = json_object_new_object(), *tp = json_object_new_object();
	struct json_object *g = json_object_new_object();

	json_object_object_add(r, "mode", json_object_new_string(mode));
	json_object_object_add(r, "rep", json_object_new_int(rep));
	json_object_object_add(r, "order", json_object_new_int(rep));
	json_object_object_add(r, "outcome", json_object_new_string(outcome));
	if (!strcmp(outcome, "ok")) {
		json_object_object_add(r, "compute_units_per_s", json_object_new_double(compute));
		json_object_object_add(r, "fault_pages_per_s", json_object_new_double(faults));
		json_object_object_add(r, "elapsed_s", json_object_new_double(30.0));
	} else {
		json_object_object_add(r, "reason", json_object_new_string("soft lockup: BUG: soft lockup, \"CPU#1\""));
	}
	json_object_object_add(tp, "kvm_async_pf_not_present", json_object_new_int64(not_present));
	json_object_object_add(tp, "kvm_async_pf_ready", json_object_new_int64(not_present));
	json_object_object_add(r, "tracepoints", tp);
	json_object_object_add(g, "page_not_present", json_object_new_int64(not_present / 2));
	json_object_object_add(r, "guest", g);
	return r;
}

static struct json_object *doc(void)
{
	struct json_object *root = json_object_new_object(), *p = json_object_new_object();
	struct json_object *modes = json_object_new_array(), *runs = json_object_new_array();
	static const char *const names[] = { "pv", "halt", "off", "baseline" };

	for (int i = 0; i < 4; i++)
		json_object_array_add(modes, json_object_new_string(names[i]));
	json_object_object_add(p, "modes", modes);
	json_object_object_add(p, "workload", json_object_new_string("-f 2 -c 2 -m 600 -t 30"));
	json_object_object_add(p, "memory_max", json_object_new_string("256M"));
	json_object_object_add(root, "params", p);
	/* pv: 200, 220, 240; halt 150 x3; off 100, 110, 90 (+ a crash);
	 * baseline 250, 230 (+ a hang). */
	json_object_array_add(runs, run("pv", 1, "ok", 200, 1000, 5000));
	json_object_array_add(runs, run("halt", 1, "ok", 150, 900, 4000));
	json_object_array_add(runs, run("off", 1, "ok", 100, 800, 0));
	json_object_array_add(runs, run("baseline", 1, "ok", 250, 3000, 0));
	json_object_array_add(runs, run("halt", 2, "ok", 150, 900, 4000));
	json_object_array_add(runs, run("off", 2, "crash", 0, 0, 10));
	json_object_array_add(runs, run("off", 2, "ok", 110, 810, 0));
	json_object_array_add(runs, run("baseline", 2, "hang", 0, 0, 0));
	json_object_array_add(runs, run("pv", 2, "ok", 240, 1100, 6000));
	json_object_array_add(runs, run("off", 3, "ok", 90, 790, 0));
	json_object_array_add(runs, run("baseline", 3, "ok", 230, 2900, 0));
	json_object_array_add(runs, run("pv", 3, "ok", 220, 1050, 5500));
	json_object_array_add(runs, run("halt", 3, "ok", 150, 900, 4000));
	json_object_object_add(root, "runs", runs);
	json_object_object_add(root, "skipped", json_object_new_object());
	return root;
}

static double at(struct json_object *root, const char *path)
{
	return bench_jnum(root, path);
}

static void test_summarize(void **state)
{
	struct json_object *root = doc(), *sum, *line;

	(void)state;
	assert_int_equal(bench_summarize(root), 0);
	assert_close(at(root, "summary.modes.pv.compute_units_per_s.median"), 220);
	assert_close(at(root, "summary.modes.pv.compute_units_per_s.q1"), 210);
	assert_close(at(root, "summary.modes.pv.compute_units_per_s.q3"), 230);
	assert_close(at(root, "summary.modes.pv.compute_units_per_s.min"), 200);
	assert_close(at(root, "summary.modes.pv.compute_units_per_s.max"), 240);
	/* Failed runs are not in the figures, and are counted apart. */
	assert_close(at(root, "summary.modes.off.compute_units_per_s.median"), 100);
	assert_close(at(root, "summary.modes.off.compute_units_per_s.n"), 3);
	assert_close(at(root, "summary.modes.off.failures.crash"), 1);
	assert_close(at(root, "summary.modes.baseline.failures.hang"), 1);
	assert_close(at(root, "summary.modes.baseline.ok"), 2);
	assert_close(at(root, "summary.modes.baseline.compute_units_per_s.median"), 240);
	assert_close(at(root, "summary.failures.crash"), 1);
	assert_close(at(root, "summary.failures.hang"), 1);
	assert_close(at(root, "summary.ok_runs"), 11);
	assert_close(at(root, "summary.ratios.compute_units_per_s.pv/off"), 2.2);
	assert_close(at(root, "summary.ratios.compute_units_per_s.pv/halt"), 220.0 / 150);
	assert_close(at(root, "summary.ratios.compute_units_per_s.pv/baseline"), 220.0 / 240);
	assert_close(at(root, "summary.ratios.fault_pages_per_s.pv/off"), 1050.0 / 800);
	assert_close(at(root, "summary.modes.pv.events_median.kvm_async_pf_not_present"), 5500);
	assert_close(at(root, "summary.modes.pv.events_median.guest_page_not_present"), 2750);
	assert_true(json_object_object_get_ex(root, "summary", &sum));
	assert_true(json_object_object_get_ex(sum, "line", &line));
	assert_true(!strncmp(json_object_get_string(line), "pv/off 2.20 [", 13));
	assert_non_null(strstr(json_object_get_string(line), "  pv/halt 1.47 ["));
	assert_non_null(strstr(json_object_get_string(line), "  pv/baseline 0.92 ["));
	assert_non_null(strstr(json_object_get_string(line),
		" (compute units/s: ratios of medians, 95% bootstrap intervals, Mann-Whitney p; "
		"ok runs: pv 3, halt 3, off 3, baseline 2; crashes 1, hangs 1)"));
	/* 3 against 3 apart: the exact test's smallest p, 0.1. */
	assert_close(at(root, "summary.comparisons.compute_units_per_s.pv/off.mann_whitney.p"), 0.1);
	{
		static const char *const keys[] = { "summary", "comparisons", "compute_units_per_s",
						     "pv/off", "mann_whitney" };
		struct json_object *o = root, *v;

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			assert_true(json_object_object_get_ex(o, keys[i], &o));
		assert_true(json_object_object_get_ex(o, "exact", &v));
		assert_true(json_object_get_boolean(v));
		assert_true(json_object_object_get_ex(o, "ties", &v));
		assert_false(json_object_get_boolean(v));
		assert_true(json_object_object_get_ex(o, "method", &v));
		assert_string_equal(json_object_get_string(v),
				    "exact (permutation distribution of U), two-sided");
	}
	assert_close(at(root, "summary.comparisons.compute_units_per_s.pv/off.ratio"), 2.2);
	/* Fewer than 6 runs: no 95% interval of a median. */
	assert_true(isnan(at(root, "summary.modes.pv.compute_units_per_s.median_ci95.lo")));
	/* Summarizing again replaces, not duplicates. */
	assert_int_equal(bench_summarize(root), 0);
	assert_close(at(root, "summary.ok_runs"), 11);
	json_object_put(root);
}

static void test_summary_line_even(void **state)
{
	struct json_object *root = json_object_new_object(), *p = json_object_new_object();
	struct json_object *modes = json_object_new_array(), *runs = json_object_new_array();
	struct json_object *sk = json_object_new_object();

	(void)state;
	json_object_array_add(modes, json_object_new_string("pv"));
	json_object_array_add(modes, json_object_new_string("halt"));
	json_object_object_add(p, "modes", modes);
	json_object_object_add(root, "params", p);
	for (int i = 1; i <= 3; i++) {
		json_object_array_add(runs, run("pv", i, "ok", 110, 10, 1));
		json_object_array_add(runs, run("halt", i, "ok", 100, 10, 1));
	}
	json_object_object_add(root, "runs", runs);
	json_object_object_add(sk, "off", json_object_new_string("no switch"));
	json_object_object_add(root, "skipped", sk);
	assert_int_equal(bench_summarize(root), 0);
	/* Tied within each mode, apart between them: the exact test given the
	 * ties, p = 2/C(6, 3) = 0.1, the smallest 3 against 3 allow (the
	 * normal approximation claimed 0.047). */
	assert_string_equal(json_object_get_string(json_object_object_get(
		json_object_object_get(root, "summary"), "line")),
		"pv/halt 1.10 [1.10, 1.10] p=0.1 (compute units/s: ratios of medians, 95% bootstrap "
		"intervals, Mann-Whitney p; 3 ok runs per mode; crashes 0, hangs 0; skipped: off)");
	json_object_put(root);
}

static void test_summary_no_ok(void **state)
{
	struct json_object *root = doc(), *runs = json_object_new_array();

	(void)state;
	json_object_array_add(runs, run("pv", 1, "hang", 0, 0, 0));
	json_object_array_add(runs, run("off", 1, "ok", 100, 800, 0));
	json_object_object_add(root, "runs", runs);
	assert_int_equal(bench_summarize(root), 0);
	assert_true(isnan(at(root, "summary.ratios.compute_units_per_s.pv/off")));
	assert_non_null(strstr(json_object_get_string(json_object_object_get(
		json_object_object_get(root, "summary"), "line")), "pv/off n/a"));
	json_object_put(root);
	/* Not a results document. */
	root = json_object_new_object();
	assert_int_equal(bench_summarize(root), -EINVAL);
	json_object_put(root);
}

static char *to_text(void (*fn)(struct json_object *, FILE *), struct json_object *root)
{
	FILE *f = tmpfile();
	char *buf;
	long len;

	assert_non_null(f);
	fn(root, f);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return buf;
}

static void test_csv(void **state)
{
	struct json_object *root = doc();
	char *csv, *line2;

	(void)state;
	bench_summarize(root);
	csv = to_text(bench_csv_to, root);
	assert_true(!strncmp(csv, "mode,rep,order,outcome,compute_units_per_s,fault_pages_per_s,"
			     "elapsed_s,fill_s,kvm_async_pf_not_present,kvm_async_pf_ready,"
			     "guest_page_not_present,guest_page_ready,pgmajfault,pswpin,pswpout,"
			     "host_async_pf_queued,host_async_pf_not_present,host_async_pf_halted,"
			     "latency_p50_ns,latency_p99_ns,latency_p999_ns,warmup_s,"
			     "window_busy_share,window_steal_share,window_other_share,qemu_cpu_s,"
			     "wall_s,loadavg1_start,busy,reason\n", strlen("mode,rep")));
	line2 = strchr(csv, '\n') + 1;
	assert_true(!strncmp(line2, "pv,1,1,ok,200,1000,30,,5000,5000,2500,,,,,,,,,,,,,,,,,,,\n", 55));
	/* The crash's reason is quoted (comma and quotes inside). */
	assert_non_null(strstr(csv, "off,2,2,crash,,,,,10,10,5,,,,,,,,,,,,,,,,,,,\"soft lockup: BUG: soft lockup, \"\"CPU#1\"\"\"\n"));
	/* 13 runs + header. */
	{
		int n = 0;

		for (char *p = csv; *p; p++)
			n += *p == '\n';
		assert_int_equal(n, 14);
	}
	free(csv);
	json_object_put(root);
}

static void test_dat_and_txt(void **state)
{
	struct json_object *root = doc();
	char *dat, *txt;

	(void)state;
	bench_summarize(root);
	dat = to_text(bench_summary_dat_to, root);
	/* median, its interval (none below 6 runs), min, max. */
	assert_non_null(strstr(dat, "\n0 pv 3 220 NaN NaN 200 240 1050 NaN NaN 1000 1100\n"));
	assert_non_null(strstr(dat, "\n3 baseline 2 240 NaN NaN 230 250 2950 NaN NaN 2900 3000\n"));
	free(dat);
	dat = to_text(bench_points_dat_to, root);
	assert_non_null(strstr(dat, "\n0 1 200 1000 0\n"));
	free(dat);
	dat = to_text(bench_ratios_dat_to, root);
	assert_non_null(strstr(dat, "\n0 pv/off 2.2 "));
	assert_non_null(strstr(dat, "\n2 pv/baseline 0.916667 "));
	free(dat);
	txt = to_text(bench_summary_txt_to, root);
	assert_true(!strncmp(txt, "pv/off 2.20 [", 13));
	assert_non_null(strstr(txt, "fault pages/s, pv against each mode"));
	assert_non_null(strstr(txt, "  pv/off       1.31 "));
	assert_non_null(strstr(txt, "1 compute unit = 200000 rounds"));
	assert_non_null(strstr(txt, "failed runs (not in the figures above):"));
	assert_non_null(strstr(txt, "  off rep 2: crash: soft lockup"));
	assert_non_null(strstr(txt, "  baseline rep 2: hang:"));
	free(txt);
	json_object_put(root);
}

static void test_dat_missing_mode(void **state)
{
	struct json_object *root = doc(), *runs = json_object_new_array();
	char *dat;

	(void)state;
	json_object_array_add(runs, run("pv", 1, "ok", 100, 800, 0));
	json_object_object_add(root, "runs", runs);
	bench_summarize(root);
	dat = to_text(bench_summary_dat_to, root);
	assert_non_null(strstr(dat, "\n1 halt 0 NaN NaN NaN NaN NaN NaN NaN NaN NaN NaN\n"));
	free(dat);
	json_object_put(root);
}

static void test_write_all(void **state)
{
	char dir[] = "/tmp/apf-bench-test-XXXXXX", path[256];
	struct json_object *root = doc(), *back;
	static const char *const files[] = { "results.json", "results.csv", "summary.txt",
					     "summary.dat" };

	(void)state;
	bench_json_setup();
	assert_non_null(mkdtemp(dir));
	bench_summarize(root);
	assert_int_equal(bench_write_all(root, dir), 0);
	snprintf(path, sizeof(path), "%s/results.json", dir);
	back = json_object_from_file(path);
	assert_non_null(back);
	assert_close(at(back, "summary.ratios.compute_units_per_s.pv/off"), 2.2);
	assert_int_equal(json_object_array_length(json_object_object_get(back, "runs")), 13);
	json_object_put(back);
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		assert_int_equal(access(path, R_OK), 0);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s.tmp", dir, files[i]);
		assert_int_not_equal(access(path, F_OK), 0);	/* renamed away */
	}
	/* An unwritable place reports, and nothing is left behind. */
	assert_int_not_equal(bench_write_json(root, "/nonexistent-dir/results.json"), 0);
	rmdir(dir);
	json_object_put(root);
	bench_json_teardown();
}

/* The fault rate's drift over the window: its second half over its first. */
static void test_window_drift(void **state)
{
	const char *text =
		"{\"window\": {\"t_s\": 10, \"elapsed_s\": 30},"
		" \"intervals\": [[5, 40, 1], [10, 50, 1], [15, 55, 1], [20, 60, 1],"
		" [25, 60, 1], [30, 66, 1], [35, 66, 1]]}";
	struct json_object *r = json_tokener_parse(text), *w;

	(void)state;
	/* In the window: 15..35; the first (begun before it) is dropped:
	 * (66 + 66) / (60 + 60) - 1. */
	assert_close(bench_window_drift(r), 0.1);
	json_object_put(r);
	/* Without a warm-up every interval is the window's. */
	r = json_tokener_parse("{\"window\": {\"t_s\": 0, \"elapsed_s\": 20},"
			       " \"intervals\": [[5, 40], [10, 40], [15, 50], [20, 50]]}");
	assert_close(bench_window_drift(r), 0.25);
	/* One interval, or no window: unknown. */
	json_object_object_get_ex(r, "window", &w);
	json_object_object_add(w, "elapsed_s", json_object_new_double(5));
	assert_true(isnan(bench_window_drift(r)));
	json_object_object_del(r, "window");
	assert_true(isnan(bench_window_drift(r)));
	json_object_put(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_drift),
		cmocka_unit_test(test_summarize),
		cmocka_unit_test(test_summary_line_even),
		cmocka_unit_test(test_summary_no_ok),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_dat_and_txt),
		cmocka_unit_test(test_dat_missing_mode),
		cmocka_unit_test(test_write_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
