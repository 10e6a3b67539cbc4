// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: lib/number.c, the one checked-number parser, over any
 * text: every form of it, with its promises checked (a value within the
 * bound, the position past exactly the digits, milliseconds that print
 * back to the text's value). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"
#include "fuzz_input.h"

static int digit(char c, unsigned int base)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (base == 16 && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (base == 16 && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void digits(const char *s, unsigned int base, uint64_t max)
{
	const char *p = s, *q;
	uint64_t v = 0, check = 0;
	int err = apf_parse_digits(&p, base, max, &v);

	if (err == -EINVAL) {
		if (p != s || digit(*s, base) >= 0)
			abort();
		return;
	}
	if (err && err != -ERANGE)
		abort();
	/* Past every digit, success or not; nothing else consumed. */
	for (q = s; digit(*q, base) >= 0; q++)
		;
	if (p != q || p == s)
		abort();
	if (err)
		return;
	if (v > max)
		abort();
	for (q = s; q < p; q++)
		check = check * base + (uint64_t)digit(*q, base);
	if (check != v)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), back[48];
	uint64_t v;
	long l;
	int err;

	if (!s)
		return 0;
	digits(s, 10, UINT64_MAX);
	digits(s, 10, 65535);
	digits(s, 16, UINT32_MAX);
	digits(s, 16, 0);
	err = apf_parse_int(s, LONG_MIN, LONG_MAX, &l);
	if (err && err != -EINVAL && err != -ERANGE)
		abort();
	err = apf_parse_int(s, -7, 7, &l);
	if (!err && (l < -7 || l > 7))
		abort();
	err = apf_parse_milli(s, 86400000, &v);
	if (err && err != -EINVAL && err != -ERANGE)
		abort();
	if (!err) {
		uint64_t again;

		/* The value printed as seconds reads back the same. */
		if (!v || v > 86400000)
			abort();
		snprintf(back, sizeof(back), "%" PRIu64 ".%03" PRIu64, v / 1000, v % 1000);
		if (apf_parse_milli(back, 86400000, &again) || again != v)
			abort();
	}
	free(s);
	return 0;
}
