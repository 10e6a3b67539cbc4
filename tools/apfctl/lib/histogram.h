/* SPDX-License-Identifier: GPL-2.0-only */
/* Latency histogram with log2 buckets and exact percentiles over a bounded
 * reservoir of values. */
#ifndef APF_HISTOGRAM_H
#define APF_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define APF_HIST_BUCKETS 64

struct apf_histogram {
	uint64_t bucket[APF_HIST_BUCKETS];	/* bucket i: [2^i, 2^(i+1)) ns; 0 in 0 */
	uint64_t count, sum, min, max;
	uint64_t *values;			/* all values up to cap */
	size_t nvalues, cap;
};

void apf_hist_init(struct apf_histogram *h, size_t cap);
int apf_hist_add(struct apf_histogram *h, uint64_t v);
/* Percentile p in [0,100]: exact while every value fits the reservoir,
 * else bucket-interpolated. */
uint64_t apf_hist_percentile(struct apf_histogram *h, double p);
void apf_hist_free(struct apf_histogram *h);

#endif
