/* SPDX-License-Identifier: GPL-2.0-only */
/* Path resolution under --sysroot, so fixtures stand in for /sys and /proc. */
#ifndef APF_SYSROOT_H
#define APF_SYSROOT_H

#include <stdbool.h>
#include <stddef.h>

#define APF_PATH_MAX 512

/* dir == NULL or "/" means the live system.  -ENAMETOOLONG (and the
 * sysroot unchanged) when dir does not fit: a cut path would read another
 * tree. */
int apf_sysroot_set(const char *dir);
/* apf_sysroot_set() returns an error (code built against older libapf,
 * where it returned nothing, tests for this). */
#define APF_SYSROOT_SET_CHECKS 1
const char *apf_sysroot(void);
bool apf_sysroot_is_live(void);

/* Format fmt (an absolute path such as "/proc/%d/cmdline") under the
 * sysroot into buf.  Returns 0, or -ENAMETOOLONG. */
int apf_path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
