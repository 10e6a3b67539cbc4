/* SPDX-License-Identifier: GPL-2.0-only */
/* Running a helper program (QEMU probes, apfctl, gnuplot) with a deadline,
 * optional text on its stdin, and its output captured. */
#ifndef BENCH_CAPTURE_H
#define BENCH_CAPTURE_H

#include <stddef.h>

struct bench_capture {
	int status;	/* exit code, 128+signal, or -1 when it never ran */
	int err;	/* 0, -ETIMEDOUT (killed), -ENOENT (not found), -errno */
	char *out;	/* stdout, malloc'd, NUL-terminated (maybe cut) */
	size_t out_len;
	char errout[2048];	/* stderr, cut at the size */
};

/* argv[0] is looked up in PATH.  input (may be NULL) is written to the
 * child's stdin, then stdin is closed.  out is kept up to out_cap bytes.
 * The child runs in its own process group, killed whole on timeout.
 * Returns c->err.  bench_capture_free releases c->out. */
int bench_capture_run(const char *const argv[], const char *input,
		      int timeout_ms, size_t out_cap, struct bench_capture *c);
void bench_capture_free(struct bench_capture *c);
/* The last non-empty line of text, trimmed, into dst. */
void bench_last_line(const char *text, char *dst, size_t cap);

#endif
