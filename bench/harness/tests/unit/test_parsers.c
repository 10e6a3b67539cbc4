// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for apf-bench's parsers: /proc/swaps and the zram refusal,
 * sizes, the workload command line, APFWL console lines (good, garbage,
 * truncated), crash lines, and the console line splitter. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apfwl.h"
#include "console.h"
#include "hostload.h"
#include "options.h"
#include "procstat.h"
#include "swaps.h"
#include "units.h"

/* ---- /proc/swaps -------------------------------------------------------- */

#define SWAPS_HEAD "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"

static void test_swaps_disk(void **state)
{
	struct bench_swaps s;
	const struct bench_swap *d, *z;

	(void)state;
	assert_int_equal(bench_swaps_parse(SWAPS_HEAD
		"/dev/sda2                               partition\t8388604\t\t1024\t\t-2\n"
		"/swap\\040file                          file\t\t1048572\t\t0\t\t-3\n", &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.dev[0].name, "/dev/sda2");
	assert_string_equal(s.dev[0].type, "partition");
	assert_int_equal(s.dev[0].size_kb, 8388604);
	assert_int_equal(s.dev[0].used_kb, 1024);
	assert_int_equal(s.dev[0].prio, -2);
	assert_false(s.dev[0].zram);
	assert_string_equal(s.dev[1].name, "/swap file");	/* \040 unescaped */
	assert_int_equal(bench_swaps_verdict(&s, &d, &z), BENCH_SWAP_OK);
	assert_string_equal(d->name, "/dev/sda2");
	assert_null(z);
}

static void test_swaps_none(void **state)
{
	struct bench_swaps s;
	const struct bench_swap *d, *z;

	(void)state;
	assert_int_equal(bench_swaps_parse(SWAPS_HEAD, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(bench_swaps_verdict(&s, &d, &z), BENCH_SWAP_NONE);
	assert_null(d);
	assert_null(z);
}

static void test_swaps_zram_only(void **state)
{
	struct bench_swaps s;
	const struct bench_swap *z;

	(void)state;
	assert_int_equal(bench_swaps_parse(SWAPS_HEAD
		"/dev/zram0                              partition\t4194300\t\t0\t\t100\n", &s), 0);
	assert_true(s.dev[0].zram);
	assert_int_equal(bench_swaps_verdict(&s, NULL, &z), BENCH_SWAP_ZRAM_ONLY);
	assert_string_equal(z->name, "/dev/zram0");
}

static void test_swaps_zram_first(void **state)
{
	struct bench_swaps s;

	(void)state;
	/* zram above the disk: every swap-in of hot pages is synchronous. */
	assert_int_equal(bench_swaps_parse(SWAPS_HEAD
		"/dev/zram0  partition 4194300 0 100\n"
		"/dev/vdb    partition 8388604 0 -2\n", &s), 0);
	assert_int_equal(bench_swaps_verdict(&s, NULL, NULL), BENCH_SWAP_ZRAM_FIRST);
	/* Equal priorities share round-robin: refused too. */
	assert_int_equal(bench_swaps_parse(SWAPS_HEAD
		"/dev/zram0  partition 4194300 0 5\n"
		"/dev/vdb    partition 8388604 0 5\n", &s), 0);
	assert_int_equal(bench_swaps_verdict(&s, NULL, NULL), BENCH_SWAP_ZRAM_FIRST);
	/* Disk above zram: fine. */
	assert_int_equal(bench_swaps_parse(SWAPS_HEAD
		"/dev/zram0  partition 4194300 0 -5\n"
		"/dev/vdb    partition 8388604 0 10\n", &s), 0);
	assert_int_equal(bench_swaps_verdict(&s, NULL, NULL), BENCH_SWAP_OK);
}

static void test_swaps_hostile(void **state)
{
	struct bench_swaps s;
	char big[8192];

	(void)state;
	assert_int_equal(bench_swaps_parse("", &s), -EINVAL);
	assert_int_equal(bench_swaps_parse("garbage\n/dev/sda1 partition 1 0 -2\n", &s), -EINVAL);
	/* Short, long and non-numeric lines are skipped, not fatal. */
	assert_int_equal(bench_swaps_parse(SWAPS_HEAD
		"/dev/sda1 partition 100\n"
		"/dev/sda2 partition x 0 -2\n"
		"/dev/sda3 partition 1 0 -2 extra\n"
		"/dev/sda4 partition 1 0 -2", &s), 0);	/* no final newline */
	assert_int_equal(s.n, 1);
	assert_string_equal(s.dev[0].name, "/dev/sda4");
	/* A huge line is skipped whole. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	{
		char *text = malloc(strlen(SWAPS_HEAD) + sizeof(big) + 64);

		sprintf(text, "%s%s partition 1 0 -2\n/dev/vdb file 2 0 1\n", SWAPS_HEAD, big);
		assert_int_equal(bench_swaps_parse(text, &s), 0);
		assert_int_equal(s.n, 1);
		assert_string_equal(s.dev[0].name, "/dev/vdb");
		free(text);
	}
}

/* ---- sizes and numbers -------------------------------------------------- */

static void test_sizes(void **state)
{
	uint64_t v;
	char buf[32];

	(void)state;
	assert_int_equal(bench_parse_size("256M", &v), 0);
	assert_true(v == 256ull << 20);
	assert_int_equal(bench_parse_size("1G", &v), 0);
	assert_true(v == 1ull << 30);
	assert_int_equal(bench_parse_size("1g", &v), 0);
	assert_true(v == 1ull << 30);
	assert_int_equal(bench_parse_size("512KiB", &v), 0);
	assert_true(v == 512ull << 10);
	assert_int_equal(bench_parse_size("2TB", &v), 0);
	assert_true(v == 2ull << 40);
	assert_int_equal(bench_parse_size("4096", &v), 0);
	assert_true(v == 4096);
	assert_int_equal(bench_parse_size("", &v), -EINVAL);
	assert_int_equal(bench_parse_size("M", &v), -EINVAL);
	assert_int_equal(bench_parse_size("-1M", &v), -EINVAL);
	assert_int_equal(bench_parse_size("1.5G", &v), -EINVAL);
	assert_int_equal(bench_parse_size("10X", &v), -EINVAL);
	assert_int_equal(bench_parse_size("10MX", &v), -EINVAL);
	assert_int_equal(bench_parse_size(" 10M", &v), -EINVAL);
	assert_int_equal(bench_parse_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(bench_parse_size("17179869184T", &v), -ERANGE);
	bench_format_size(256ull << 20, buf, sizeof(buf));
	assert_string_equal(buf, "256M");
	bench_format_size(1ull << 30, buf, sizeof(buf));
	assert_string_equal(buf, "1G");
	bench_format_size(1536ull << 10, buf, sizeof(buf));
	assert_string_equal(buf, "1536K");
	bench_format_size(1000, buf, sizeof(buf));
	assert_string_equal(buf, "1000");
}

static void test_longs(void **state)
{
	long v;

	(void)state;
	assert_int_equal(bench_parse_long("3", 1, 10, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(bench_parse_long("0", 1, 10, &v), -ERANGE);
	assert_int_equal(bench_parse_long("11", 1, 10, &v), -ERANGE);
	assert_int_equal(bench_parse_long("3x", 1, 10, &v), -EINVAL);
	assert_int_equal(bench_parse_long("", 1, 10, &v), -EINVAL);
	assert_int_equal(bench_parse_long(" 3", 1, 10, &v), -EINVAL);
	assert_int_equal(bench_parse_long("99999999999999999999999", 1, 10, &v), -ERANGE);
}

/* ---- workload command line ---------------------------------------------- */

static void test_workload(void **state)
{
	char apfwl[256], why[256];
	long mb, t, w;

	(void)state;
	assert_int_equal(bench_workload_parse("-f 2 -c 2 -m 600 -t 30", apfwl, sizeof(apfwl),
					      &mb, &t, &w, why, sizeof(why)), 0);
	assert_string_equal(apfwl, "-f,2,-c,2,-m,600,-t,30");
	assert_int_equal(mb, 600);
	assert_int_equal(t, 30);
	assert_int_equal(w, 0);
	/* -w: the warm-up before the measured window (the run is longer). */
	assert_int_equal(bench_workload_parse("-m 400 -w 20 -t 60", apfwl, sizeof(apfwl),
					      &mb, &t, &w, why, sizeof(why)), 0);
	assert_string_equal(apfwl, "-m,400,-w,20,-t,60");
	assert_int_equal(w, 20);
	assert_int_equal(t, 60);
	assert_int_equal(bench_workload_parse("  -m300\t-f 1 ", apfwl, sizeof(apfwl),
					      &mb, &t, &w, why, sizeof(why)), 0);
	assert_string_equal(apfwl, "-m300,-f,1");
	assert_int_equal(mb, 300);
	assert_int_equal(t, -1);
	/* -m is required: memory.max is checked against it. */
	assert_int_equal(bench_workload_parse("-f 2 -t 30", apfwl, sizeof(apfwl),
					      &mb, &t, &w, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "-m"));
	assert_int_equal(bench_workload_parse("-m", apfwl, sizeof(apfwl),
					      &mb, &t, &w, why, sizeof(why)), -EINVAL);
	assert_int_equal(bench_workload_parse("-m lots", apfwl, sizeof(apfwl),
					      &mb, &t, &w, why, sizeof(why)), -EINVAL);
	/* Commas and quotes cannot travel on the kernel command line. */
	assert_int_equal(bench_workload_parse("-m 600 -x a,b", apfwl, sizeof(apfwl),
					      &mb, &t, &w, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "comma"));
	assert_int_equal(bench_workload_parse("-m 600 \"x", apfwl, sizeof(apfwl),
					      &mb, &t, &w, why, sizeof(why)), -EINVAL);
	assert_int_equal(bench_workload_parse("-m 600 -f 2 -c 2", apfwl, 8,
					      &mb, &t, &w, why, sizeof(why)), -EINVAL);
}

/* ---- APFWL lines -------------------------------------------------------- */

static int parse(const char *line, struct apfwl_event *ev)
{
	return apfwl_parse_line(line, strlen(line), ev);
}

static void test_apfwl_good(void **state)
{
	struct apfwl_event ev;
	double v;

	(void)state;
	assert_int_equal(parse("APFWL {\"type\":\"boot\",\"version\":1}", &ev), 1);
	assert_int_equal(ev.type, APFWL_BOOT);
	json_object_put(ev.obj);
	/* CRLF from the serial console, and kernel text before the marker. */
	assert_int_equal(parse("[   12.3] random: crng init done APFWL {\"type\":\"result\","
			       "\"elapsed_s\":30.01,\"compute_units_per_s\":1234.5,"
			       "\"guest\":{\"page_not_present\":77,\"wait_ns_total\":18446744073709551615}}\r",
			       &ev), 1);
	assert_int_equal(ev.type, APFWL_RESULT);
	assert_true(apfwl_num(ev.obj, "compute_units_per_s", 0) == 1234.5);
	assert_true(apfwl_num(ev.obj, "guest.page_not_present", 0) == 77);
	assert_true(apfwl_num(ev.obj, "guest.wait_ns_total", 0) > 1e19);
	assert_int_equal(apfwl_get_num(ev.obj, "guest.missing", &v), -ENOENT);
	assert_int_equal(apfwl_get_num(ev.obj, "guest", &v), -ENOENT);	/* an object */
	assert_int_equal(apfwl_get_num(ev.obj, "elapsed_s.x", &v), -ENOENT);
	assert_true(apfwl_num(ev.obj, "nothing", -1) == -1);
	json_object_put(ev.obj);
	assert_int_equal(parse("APFWL {\"type\":\"interval\",\"t\":1}", &ev), 1);
	assert_int_equal(ev.type, APFWL_INTERVAL);
	json_object_put(ev.obj);
	assert_int_equal(parse("APFWL   {\"type\":\"brand-new\"}  ", &ev), 1);
	assert_int_equal(ev.type, APFWL_OTHER);
	json_object_put(ev.obj);
	assert_string_equal(apfwl_type_name(APFWL_DONE), "done");
}

static void test_apfwl_not_ours(void **state)
{
	struct apfwl_event ev;

	(void)state;
	assert_int_equal(parse("", &ev), 0);
	assert_int_equal(parse("[    0.000000] Linux version 6.12.0", &ev), 0);
	assert_int_equal(parse("APFWL{\"type\":\"boot\"}", &ev), 0);	/* no blank */
	assert_int_equal(parse("apfwl {\"type\":\"boot\"}", &ev), 0);
}

static void test_apfwl_garbage(void **state)
{
	static const char *const bad[] = {
		"APFWL ",
		"APFWL    ",
		"APFWL hello",
		"APFWL [1,2,3]",
		"APFWL \"type\"",
		"APFWL {}",
		"APFWL {\"type\":3}",
		"APFWL {\"type\":null}",
		"APFWL {\"type\":\"result\",\"elapsed_s\":3",	/* truncated */
		"APFWL {\"type\":\"result\",\"elap",		/* truncated */
		"APFWL {\"type\":\"boot\"} trailing",
		"APFWL {\"type\":\"boot\"}{\"type\":\"boot\"}",
		"APFWL {\"type\":\"boot\",}",
		"APFWL {\"type\":\"bo\x01ot\"",
	};
	struct apfwl_event ev;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ev.obj = NULL;
		if (parse(bad[i], &ev) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_null(ev.obj);
	}
	/* A NUL inside the line ends nothing: length is what counts. */
	assert_int_equal(apfwl_parse_line("APFWL {\"type\":\"boot\"}\0x", 24, &ev), -EINVAL);
}

/* ---- crash lines -------------------------------------------------------- */

static const char *kind(const char *line)
{
	return bench_crash_kind(line, strlen(line));
}

static void test_crash_lines(void **state)
{
	(void)state;
	assert_string_equal(kind("[   41.1] Kernel panic - not syncing: Fatal exception"),
			    "kernel panic");
	assert_string_equal(kind("[   22.0] watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [apf-workload:80]"),
			    "soft lockup");
	assert_string_equal(kind("[    9.9] BUG: kernel NULL pointer dereference, address: 0000000000000008"),
			    "BUG");
	assert_string_equal(kind("[    9.9] kernel BUG at mm/swap_state.c:123!"), "BUG");
	assert_string_equal(kind("[    9.9] Oops: general protection fault, probably for non-canonical address 0xdead: 0000 [#1] SMP"),
			    "Oops");
	assert_string_equal(kind("[    9.9] Oops: 0002 [#1] PREEMPT SMP NOPTI"), "Oops");
	assert_string_equal(kind("[    9.9] general protection fault: 0000 [#1] SMP"),
			    "general protection fault");
	assert_string_equal(kind("[   99.1] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:"),
			    "RCU stall");
	assert_string_equal(kind("[   99.1] BUG: stack guard page was hit at 00000000a1b2c3d4"),
			    "stack overflow");
	assert_string_equal(kind("[   99.1] NMI watchdog: Watchdog detected hard LOCKUP on cpu 1"),
			    "hard lockup");
	assert_null(kind("[    0.1] Run /init as init process"));
	assert_null(kind("[    0.1] kvm-guest: setup async PF for cpu 0"));
	assert_null(kind("[    0.3] debug: unmapping init [mem 0xffffffff]"));
	/* The workload's own lines never count, whatever they carry. */
	assert_null(kind("APFWL {\"type\":\"error\",\"message\":\"BUG: Kernel panic\"}"));
	assert_string_equal(bench_qemu_crash_kind("qemu: warning: x\nKVM internal error. Suberror: 1\n"),
			    "KVM internal error");
	assert_null(bench_qemu_crash_kind("qemu-system-x86_64: terminating on signal 15\n"));
}

/* ---- console line splitter ---------------------------------------------- */

struct collected {
	char lines[8][128];
	size_t lens[8];
	int n;
};

static void collect(const char *line, size_t len, void *arg)
{
	struct collected *c = arg;

	if (c->n < 8) {
		memcpy(c->lines[c->n], line, len < 127 ? len : 127);
		c->lines[c->n][len < 127 ? len : 127] = '\0';
		c->lens[c->n] = len;
	}
	c->n++;
}

static void test_lines(void **state)
{
	static struct bench_lines l;
	struct collected c = { .n = 0 };
	char *big;

	(void)state;
	l.len = 0;
	bench_lines_feed(&l, "one\r\ntw", 7, collect, &c);
	assert_int_equal(c.n, 1);
	bench_lines_feed(&l, "o\nthree", 7, collect, &c);
	assert_int_equal(c.n, 2);
	bench_lines_flush(&l, collect, &c);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.lines[0], "one");
	assert_string_equal(c.lines[1], "two");
	assert_string_equal(c.lines[2], "three");
	bench_lines_flush(&l, collect, &c);	/* nothing left */
	assert_int_equal(c.n, 3);
	/* An endless line comes out in pieces of BENCH_LINE_MAX. */
	big = malloc(BENCH_LINE_MAX * 2 + 10);
	memset(big, 'x', BENCH_LINE_MAX * 2 + 10);
	c.n = 0;
	bench_lines_feed(&l, big, BENCH_LINE_MAX * 2 + 10, collect, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.lens[0], BENCH_LINE_MAX);
	bench_lines_flush(&l, collect, &c);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.lens[2], 10);
	free(big);
}

static void test_keyed(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(bench_keyed_value("pgfault 10\npgmajfault 7\npgmajfault_x 9\n",
					   "pgmajfault", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(bench_keyed_value("pgmajfault_x 9\n", "pgmajfault", &v), -ENOENT);
	assert_int_equal(bench_keyed_value("MemTotal:       24554232 kB\n", "MemTotal", &v), 0);
	assert_int_equal(v, 24554232);
	assert_int_equal(bench_keyed_value("pswpin x\n", "pswpin", &v), -ENOENT);
	assert_int_equal(bench_keyed_value("", "pswpin", &v), -ENOENT);
}

/* ---- hostload.c: /proc/stat, /proc/loadavg, /proc/PID/stat --------------- */

static void test_host_load(void **state)
{
	struct bench_cpu_times t;
	double la[3];
	char comm[64];
	pid_t ppid;
	bool kt;

	(void)state;
	assert_int_equal(bench_cpu_times_parse("cpu  100 5 50 1000 20 1 2 7 0 0\n"
					       "cpu0 50 2 25 500 10 0 1 3 0 0\n"
					       "cpu1 50 3 25 500 10 1 1 4 0 0\nintr 1\n", &t), 0);
	assert_int_equal(t.user, 100);
	assert_int_equal(t.idle, 1000);
	assert_int_equal(t.steal, 7);
	assert_int_equal(t.ncpu, 2);
	/* Old kernels: no steal column. */
	assert_int_equal(bench_cpu_times_parse("cpu  1 2 3 4\n", &t), 0);
	assert_int_equal(t.steal, 0);
	assert_int_equal(t.ncpu, 1);
	assert_int_equal(bench_cpu_times_parse("cpu0 1 2 3 4\n", &t), -EINVAL);
	assert_int_equal(bench_cpu_times_parse("cpu  x\n", &t), -EINVAL);
	assert_int_equal(bench_loadavg_parse("2.69 3.50 3.31 4/106 31958\n", la), 0);
	assert_true(la[0] == 2.69 && la[2] == 3.31);
	assert_int_equal(bench_loadavg_parse("garbage", la), -EINVAL);
	/* comm may hold spaces and parentheses: the last ')' ends it. */
	assert_int_equal(bench_proc_stat_parse("77 (a (b) c) S 12 77 77 0 -1 4194560 0 0",
					       comm, sizeof(comm), &ppid, &kt), 0);
	assert_string_equal(comm, "a (b) c");
	assert_int_equal(ppid, 12);
	assert_false(kt);
	assert_int_equal(bench_proc_stat_parse("2 (kthreadd) S 0 0 0 0 -1 2129984 0",
					       comm, sizeof(comm), &ppid, &kt), 0);
	assert_true(kt);
	assert_int_equal(bench_proc_stat_parse("2 kthreadd S 0", comm, sizeof(comm), &ppid, &kt),
			 -EINVAL);
	assert_int_equal(bench_proc_stat_parse("2 (x) S", comm, sizeof(comm), &ppid, &kt), -EINVAL);
	/* Other VMMs and compilers; not our own tools, not the shell. */
	assert_true(bench_foreign_comm("qemu-system-x86"));
	assert_true(bench_foreign_comm("qemu-apf"));
	assert_true(bench_foreign_comm("cc1"));
	assert_true(bench_foreign_comm("cc1plus"));
	assert_true(bench_foreign_comm("clang-19"));
	assert_true(bench_foreign_comm("rustc"));
	assert_true(bench_foreign_comm("ld.lld"));
	assert_true(bench_foreign_comm("cloud-hyperviso"));
	assert_false(bench_foreign_comm("qemu-ga"));
	assert_false(bench_foreign_comm("make"));
	assert_false(bench_foreign_comm("apfctl"));
	assert_false(bench_foreign_comm("bash"));
	assert_false(bench_foreign_comm("kworker/0:1"));
}

static void test_foreign_select(void **state)
{
	/* 100 is apf-bench; 200 a --qemu wrapper script (sh) whose QEMU is
	 * 201; 202 a compiler that QEMU's wrapper started (ours too); 300 a
	 * make of someone else with its cc1 301; 400 another VM's QEMU under
	 * init; 2 kthreadd and a kernel thread that looks like a linker; 500
	 * and 501 each other's parents (a PID-reuse loop in one scan). */
	static const struct bench_proc tab[] = {
		{ 1, 0, false, "systemd" },
		{ 2, 0, true, "kthreadd" },
		{ 3, 2, true, "ld" },
		{ 100, 1, false, "apf-bench" },
		{ 200, 100, false, "sh" },
		{ 201, 200, false, "qemu-system-x86" },
		{ 202, 201, false, "cc1" },
		{ 300, 1, false, "make" },
		{ 301, 300, false, "cc1" },
		{ 400, 1, false, "qemu-system-x86" },
		{ 500, 501, false, "rustc" },
		{ 501, 500, false, "sh" },
		{ 600, 999, false, "ld" },	/* parent gone */
	};
	size_t n = sizeof(tab) / sizeof(tab[0]);
	char list[256];

	(void)state;
	assert_true(bench_proc_below(tab, n, 201, 100));
	assert_true(bench_proc_below(tab, n, 202, 100));
	assert_true(bench_proc_below(tab, n, 200, 100));
	assert_false(bench_proc_below(tab, n, 100, 100));
	assert_false(bench_proc_below(tab, n, 301, 100));
	assert_false(bench_proc_below(tab, n, 500, 100));	/* the loop ends */
	assert_false(bench_proc_below(tab, n, 600, 100));
	assert_false(bench_proc_below(tab, n, 12345, 100));
	assert_int_equal(bench_foreign_select(tab, n, 100, list, sizeof(list)), 4);
	assert_string_equal(list, "301 cc1, 400 qemu-system-x86, 500 rustc, 600 ld");
	/* Seen from another process (pid 300), apf-bench's QEMU is foreign. */
	assert_int_equal(bench_foreign_select(tab, n, 300, list, sizeof(list)), 5);
	assert_string_equal(list, "201 qemu-system-x86, 202 cc1, 400 qemu-system-x86, "
			    "500 rustc, 600 ld");
	assert_int_equal(bench_foreign_select(tab, 0, 100, list, sizeof(list)), 0);
	assert_string_equal(list, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_swaps_disk),
		cmocka_unit_test(test_swaps_none),
		cmocka_unit_test(test_swaps_zram_only),
		cmocka_unit_test(test_swaps_zram_first),
		cmocka_unit_test(test_swaps_hostile),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_longs),
		cmocka_unit_test(test_workload),
		cmocka_unit_test(test_apfwl_good),
		cmocka_unit_test(test_apfwl_not_ours),
		cmocka_unit_test(test_apfwl_garbage),
		cmocka_unit_test(test_crash_lines),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_keyed),
		cmocka_unit_test(test_host_load),
		cmocka_unit_test(test_foreign_select),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
