// SPDX-License-Identifier: GPL-2.0-only
#include "quantiles.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_quantile_sorted(const double *sorted, size_t n, double p)
{
	double h = (double)(n - 1) * p;
	size_t lo = (size_t)floor(h);

	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

int bench_spread(const double *v, size_t n, struct bench_spread *out)
{
	double *s, sum = 0;

	out->n = n;
	if (!n) {
		out->median = out->q1 = out->q3 = NAN;
		out->min = out->max = out->mean = NAN;
		return 0;
	}
	s = malloc(n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += s[i];
	out->min = s[0];
	out->max = s[n - 1];
	out->median = bench_quantile_sorted(s, n, 0.5);
	out->q1 = bench_quantile_sorted(s, n, 0.25);
	out->q3 = bench_quantile_sorted(s, n, 0.75);
	out->mean = sum / (double)n;
	free(s);
	return 0;
}
