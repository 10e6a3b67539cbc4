/* SPDX-License-Identifier: GPL-2.0-only */
/* The benchmark's modes and the order the runs take. */
#ifndef BENCH_SCHEDULE_H
#define BENCH_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

enum bench_mode {
	BENCH_MODE_PV,		/* APF on: the guest takes "page not present" */
	BENCH_MODE_HALT,	/* guest no-kvmapf: the host halts the vCPU */
	BENCH_MODE_OFF,		/* host or VM switch off: synchronous faults */
	BENCH_MODE_BASELINE,	/* no memory limit: no host faults at all */
	BENCH_MODE_COUNT,
};

const char *bench_mode_name(enum bench_mode m);
/* "pv" -> BENCH_MODE_PV; -1 for an unknown name. */
int bench_mode_parse(const char *name);
/* A comma-separated list ("pv,off"), no repeats, at least one.  0 or
 * -EINVAL with bad (cap bytes) naming the offending word. */
int bench_modes_parse(const char *list, enum bench_mode *modes, size_t *n,
		      char *bad, size_t cap);

struct bench_slot {
	enum bench_mode mode;
	int rep;		/* 0-based repetition */
	int order;		/* 0-based position in the whole sequence */
};

/* reps blocks of the n modes, each mode once per block (a randomized
 * complete block design), so slow drift (page cache, fragmentation,
 * temperature, the machine's other load) hits every mode alike.  Each run
 * of n consecutive blocks is a Latin square with its symbols, rows and
 * columns shuffled: there every mode takes every position in the block
 * once, so no mode always runs first after another.  The order follows
 * from seed alone (the same on every machine).  out holds n * reps slots;
 * n <= BENCH_MODE_COUNT. */
void bench_schedule(const enum bench_mode *modes, size_t n, int reps,
		    uint64_t seed, struct bench_slot *out);

#endif
