// SPDX-License-Identifier: GPL-2.0-only
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quantiles.h"

void bench_rng_seed(struct bench_rng *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t bench_rng_next(struct bench_rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

uint64_t bench_rng_below(struct bench_rng *r, uint64_t n)
{
	/* Reject the top partial block: every residue equally likely. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;

	do
		x = bench_rng_next(r);
	while (x >= limit);
	return x % n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double *sorted_copy(const double *v, size_t n)
{
	double *s = malloc((n ? n : 1) * sizeof(*s));

	if (!s)
		return NULL;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	return s;
}

double bench_median(const double *v, size_t n)
{
	double *s, m;

	if (!n)
		return NAN;
	s = sorted_copy(v, n);
	if (!s)
		return NAN;
	m = bench_quantile_sorted(s, n, 0.5);
	free(s);
	return m;
}

int bench_median_ci_ranks(size_t n, double level, size_t *lo, size_t *hi,
			  double *coverage)
{
	double alpha, cdf = 0, term;
	size_t k, best = 0;
	double best_tail = 0;

	if (!(level > 0 && level < 1) || n > 1000)
		return -EINVAL;
	alpha = (1 - level) / 2;
	/* P(B <= k-1) for B ~ Binomial(n, 1/2), k = 1, 2, ...: the true
	 * median is below x_(k) with that probability, above x_(n+1-k) too. */
	term = ldexp(1.0, -(int)n);	/* P(B = 0) */
	for (k = 1; k <= n / 2; k++) {
		cdf += term;	/* now P(B <= k-1) */
		if (cdf > alpha * (1 + 1e-12))
			break;
		best = k;
		best_tail = cdf;
		term = term * (double)(n - (k - 1)) / (double)k;	/* P(B = k) */
	}
	if (!best)
		return -ERANGE;
	*lo = best;
	*hi = n + 1 - best;
	*coverage = 1 - 2 * best_tail;
	return 0;
}

int bench_median_ci(const double *v, size_t n, double level, double *lo,
		    double *hi, double *coverage)
{
	size_t rl, rh;
	double *s;
	int err = bench_median_ci_ranks(n, level, &rl, &rh, coverage);

	if (err)
		return err;
	s = sorted_copy(v, n);
	if (!s)
		return -ENOMEM;
	*lo = s[rl - 1];
	*hi = s[rh - 1];
	free(s);
	return 0;
}

static double resampled_median(struct bench_rng *r, const double *v, size_t n,
			       double *scratch)
{
	for (size_t i = 0; i < n; i++)
		scratch[i] = v[bench_rng_below(r, n)];
	qsort(scratch, n, sizeof(*scratch), cmp_double);
	return bench_quantile_sorted(scratch, n, 0.5);
}

int bench_ratio_ci_bootstrap(const double *a, size_t na, const double *b,
			     size_t nb, unsigned iters, uint64_t seed,
			     double level, double *lo, double *hi)
{
	double *ra, *sa, *sb;
	size_t nr = 0;
	struct bench_rng r;
	int err = 0;

	if (!na || !nb || iters < 100 || !(level > 0 && level < 1))
		return -EINVAL;
	ra = malloc(iters * sizeof(*ra));
	sa = malloc(na * sizeof(*sa));
	sb = malloc(nb * sizeof(*sb));
	if (!ra || !sa || !sb) {
		err = -ENOMEM;
		goto out;
	}
	bench_rng_seed(&r, seed);
	for (unsigned i = 0; i < iters; i++) {
		double ma = resampled_median(&r, a, na, sa);
		double mb = resampled_median(&r, b, nb, sb);

		if (mb != 0 && isfinite(ma) && isfinite(mb))
			ra[nr++] = ma / mb;
	}
	if (!nr) {
		err = -EDOM;
		goto out;
	}
	qsort(ra, nr, sizeof(*ra), cmp_double);
	*lo = bench_quantile_sorted(ra, nr, (1 - level) / 2);
	*hi = bench_quantile_sorted(ra, nr, 1 - (1 - level) / 2);
out:
	free(ra);
	free(sa);
	free(sb);
	return err;
}

/* The number of arrangements of m a's and n b's with each value of U,
 * u = 0..m*n, by f(i, j, u) = f(i-1, j, u-j) + f(i, j-1, u) (the largest
 * value is an a, beating all j b's, or a b).  Additions only, so no
 * cancellation; doubles hold C(100, 50) to 16 digits.  Returns a malloc'd
 * array of m*n+1 counts, or NULL. */
static double *u_counts(size_t m, size_t n)
{
	size_t len = m * n + 1;
	double *prev = calloc((n + 1) * len, sizeof(double));
	double *cur = calloc((n + 1) * len, sizeof(double));
	double *res = NULL;

	if (!prev || !cur)
		goto out;
	/* Row i = 0: f(0, j, 0) = 1. */
	for (size_t j = 0; j <= n; j++)
		prev[j * len] = 1;
	for (size_t i = 1; i <= m; i++) {
		memset(cur, 0, (n + 1) * len * sizeof(double));
		cur[0] = 1;	/* f(i, 0, 0) */
		for (size_t j = 1; j <= n; j++) {
			double *c = cur + j * len, *left = cur + (j - 1) * len;
			const double *up = prev + j * len;
			size_t top = i * j;

			for (size_t u = 0; u <= top; u++)
				c[u] = left[u] + (u >= j ? up[u - j] : 0);
		}
		{
			double *t = prev;

			prev = cur;
			cur = t;
		}
	}
	res = malloc(len * sizeof(*res));
	if (res)
		memcpy(res, prev + n * len, len * sizeof(*res));
out:
	free(prev);
	free(cur);
	return res;
}

/* The same with ties, given them: the number of ways to draw m of the n
 * ranked values (groups of size[0..ng-1] in ascending order, each scored
 * by its midrank) with each doubled rank sum s = 0..n(n+1).  The
 * permutation distribution of the rank sum conditional on the ties, by
 * g(k, s) over the groups: take c of a group's t values, C(t, c) ways, each
 * adding c times its doubled midrank.  Returns a malloc'd array of
 * n(n+1)+1 counts (*len), or NULL. */
static double *tied_counts(const size_t *size, size_t ng, size_t m, size_t *len)
{
	size_t n = 0, start = 0;
	double *prev, *cur, *res = NULL;

	for (size_t g = 0; g < ng; g++)
		n += size[g];
	*len = n * (n + 1) + 1;
	prev = calloc((m + 1) * *len, sizeof(double));
	cur = calloc((m + 1) * *len, sizeof(double));
	if (!prev || !cur)
		goto out;
	prev[0] = 1;	/* nothing drawn, sum 0 */
	for (size_t g = 0; g < ng; g++) {
		size_t t = size[g], r2 = 2 * start + t + 1;
		double binom = 1;	/* C(t, c) */

		memset(cur, 0, (m + 1) * *len * sizeof(double));
		for (size_t c = 0; c <= t && c <= m; c++) {
			size_t add = c * r2;

			for (size_t k = 0; k + c <= m; k++) {
				const double *from = prev + k * *len;
				double *to = cur + (k + c) * *len;

				for (size_t s = 0; s + add < *len; s++)
					if (from[s] != 0)
						to[s + add] += binom * from[s];
			}
			binom = binom * (double)(t - c) / (double)(c + 1);
		}
		{
			double *x = prev;

			prev = cur;
			cur = x;
		}
		start += t;
	}
	res = malloc(*len * sizeof(*res));
	if (res)
		memcpy(res, prev + m * *len, *len * sizeof(*res));
out:
	free(prev);
	free(cur);
	return res;
}

struct ranked {
	double v;
	int from_a;
};

static int cmp_ranked(const void *x, const void *y)
{
	return cmp_double(&((const struct ranked *)x)->v, &((const struct ranked *)y)->v);
}

int bench_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
		       struct bench_mwu *out)
{
	size_t n = na + nb, ng = 0, *gsize;
	struct ranked *all;
	double rank_sum_a = 0, tie_term = 0, mu, var, d;

	memset(out, 0, sizeof(*out));
	if (!na || !nb)
		return -EINVAL;
	all = malloc(n * sizeof(*all));
	gsize = malloc(n * sizeof(*gsize));
	if (!all || !gsize) {
		free(all);
		free(gsize);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		all[i].v = i < na ? a[i] : b[i - na];
		all[i].from_a = i < na;
		if (isnan(all[i].v)) {
			free(all);
			free(gsize);
			return -EINVAL;
		}
	}
	qsort(all, n, sizeof(*all), cmp_ranked);
	/* Midranks for ties; t^3 - t per tied group for the variance. */
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j + 1 < n && all[j + 1].v == all[i].v)
			j++;
		for (size_t k = i; k <= j; k++)
			if (all[k].from_a)
				rank_sum_a += (double)(i + j + 2) / 2;
		if (j > i) {
			double t = (double)(j - i + 1);

			tie_term += t * t * t - t;
			out->ties = true;
		}
		gsize[ng++] = j - i + 1;
		i = j + 1;
	}
	free(all);
	out->u = rank_sum_a - (double)na * (double)(na + 1) / 2;
	mu = (double)na * (double)nb / 2;
	var = (double)na * (double)nb / 12 *
	      ((double)(n + 1) - tie_term / ((double)n * (double)(n - 1)));
	d = out->u - mu;
	if (d > 0)
		d -= 0.5;
	else if (d < 0)
		d += 0.5;
	out->z = var > 0 ? d / sqrt(var) : 0;
	if (na <= BENCH_MWU_EXACT_MAX && nb <= BENCH_MWU_EXACT_MAX) {
		double *f, total = 0, le = 0, ge = 0;
		size_t len, at;

		if (out->ties) {
			/* Over doubled rank sums of a, which midranks keep whole. */
			f = tied_counts(gsize, ng, na, &len);
			at = (size_t)llround(2 * rank_sum_a);
		} else {
			f = u_counts(na, nb);
			len = na * nb + 1;
			at = (size_t)out->u;
		}
		free(gsize);
		if (!f)
			return -ENOMEM;
		for (size_t k = 0; k < len; k++) {
			total += f[k];
			if (k <= at)
				le += f[k];
			if (k >= at)
				ge += f[k];
		}
		free(f);
		out->exact = true;
		out->p = 2 * (le < ge ? le : ge) / total;
		if (out->p > 1)
			out->p = 1;
		return 0;
	}
	free(gsize);
	out->p = var > 0 ? erfc(fabs(out->z) / sqrt(2.0)) : 1;
	if (out->p > 1)
		out->p = 1;
	return 0;
}
