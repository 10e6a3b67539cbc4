/* SPDX-License-Identifier: GPL-2.0-only */
/* /proc/swaps: which swap devices are active, and whether swap-ins can go
 * asynchronous.  zram swaps in synchronously (a memory copy inside the
 * fault), so a zram-only host produces no async page faults at all. */
#ifndef BENCH_SWAPS_H
#define BENCH_SWAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_SWAP_MAX 32

struct bench_swap {
	char name[256];		/* unescaped path */
	char type[16];		/* "partition" or "file" */
	uint64_t size_kb, used_kb;
	long prio;
	bool zram;
};

struct bench_swaps {
	struct bench_swap dev[BENCH_SWAP_MAX];
	size_t n;
};

enum bench_swap_verdict {
	BENCH_SWAP_OK,		/* the highest-priority swap is a disk or file */
	BENCH_SWAP_NONE,
	BENCH_SWAP_ZRAM_ONLY,
	BENCH_SWAP_ZRAM_FIRST,	/* a zram at or above the best disk swap */
};

/* Parse /proc/swaps text.  Lines that do not parse are skipped; -EINVAL if
 * the header is missing (not a swaps file). */
int bench_swaps_parse(const char *text, struct bench_swaps *s);
/* Read <sysroot>/proc/swaps. */
int bench_swaps_read(struct bench_swaps *s);
/* The verdict; *disk and *zram (may be NULL) get the highest-priority disk
 * swap and zram swap, or NULL when there is none. */
enum bench_swap_verdict bench_swaps_verdict(const struct bench_swaps *s,
					    const struct bench_swap **disk,
					    const struct bench_swap **zram);

#endif
