/* SPDX-License-Identifier: GPL-2.0-only */
/* "key value" files: /proc/vmstat, memory.stat, memory.events, meminfo. */
#ifndef BENCH_PROCSTAT_H
#define BENCH_PROCSTAT_H

#include <stdint.h>

/* The value of key in text ("key 123\n" or "key:  123 kB\n" lines); 0 or
 * -ENOENT.  Only whole keys match ("pgmajfault" is not "pgmajfault_x"). */
int bench_keyed_value(const char *text, const char *key, uint64_t *out);
/* The same from a file at an absolute path (not sysroot-resolved). */
int bench_keyed_file(const char *path, const char *key, uint64_t *out);
/* /proc/vmstat under the sysroot. */
int bench_vmstat(const char *key, uint64_t *out);

#endif
