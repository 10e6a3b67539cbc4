// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: lib/sanitize.c's output stream (apf_safe_fdopen), the
 * layer in front of stdout, stderr and log files.  The text reaches it in
 * pieces of any size (stdio's buffer ends anywhere, even inside a UTF-8
 * character or a "\xHH" escape), so written in the pieces the input's
 * first bytes choose it must come out exactly as written in one piece,
 * and what comes out must pass apf_safe_char() or be an escape. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sanitize.h"
#include "fuzz_input.h"

#define FLAGS (APF_SAN_NL | APF_SAN_TAB)

/* Write len bytes at p through a fresh stream, in pieces of the sizes
 * cuts[] gives (cycled; NULL: one piece); return what reached the fd. */
static char *through_stream(const uint8_t *p, size_t len, const uint8_t *cuts,
			    size_t ncuts, size_t *outlen)
{
	int fd = memfd_create("fuzz_output_stream", 0);
	FILE *f;
	char *out = NULL;
	off_t n;
	size_t off = 0, c = 0;

	if (fd < 0)
		return NULL;
	f = apf_safe_fdopen(fd, FLAGS, NULL, NULL);
	if (!f)
		goto out;
	setvbuf(f, NULL, _IONBF, 0);	/* every fwrite reaches the cookie */
	while (off < len) {
		size_t k = cuts ? (size_t)cuts[c++ % ncuts] % 9 + 1 : len;

		if (k > len - off)
			k = len - off;
		if (fwrite(p + off, 1, k, f) != k)
			abort();
		off += k;
	}
	if (fclose(f))
		abort();
	n = lseek(fd, 0, SEEK_END);
	out = malloc((size_t)n + 1);
	if (out && pread(fd, out, (size_t)n, 0) != n)
		abort();
	if (out) {
		out[n] = '\0';
		*outlen = (size_t)n;
	}
out:
	close(fd);
	return out;
}

static bool is_escape(const char *s, size_t left)
{
	return left >= 4 && s[0] == '\\' && s[1] == 'x' &&
	       strchr("0123456789abcdef", s[2]) && s[2] &&
	       strchr("0123456789abcdef", s[3]) && s[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t ncuts, whole_len = 0, cut_len = 0;
	char *whole, *cut;

	if (size < 1)
		return 0;
	ncuts = data[0] % 8 + 1;
	if (size < 1 + ncuts)
		return 0;
	whole = through_stream(data + 1 + ncuts, size - 1 - ncuts, NULL, 0, &whole_len);
	cut = through_stream(data + 1 + ncuts, size - 1 - ncuts, data + 1, ncuts, &cut_len);
	if (!whole || !cut)
		goto out;
	if (whole_len != cut_len || memcmp(whole, cut, whole_len))
		abort();
	for (size_t i = 0; i < whole_len; ) {
		/* Without KEEP_ESC: an escape must be a whole "\\xHH". */
		size_t k = apf_safe_char_n(whole + i, whole_len - i, true, FLAGS);

		if (k == 0 || k == APF_SAFE_MORE) {
			if (!is_escape(whole + i, whole_len - i))
				abort();
			k = 4;
		}
		i += k;
	}
out:
	free(whole);
	free(cut);
	return 0;
}
