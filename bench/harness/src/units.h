/* SPDX-License-Identifier: GPL-2.0-only */
/* Sizes ("256M", "1G") and whole numbers from the command line. */
#ifndef BENCH_UNITS_H
#define BENCH_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Digits with an optional binary suffix K, M, G or T (any case, optionally
 * followed by "B" or "iB"); no suffix means bytes, as memory.max reads it.
 * 0, -EINVAL (not a size), -ERANGE (past 2^64-1). */
int bench_parse_size(const char *s, uint64_t *bytes);
/* "256M" / "1G" / "1536K" / "1000" (bytes): the largest exact suffix. */
void bench_format_size(uint64_t bytes, char *buf, size_t cap);
/* Decimal integer in [min, max], nothing else: 0 or -EINVAL/-ERANGE. */
int bench_parse_long(const char *s, long min, long max, long *out);

#endif
