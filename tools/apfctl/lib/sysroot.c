// SPDX-License-Identifier: GPL-2.0-only
#include "sysroot.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static char sysroot_dir[APF_PATH_MAX / 2] = "";

int apf_sysroot_set(const char *dir)
{
	size_t n;

	if (dir && strlen(dir) >= sizeof(sysroot_dir))
		return -ENAMETOOLONG;
	snprintf(sysroot_dir, sizeof(sysroot_dir), "%s", dir ? dir : "");
	/* Drop trailing slashes so "%s%s" joins with exactly one; "/", "//"
	 * and the like end up "": the live system, not a fixture at "/". */
	n = strlen(sysroot_dir);
	while (n > 0 && sysroot_dir[n - 1] == '/')
		sysroot_dir[--n] = '\0';
	return 0;
}

const char *apf_sysroot(void)
{
	return sysroot_dir[0] ? sysroot_dir : "/";
}

bool apf_sysroot_is_live(void)
{
	return sysroot_dir[0] == '\0';
}

int apf_path(char *buf, size_t len, const char *fmt, ...)
{
	char rel[APF_PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(rel))
		return -ENAMETOOLONG;
	n = snprintf(buf, len, "%s%s", sysroot_dir, rel);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}
