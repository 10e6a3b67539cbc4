/* SPDX-License-Identifier: GPL-2.0-only */
/* The benchmark's modes and the order the runs take. */
#ifndef BENCH_SCHEDULE_H
#define BENCH_SCHEDULE_H

#include <stddef.h>

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

/* reps rounds of the n modes, interleaved; round r starts at mode r mod n
 * and goes round, so slow drift (thermal, page cache, fragmentation) hits
 * every mode alike.  out holds n * reps slots. */
void bench_schedule(const enum bench_mode *modes, size_t n, int reps,
		    struct bench_slot *out);

#endif
