/* SPDX-License-Identifier: GPL-2.0-only */
/* Exit codes and one-line messages of apf-bench. */
#ifndef BENCH_LOG_H
#define BENCH_LOG_H

enum bench_exit {
	BENCH_EXIT_OK = 0,
	BENCH_EXIT_RUNTIME = 1,		/* some runs failed (results written) */
	BENCH_EXIT_USAGE = 2,
	BENCH_EXIT_UNSUPPORTED = 3,	/* no usable KVM, cgroup v2, QEMU... */
	BENCH_EXIT_PERM = 4,		/* not root */
	BENCH_EXIT_SWAP = 5,		/* no disk swap, or zram ahead of it */
	BENCH_EXIT_BUSY = 6,		/* the machine stayed busy */
	BENCH_EXIT_DIRTY = 7,		/* uncommitted changes in the sources */
};

/* "apf-bench: error: ..." on stderr. */
void bench_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "apf-bench: warning: ..." on stderr. */
void bench_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress on stderr ("apf-bench: ..."); stdout stays for results. */
void bench_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* bench_err and return code, for "return bench_fail(2, ...)". */
int bench_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
