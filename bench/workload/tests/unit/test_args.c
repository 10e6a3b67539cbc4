// SPDX-License-Identifier: GPL-2.0-only
/* Option parsing and the apfwl= kernel parameter: valid forms, every limit,
 * and the malformed inputs a hand-written kernel command line can carry. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "args.h"

#define ARGV(...) ((char *[]){ "apf-workload", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "apf-workload", __VA_ARGS__ }) / \
			 sizeof(char *)))
#define PARSE(cfg, err, ...) \
	wl_parse_args(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (cfg), (err), \
		      sizeof(err))

static void test_defaults(void **state)
{
	struct wl_config c;
	char err[256];
	char *argv[] = { "apf-workload", NULL };

	(void)state;
	assert_int_equal(wl_parse_args(1, argv, &c, err, sizeof(err)), WL_ARGS_OK);
	assert_int_equal(c.fault_threads, 4);
	assert_int_equal(c.compute_threads, 4);
	assert_int_equal(c.mb, 512);
	assert_int_equal(c.duration_s, 60);
	assert_int_equal(c.interval_s, 5);
	assert_int_equal(c.access, WL_ACCESS_WRITE);
	assert_true(c.fill);
	assert_int_equal(c.passes, 0);
	assert_int_equal(c.seed, 1);
	assert_int_equal(c.unit_iters, WL_DEFAULT_UNIT_ITERS);
	assert_string_equal(c.sysroot, "");
}

static void test_all_options(void **state)
{
	struct wl_config c;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&c, err, "-f", "2", "-c", "3", "-m", "600",
			       "-t", "30", "-i", "0", "-a", "rw", "--no-fill",
			       "--seed", "18446744073709551615",
			       "--unit-iters", "7", "--sysroot", "/tmp/x"),
			 WL_ARGS_OK);
	assert_int_equal(c.fault_threads, 2);
	assert_int_equal(c.compute_threads, 3);
	assert_int_equal(c.mb, 600);
	assert_int_equal(c.duration_s, 30);
	assert_int_equal(c.interval_s, 0);
	assert_int_equal(c.access, WL_ACCESS_RW);
	assert_false(c.fill);
	assert_true(c.seed == UINT64_MAX);
	assert_int_equal(c.unit_iters, 7);
	assert_string_equal(c.sysroot, "/tmp/x");
	/* Long forms and --opt=value. */
	assert_int_equal(PARSE(&c, err, "--fault-threads=1", "--compute-threads",
			       "0", "--mb=1", "--time=1", "--interval=1",
			       "--access=read"), WL_ARGS_OK);
	assert_int_equal(c.fault_threads, 1);
	assert_int_equal(c.compute_threads, 0);
	assert_int_equal(c.access, WL_ACCESS_READ);
	assert_int_equal(c.warmup_s, 0);
	/* The warm-up before the measured window. */
	assert_int_equal(PARSE(&c, err, "-w", "20", "-t", "60"), WL_ARGS_OK);
	assert_int_equal(c.warmup_s, 20);
	assert_int_equal(PARSE(&c, err, "--warmup=0"), WL_ARGS_OK);
	assert_int_equal(c.warmup_s, 0);
	assert_int_equal(PARSE(&c, err, "-w", "x"), WL_ARGS_USAGE);
	assert_int_equal(PARSE(&c, err, "-w", "5", "--finish", "1"), WL_ARGS_USAGE);
	assert_non_null(strstr(err, "-w"));
}

static void test_finish_forces_no_compute(void **state)
{
	struct wl_config c;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&c, err, "-c", "4", "--finish", "3"), WL_ARGS_OK);
	assert_int_equal(c.passes, 3);
	assert_int_equal(c.compute_threads, 0);
	assert_int_equal(PARSE(&c, err, "-f", "0", "--finish", "1"),
			 WL_ARGS_USAGE);
	assert_non_null(strstr(err, "fault thread"));
	/* More threads than pages cannot split the work. */
	assert_int_equal(PARSE(&c, err, "-m", "1", "-f", "1024", "--finish", "1"),
			 WL_ARGS_USAGE);
	assert_non_null(strstr(err, "larger -m"));
}

static void test_help_version(void **state)
{
	struct wl_config c;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&c, err, "-h"), WL_ARGS_HELP);
	assert_int_equal(PARSE(&c, err, "--version"), WL_ARGS_VERSION);
}

struct bad_case {
	const char *opt, *value, *expect;
};

static void test_bad_values(void **state)
{
	static const struct bad_case cases[] = {
		{ "-f", "x", "-f: 'x' is not a number" },
		{ "-f", "1025", "out of range" },
		{ "-f", "-1", "not a number" },
		{ "-f", "", "not a number" },
		{ "-f", " 1", "not a number" },
		{ "-c", "2k", "not a number" },
		{ "-m", "0", "out of range" },
		{ "-m", "4194305", "out of range" },
		{ "-m", "99999999999999999999999", "out of range" },
		{ "-t", "0", "out of range" },
		{ "-t", "86401", "out of range" },
		{ "-i", "1.5", "not a number" },
		{ "-a", "append", "not an access mode" },
		{ "--finish", "0", "out of range" },
		{ "--seed", "18446744073709551616", "out of range" },
		{ "--unit-iters", "0", "out of range" },
	};
	struct wl_config c;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { "apf-workload", (char *)cases[i].opt,
				 (char *)cases[i].value, NULL };

		assert_int_equal(wl_parse_args(3, argv, &c, err, sizeof(err)),
				 WL_ARGS_USAGE);
		if (!strstr(err, cases[i].expect))
			fail_msg("%s %s: got '%s'", cases[i].opt,
				 cases[i].value, err);
	}
}

static void test_bad_shapes(void **state)
{
	struct wl_config c;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&c, err, "-f"), WL_ARGS_USAGE);
	assert_string_equal(err, "-f needs a value (see --help)");
	assert_int_equal(PARSE(&c, err, "--finish"), WL_ARGS_USAGE);
	assert_string_equal(err, "--finish needs a value (see --help)");
	assert_int_equal(PARSE(&c, err, "-z"), WL_ARGS_USAGE);
	assert_string_equal(err, "unknown option '-z' (see --help)");
	assert_int_equal(PARSE(&c, err, "--bogus=1"), WL_ARGS_USAGE);
	assert_string_equal(err, "unknown option '--bogus=1' (see --help)");
	assert_int_equal(PARSE(&c, err, "stray"), WL_ARGS_USAGE);
	assert_non_null(strstr(err, "unexpected argument 'stray'"));
	assert_int_equal(PARSE(&c, err, "-f", "0", "-c", "0"), WL_ARGS_USAGE);
	assert_non_null(strstr(err, "runs nothing"));
	/* A small err buffer truncates, never overflows. */
	{
		char small[8];
		char *argv[] = { "apf-workload", "-f", "nonsense", NULL };

		assert_int_equal(wl_parse_args(3, argv, &c, small, sizeof(small)),
				 WL_ARGS_USAGE);
		assert_int_equal(strlen(small), 7);
	}
}

/* Parsing twice in one process: getopt state must not leak between. */
static void test_reparse(void **state)
{
	struct wl_config c;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&c, err, "-f", "3", "stray"), WL_ARGS_USAGE);
	assert_int_equal(PARSE(&c, err, "-f", "2"), WL_ARGS_OK);
	assert_int_equal(c.fault_threads, 2);
	assert_int_equal(c.compute_threads, 4);  /* defaults again */
}

static void check_argv(const char *cmdline, int want_rc, int argc,
		       const char *const *want)
{
	struct wl_cmdline_argv a;
	int i;

	assert_int_equal(wl_cmdline_argv(cmdline, &a), want_rc);
	assert_int_equal(a.argc, argc);
	assert_string_equal(a.argv[0], "apf-workload");
	for (i = 1; i < argc; i++)
		assert_string_equal(a.argv[i], want[i - 1]);
	assert_null(a.argv[argc]);
	wl_cmdline_free(&a);
}

static void test_cmdline_split(void **state)
{
	static const char *const issue[] = { "-f", "2", "-c", "2", "-m", "600",
					     "-t", "30" };
	static const char *const two[] = { "-t", "5" };
	static const char *const quoted[] = { "-f", "1", "--seed", "9" };

	(void)state;
	check_argv("console=ttyS0 apfwl=-f,2,-c,2,-m,600,-t,30 quiet\n", 1, 9,
		   issue);
	/* Absent, empty, and only commas. */
	check_argv("console=ttyS0 quiet\n", 0, 1, NULL);
	check_argv("", 0, 1, NULL);
	check_argv("apfwl=", 1, 1, NULL);
	check_argv("apfwl=,,,", 1, 1, NULL);
	/* Last one wins; empty elements dropped; tabs and newline end it. */
	check_argv("apfwl=-f,9 x apfwl=,-t,,5,\tquiet", 1, 3, two);
	/* Not a prefix match: xapfwl= and apfwl (no =) are other params. */
	check_argv("xapfwl=-f,3 apfwl", 0, 1, NULL);
	/* Quotes as the kernel allows them, spaces inside kept. */
	check_argv("a \"apfwl=-f,1,--seed,9\" b", 1, 5, quoted);
	check_argv("apfwl=\"-f,1,--seed,9\"", 1, 5, quoted);
}

static void test_cmdline_then_parse(void **state)
{
	struct wl_cmdline_argv a;
	struct wl_config c;
	char err[256];

	(void)state;
	assert_int_equal(wl_cmdline_argv("ro apfwl=-f,2,-c,2,-m,600,-t,30,-a,read",
					 &a), 1);
	assert_int_equal(wl_parse_args(a.argc, a.argv, &c, err, sizeof(err)),
			 WL_ARGS_OK);
	assert_int_equal(c.fault_threads, 2);
	assert_int_equal(c.mb, 600);
	assert_int_equal(c.duration_s, 30);
	assert_int_equal(c.access, WL_ACCESS_READ);
	wl_cmdline_free(&a);
	assert_int_equal(wl_cmdline_argv("apfwl=-f,x", &a), 1);
	assert_int_equal(wl_parse_args(a.argc, a.argv, &c, err, sizeof(err)),
			 WL_ARGS_USAGE);
	assert_string_equal(err, "-f: 'x' is not a number (use 0..1024)");
	wl_cmdline_free(&a);
}

static void test_access_names(void **state)
{
	(void)state;
	assert_string_equal(wl_access_name(WL_ACCESS_WRITE), "write");
	assert_string_equal(wl_access_name(WL_ACCESS_READ), "read");
	assert_string_equal(wl_access_name(WL_ACCESS_RW), "rw");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_options),
		cmocka_unit_test(test_finish_forces_no_compute),
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_bad_shapes),
		cmocka_unit_test(test_reparse),
		cmocka_unit_test(test_cmdline_split),
		cmocka_unit_test(test_cmdline_then_parse),
		cmocka_unit_test(test_access_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
