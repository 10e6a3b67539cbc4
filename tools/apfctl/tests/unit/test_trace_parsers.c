// SPDX-License-Identifier: GPL-2.0-only
/*
 * The parsers behind "apfctl trace": ftrace format files (real ones from a
 * 6.18 host, cut short, garbage, huge numbers), tracepoint discovery over a
 * scratch sysroot, the sysfs CPU list, and the latency histogram's
 * percentiles, exact and after the reservoir overflows.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "histogram.h"
#include "perf_tp.h"
#include "sysroot.h"
#include "tracefs.h"

/* /sys/kernel/tracing/events/kvm/kvm_async_pf_ready/format, Linux 6.18. */
static const char fmt_ready[] =
	"name: kvm_async_pf_ready\n"
	"ID: 33\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:__u64 token;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:__u64 gva;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\n"
	"print fmt: \"token %#llx gva %#llx\", REC->token, REC->gva\n";

/* sched_switch (6.18): 11 fields, next_pid is the 9th. */
static const char fmt_sched_switch[] =
	"name: sched_switch\n"
	"ID: 372\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;\n"
	"\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;\n"
	"\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n"
	"\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n"
	"\n"
	"print fmt: \"prev_comm=%s prev_pid=%d\", REC->prev_comm, REC->prev_pid\n";

static void test_format_good(void **state)
{
	struct apf_tracepoint tp;
	const struct apf_tp_field *f;

	(void)state;
	assert_int_equal(apf_tp_parse_format(fmt_ready, &tp), 0);
	assert_string_equal(tp.name, "kvm_async_pf_ready");
	assert_true(tp.id_readable);
	assert_int_equal(tp.id, 33);
	assert_int_equal(tp.nfields, 6);
	f = apf_tp_field(&tp, "token");
	assert_non_null(f);
	assert_int_equal(f->offset, 8);
	assert_int_equal(f->size, 8);
	assert_false(f->is_signed);
	f = apf_tp_field(&tp, "common_pid");
	assert_non_null(f);
	assert_int_equal(f->offset, 4);
	assert_true(f->is_signed);
	assert_null(apf_tp_field(&tp, "gfn"));
}

static void test_format_many_fields(void **state)
{
	struct apf_tracepoint tp;
	const struct apf_tp_field *f;

	(void)state;
	assert_int_equal(apf_tp_parse_format(fmt_sched_switch, &tp), 0);
	/* More than 8: common_* dropped, the event's own fields kept. */
	assert_int_equal(tp.nfields, 7);
	assert_null(apf_tp_field(&tp, "common_type"));
	f = apf_tp_field(&tp, "next_pid");
	assert_non_null(f);
	assert_int_equal(f->offset, 56);
	f = apf_tp_field(&tp, "prev_comm");	/* array suffix dropped */
	assert_non_null(f);
	assert_int_equal(f->size, 16);
}

/* Every prefix must parse or be refused: no crash, no garbage fields. */
static void test_format_truncated(void **state)
{
	size_t len = strlen(fmt_ready), i, ok = 0;
	char *buf = malloc(len + 1);

	(void)state;
	assert_non_null(buf);
	for (i = 0; i <= len; i++) {
		struct apf_tracepoint tp;
		int r;

		memcpy(buf, fmt_ready, i);
		buf[i] = '\0';
		r = apf_tp_parse_format(buf, &tp);
		assert_true(r == 0 || r == -EINVAL);
		if (r)
			continue;
		ok++;
		assert_true(tp.nfields >= 1 && tp.nfields <= 6);
		assert_string_equal(tp.name, "kvm_async_pf_ready");
	}
	/* Cut inside "name:" or before the first complete field: refused. */
	assert_int_equal(apf_tp_parse_format("name: kvm_async_pf_re", &(struct apf_tracepoint){ 0 }), -EINVAL);
	assert_int_equal(apf_tp_parse_format("name: x\nID: 3\nformat:\n", &(struct apf_tracepoint){ 0 }), -EINVAL);
	assert_int_equal(apf_tp_parse_format(
		"name: x\nformat:\n\tfield:int a;\toffset:0;\tsi", &(struct apf_tracepoint){ 0 }), -EINVAL);
	assert_true(ok > 0);
	free(buf);
}

static void test_format_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"hello world",
		"\xff\xfe\x01\x02",
		"name:\nformat:\n\tfield:int a;\toffset:0;\tsize:4;\n",	/* empty name */
		"name: a b\nformat:\n\tfield:int a;\toffset:0;\tsize:4;\n",
		"name: x\n\tfield:int a;\toffset:0;\tsize:4;\n",		/* no format: */
		"name: x\nformat:\n\tfield:a;\toffset:0;\tsize:4;\n",		/* no type */
		"name: x\nformat:\n\tfield:int a;\toffset:-1;\tsize:4;\n",
		"name: x\nformat:\n\tfield:int a;\toffset:0x10;\tsize:4;\n",
		"name: x\nformat:\n\tfield:int a;\tsize:4;\n",			/* no offset */
		"name: x\nformat:\n\tfield:int a;\toffset:0;\toffset:0;\tsize:4;\n",
		"name: x\nformat:\n\tfield:int a;\toffset:0;\tsize:4;\tsigned:2;\n",
		"name: x\nformat:\n\tfield:int a;\toffset:0;\tsize:4; junk\n",
		"name: x\nformat:\n\tfield:int a[4;\toffset:0;\tsize:4;\n",
		"name: x\nformat:\n\tfield:int 9a;\toffset:0;\tsize:4;\n",
		"name: x\nID: abc\nformat:\n\tfield:int a;\toffset:0;\tsize:4;\n",
		"name: x\nformat:\nwhatever\n\tfield:int a;\toffset:0;\tsize:4;\n",
		"name: x\nname: y\nformat:\n\tfield:int a;\toffset:0;\tsize:4;\n",
		/* a name longer than the 64-byte table */
		("name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
		 "format:\n\tfield:int a;\toffset:0;\tsize:4;\n"),
	};
	struct apf_tracepoint tp;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		memset(&tp, 0x5a, sizeof(tp));
		assert_int_equal(apf_tp_parse_format(bad[i], &tp), -EINVAL);
	}
	assert_int_equal(apf_tp_parse_format(NULL, &tp), -EINVAL);
}

static void test_format_huge(void **state)
{
	static const char *const bad[] = {
		"name: x\nformat:\n\tfield:int a;\toffset:99999999999999999999999;\tsize:4;\n",
		"name: x\nformat:\n\tfield:int a;\toffset:18446744073709551615;\tsize:4;\n",
		"name: x\nformat:\n\tfield:int a;\toffset:4294967296;\tsize:4;\n",
		"name: x\nformat:\n\tfield:int a;\toffset:0;\tsize:4294967300;\n",
		"name: x\nformat:\n\tfield:int a;\toffset:65535;\tsize:8;\n",
		"name: x\nID: 99999999999999999999999\nformat:\n\tfield:int a;\toffset:0;\tsize:4;\n",
	};
	struct apf_tracepoint tp;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(apf_tp_parse_format(bad[i], &tp), -EINVAL);
	/* The largest field that still fits 64 KiB of raw data. */
	assert_int_equal(apf_tp_parse_format(
		"name: x\nformat:\n\tfield:int a;\toffset:65528;\tsize:8;\tsigned:1;\n", &tp), 0);
	assert_int_equal(tp.fields[0].offset, 65528);
	/* A long field name is skipped, not an error; the short one stays. */
	assert_int_equal(apf_tp_parse_format(
		"name: x\nformat:\n"
		"\tfield:int a_name_that_is_longer_than_the_table_allows;\toffset:0;\tsize:4;\n"
		"\tfield:u64 token;\toffset:8;\tsize:8;\n", &tp), 0);
	assert_int_equal(tp.nfields, 1);
	assert_non_null(apf_tp_field(&tp, "token"));
}

/* ---- discovery over a scratch sysroot ---- */

static void put(const char *root, const char *rel, const char *text)
{
	char path[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	if (!text)
		return;
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_discover(void **state)
{
	char root[] = "/tmp/apf-trace-test-XXXXXXXX", cmd[128];
	struct apf_tracefs *t = calloc(1, sizeof(*t));
	const struct apf_tracepoint *tp;

	(void)state;
	assert_non_null(t);
	assert_non_null(mkdtemp(root));
	put(root, "sys/kernel/tracing/events/kvm/kvm_async_pf_ready/id", "33\n");
	put(root, "sys/kernel/tracing/events/kvm/kvm_async_pf_ready/format", fmt_ready);
	/* Older kernels' name; id only in the format file. */
	put(root, "sys/kernel/tracing/events/kvm/kvm_async_pf_doublefault/format",
	    "name: kvm_async_pf_doublefault\nID: 77\nformat:\n"
	    "\tfield:__u64 gva;\toffset:8;\tsize:8;\tsigned:0;\n");
	/* Broken format: listed, with no fields. */
	put(root, "sys/kernel/tracing/events/kvm/kvm_async_pf_not_present/id", "34\n");
	put(root, "sys/kernel/tracing/events/kvm/kvm_async_pf_not_present/format", "garbage");
	put(root, "sys/kernel/tracing/events/kvm/kvm_exit/id", "5\n");
	put(root, "sys/kernel/tracing/events/kvm/enable", "0\n");

	apf_sysroot_set(root);
	assert_int_equal(apf_tracefs_discover(t), 0);
	assert_true(t->found);
	assert_int_equal(t->ntp, 3);
	/* Sorted by name. */
	assert_string_equal(t->tp[0].name, "kvm_async_pf_doublefault");
	assert_string_equal(t->tp[1].name, "kvm_async_pf_not_present");
	assert_string_equal(t->tp[2].name, "kvm_async_pf_ready");
	assert_true(t->tp[0].id_readable);
	assert_int_equal(t->tp[0].id, 77);
	assert_int_equal(t->tp[1].id, 34);
	assert_int_equal(t->tp[1].nfields, 0);
	tp = apf_tracefs_find(t, "kvm_async_pf_ready");
	assert_non_null(tp);
	assert_int_equal(tp->id, 33);
	assert_non_null(apf_tp_field(tp, "token"));
	assert_null(apf_tracefs_find(t, "kvm_exit"));

	/* No tracefs at all. */
	apf_sysroot_set("/nonexistent-apf-root");
	assert_int_equal(apf_tracefs_discover(t), -ENOENT);
	assert_false(t->found);
	apf_sysroot_set(NULL);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	free(t);
}

static void test_cpu_list(void **state)
{
	static const char *const bad[] = { "", "\n", "a", "1-", "-1", "3-1", "1,,2",
					   "1,", "0-70000", "1 2", "99999999999999999999" };
	int *cpus;
	size_t n, i;

	(void)state;
	assert_int_equal(apf_cpu_list_parse("0-3,8,10-11\n", &cpus, &n), 0);
	assert_int_equal(n, 7);
	assert_int_equal(cpus[0], 0);
	assert_int_equal(cpus[3], 3);
	assert_int_equal(cpus[4], 8);
	assert_int_equal(cpus[6], 11);
	free(cpus);
	assert_int_equal(apf_cpu_list_parse("0\n", &cpus, &n), 0);
	assert_int_equal(n, 1);
	free(cpus);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(apf_cpu_list_parse(bad[i], &cpus, &n), -EINVAL);
		assert_null(cpus);
	}
}

/* ---- histogram ---- */

/* The record layer of the perf rings (apf_tp_parse_ring): a sample read
 * in place, one that wraps the ring's end, a LOST record, and a record
 * that claims more than is there (skipped with the rest). */
struct got {
	struct apf_tp_sample s[8];
	int n;
};

static void collect(const struct apf_tp_sample *s, void *arg)
{
	struct got *g = arg;

	if (g->n < 8)
		g->s[g->n++] = *s;
}

static size_t put_sample(unsigned char *ring, size_t size, size_t at, uint64_t id,
			 uint32_t pid, uint64_t time, uint64_t token)
{
	unsigned char rec[8 + 28 + 16];
	uint32_t raw = 16, u, type = 9;	/* PERF_RECORD_SAMPLE */
	uint16_t misc = 0, len = sizeof(rec);
	size_t i;

	/* struct perf_event_header: u32 type, u16 misc, u16 size. */
	memcpy(rec, &type, 4);
	memcpy(rec + 4, &misc, 2);
	memcpy(rec + 6, &len, 2);
	memcpy(rec + 8, &id, 8);
	u = pid;
	memcpy(rec + 16, &u, 4);
	memcpy(rec + 20, &u, 4);
	memcpy(rec + 24, &time, 8);
	memcpy(rec + 32, &raw, 4);
	memset(rec + 36, 0, 16);
	memcpy(rec + 36 + 8, &token, 8);	/* the token field at offset 8 */
	for (i = 0; i < sizeof(rec); i++)
		ring[(at + i) % size] = rec[i];
	return sizeof(rec);
}

static void test_parse_ring(void **state)
{
	static const uint64_t ids[] = { 70, 90 };
	static const size_t idx[] = { 0, 1 };
	struct apf_tracefs *t = calloc(1, sizeof(*t));
	unsigned char ring[128];
	struct got g = { .n = 0 };
	uint64_t lost = 0, tail = 100, at, l;
	size_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 2; i++) {
		snprintf(t->tp[i].name, sizeof(t->tp[i].name), "tp%zu", i);
		snprintf(t->tp[i].fields[0].name, sizeof(t->tp[i].fields[0].name), "token");
		t->tp[i].fields[0].offset = 8;
		t->tp[i].fields[0].size = 8;
		t->tp[i].nfields = 1;
	}
	t->ntp = 2;
	memset(ring, 0, sizeof(ring));
	at = tail;
	at += put_sample(ring, sizeof(ring), at, 70, 41, 1000, 0xabc);
	at += put_sample(ring, sizeof(ring), at, 90, 42, 2000, 0xdef);	/* wraps */
	assert_int_equal(apf_tp_parse_ring(t, ids, idx, 2, ring, sizeof(ring), tail, at,
					   collect, &g, &lost), 2);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.s[0].tp_index, 0);
	assert_int_equal(g.s[0].pid, 41);
	assert_int_equal(g.s[0].token, 0xabc);
	assert_int_equal(g.s[1].tp_index, 1);
	assert_int_equal(g.s[1].time_ns, 2000);
	assert_int_equal(g.s[1].token, 0xdef);
	/* A LOST record, then one whose size runs past what is there. */
	tail = 0;
	memset(ring, 0, sizeof(ring));
	{
		uint32_t type = 2;		/* PERF_RECORD_LOST: id, lost */
		uint16_t len = 24, big = 200;
		uint64_t n = 5;

		memcpy(ring, &type, 4);
		memcpy(ring + 6, &len, 2);
		memcpy(ring + 16, &n, 8);
		type = 9;
		memcpy(ring + 24, &type, 4);
		memcpy(ring + 30, &big, 2);
	}
	g.n = 0;
	assert_int_equal(apf_tp_parse_ring(t, ids, idx, 2, ring, sizeof(ring), 0, 64,
					   collect, &g, &lost), 0);
	assert_int_equal(lost, 5);
	/* Bad arguments: a ring that is no power of two, more unread than
	 * the ring holds. */
	l = 0;
	assert_int_equal(apf_tp_parse_ring(t, ids, idx, 2, ring, 96, 0, 8, collect,
					   &g, &l), -EINVAL);
	assert_int_equal(apf_tp_parse_ring(t, ids, idx, 2, ring, sizeof(ring), 0, 129,
					   collect, &g, &l), -EINVAL);
	free(t);
}

static void test_hist_exact(void **state)
{
	struct apf_histogram h;
	uint64_t v;

	(void)state;
	apf_hist_init(&h, 1000);
	assert_int_equal(apf_hist_percentile(&h, 50), 0);	/* empty */
	/* 1..100 in a scrambled order: nearest rank gives p == value. */
	for (v = 0; v < 100; v++)
		assert_int_equal(apf_hist_add(&h, (v * 37) % 100 + 1), 0);
	assert_int_equal(h.count, 100);
	assert_int_equal(h.nvalues, 100);
	assert_int_equal(h.min, 1);
	assert_int_equal(h.max, 100);
	assert_int_equal(h.sum, 5050);
	assert_int_equal(apf_hist_percentile(&h, 0), 1);
	assert_int_equal(apf_hist_percentile(&h, 50), 50);
	assert_int_equal(apf_hist_percentile(&h, 90), 90);
	assert_int_equal(apf_hist_percentile(&h, 99), 99);
	assert_int_equal(apf_hist_percentile(&h, 99.9), 100);
	assert_int_equal(apf_hist_percentile(&h, 100), 100);
	assert_int_equal(apf_hist_percentile(&h, 150), 100);
	/* Buckets: 1 in 0, 2-3 in 1, 64-100 in 6. */
	assert_int_equal(h.bucket[0], 1);
	assert_int_equal(h.bucket[1], 2);
	assert_int_equal(h.bucket[6], 37);
	/* Adding after a sort still gives right answers. */
	assert_int_equal(apf_hist_add(&h, 0), 0);
	assert_int_equal(apf_hist_percentile(&h, 0), 0);
	assert_int_equal(h.bucket[0], 2);
	apf_hist_free(&h);

	apf_hist_init(&h, 10);
	assert_int_equal(apf_hist_add(&h, UINT64_MAX), 0);
	assert_int_equal(apf_hist_add(&h, UINT64_MAX), 0);
	assert_int_equal(h.bucket[63], 2);
	assert_int_equal(h.sum, UINT64_MAX);	/* saturated, not wrapped */
	assert_true(apf_hist_percentile(&h, 50) == UINT64_MAX);
	apf_hist_free(&h);
}

static void test_hist_overflow(void **state)
{
	struct apf_histogram h;
	uint64_t v, p50, p90, p99;

	(void)state;
	apf_hist_init(&h, 10);
	for (v = 1; v <= 1000; v++)
		assert_int_equal(apf_hist_add(&h, v), 0);
	assert_int_equal(h.count, 1000);
	assert_int_equal(h.nvalues, 10);
	/* Interpolated inside the log2 bucket: within that bucket, and here
	 * (uniform values) close to the truth. */
	p50 = apf_hist_percentile(&h, 50);
	p90 = apf_hist_percentile(&h, 90);
	p99 = apf_hist_percentile(&h, 99);
	assert_in_range(p50, 256, 511);
	assert_in_range(p50, 495, 505);
	assert_in_range(p90, 512, 1000);
	assert_in_range(p90, 890, 910);
	assert_in_range(p99, 980, 1000);
	assert_int_equal(apf_hist_percentile(&h, 100), 1000);
	assert_int_equal(apf_hist_percentile(&h, 0), 1);
	apf_hist_free(&h);

	/* cap 0: never exact; a single value is its own every percentile. */
	apf_hist_init(&h, 0);
	assert_int_equal(apf_hist_add(&h, 5000), 0);
	assert_int_equal(apf_hist_percentile(&h, 50), 5000);
	apf_hist_free(&h);

	/* Past the first growth step (64) and a cap that is not a power of 2. */
	apf_hist_init(&h, 100);
	for (v = 1; v <= 100; v++)
		assert_int_equal(apf_hist_add(&h, v * 10), 0);
	assert_int_equal(h.nvalues, 100);
	assert_int_equal(apf_hist_percentile(&h, 50), 500);
	assert_int_equal(apf_hist_add(&h, 1), 0);
	assert_int_equal(h.nvalues, 100);
	assert_in_range(apf_hist_percentile(&h, 50), 256, 511);
	apf_hist_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_good),
		cmocka_unit_test(test_format_many_fields),
		cmocka_unit_test(test_format_truncated),
		cmocka_unit_test(test_format_garbage),
		cmocka_unit_test(test_format_huge),
		cmocka_unit_test(test_discover),
		cmocka_unit_test(test_parse_ring),
		cmocka_unit_test(test_cpu_list),
		cmocka_unit_test(test_hist_exact),
		cmocka_unit_test(test_hist_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
