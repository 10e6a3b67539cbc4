// SPDX-License-Identifier: GPL-2.0-only
#include "schedule.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "stats.h"

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

static void shuffle(struct bench_rng *r, size_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		v[i] = i;
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)bench_rng_below(r, i), t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

void bench_schedule(const enum bench_mode *modes, size_t n, int reps,
		    uint64_t seed, struct bench_slot *out)
{
	size_t sym[BENCH_MODE_COUNT], row[BENCH_MODE_COUNT], col[BENCH_MODE_COUNT];
	struct bench_rng r;
	int k = 0;

	if (!n || n > BENCH_MODE_COUNT)
		return;
	bench_rng_seed(&r, seed);
	for (int b = 0; b < reps; b++) {
		size_t in_square = (size_t)b % n;

		if (!in_square) {	/* a new square for the next n blocks */
			shuffle(&r, sym, n);
			shuffle(&r, row, n);
			shuffle(&r, col, n);
		}
		for (size_t c = 0; c < n; c++, k++) {
			out[k].mode = modes[sym[(row[in_square] + col[c]) % n]];
			out[k].rep = b;
			out[k].order = k;
		}
	}
}
