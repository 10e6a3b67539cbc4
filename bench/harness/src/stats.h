/* SPDX-License-Identifier: GPL-2.0-only */
/* Statistics for a handful of repetitions per mode: a distribution-free
 * interval of the median, a bootstrap interval of a ratio of medians, the
 * Mann-Whitney U rank test, and the seeded generator they and the run
 * order use.  Nothing here assumes normal data. */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* splitmix64: small, seedable, the same sequence on every machine. */
struct bench_rng {
	uint64_t s;
};

void bench_rng_seed(struct bench_rng *r, uint64_t seed);
uint64_t bench_rng_next(struct bench_rng *r);
/* Uniform in [0, n) without modulo bias; n > 0. */
uint64_t bench_rng_below(struct bench_rng *r, uint64_t n);

/* The exact (order-statistic, binomial) confidence interval of a median:
 * 1-based ranks lo..hi of the sorted sample such that the true median lies
 * between them with probability >= level, the narrowest symmetric one.
 * coverage gets its actual probability.  -ERANGE when n is too small for
 * any such interval (n < 6 at level 0.95), -EINVAL for a bad level. */
int bench_median_ci_ranks(size_t n, double level, size_t *lo, size_t *hi,
			  double *coverage);
/* The same as values of v (any order, not changed).  0, -ERANGE, -EINVAL,
 * -ENOMEM. */
int bench_median_ci(const double *v, size_t n, double level, double *lo,
		    double *hi, double *coverage);

/* Median of n values (any order, not changed); NaN when n == 0. */
double bench_median(const double *v, size_t n);

/* Percentile bootstrap interval of median(a) / median(b): iters resamples
 * of each sample (with replacement, independently), seeded.  Resamples
 * whose median(b) is 0 are dropped.  0, -EINVAL (an empty sample, iters
 * < 100, bad level), -ENOMEM, -EDOM (no usable resample). */
int bench_ratio_ci_bootstrap(const double *a, size_t na, const double *b,
			     size_t nb, unsigned iters, uint64_t seed,
			     double level, double *lo, double *hi);

struct bench_mwu {
	double u;		/* U of a: pairs (x in a, y in b) with x > y, ties 1/2 */
	double z;		/* the normal approximation's z (also when exact) */
	double p;		/* two-sided */
	bool exact;		/* p from the exact distribution of U */
	bool ties;		/* some values occur in both or twice */
};

/* Largest sample size for the exact test (per sample). */
#define BENCH_MWU_EXACT_MAX 50

/* Mann-Whitney U test of a against b, two-sided.  Exact when both samples
 * have at most BENCH_MWU_EXACT_MAX values: the permutation distribution of
 * U, p = min(1, 2 min(P(U <= u), P(U >= u))), as R and SciPy without ties;
 * with ties the same over the midranks, conditional on the ties (every
 * draw of na of the n values equally likely; R's coin, StatXact), where R
 * and SciPy fall back to the normal approximation.  Larger samples: the
 * normal approximation with the tie correction of the variance and a
 * continuity correction of 1/2.  z is that approximation's in every case.
 * 0, -EINVAL (an empty sample or a NaN), -ENOMEM. */
int bench_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
		       struct bench_mwu *out);

#endif
