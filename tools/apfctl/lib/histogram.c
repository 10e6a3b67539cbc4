// SPDX-License-Identifier: GPL-2.0-only
/* Log2 latency histogram.  Percentiles are exact (nearest rank) while the
 * reservoir holds every value; past that, or after an allocation failure,
 * they are interpolated linearly inside the log2 bucket that holds the rank,
 * which bounds the error by the bucket's width. */
#include "histogram.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void apf_hist_init(struct apf_histogram *h, size_t cap)
{
	memset(h, 0, sizeof(*h));
	h->cap = cap;
}

static unsigned int bucket_of(uint64_t v)
{
	return v < 2 ? 0 : 63u - (unsigned int)__builtin_clzll(v);
}

int apf_hist_add(struct apf_histogram *h, uint64_t v)
{
	h->bucket[bucket_of(v)]++;
	if (!h->count || v < h->min)
		h->min = v;
	if (!h->count || v > h->max)
		h->max = v;
	h->count++;
	/* Saturate rather than wrap: a mean from a wrapped sum is nonsense. */
	h->sum = h->sum > UINT64_MAX - v ? UINT64_MAX : h->sum + v;

	/* Once a value is missing, the reservoir can never be exact again. */
	if (h->nvalues + 1 != h->count || h->nvalues >= h->cap)
		return 0;
	/* Storage doubles from 64: it is full exactly when nvalues is 0 or a
	 * power of two >= 64, so no capacity field is needed. */
	if (!h->nvalues || (h->nvalues >= 64 && !(h->nvalues & (h->nvalues - 1)))) {
		size_t n = h->nvalues ? h->nvalues * 2 : 64;
		uint64_t *nv;

		if (n > h->cap || n < h->nvalues)
			n = h->cap;
		if (n > SIZE_MAX / sizeof(*nv))
			return -ENOMEM;
		nv = realloc(h->values, n * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		h->values = nv;
	}
	h->values[h->nvalues++] = v;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* 1-based nearest rank of percentile p among n values. */
static uint64_t rank_of(double p, uint64_t n)
{
	/* The small slack keeps 90% of 10 at rank 9, not 10, when p*n/100 is
	 * off by an ulp. */
	double r = ceil(p * (double)n / 100.0 - 1e-9);

	if (r < 1)
		return 1;
	if (r > (double)n)
		return n;
	return (uint64_t)r;
}

uint64_t apf_hist_percentile(struct apf_histogram *h, double p)
{
	uint64_t rank, cum = 0;
	unsigned int i;

	if (!h->count)
		return 0;
	if (!(p > 0))		/* also NaN */
		return h->min;
	if (p >= 100)
		return h->max;
	rank = rank_of(p, h->count);

	if (h->nvalues == h->count) {
		bool sorted = true;
		size_t k;

		for (k = 1; k < h->nvalues && sorted; k++)
			sorted = h->values[k - 1] <= h->values[k];
		if (!sorted)
			qsort(h->values, h->nvalues, sizeof(*h->values), cmp_u64);
		return h->values[rank - 1];
	}

	for (i = 0; i < APF_HIST_BUCKETS; i++) {
		double lo, hi, v;

		if (cum + h->bucket[i] < rank) {
			cum += h->bucket[i];
			continue;
		}
		lo = i ? ldexp(1.0, (int)i) : 0;
		hi = ldexp(1.0, (int)i + 1) - 1;
		/* The end buckets are only filled up to min and max. */
		if (lo < (double)h->min)
			lo = (double)h->min;
		if (hi > (double)h->max)
			hi = (double)h->max;
		v = lo + (hi - lo) * (double)(rank - cum) / (double)h->bucket[i];
		if (v <= (double)h->min)
			return h->min;
		if (v >= (double)h->max)
			return h->max;
		return (uint64_t)v;
	}
	return h->max;
}

void apf_hist_free(struct apf_histogram *h)
{
	free(h->values);
	memset(h, 0, sizeof(*h));
}
