// SPDX-License-Identifier: GPL-2.0-only
#include "schedule.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const names[BENCH_MODE_COUNT] = {
	[BENCH_MODE_PV] = "pv",
	[BENCH_MODE_HALT] = "halt",
	[BENCH_MODE_OFF] = "off",
	[BENCH_MODE_BASELINE] = "baseline",
};

const char *bench_mode_name(enum bench_mode m)
{
	return (unsigned)m < BENCH_MODE_COUNT ? names[m] : "?";
}

int bench_mode_parse(const char *name)
{
	for (int i = 0; i < BENCH_MODE_COUNT; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

int bench_modes_parse(const char *list, enum bench_mode *modes, size_t *n,
		      char *bad, size_t cap)
{
	bool seen[BENCH_MODE_COUNT] = { false };
	const char *p = list;

	*n = 0;
	bad[0] = '\0';
	for (;;) {
		size_t len = strcspn(p, ",");
		char word[32];
		int m;

		if (!len || len >= sizeof(word)) {
			snprintf(bad, cap, "%.*s", (int)(len < 31 ? len : 31), p);
			return -EINVAL;
		}
		memcpy(word, p, len);
		word[len] = '\0';
		m = bench_mode_parse(word);
		if (m < 0 || seen[m]) {
			snprintf(bad, cap, "%s", word);
			return -EINVAL;
		}
		seen[m] = true;
		modes[(*n)++] = (enum bench_mode)m;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

void bench_schedule(const enum bench_mode *modes, size_t n, int reps,
		    struct bench_slot *out)
{
	int k = 0;

	for (int r = 0; r < reps; r++)
		for (size_t i = 0; i < n; i++, k++) {
			out[k].mode = modes[((size_t)r + i) % n];
			out[k].rep = r;
			out[k].order = k;
		}
}
