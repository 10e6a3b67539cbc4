// SPDX-License-Identifier: GPL-2.0-only
#include "procstat.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "sysroot.h"

int bench_keyed_value(const char *text, const char *key, uint64_t *out)
{
	size_t k = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, k) && (p[k] == ' ' || p[k] == ':' || p[k] == '\t')) {
			char num[32];
			size_t n;

			p += k + (p[k] == ':');
			while (*p == ' ' || *p == '\t')
				p++;
			n = strspn(p, "0123456789");
			if (!n || n >= sizeof(num))
				return -ENOENT;
			memcpy(num, p, n);
			num[n] = '\0';
			return apf_parse_u64(num, out) ? -ENOENT : 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

int bench_keyed_file(const char *path, const char *key, uint64_t *out)
{
	char *text = NULL;
	ssize_t r = apf_slurp(path, 1 << 20, &text);
	int err;

	if (r < 0)
		return (int)r;
	err = bench_keyed_value(text, key, out);
	free(text);
	return err;
}

int bench_vmstat(const char *key, uint64_t *out)
{
	char path[APF_PATH_MAX];

	if (apf_path(path, sizeof(path), "/proc/vmstat"))
		return -ENAMETOOLONG;
	return bench_keyed_file(path, key, out);
}
