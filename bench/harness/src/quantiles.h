/* SPDX-License-Identifier: GPL-2.0-only */
/* Median, quartiles and range of a handful of repetitions. */
#ifndef BENCH_QUANTILES_H
#define BENCH_QUANTILES_H

#include <stddef.h>

struct bench_spread {
	size_t n;
	double median, q1, q3, min, max, mean;
};

/* Quantile p in [0,1] of n sorted values by linear interpolation between
 * order statistics (Hyndman & Fan type 7: R's and numpy's default).  n > 0. */
double bench_quantile_sorted(const double *sorted, size_t n, double p);
/* Spread of n values (any order; v is not changed).  n == 0 gives n = 0
 * and NaN everywhere.  Returns 0, or -ENOMEM. */
int bench_spread(const double *v, size_t n, struct bench_spread *out);

#endif
