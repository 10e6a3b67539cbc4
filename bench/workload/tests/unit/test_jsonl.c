// SPDX-License-Identifier: GPL-2.0-only
/* The JSON line writer: shapes, escaping, numbers, overflow, and the single
 * write of "APFWL <json>\n" (checked through a pipe). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"

static struct jl *new_jl(void)
{
	struct jl *j = malloc(sizeof(*j));

	assert_non_null(j);
	return j;
}

static void test_shapes(void **state)
{
	struct jl *j = new_jl();

	(void)state;
	jl_begin(j, "result");
	jl_u64(j, "n", UINT64_MAX);
	jl_i64(j, "rc", -2);
	jl_bool(j, "t", true);
	jl_bool(j, "f", false);
	jl_str(j, "nil", NULL);
	jl_obj_open(j, "per_thread");
	jl_arr_open(j, "fault");
	jl_num(j, NULL, 1.25, 1);
	jl_num(j, NULL, 2, 3);
	jl_arr_close(j);
	jl_arr_open(j, "compute");
	jl_arr_close(j);
	jl_obj_close(j);
	jl_obj_open(j, "guest");
	jl_obj_close(j);
	assert_string_equal(jl_finish(j),
		"{\"type\":\"result\",\"n\":18446744073709551615,\"rc\":-2,"
		"\"t\":true,\"f\":false,\"nil\":null,\"per_thread\":{\"fault\":"
		"[1.2,2.000],\"compute\":[]},\"guest\":{}}");
	free(j);
}

static void test_numbers(void **state)
{
	struct jl *j = new_jl();

	(void)state;
	jl_begin(j, "n");
	jl_num(j, "nan", NAN, 3);
	jl_num(j, "inf", -INFINITY, 3);
	jl_num(j, "big", 1e300, 3);
	jl_num(j, "neg", -0.5, 0);
	jl_num(j, "prec", 0.123456789123, 99);   /* clamped to 9 */
	assert_string_equal(jl_finish(j),
		"{\"type\":\"n\",\"nan\":null,\"inf\":null,\"big\":1.000000e+300,"
		"\"neg\":-0,\"prec\":0.123456789}");
	free(j);
}

static void test_escaping(void **state)
{
	struct jl *j = new_jl();

	(void)state;
	jl_begin(j, "e");
	jl_str(j, "q", "a\"b\\c\n\t\x01");
	jl_str(j, "utf8", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	/* Bad bytes: a lone continuation, a truncated sequence, an overlong
	 * NUL, a surrogate, a byte never valid in UTF-8. */
	jl_str(j, "bad", "\x80|\xc3|\xc0\x80|\xed\xa0\x80|\xff");
	assert_string_equal(jl_finish(j),
		"{\"type\":\"e\",\"q\":\"a\\\"b\\\\c\\u000a\\u0009\\u0001\","
		"\"utf8\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\","
		"\"bad\":\"\\ufffd|\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|"
		"\\ufffd\"}");
	free(j);
}

static void test_overflow(void **state)
{
	struct jl *j = new_jl();
	int i;

	(void)state;
	jl_begin(j, "big");
	jl_arr_open(j, "a");
	for (i = 0; i < JL_MAX; i++)
		jl_u64(j, NULL, 1234567);
	jl_arr_close(j);
	assert_true(j->len < JL_MAX);
	assert_null(jl_finish(j));
	/* Unbalanced containers are refused too. */
	jl_begin(j, "open");
	jl_obj_open(j, "x");
	assert_null(jl_finish(j));
	jl_begin(j, "close");
	jl_obj_close(j);
	assert_null(jl_finish(j));
	/* Nesting deeper than JL_DEPTH. */
	jl_begin(j, "deep");
	for (i = 0; i < JL_DEPTH + 2; i++)
		jl_arr_open(j, i ? NULL : "a");
	assert_true(j->overflow);
	free(j);
}

/* Reads what the writer sent through a pipe. */
static char *emit_via_pipe(int (*fn)(int fd, void *arg), void *arg, int *rc)
{
	int p[2];
	char *buf = calloc(1, 2 * JL_MAX);
	ssize_t n;
	size_t len = 0;

	assert_non_null(buf);
	assert_int_equal(pipe(p), 0);
	*rc = fn(p[1], arg);
	close(p[1]);
	while ((n = read(p[0], buf + len, 2 * JL_MAX - 1 - len)) > 0)
		len += (size_t)n;
	close(p[0]);
	return buf;
}

static int emit_record(int fd, void *arg)
{
	return jl_emit(arg, fd);
}

static int emit_error(int fd, void *arg)
{
	return jl_emit_error(fd, arg);
}

static int emit_done(int fd, void *arg)
{
	return jl_emit_done(fd, *(int *)arg);
}

static void test_emit(void **state)
{
	struct jl *j = new_jl();
	char *out, *huge;
	int rc, two = 2;

	(void)state;
	jl_begin(j, "fill");
	jl_num(j, "seconds", 0.5, 6);
	out = emit_via_pipe(emit_record, j, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "APFWL {\"type\":\"fill\",\"seconds\":0.500000}\n");
	free(out);

	out = emit_via_pipe(emit_error, "no \"buffer\"", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out,
		"APFWL {\"type\":\"error\",\"message\":\"no \\\"buffer\\\"\"}\n");
	free(out);

	out = emit_via_pipe(emit_done, &two, &rc);
	assert_string_equal(out, "APFWL {\"type\":\"done\",\"rc\":2}\n");
	free(out);

	/* An overflowed record becomes an error record, not a cut line. */
	jl_begin(j, "big");
	jl_arr_open(j, "a");
	for (rc = 0; rc < JL_MAX; rc++)
		jl_u64(j, NULL, 1);
	jl_arr_close(j);
	out = emit_via_pipe(emit_record, j, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "APFWL {\"type\":\"error\",\"message\":"
			    "\"internal: output record too long\"}\n");
	free(out);

	/* A message longer than a record is shortened with "...". */
	huge = malloc(3 * JL_MAX);
	assert_non_null(huge);
	memset(huge, '"', 3 * JL_MAX - 1);
	huge[3 * JL_MAX - 1] = '\0';
	out = emit_via_pipe(emit_error, huge, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "\\\"...\"}\n"));
	assert_true(strlen(out) < JL_MAX);
	free(out);
	free(huge);
	free(j);
}

static void test_emit_closed_fd(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	close(p[1]);
	assert_int_equal(jl_emit_done(p[1], 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_emit),
		cmocka_unit_test(test_emit_closed_fd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
