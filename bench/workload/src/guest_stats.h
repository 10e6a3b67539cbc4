/* SPDX-License-Identifier: GPL-2.0-only */
/* What the guest kernel saw of async page faults during the measured phase.
 * Every source is optional: a stock guest has no /sys/kernel/kvm_async_pf,
 * a non-x86 guest has no HYP line; missing sources leave keys out. */
#ifndef APFWL_GUEST_STATS_H
#define APFWL_GUEST_STATS_H

#include <stdbool.h>
#include <stdint.h>

struct jl;

/* /sys/kernel/kvm_async_pf counters of the APF Suite guest kernel. */
enum gs_apf_counter {
	GS_PAGE_NOT_PRESENT,
	GS_PAGE_READY,
	GS_WAKE_BEFORE_WAIT,
	GS_WAIT_NS_TOTAL,
	GS_WAIT_NS_MAX,         /* reported absolute, not as a delta */
	GS_APF_ENABLED,         /* reported absolute */
	GS_APF_COUNT,
};

struct guest_stats {
	bool have_apf[GS_APF_COUNT];
	uint64_t apf[GS_APF_COUNT];
	bool have_hyp;
	uint64_t hyp;           /* HYP interrupts summed over CPUs */
	bool have_pgmajfault;
	uint64_t pgmajfault;
	bool have_cmdline;
	bool no_kvmapf;         /* guest command line has no-kvmapf */
};

/* Reads every source under sysroot ("" for the real /proc and /sys). */
void gs_sample(const char *sysroot, struct guest_stats *gs);
/* Adds "guest":{...} with after - before deltas (absolute for the gauges). */
void gs_emit(struct jl *j, const struct guest_stats *before,
	     const struct guest_stats *after);

/* Parsers, exposed for the unit tests.  All return 0 or -1 (not found or
 * malformed), never touching *out on failure. */
int gs_parse_hyp(const char *interrupts, uint64_t *out);
int gs_parse_vmstat(const char *vmstat, const char *key, uint64_t *out);
int gs_parse_u64(const char *text, uint64_t *out);
bool gs_cmdline_has(const char *cmdline, const char *word);
/* Reads a whole file (up to 4 MiB) as a NUL-terminated string; NULL if it
 * cannot.  The caller frees it. */
char *gs_read_file(const char *path);

#endif
