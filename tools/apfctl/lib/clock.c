// SPDX-License-Identifier: GPL-2.0-only
#include "clock.h"

#include <stdio.h>

int64_t apf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double apf_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int apf_ms_left(int64_t deadline)
{
	int64_t left = deadline - apf_now_ms();

	if (left <= 0)
		return 0;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

/* The UTC calendar date of a count of days since 1970-01-01 (H. Hinnant's
 * civil_from_days, proleptic Gregorian, any int64 day count in range).
 * gmtime_r() gives the same, but glibc's loads the time zone on its first
 * call (tzset: fopen of /etc/localtime, malloc), which UTC never needs and
 * which the hook's deadline, an _exit from a signal handler, can cut
 * half way: valgrind then reports the FILE and its buffer as leaked. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;				/* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);	/* [0, 365] */
	mp = (5 * doy + 2) / 153;			/* [0, 11], from March */
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

const char *apf_iso_time(char *buf, size_t cap, const struct timespec *ts,
			 bool ms)
{
	struct timespec now;
	int64_t sec, days, rem, y;
	int m, d;

	if (!ts) {
		clock_gettime(CLOCK_REALTIME, &now);
		ts = &now;
	}
	sec = (int64_t)ts->tv_sec;
	days = sec / 86400;
	rem = sec % 86400;
	if (rem < 0) {			/* before 1970: floor, not truncate */
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (ms)
		snprintf(buf, cap, "%04lld-%02d-%02dT%02d:%02d:%02d.%03ldZ",
			 (long long)y, m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
			 (int)(rem % 60), ts->tv_nsec / 1000000);
	else
		snprintf(buf, cap, "%04lld-%02d-%02dT%02d:%02d:%02dZ",
			 (long long)y, m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
			 (int)(rem % 60));
	return buf;
}
