/* SPDX-License-Identifier: GPL-2.0-only */
/* Bounded, error-returning readers for small kernel files. */
#ifndef APF_FILEIO_H
#define APF_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* All functions take real (already sysroot-resolved) paths and return
 * 0 / a length on success or a negative errno; they never abort. */

/* Read at most cap-1 bytes and NUL-terminate.  Returns bytes read. */
ssize_t apf_read_file(const char *path, char *buf, size_t cap);
/* Read a whole file of any size into a malloc'd NUL-terminated buffer,
 * refusing files over limit bytes (-EFBIG).  Caller frees *out. */
ssize_t apf_slurp(const char *path, size_t limit, char **out);
/* Read one unsigned decimal value (debugfs/sysfs style). */
int apf_read_u64(const char *path, uint64_t *out);
/* Write s to path (sysfs switch); maps short writes to -EIO. */
int apf_write_file(const char *path, const char *s);
bool apf_is_file(const char *path);
bool apf_is_dir(const char *path);

/* Strict parsers used by every reader (fuzzed):
 * decimal u64, optional leading blanks, optional trailing whitespace,
 * -ERANGE past 2^64-1, -EINVAL for anything else. */
int apf_parse_u64(const char *s, uint64_t *out);
/* Same for signed decimal int in [min, max]. */
int apf_parse_int(const char *s, long min, long max, long *out);
/* Sysfs boolean: Y/N/1/0 (module params print Y/N). */
int apf_parse_bool(const char *s, bool *out);

#endif
