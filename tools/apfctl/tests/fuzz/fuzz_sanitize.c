// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: lib/sanitize.c, the encoder in front of every text
 * output.  Whatever the input, the output is printable UTF-8 plus \xHH
 * escapes, and decoding the escapes gives the input back; a cut one
 * (apf_safe_cut) is a prefix of that, then "..." exactly where the input
 * went on. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
#include "fuzz_input.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void check(const char *in, unsigned int flags)
{
	size_t len = strlen(in), cap = 4 * len + 1, o = 0;
	char *out = malloc(cap), *back = malloc(len + 1);
	const char *p;

	if (!out || !back) {
		free(out);
		free(back);
		return;
	}
	apf_safe_encode(in, out, cap, flags);
	for (p = out; *p; ) {
		size_t n = apf_safe_char(p, flags);

		if (n) {
			memcpy(back + o, p, n);
			o += n;
			p += n;
			continue;
		}
		/* Not safe as is: must be one of our escapes. */
		if (p[0] != '\\' || p[1] != 'x' || hexval(p[2]) < 0 || hexval(p[3]) < 0)
			abort();
		back[o++] = (char)(hexval(p[2]) << 4 | hexval(p[3]));
		p += 4;
	}
	back[o] = '\0';
	if (o != len || memcmp(back, in, len))
		abort();
	/* A short buffer holds a prefix of the full encoding. */
	if (len) {
		char small[16];

		apf_safe_encode(in, small, sizeof(small), flags);
		if (strncmp(small, out, strlen(small)))
			abort();
	}
	free(out);
	free(back);
}

static void check_cut(const char *in, size_t max, size_t cap)
{
	size_t len = strlen(in), full_cap = 4 * len + 1, n;
	char *full = malloc(full_cap), *cut = malloc(cap ? cap : 1);

	if (!full || !cut) {
		free(full);
		free(cut);
		return;
	}
	apf_safe_encode(in, full, full_cap, 0);
	apf_safe_cut(in, cut, cap, max, 0);
	if (cap) {
		n = strlen(cut);
		if (n >= cap)
			abort();
		/* A prefix of the full encoding, or one followed by "...". */
		if (strncmp(full, cut, n) &&
		    (n < 3 || strcmp(cut + n - 3, "...") || strncmp(full, cut, n - 3)))
			abort();
		/* Nothing cut when all of it fits. */
		if (len <= max && strlen(full) + 3 < cap && strcmp(full, cut))
			abort();
	}
	free(full);
	free(cut);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);

	if (!s)
		return 0;
	check(s, 0);
	check(s, APF_SAN_NL | APF_SAN_TAB);
	check_cut(s, 40, 80);
	check_cut(s, 4, 64);
	check_cut(s, 1000, 8);
	check_cut(s, 3, 0);
	free(s);
	return 0;
}
