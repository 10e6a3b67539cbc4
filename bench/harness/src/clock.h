/* SPDX-License-Identifier: GPL-2.0-only */
/* Monotonic time for deadlines, and wall-clock stamps for records. */
#ifndef BENCH_CLOCK_H
#define BENCH_CLOCK_H

#include <stddef.h>

long long bench_now_ms(void);	/* CLOCK_MONOTONIC */
void bench_sleep_ms(long ms);
/* "2026-11-21T10:02:03Z" (UTC) into buf. */
void bench_utc_stamp(char *buf, size_t cap);
/* "2026-11-21" (local date, for directory names). */
void bench_local_date(char *buf, size_t cap);

#endif
