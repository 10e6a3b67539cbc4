/* SPDX-License-Identifier: GPL-2.0-only */
/* The guest's serial console: splitting the byte stream into lines, and
 * spotting the lines that mean the guest kernel crashed or locked up. */
#ifndef BENCH_CONSOLE_H
#define BENCH_CONSOLE_H

#include <stddef.h>

/* A line longer than this is handed on in pieces of this size. */
#define BENCH_LINE_MAX 65536

struct bench_lines {
	char buf[BENCH_LINE_MAX];
	size_t len;
};

typedef void (*bench_line_cb)(const char *line, size_t len, void *arg);

/* Feed n bytes; cb gets every complete line without its "\n" or "\r\n". */
void bench_lines_feed(struct bench_lines *l, const char *data, size_t n,
		      bench_line_cb cb, void *arg);
/* The unterminated rest at end of stream, if any. */
void bench_lines_flush(struct bench_lines *l, bench_line_cb cb, void *arg);

/* What kind of crash a guest console line reports ("kernel panic",
 * "soft lockup", ...), or NULL for an ordinary line.  Workload lines
 * (APFWL ...) never count. */
const char *bench_crash_kind(const char *line, size_t len);
/* The same for QEMU's own stderr ("KVM internal error", ...). */
const char *bench_qemu_crash_kind(const char *text);

#endif
