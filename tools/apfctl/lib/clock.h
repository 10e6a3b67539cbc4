/* SPDX-License-Identifier: GPL-2.0-only */
/* Time for deadlines, intervals and records: one place. */
#ifndef APF_CLOCK_H
#define APF_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in milliseconds and in seconds: deadlines, intervals. */
int64_t apf_now_ms(void);
double apf_now_s(void);
/* Milliseconds from now until deadline (apf_now_ms() based), 0 when past,
 * at most INT32_MAX: a poll(2) timeout. */
int apf_ms_left(int64_t deadline);

/* An ISO 8601 UTC time, "2026-12-03T10:00:00Z" or with ms ".123Z", of ts
 * (CLOCK_REALTIME), or of now when ts is NULL.  buf: APF_ISO_TIME_LEN. */
#define APF_ISO_TIME_LEN 40
const char *apf_iso_time(char *buf, size_t cap, const struct timespec *ts,
			 bool ms);

#endif
