// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the statistics (median, quartiles, range, intervals, the
 * rank test) and the run order (randomized, balanced blocks). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "quantiles.h"
#include "schedule.h"
#include "stats.h"

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

/* Each block holds every mode once; n consecutive blocks put every mode in
 * every position once; the order is the seed's and only the seed's. */
static void test_schedule(void **state)
{
	const enum bench_mode modes[] = { BENCH_MODE_PV, BENCH_MODE_HALT, BENCH_MODE_OFF,
					  BENCH_MODE_BASELINE };
	struct bench_slot s[48], t[48], u[48];
	int pos[BENCH_MODE_COUNT][4] = { { 0 } };
	bool differs = false;

	(void)state;
	bench_schedule(modes, 4, 12, 42, s);
	for (int b = 0; b < 12; b++) {
		int seen[BENCH_MODE_COUNT] = { 0 };

		for (int c = 0; c < 4; c++) {
			const struct bench_slot *x = &s[b * 4 + c];

			assert_int_equal(x->rep, b);
			assert_int_equal(x->order, b * 4 + c);
			seen[x->mode]++;
			pos[x->mode][c]++;
		}
		for (int m = 0; m < BENCH_MODE_COUNT; m++)
			assert_int_equal(seen[m], 1);
	}
	for (int m = 0; m < BENCH_MODE_COUNT; m++)
		for (int c = 0; c < 4; c++)
			assert_int_equal(pos[m][c], 3);
	bench_schedule(modes, 4, 12, 42, t);
	bench_schedule(modes, 4, 12, 43, u);
	for (int i = 0; i < 48; i++) {
		assert_int_equal(s[i].mode, t[i].mode);
		differs |= s[i].mode != u[i].mode;
	}
	assert_true(differs);
}

/* Pinned: the order of a recorded seed must not change with the code, or
 * results.json's seed would no longer tell the order it ran in. */
static void test_schedule_pinned(void **state)
{
	const enum bench_mode modes[] = { BENCH_MODE_PV, BENCH_MODE_HALT, BENCH_MODE_OFF,
					  BENCH_MODE_BASELINE };
	static const char *const want[] = {
		"off", "halt", "pv", "baseline", "pv", "off", "baseline", "halt",
	};
	struct bench_slot s[8];

	(void)state;
	bench_schedule(modes, 4, 2, 1, s);
	for (int i = 0; i < 8; i++)
		assert_string_equal(bench_mode_name(s[i].mode), want[i]);
}

static void test_schedule_partial(void **state)
{
	const enum bench_mode modes[] = { BENCH_MODE_PV, BENCH_MODE_OFF, BENCH_MODE_HALT };
	struct bench_slot s[21];
	int per_mode[BENCH_MODE_COUNT] = { 0 };

	(void)state;
	/* 7 blocks of 3: two whole squares and one row of a third. */
	bench_schedule(modes, 3, 7, 7, s);
	for (int i = 0; i < 21; i++)
		per_mode[s[i].mode]++;
	assert_int_equal(per_mode[BENCH_MODE_PV], 7);
	assert_int_equal(per_mode[BENCH_MODE_OFF], 7);
	assert_int_equal(per_mode[BENCH_MODE_HALT], 7);
	assert_int_equal(per_mode[BENCH_MODE_BASELINE], 0);
}

/* ---- stats.c ------------------------------------------------------------ */

static void test_rng(void **state)
{
	struct bench_rng r;
	int hist[6] = { 0 };

	(void)state;
	/* splitmix64's published first output for seed 0. */
	bench_rng_seed(&r, 0);
	assert_true(bench_rng_next(&r) == UINT64_C(0xe220a8397b1dcdaf));
	bench_rng_seed(&r, 5);
	for (int i = 0; i < 6000; i++)
		hist[bench_rng_below(&r, 6)]++;
	for (int i = 0; i < 6; i++)
		assert_true(hist[i] > 850 && hist[i] < 1150);
}

static void test_median_ci(void **state)
{
	const double ten[] = { 10, 1, 9, 2, 8, 3, 7, 4, 6, 5 };
	double lo, hi, cov;
	size_t rl, rh;

	(void)state;
	/* n = 10: ranks 2 and 9, P = 1 - 2 * 11/1024 (Conover, Table A3). */
	assert_int_equal(bench_median_ci_ranks(10, 0.95, &rl, &rh, &cov), 0);
	assert_int_equal(rl, 2);
	assert_int_equal(rh, 9);
	assert_close(cov, 1 - 22.0 / 1024);
	assert_int_equal(bench_median_ci(ten, 10, 0.95, &lo, &hi, &cov), 0);
	assert_close(lo, 2);
	assert_close(hi, 9);
	/* n = 6 is the smallest with a 95% interval: min..max, 1 - 2/64. */
	assert_int_equal(bench_median_ci_ranks(6, 0.95, &rl, &rh, &cov), 0);
	assert_int_equal(rl, 1);
	assert_int_equal(rh, 6);
	assert_close(cov, 1 - 2.0 / 64);
	assert_int_equal(bench_median_ci_ranks(5, 0.95, &rl, &rh, &cov), -ERANGE);
	assert_int_equal(bench_median_ci_ranks(3, 0.95, &rl, &rh, &cov), -ERANGE);
	/* n = 20: ranks 6 and 15, P(B <= 5) = 21700/2^20. */
	assert_int_equal(bench_median_ci_ranks(20, 0.95, &rl, &rh, &cov), 0);
	assert_int_equal(rl, 6);
	assert_int_equal(rh, 15);
	assert_close(cov, 1 - 2 * 21700.0 / 1048576);
	assert_int_equal(bench_median_ci_ranks(10, 1.5, &rl, &rh, &cov), -EINVAL);
	assert_true(isnan(bench_median(ten, 0)));
	assert_close(bench_median(ten, 10), 5.5);
}

static void test_bootstrap(void **state)
{
	const double a[] = { 200, 210, 190, 205, 195, 202, 198, 201, 199, 204 };
	const double b[] = { 100, 104, 96, 101, 99, 102, 98, 100, 103, 97 };
	const double zero[] = { 0, 0, 0 };
	double lo, hi, lo2, hi2;

	(void)state;
	assert_int_equal(bench_ratio_ci_bootstrap(a, 10, b, 10, 10000, 9, 0.95, &lo, &hi), 0);
	/* Around 200.5/100 = 2.005, inside the extreme ratios 190/104..210/96. */
	assert_true(lo < 2.005 && hi > 2.005);
	assert_true(lo > 190.0 / 104 && hi < 210.0 / 96);
	/* Seeded: the same numbers again. */
	assert_int_equal(bench_ratio_ci_bootstrap(a, 10, b, 10, 10000, 9, 0.95, &lo2, &hi2), 0);
	assert_true(lo == lo2 && hi == hi2);
	/* A single value each: a point. */
	assert_int_equal(bench_ratio_ci_bootstrap(a, 1, b, 1, 1000, 1, 0.95, &lo, &hi), 0);
	assert_close(lo, 2);
	assert_close(hi, 2);
	assert_int_equal(bench_ratio_ci_bootstrap(a, 3, zero, 3, 1000, 1, 0.95, &lo, &hi), -EDOM);
	assert_int_equal(bench_ratio_ci_bootstrap(a, 0, b, 3, 1000, 1, 0.95, &lo, &hi), -EINVAL);
	assert_int_equal(bench_ratio_ci_bootstrap(a, 3, b, 3, 10, 1, 0.95, &lo, &hi), -EINVAL);
}

/* Reference values: SciPy's mannwhitneyu documentation (exact and
 * asymptotic), R's wilcox.test help example, and a brute-force enumeration
 * of every arrangement (an independent Python oracle) for the rest. */
static void test_mann_whitney(void **state)
{
	const double males[] = { 19, 22, 16, 29, 24 }, females[] = { 20, 11, 17, 12 };
	const double rx[] = { 0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46 };
	const double ry[] = { 1.15, 0.88, 0.90, 0.74, 1.21 };
	const double lo3[] = { 1, 2, 3 }, hi3[] = { 4, 5, 6 };
	const double tx[] = { 1, 2, 2, 3, 3, 3, 4 }, ty[] = { 3, 4, 4, 5, 5, 6, 7, 7 };
	const double ta[] = { 1, 2 }, tb[] = { 2, 3 };
	const double ua[] = { 5, 5, 6, 7, 7, 7 }, ub[] = { 7, 8, 8, 9, 5, 9 };
	double a10[10], b10[10], nan1[] = { NAN };
	struct bench_mwu m;

	(void)state;
	assert_int_equal(bench_mann_whitney(males, 5, females, 4, &m), 0);
	assert_close(m.u, 17);
	assert_true(m.exact && !m.ties);
	assert_true(fabs(m.p - 0.1111111111111111) < 1e-12);
	/* The same U from the other side, the same p. */
	assert_int_equal(bench_mann_whitney(females, 4, males, 5, &m), 0);
	assert_close(m.u, 3);
	assert_true(fabs(m.p - 0.1111111111111111) < 1e-12);
	assert_true(fabs(m.z - -1.5921683328090657) < 1e-12);
	/* R: wilcox.test(x, y): W = 35, p-value = 0.2544. */
	assert_int_equal(bench_mann_whitney(rx, 10, ry, 5, &m), 0);
	assert_close(m.u, 35);
	assert_true(fabs(m.p - 0.2544122544122544) < 1e-12);
	/* 3 against 3, fully apart: the smallest p there is, 2/20. */
	assert_int_equal(bench_mann_whitney(lo3, 3, hi3, 3, &m), 0);
	assert_close(m.u, 0);
	assert_true(fabs(m.p - 0.1) < 1e-12);
	/* 10 against 10, fully apart: 2 / C(20, 10). */
	for (int i = 0; i < 10; i++) {
		a10[i] = 100 + i;
		b10[i] = 50 + i;
	}
	assert_int_equal(bench_mann_whitney(a10, 10, b10, 10, &m), 0);
	assert_close(m.u, 100);
	assert_true(fabs(m.p - 1.082508822446903e-05) < 1e-15);
	/* Ties in small samples: exact over the midranks.  By hand, 1 2 | 2 3:
	 * ranks 1, 2.5, 2.5, 4; the C(4, 2) = 6 draws of two give rank sums
	 * 3.5 3.5 5 5 6.5 6.5, the observed 3.5 is among the 2 lowest, so
	 * p = 2 * 2/6. */
	assert_int_equal(bench_mann_whitney(ta, 2, tb, 2, &m), 0);
	assert_true(m.ties && m.exact);
	assert_close(m.u, 0.5);
	assert_true(fabs(m.p - 2.0 / 3) < 1e-12);
	/* Every draw of 7 from 15 enumerated (the Python oracle): rank sums
	 * >= the observed one in 6434 of 6435 draws, <= it in 13, so
	 * p = 26/6435 = 2/495.  The z stays the tie-corrected normal one
	 * (SciPy method="asymptotic"; R correct=TRUE: p there 0.004793). */
	assert_int_equal(bench_mann_whitney(tx, 7, ty, 8, &m), 0);
	assert_true(m.ties && m.exact);
	assert_close(m.u, 3.5);
	assert_true(fabs(m.z - -2.8206029683336107) < 1e-12);
	assert_true(fabs(m.p - 2.0 / 495) < 1e-15);
	/* A tie across the samples and within each: 30 of C(12, 6) = 924
	 * draws at or below, p = 60/924 = 5/77 (the oracle). */
	assert_int_equal(bench_mann_whitney(ua, 6, ub, 6, &m), 0);
	assert_true(m.ties && m.exact);
	assert_close(m.u, 6.5);
	assert_true(fabs(m.p - 5.0 / 77) < 1e-15);
	/* All tied: no evidence either way. */
	assert_int_equal(bench_mann_whitney(lo3, 1, lo3, 1, &m), 0);
	assert_close(m.p, 1);
	assert_int_equal(bench_mann_whitney(lo3, 0, hi3, 3, &m), -EINVAL);
	assert_int_equal(bench_mann_whitney(nan1, 1, hi3, 3, &m), -EINVAL);
}

/* Past BENCH_MWU_EXACT_MAX: the normal approximation, close to exact. */
static void test_mann_whitney_large(void **state)
{
	double a[60], b[60];
	struct bench_mwu m;

	(void)state;
	for (int i = 0; i < 60; i++) {
		a[i] = 2 * i + 1;	/* odd */
		b[i] = 2 * i + (i % 3 == 0 ? 1000 : 0);	/* even, all distinct */
	}
	assert_int_equal(bench_mann_whitney(a, 60, b, 60, &m), 0);
	assert_false(m.exact);
	assert_true(m.p > 0 && m.p <= 1);
	assert_int_equal(bench_mann_whitney(a, 50, b, 50, &m), 0);
	assert_true(m.exact);
}

/* Many ties: a = 0 0 1 1 2 2 ..., b = 3 3 3 4 4 4 ...  Exact up to
 * BENCH_MWU_EXACT_MAX values a sample, the normal approximation past it.
 * Reference values from an independent Python oracle (exact: a
 * per-value dynamic program over Fractions; normal: the tie-corrected,
 * continuity-corrected formula). */
static void test_mann_whitney_ties_large(void **state)
{
	double a[60], b[60];
	struct bench_mwu m;

	(void)state;
	for (int i = 0; i < 60; i++) {
		a[i] = i / 2;
		b[i] = i / 3 + 3;
	}
	assert_int_equal(bench_mann_whitney(a, 20, b, 20, &m), 0);
	assert_true(m.ties && m.exact);
	assert_close(m.u, 146);
	assert_true(fabs(m.p - 0.14496375976281184) < 1e-12);
	assert_true(fabs(m.z - -1.4562930332488324) < 1e-12);
	assert_int_equal(bench_mann_whitney(a, 50, b, 50, &m), 0);
	assert_true(m.ties && m.exact);
	assert_close(m.u, 1366);
	assert_true(fabs(m.p - 0.4260799212726649) < 1e-12);
	assert_int_equal(bench_mann_whitney(a, 60, b, 60, &m), 0);
	assert_true(m.ties && !m.exact);
	assert_close(m.u, 2040);
	assert_true(fabs(m.z - 1.2579447884158323) < 1e-12);
	assert_true(fabs(m.p - 0.20841172431171806) < 1e-12);
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
		cmocka_unit_test(test_schedule_pinned),
		cmocka_unit_test(test_schedule_partial),
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_median_ci),
		cmocka_unit_test(test_bootstrap),
		cmocka_unit_test(test_mann_whitney),
		cmocka_unit_test(test_mann_whitney_large),
		cmocka_unit_test(test_mann_whitney_ties_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
