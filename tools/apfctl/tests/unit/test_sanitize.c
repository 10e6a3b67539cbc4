// SPDX-License-Identifier: GPL-2.0-only
/* lib/sanitize.c: the one encoder in front of every text output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

#include "json_writer.h"
#include "sanitize.h"

static const char *enc(const char *s, unsigned int flags)
{
	static char buf[256];

	return apf_safe_encode(s, buf, sizeof(buf), flags);
}

static void test_plain_text_unchanged(void **state)
{
	(void)state;
	assert_string_equal(enc("web01 vm-2_a.b (x)", 0), "web01 vm-2_a.b (x)");
	assert_string_equal(enc("", 0), "");
	/* UTF-8 that prints: Latin-1, CJK, emoji (4 bytes), U+00A0. */
	assert_string_equal(enc("caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80 \xc2\xa0", 0),
			    "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80 \xc2\xa0");
	/* A backslash alone stays; before 'x' it is encoded, so "\x41" in
	 * output always means an encoded byte. */
	assert_string_equal(enc("a\\b", 0), "a\\b");
	assert_string_equal(enc("\\x41", 0), "\\x5cx41");
}

static void test_c0_and_del(void **state)
{
	(void)state;
	assert_string_equal(enc("a\x1b[31mb\x07", 0), "a\\x1b[31mb\\x07");
	assert_string_equal(enc("\x01\x7f\r", 0), "\\x01\\x7f\\x0d");
	assert_string_equal(enc("a\nb\tc", 0), "a\\x0ab\\x09c");
	assert_string_equal(enc("a\nb\tc", APF_SAN_NL), "a\nb\\x09c");
	assert_string_equal(enc("a\nb\tc", APF_SAN_TAB), "a\\x0ab\tc");
	assert_string_equal(enc("a\nb\tc", APF_SAN_NL | APF_SAN_TAB), "a\nb\tc");
}

static void test_c1(void **state)
{
	(void)state;
	/* U+009B (CSI) as UTF-8, U+0080 and U+009F: both bytes encoded. */
	assert_string_equal(enc("a\xc2\x9b" "2Jb", 0), "a\\xc2\\x9b2Jb");
	assert_string_equal(enc("\xc2\x80\xc2\x9f", 0), "\\xc2\\x80\\xc2\\x9f");
	/* Raw C1 bytes (Latin-1 terminals read 0x9b as CSI). */
	assert_string_equal(enc("\x9b" "31m\x9d", 0), "\\x9b31m\\x9d");
}

static void test_bidi(void **state)
{
	(void)state;
	/* U+202E RIGHT-TO-LEFT OVERRIDE: "evil\u202Etxt.exe". */
	assert_string_equal(enc("a\xe2\x80\xae" "b", 0), "a\\xe2\\x80\\xaeb");
	assert_string_equal(enc("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", 0),
			    "\\xe2\\x80\\xaa\\xe2\\x80\\xab\\xe2\\x80\\xac\\xe2\\x80\\xad");
	/* U+2066..U+2069 isolates, U+200E/F marks, U+061C ALM. */
	assert_string_equal(enc("\xe2\x81\xa6\xe2\x81\xa9", 0),
			    "\\xe2\\x81\\xa6\\xe2\\x81\\xa9");
	assert_string_equal(enc("\xe2\x80\x8e\xe2\x80\x8f", 0),
			    "\\xe2\\x80\\x8e\\xe2\\x80\\x8f");
	assert_string_equal(enc("\xd8\x9c", 0), "\\xd8\\x9c");
	/* Neighbours pass: U+202F, U+200A (U+200B-D are zero-width: see
	 * test_format_controls). */
	assert_string_equal(enc("\xe2\x80\xaf", 0), "\xe2\x80\xaf");
	assert_string_equal(enc("\xe2\x80\x8a", 0), "\xe2\x80\x8a");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	/* Lone continuation, cut sequence, overlong '/', surrogate, past
	 * U+10FFFF, 0xff. */
	assert_string_equal(enc("\x80", 0), "\\x80");
	assert_string_equal(enc("a\xe2\x80", 0), "a\\xe2\\x80");
	assert_string_equal(enc("\xc0\xaf", 0), "\\xc0\\xaf");
	assert_string_equal(enc("\xe0\x80\xaf", 0), "\\xe0\\x80\\xaf");
	assert_string_equal(enc("\xed\xa0\x80", 0), "\\xed\\xa0\\x80");
	assert_string_equal(enc("\xf4\x90\x80\x80", 0), "\\xf4\\x90\\x80\\x80");
	assert_string_equal(enc("\xff", 0), "\\xff");
	/* A valid character after an invalid lead survives. */
	assert_string_equal(enc("\xe2" "\xc3\xa9", 0), "\\xe2\xc3\xa9");
}

static void test_truncation_never_splits(void **state)
{
	char small[8];

	(void)state;
	/* "ab" + "\x1b" is 6 bytes + NUL = 7; the next escape does not fit. */
	assert_string_equal(apf_safe_encode("ab\x1b\x1b", small, sizeof(small), 0),
			    "ab\\x1b");
	/* A 4-byte character that does not fit is left out whole. */
	assert_string_equal(apf_safe_encode("abcd\xf0\x9f\x98\x80", small, 8, 0),
			    "abcd");
	assert_string_equal(apf_safe_encode("abcdef", small, 1, 0), "");
	assert_string_equal(apf_safe_encode("abc", small, 0, 0), "");
}

static void test_fputs_matches_encode(void **state)
{
	static const char *const inputs[] = {
		"plain", "\x1b]0;pwned\x07", "a\xc2\x9b" "b\xe2\x80\xae" "c\xff",
		"x\ny\tz", "\\x", "",
	};
	char *mem = NULL;
	size_t len = 0, i;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(*inputs); i++) {
		FILE *f = open_memstream(&mem, &len);

		assert_non_null(f);
		assert_int_equal(apf_fputs_safe(inputs[i], f, APF_SAN_NL), 0);
		assert_int_equal(fclose(f), 0);
		assert_string_equal(mem, enc(inputs[i], APF_SAN_NL));
		free(mem);
		mem = NULL;
	}
}

/* Whatever goes in, what comes out is printable UTF-8 without controls:
 * a deterministic sweep over every byte pair and some triples. */
static void test_output_always_safe(void **state)
{
	char in[4], out[64];
	unsigned int a, b;

	(void)state;
	for (a = 1; a < 256; a++) {
		for (b = 0; b < 256; b++) {
			const char *p;

			in[0] = (char)a;
			in[1] = (char)b;
			in[2] = (char)0x9b;
			in[3] = '\0';
			apf_safe_encode(in, out, sizeof(out), 0);
			for (p = out; *p; ) {
				size_t n = apf_safe_char(p, 0);

				if (!n && *p == '\\' && p[1] == 'x') {
					p += 4;	/* one of our escapes */
					continue;
				}
				assert_true(n > 0);
				p += n;
			}
		}
	}
}

/* Invisible characters beyond bidi: line/paragraph separators, zero-width
 * space/joiners, the BOM. */
static void test_format_controls(void **state)
{
	(void)state;
	assert_string_equal(enc("a\xe2\x80\xa8" "b\xe2\x80\xa9", 0),
			    "a\\xe2\\x80\\xa8b\\xe2\\x80\\xa9");
	assert_string_equal(enc("\xe2\x80\x8b\xe2\x80\x8d\xef\xbb\xbfz", 0),
			    "\\xe2\\x80\\x8b\\xe2\\x80\\x8d\\xef\\xbb\\xbfz");
	/* Neighbours print: U+200A HAIR SPACE, U+2030 PER MILLE. */
	assert_string_equal(enc("\xe2\x80\x8a\xe2\x80\xb0", 0), "\xe2\x80\x8a\xe2\x80\xb0");
}

/* What the stream wrote to its fd, read back. */
static char *through_stream(const char *const *parts, size_t nparts,
			    unsigned int flags, const bool *raw)
{
	FILE *tmp = tmpfile(), *f;
	static char back[1024];
	size_t i;
	ssize_t n;

	assert_non_null(tmp);
	f = apf_safe_fdopen(fileno(tmp), flags, raw, NULL);
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);	/* each part one write */
	for (i = 0; i < nparts; i++)
		assert_int_equal(fwrite(parts[i], 1, strlen(parts[i]), f),
				 strlen(parts[i]));
	assert_int_equal(fclose(f), 0);
	n = pread(fileno(tmp), back, sizeof(back) - 1, 0);
	assert_true(n >= 0);
	back[n] = '\0';
	fclose(tmp);
	return back;
}

static const char *const stream_inputs[] = {
	"plain line\n",
	"ev\x1b[31mil\x07\xc2\x9b" "2J\xe2\x80\xae" "exe\n",
	"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\t|\n",
	"raw \\x41 and \\xZZ and \\x1 end\\",
	"cut \xe4\xb8 and \xf0\x9f\x98 \xc3",
	"a\\\\x5c\\x1b\\",
};

/* A character or escape cut between two writes is decided as if written
 * whole: every split point of every input gives the same bytes. */
static void test_stream_split_anywhere(void **state)
{
	char whole[1024], a[256], b[256];
	size_t i, k, len;

	(void)state;
	for (i = 0; i < sizeof(stream_inputs) / sizeof(stream_inputs[0]); i++) {
		const char *in = stream_inputs[i];
		const char *one[1] = { in };

		snprintf(whole, sizeof(whole), "%s",
			 through_stream(one, 1, APF_SAN_NL | APF_SAN_TAB, NULL));
		len = strlen(in);
		for (k = 1; k < len; k++) {
			const char *two[2] = { a, b };

			memcpy(a, in, k);
			a[k] = '\0';
			snprintf(b, sizeof(b), "%s", in + k);
			assert_string_equal(through_stream(two, 2, APF_SAN_NL | APF_SAN_TAB,
							   NULL), whole);
		}
	}
}

/* The layer over already-encoded text changes nothing (no "\x5cx1b"),
 * over its own output neither; raw text is encoded like apf_safe_encode(). */
static void test_stream_is_stable(void **state)
{
	char first[1024], enc0[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(stream_inputs) / sizeof(stream_inputs[0]); i++) {
		const char *in = stream_inputs[i], *p1[1] = { in }, *p2[1] = { first },
			   *p3[1] = { enc0 };

		snprintf(first, sizeof(first), "%s",
			 through_stream(p1, 1, APF_SAN_NL | APF_SAN_TAB, NULL));
		assert_string_equal(through_stream(p2, 1, APF_SAN_NL | APF_SAN_TAB, NULL),
				    first);
		apf_safe_encode(in, enc0, sizeof(enc0), 0);
		assert_string_equal(through_stream(p3, 1, APF_SAN_NL | APF_SAN_TAB, NULL),
				    enc0);
	}
	{
		const char *p[1] = { "a\x1b" "b\\x1bc\n" };

		assert_string_equal(through_stream(p, 1, APF_SAN_NL, NULL),
				    "a\\x1bb\\x1bc\n");
	}
}

static void test_stream_raw_and_errors(void **state)
{
	const char *p[2] = { "{\"n\": \"\x1b", "\xe2\x80\xae\"}\n" };
	bool raw = true;
	int err = 0, fd;
	FILE *f;

	(void)state;
	assert_string_equal(through_stream(p, 2, APF_SAN_NL, &raw),
			    "{\"n\": \"\x1b\xe2\x80\xae\"}\n");
	raw = false;
	assert_string_equal(through_stream(p, 2, APF_SAN_NL, &raw),
			    "{\"n\": \"\\x1b\\xe2\\x80\\xae\"}\n");
	fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	f = apf_safe_fdopen(fd, APF_SAN_OWN_FD, NULL, &err);
	assert_non_null(f);
	fputs("x\n", f);
	assert_int_not_equal(fflush(f), 0);
	assert_int_equal(err, ENOSPC);
	fclose(f);
}

/* JSON is UTF-8 (RFC 8259): bytes that are no character become U+FFFD;
 * C1 and format controls are \uXXXX, the same string to a parser. */
static void test_json_strings(void **state)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	json_writer_t *w;

	(void)state;
	assert_non_null(f);
	w = jsonw_new(f);
	jsonw_start_object(w);
	jsonw_string_field(w, "s", "a\xff" "b\xc3(\xc2\x9b\xe2\x80\xae\xe2\x80\xa8"
			   "\x1b\xc3\xa9\\\"");
	jsonw_end_object(w);
	jsonw_destroy(&w);
	fclose(f);
	assert_string_equal(mem, "{\"s\":\"a\\ufffdb\\ufffd(\\u009b\\u202e\\u2028"
			    "\\u001b\xc3\xa9\\\\\\\"\"}\n");
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text_unchanged),
		cmocka_unit_test(test_c0_and_del),
		cmocka_unit_test(test_c1),
		cmocka_unit_test(test_bidi),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_truncation_never_splits),
		cmocka_unit_test(test_fputs_matches_encode),
		cmocka_unit_test(test_output_always_safe),
		cmocka_unit_test(test_format_controls),
		cmocka_unit_test(test_stream_split_anywhere),
		cmocka_unit_test(test_stream_is_stable),
		cmocka_unit_test(test_stream_raw_and_errors),
		cmocka_unit_test(test_json_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
