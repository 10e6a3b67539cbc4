/* SPDX-License-Identifier: GPL-2.0-only */
/* "APFWL <json>" lines that bench/workload prints on the guest console. */
#ifndef BENCH_APFWL_H
#define BENCH_APFWL_H

#include <stddef.h>

struct json_object;

enum apfwl_type {
	APFWL_BOOT,		/* /init is running */
	APFWL_START,		/* parameters: threads, mb, pages, mode */
	APFWL_FILL,		/* the buffer is populated (and swapped out) */
	APFWL_INTERVAL,		/* periodic rates and totals */
	APFWL_WINDOW,		/* the measured window opens */
	APFWL_RESULT,		/* totals and guest counters */
	APFWL_DONE,		/* exit status; poweroff follows */
	APFWL_ERROR,		/* the workload failed */
	APFWL_OTHER,		/* a type this harness does not know */
};

struct apfwl_event {
	enum apfwl_type type;
	struct json_object *obj;	/* the whole object; caller puts it */
};

/* One console line (no newline; a trailing CR and blanks are ignored).
 * The marker may follow other text: kernel messages interleave on a serial
 * console.  Returns 1 with *ev filled, 0 when the line has no marker,
 * -EINVAL for a marker followed by anything but one complete JSON object
 * with a string "type" (garbage, or a line cut short). */
int apfwl_parse_line(const char *line, size_t len, struct apfwl_event *ev);
const char *apfwl_type_name(enum apfwl_type t);

/* Number fields of an event object: the value of key (a dotted path such as
 * "guest.page_not_present"), or def when absent or not a number. */
double apfwl_num(struct json_object *obj, const char *path, double def);
/* The same, telling whether it was there: 0 or -ENOENT. */
int apfwl_get_num(struct json_object *obj, const char *path, double *out);

#endif
