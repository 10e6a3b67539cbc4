// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the statistics (median, quartiles, range) and the run
 * order (modes interleaved and rotated every repetition). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include "quantiles.h"
#include "schedule.h"

#define assert_close(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static void test_spread_odd(void **state)
{
	const double v[] = { 5, 1, 4, 2, 3 };
	struct bench_spread s;

	(void)state;
	assert_int_equal(bench_spread(v, 5, &s), 0);
	assert_int_equal(s.n, 5);
	assert_close(s.median, 3);
	assert_close(s.q1, 2);
	assert_close(s.q3, 4);
	assert_close(s.min, 1);
	assert_close(s.max, 5);
	assert_close(s.mean, 3);
	assert_close(v[0], 5);	/* input untouched */
}

static void test_spread_even(void **state)
{
	/* numpy.percentile([10, 20, 30, 40], [25, 50, 75]) = 17.5, 25, 32.5 */
	const double v[] = { 40, 10, 30, 20 };
	struct bench_spread s;

	(void)state;
	assert_int_equal(bench_spread(v, 4, &s), 0);
	assert_close(s.median, 25);
	assert_close(s.q1, 17.5);
	assert_close(s.q3, 32.5);
}

static void test_spread_small(void **state)
{
	const double one[] = { 7 }, three[] = { 100, 90, 130 };
	struct bench_spread s;

	(void)state;
	assert_int_equal(bench_spread(one, 1, &s), 0);
	assert_close(s.median, 7);
	assert_close(s.q1, 7);
	assert_close(s.q3, 7);
	/* Three repetitions, the default: q1/q3 halfway to the extremes. */
	assert_int_equal(bench_spread(three, 3, &s), 0);
	assert_close(s.median, 100);
	assert_close(s.q1, 95);
	assert_close(s.q3, 115);
	assert_int_equal(bench_spread(NULL, 0, &s), 0);
	assert_int_equal(s.n, 0);
	assert_true(isnan(s.median) && isnan(s.min) && isnan(s.q3));
}

static void test_quantile_ends(void **state)
{
	const double v[] = { 1, 2, 3, 4 };

	(void)state;
	assert_close(bench_quantile_sorted(v, 4, 0), 1);
	assert_close(bench_quantile_sorted(v, 4, 1), 4);
	assert_close(bench_quantile_sorted(v, 4, 0.5), 2.5);
}

static void test_modes_parse(void **state)
{
	enum bench_mode m[BENCH_MODE_COUNT];
	char bad[32];
	size_t n;

	(void)state;
	assert_int_equal(bench_modes_parse("pv,halt,off,baseline", m, &n, bad, sizeof(bad)), 0);
	assert_int_equal(n, 4);
	assert_int_equal(m[3], BENCH_MODE_BASELINE);
	assert_int_equal(bench_modes_parse("off,pv", m, &n, bad, sizeof(bad)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(m[0], BENCH_MODE_OFF);
	assert_int_equal(bench_modes_parse("pv,pv", m, &n, bad, sizeof(bad)), -EINVAL);
	assert_string_equal(bad, "pv");
	assert_int_equal(bench_modes_parse("pv,fast", m, &n, bad, sizeof(bad)), -EINVAL);
	assert_string_equal(bad, "fast");
	assert_int_equal(bench_modes_parse("", m, &n, bad, sizeof(bad)), -EINVAL);
	assert_int_equal(bench_modes_parse("pv,", m, &n, bad, sizeof(bad)), -EINVAL);
	assert_int_equal(bench_modes_parse(",pv", m, &n, bad, sizeof(bad)), -EINVAL);
	assert_int_equal(bench_modes_parse("averyveryveryveryverylongmodename,pv", m, &n,
					   bad, sizeof(bad)), -EINVAL);
	assert_string_equal(bench_mode_name(BENCH_MODE_HALT), "halt");
	assert_string_equal(bench_mode_name(BENCH_MODE_COUNT), "?");
}

static void test_schedule(void **state)
{
	const enum bench_mode modes[] = { BENCH_MODE_PV, BENCH_MODE_HALT, BENCH_MODE_OFF,
					  BENCH_MODE_BASELINE };
	/* rep r starts at mode r mod 4 and goes round. */
	static const char *const want[] = {
		"pv", "halt", "off", "baseline",
		"halt", "off", "baseline", "pv",
		"off", "baseline", "pv", "halt",
		"baseline", "pv", "halt", "off",
		"pv", "halt", "off", "baseline",
	};
	struct bench_slot s[20];
	int per_mode[BENCH_MODE_COUNT] = { 0 };

	(void)state;
	bench_schedule(modes, 4, 5, s);
	for (int i = 0; i < 20; i++) {
		assert_string_equal(bench_mode_name(s[i].mode), want[i]);
		assert_int_equal(s[i].rep, i / 4);
		assert_int_equal(s[i].order, i);
		per_mode[s[i].mode]++;
	}
	for (int m = 0; m < BENCH_MODE_COUNT; m++)
		assert_int_equal(per_mode[m], 5);
}

static void test_schedule_two(void **state)
{
	const enum bench_mode modes[] = { BENCH_MODE_PV, BENCH_MODE_OFF };
	struct bench_slot s[6];

	(void)state;
	bench_schedule(modes, 2, 3, s);
	assert_int_equal(s[0].mode, BENCH_MODE_PV);
	assert_int_equal(s[1].mode, BENCH_MODE_OFF);
	assert_int_equal(s[2].mode, BENCH_MODE_OFF);
	assert_int_equal(s[3].mode, BENCH_MODE_PV);
	assert_int_equal(s[4].mode, BENCH_MODE_PV);
	assert_int_equal(s[5].mode, BENCH_MODE_OFF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spread_odd),
		cmocka_unit_test(test_spread_even),
		cmocka_unit_test(test_spread_small),
		cmocka_unit_test(test_quantile_ends),
		cmocka_unit_test(test_modes_parse),
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_schedule_two),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
