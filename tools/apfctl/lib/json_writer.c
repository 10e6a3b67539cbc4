// SPDX-License-Identifier: GPL-2.0-only
/* Hand-written rather than a library: json-c builds whole trees in memory,
 * while stats output streams per VM; this is the same ~200 lines bpftool
 * carries for the same reason. */
#include "json_writer.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"

#define JSONW_DEPTH_MAX 64

struct json_writer {
	FILE *out;
	unsigned int depth;
	bool pretty;
	bool sep;		/* a value precedes: the next one needs "," */
	char stack[JSONW_DEPTH_MAX];	/* closing char per open container */
};

json_writer_t *jsonw_new(FILE *f)
{
	json_writer_t *w = calloc(1, sizeof(*w));

	if (w)
		w->out = f;
	return w;
}

void jsonw_pretty(json_writer_t *self, bool on)
{
	self->pretty = on;
}

static void jsonw_indent(json_writer_t *self)
{
	unsigned int i;

	for (i = 0; i < self->depth; i++)
		fputs("  ", self->out);
}

static void jsonw_eol(json_writer_t *self)
{
	if (!self->pretty)
		return;
	putc('\n', self->out);
	jsonw_indent(self);
}

/* Separator before a new element of an array or a new member name. */
static void jsonw_eor(json_writer_t *self)
{
	if (self->sep)
		putc(',', self->out);
	self->sep = true;
}

/* RFC 8259 wants UTF-8: a byte that is not part of a valid character is
 * written as U+FFFD.  C1 and the invisible format controls (bidi
 * overrides...) are written as \\uXXXX: the same string to a parser, and
 * nothing that reorders or drives a terminal that shows the document. */
static void jsonw_puts(json_writer_t *self, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putc('"', self->out);
	while (*p) {
		uint32_t cp;
		size_t n;

		switch (*p) {
		case '"':  fputs("\\\"", self->out); p++; continue;
		case '\\': fputs("\\\\", self->out); p++; continue;
		case '\b': fputs("\\b", self->out); p++; continue;
		case '\f': fputs("\\f", self->out); p++; continue;
		case '\n': fputs("\\n", self->out); p++; continue;
		case '\r': fputs("\\r", self->out); p++; continue;
		case '\t': fputs("\\t", self->out); p++; continue;
		default: break;
		}
		n = apf_utf8_char((const char *)p, strnlen((const char *)p, 4), &cp);
		if (!n) {
			fputs("\\ufffd", self->out);
			p++;
		} else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
			   apf_is_format_control(cp)) {
			fprintf(self->out, "\\u%04x", (unsigned int)cp);
			p += n;
		} else if (n == 1) {
			putc(*p++, self->out);
		} else {
			fwrite(p, 1, n, self->out);
			p += n;
		}
	}
	putc('"', self->out);
}

/* Called before every value: arrays need a separator, names already
 * wrote theirs. */
static void jsonw_before_value(json_writer_t *self)
{
	if (self->depth && self->stack[self->depth - 1] == ']') {
		jsonw_eor(self);
		jsonw_eol(self);
	}
}

void jsonw_name(json_writer_t *self, const char *name)
{
	jsonw_eor(self);
	jsonw_eol(self);
	jsonw_puts(self, name);
	putc(':', self->out);
	if (self->pretty)
		putc(' ', self->out);
}

static void jsonw_open(json_writer_t *self, char open, char close)
{
	jsonw_before_value(self);
	putc(open, self->out);
	if (self->depth < JSONW_DEPTH_MAX)
		self->stack[self->depth] = close;
	self->depth++;
	self->sep = false;
}

static void jsonw_close(json_writer_t *self)
{
	char close = '}';
	bool empty = !self->sep;

	if (!self->depth)
		return;
	self->depth--;
	if (self->depth < JSONW_DEPTH_MAX)
		close = self->stack[self->depth];
	if (!empty)
		jsonw_eol(self);
	putc(close, self->out);
	self->sep = true;
	if (!self->depth)
		putc('\n', self->out);	/* one document per line */
}

void jsonw_start_object(json_writer_t *self) { jsonw_open(self, '{', '}'); }
void jsonw_end_object(json_writer_t *self) { jsonw_close(self); }
void jsonw_start_array(json_writer_t *self) { jsonw_open(self, '[', ']'); }
void jsonw_end_array(json_writer_t *self) { jsonw_close(self); }

void jsonw_string(json_writer_t *self, const char *value)
{
	jsonw_before_value(self);
	jsonw_puts(self, value ? value : "");
}

void jsonw_uint(json_writer_t *self, uint64_t value)
{
	jsonw_before_value(self);
	fprintf(self->out, "%" PRIu64, value);
}

void jsonw_int(json_writer_t *self, int64_t value)
{
	jsonw_before_value(self);
	fprintf(self->out, "%" PRId64, value);
}

void jsonw_float(json_writer_t *self, double value)
{
	jsonw_before_value(self);
	if (isfinite(value))
		fprintf(self->out, "%.3f", value);
	else
		fputs("null", self->out);
}

void jsonw_bool(json_writer_t *self, bool value)
{
	jsonw_before_value(self);
	fputs(value ? "true" : "false", self->out);
}

void jsonw_null(json_writer_t *self)
{
	jsonw_before_value(self);
	fputs("null", self->out);
}

void jsonw_string_field(json_writer_t *self, const char *name, const char *value)
{
	jsonw_name(self, name);
	jsonw_string(self, value);
}

void jsonw_uint_field(json_writer_t *self, const char *name, uint64_t value)
{
	jsonw_name(self, name);
	jsonw_uint(self, value);
}

void jsonw_int_field(json_writer_t *self, const char *name, int64_t value)
{
	jsonw_name(self, name);
	jsonw_int(self, value);
}

void jsonw_float_field(json_writer_t *self, const char *name, double value)
{
	jsonw_name(self, name);
	jsonw_float(self, value);
}

void jsonw_bool_field(json_writer_t *self, const char *name, bool value)
{
	jsonw_name(self, name);
	jsonw_bool(self, value);
}

void jsonw_null_field(json_writer_t *self, const char *name)
{
	jsonw_name(self, name);
	jsonw_null(self);
}

void jsonw_destroy(json_writer_t **self)
{
	if (!*self)
		return;
	while ((*self)->depth)
		jsonw_close(*self);
	fflush((*self)->out);
	free(*self);
	*self = NULL;
}
