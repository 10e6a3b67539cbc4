// SPDX-License-Identifier: GPL-2.0-only
/* Bounded JSON writer: never allocates, never writes past buf; anything that
 * does not fit marks the record as overflowed instead. */
#include "jsonl.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void put(struct jl *j, const char *s, size_t n)
{
	if (j->overflow || n >= sizeof(j->buf) - j->len) {
		j->overflow = true;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void puts_(struct jl *j, const char *s)
{
	put(j, s, strlen(s));
}

static void putf(struct jl *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void putf(struct jl *j, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		j->overflow = true;
		return;
	}
	put(j, tmp, (size_t)n);
}

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one.  Input
 * such as a bad command-line argument may be any bytes; JSON must not. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void put_string(struct jl *j, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	put(j, "\"", 1);
	while (*s) {
		size_t n;

		if (*s == '"' || *s == '\\') {
			char esc[2] = { '\\', (char)*s };

			put(j, esc, 2);
			s++;
			continue;
		}
		if (*s < 0x20) {
			putf(j, "\\u%04x", *s);
			s++;
			continue;
		}
		n = utf8_len(s);
		if (n == 0) {
			puts_(j, "\\ufffd");  /* replacement character */
			s++;
			continue;
		}
		put(j, (const char *)s, n);
		s += n;
	}
	put(j, "\"", 1);
}

/* Comma and "key": before a member. */
static void member(struct jl *j, const char *key)
{
	if (j->depth < 1 || j->depth > JL_DEPTH) {
		j->overflow = true;
		return;
	}
	if (!j->first[j->depth - 1])
		put(j, ",", 1);
	j->first[j->depth - 1] = false;
	if (key) {
		put_string(j, key);
		put(j, ":", 1);
	}
}

void jl_begin(struct jl *j, const char *type)
{
	j->len = 0;
	j->buf[0] = '\0';
	j->overflow = false;
	j->depth = 1;
	j->first[0] = true;
	put(j, "{", 1);
	jl_str(j, "type", type);
}

void jl_u64(struct jl *j, const char *key, uint64_t v)
{
	member(j, key);
	putf(j, "%" PRIu64, v);
}

void jl_i64(struct jl *j, const char *key, int64_t v)
{
	member(j, key);
	putf(j, "%" PRId64, v);
}

void jl_num(struct jl *j, const char *key, double v, int decimals)
{
	member(j, key);
	if (!isfinite(v))
		puts_(j, "null");
	else if (fabs(v) >= 1e15)
		putf(j, "%.6e", v);  /* %f of a huge value would not fit tmp */
	else
		putf(j, "%.*f", decimals < 0 ? 0 : decimals > 9 ? 9 : decimals, v);
}

void jl_str(struct jl *j, const char *key, const char *v)
{
	member(j, key);
	if (v)
		put_string(j, v);
	else
		puts_(j, "null");
}

void jl_bool(struct jl *j, const char *key, bool v)
{
	member(j, key);
	puts_(j, v ? "true" : "false");
}

static void open_(struct jl *j, const char *key, const char *bracket)
{
	member(j, key);
	if (j->depth >= JL_DEPTH) {
		j->overflow = true;
		return;
	}
	puts_(j, bracket);
	j->first[j->depth++] = true;
}

static void close_(struct jl *j, const char *bracket)
{
	if (j->depth <= 1) {
		j->overflow = true;
		return;
	}
	j->depth--;
	puts_(j, bracket);
}

void jl_obj_open(struct jl *j, const char *key) { open_(j, key, "{"); }
void jl_obj_close(struct jl *j) { close_(j, "}"); }
void jl_arr_open(struct jl *j, const char *key) { open_(j, key, "["); }
void jl_arr_close(struct jl *j) { close_(j, "]"); }

const char *jl_finish(struct jl *j)
{
	if (j->depth != 1)
		j->overflow = true;
	put(j, "}", 1);
	j->depth = 0;
	return j->overflow ? NULL : j->buf;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int jl_emit(struct jl *j, int fd)
{
	static const char prefix[] = JL_PREFIX;
	const char *json = jl_finish(j);
	char *line;
	size_t n;
	int rc;

	if (!json)
		return jl_emit_error(fd, "internal: output record too long");
	/* Prefix, record and newline in one write (see jsonl.h). */
	n = sizeof(prefix) - 1 + j->len + 1;
	line = malloc(n);
	if (!line)
		return -1;
	memcpy(line, prefix, sizeof(prefix) - 1);
	memcpy(line + sizeof(prefix) - 1, json, j->len);
	line[n - 1] = '\n';
	rc = write_all(fd, line, n);
	free(line);
	return rc;
}

int jl_emit_error(int fd, const char *message)
{
	struct jl *j = malloc(sizeof(*j));
	char cut[4096 + 4];
	int rc;

	if (!j)
		return -1;
	/* Escaping grows a byte to at most 6, so a cut message always fits. */
	if (strlen(message) > 4096) {
		snprintf(cut, sizeof(cut), "%.4093s...", message);
		message = cut;
	}
	jl_begin(j, "error");
	jl_str(j, "message", message);
	rc = jl_emit(j, fd);
	free(j);
	return rc;
}

int jl_emit_done(int fd, int rc)
{
	struct jl *j = malloc(sizeof(*j));
	int ret;

	if (!j)
		return -1;
	jl_begin(j, "done");
	jl_i64(j, "rc", rc);
	ret = jl_emit(j, fd);
	free(j);
	return ret;
}
