// SPDX-License-Identifier: GPL-2.0-only
#include "apfwl.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#define MARKER "APFWL "

static const char *const type_names[] = {
	[APFWL_BOOT] = "boot",
	[APFWL_START] = "start",
	[APFWL_FILL] = "fill",
	[APFWL_INTERVAL] = "interval",
	[APFWL_WINDOW] = "window",
	[APFWL_RESULT] = "result",
	[APFWL_DONE] = "done",
	[APFWL_ERROR] = "error",
	[APFWL_OTHER] = "other",
};

const char *apfwl_type_name(enum apfwl_type t)
{
	return (unsigned)t <= APFWL_OTHER ? type_names[t] : "?";
}

static enum apfwl_type type_of(const char *s)
{
	for (int t = 0; t < APFWL_OTHER; t++)
		if (!strcmp(s, type_names[t]))
			return (enum apfwl_type)t;
	return APFWL_OTHER;
}

/* memmem for the marker, bounded by len (the line is not NUL-terminated). */
static const char *find_marker(const char *line, size_t len)
{
	return memmem(line, len, MARKER, sizeof(MARKER) - 1);
}

int apfwl_parse_line(const char *line, size_t len, struct apfwl_event *ev)
{
	const char *m = find_marker(line, len), *p, *end = line + len;
	struct json_tokener *tok;
	struct json_object *obj, *type;
	size_t used;

	if (!m)
		return 0;
	p = m + sizeof(MARKER) - 1;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\n'))
		end--;
	if (p == end || *p != '{' || end - p > 1 << 20)
		return -EINVAL;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	/* The workload prints plain JSON: trailing commas and the like mean
	 * a garbled line. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, p, (int)(end - p));
	used = tok->char_offset;
	/* A truncated line leaves the tokener waiting for more (continue). */
	if (!obj || json_tokener_get_error(tok) != json_tokener_success ||
	    used != (size_t)(end - p)) {
		json_object_put(obj);
		json_tokener_free(tok);
		return -EINVAL;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, "type", &type) ||
	    !json_object_is_type(type, json_type_string)) {
		json_object_put(obj);
		return -EINVAL;
	}
	ev->type = type_of(json_object_get_string(type));
	ev->obj = obj;
	return 1;
}

int apfwl_get_num(struct json_object *obj, const char *path, double *out)
{
	char key[64];
	const char *p = path;

	while (obj) {
		size_t n = strcspn(p, ".");
		struct json_object *next;

		if (n >= sizeof(key) || !json_object_is_type(obj, json_type_object))
			return -ENOENT;
		memcpy(key, p, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(obj, key, &next))
			return -ENOENT;
		if (!p[n]) {
			if (!json_object_is_type(next, json_type_int) &&
			    !json_object_is_type(next, json_type_double))
				return -ENOENT;
			*out = json_object_get_double(next);
			return 0;
		}
		obj = next;
		p += n + 1;
	}
	return -ENOENT;
}

double apfwl_num(struct json_object *obj, const char *path, double def)
{
	double v;

	return apfwl_get_num(obj, path, &v) ? def : v;
}
