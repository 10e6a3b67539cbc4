// SPDX-License-Identifier: GPL-2.0-only
/* src/stats_output.c over made-up samples: the text table's column header,
 * and apfctl's own tracepoint counts (a window) kept apart from KVM's
 * cumulative counters in every output mode.  Fixture trees cannot show
 * tracepoints (perf counts the live kernel only), so the samples are
 * built here. */
/* Before cmocka.h, whose skip() macro would rename the file's skip(). */
#include "stats_output.c"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct apf_global apf_g;

/* A host with one VM counted on tracepoints (pid 42) and a total from a
 * stock kernel's debugfs plus the host-wide tracepoints. */
static void make_sample(struct apf_sample *s, double t, uint64_t base)
{
	memset(s, 0, sizeof(*s));
	s->time = t;
	s->vms = calloc(1, sizeof(*s->vms));
	assert_non_null(s->vms);
	s->nvms = 1;
	s->vms[0].pid = 42;
	snprintf(s->vms[0].name, sizeof(s->vms[0].name), "web1");
	s->vms[0].source = APF_SRC_TRACEPOINTS;
	s->vms[0].time = t;
	s->vms[0].window_since = 10.0;
	assert_int_equal(apf_counters_set_window(&s->vms[0].counters,
						 "kvm_async_pf_not_present", base), 0);
	s->total_source = APF_SRC_DEBUGFS_TP;
	s->total_time = t;
	s->total_window_since = 10.0;
	assert_int_equal(apf_counters_set(&s->total, "exits", 1000 + 10 * base), 0);
	assert_int_equal(apf_counters_set_window(&s->total,
						 "kvm_async_pf_not_present", base), 0);
}

/* Render cur against prev in the mode o asks for; the text, malloc'd. */
static char *render(struct stats_output *o, double dt)
{
	struct apf_sample prev, cur;
	char *buf = NULL;
	size_t len = 0;

	make_sample(&prev, 20.0, 100);
	make_sample(&cur, 20.0 + dt, 150);
	o->f = open_memstream(&buf, &len);
	assert_non_null(o->f);
	assert_int_equal(stats_output_sample(o, &cur, &prev), 0);
	fclose(o->f);
	o->f = NULL;
	apf_sample_free(&prev);
	apf_sample_free(&cur);
	return buf;
}

/* The line of text that contains needle. */
static const char *line_with(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);

	assert_non_null(p);
	while (p > text && p[-1] != '\n')
		p--;
	return p;
}

static void test_text_header_and_window_section(void **state)
{
	struct stats_output o = { 0 };
	char *t = render(&o, 2.0);
	const char *total_hdr, *win_hdr, *exits, *tp;
	char name[64];
	unsigned long long counted, interval;
	double rate;

	(void)state;
	/* kvm_stat's columns over the cumulative counters. */
	total_hdr = strstr(t, "Host total");
	assert_non_null(total_hdr);
	total_hdr = line_with(total_hdr, "Total");
	assert_int_equal(sscanf(total_hdr, " Event Total CurAvg/s%c", name), 1);
	exits = line_with(total_hdr, " exits ");
	assert_true(exits > total_hdr);
	/* The window counts after, under their own label and columns. */
	win_hdr = strstr(total_hdr, "Tracepoints counted by apfctl over the last 12.0 s "
			 "(a window, not totals):");
	assert_non_null(win_hdr);
	assert_true(win_hdr > exits);
	win_hdr = line_with(win_hdr, "This interval");
	assert_non_null(strstr(win_hdr, "Counted"));
	tp = line_with(win_hdr, "kvm_async_pf_not_present");
	assert_int_equal(sscanf(tp, " %63s %llu %llu %lf", name, &counted, &interval,
				&rate), 4);
	assert_int_equal(counted, 150);
	assert_int_equal(interval, 50);
	assert_true(rate > 24.99 && rate < 25.01);
	/* Never a window count among the totals of the same scope. */
	assert_null(memmem(total_hdr, (size_t)(win_hdr - total_hdr),
			   "kvm_async_pf_not_present", 24));
	/* A VM counted on tracepoints alone has only the window section. */
	tp = strstr(t, "VM web1 (pid 42)  source: tracepoints");
	assert_non_null(tp);
	assert_true(strstr(tp, "Tracepoints counted by apfctl") < strstr(tp, "Host total"));
	assert_null(memmem(tp, (size_t)(strstr(tp, "Tracepoints counted") - tp),
			   "Total", 5));
	free(t);
}

static void test_json_names_the_window(void **state)
{
	struct stats_output o = { .json = true };
	char *t = render(&o, 2.0);
	const char *total = strstr(t, "\"total\":");

	(void)state;
	assert_non_null(total);
	/* Values stay in "counters" (scripts read them there), and the
	 * window says which of them are apfctl's counts, over how long. */
	assert_non_null(strstr(total, "\"kvm_async_pf_not_present\":150"));
	assert_non_null(strstr(total, "\"tracepoint_window\":{\"seconds\":12.000,"
			       "\"counters\":[\"kvm_async_pf_not_present\"]}"));
	free(t);
}

static void test_csv_and_log_split_the_sources(void **state)
{
	struct stats_output o = { .csv = true };
	char *t = render(&o, 2.0);

	(void)state;
	assert_non_null(strstr(t, ",total,,,debugfs,,exits,2500,250.000"));
	assert_non_null(strstr(t, ",total,,,tracepoints,,kvm_async_pf_not_present,150,25.000"));
	free(t);
	memset(&o, 0, sizeof(o));
	o.log = true;
	t = render(&o, 2.0);
	assert_non_null(strstr(t, " total source=debugfs+tracepoints exits=2500(250.0/s) "
			       "window=12.0s kvm_async_pf_not_present=150(25.0/s)\n"));
	free(t);
}

static void test_cumulative_only_has_no_window(void **state)
{
	struct stats_output o = { 0 };
	struct apf_sample prev, cur;
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	memset(&prev, 0, sizeof(prev));
	memset(&cur, 0, sizeof(cur));
	cur.time = 1.0;
	cur.guest = true;
	cur.guest_source = APF_SRC_SYSFS;
	cur.guest_time = 1.0;
	assert_int_equal(apf_counters_set(&cur.guest_counters, "page_ready", 7), 0);
	o.f = open_memstream(&buf, &len);
	assert_int_equal(stats_output_sample(&o, &cur, &prev), 0);
	fclose(o.f);
	assert_non_null(strstr(buf, "Guest  source: /sys/kernel/kvm_async_pf\n"
			       "  Event "));
	assert_null(strstr(buf, "Tracepoints counted"));
	assert_null(strstr(buf, "This interval"));
	free(buf);
	apf_sample_free(&cur);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_header_and_window_section),
		cmocka_unit_test(test_json_names_the_window),
		cmocka_unit_test(test_csv_and_log_split_the_sources),
		cmocka_unit_test(test_cumulative_only_has_no_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
