// SPDX-License-Identifier: GPL-2.0-only
#include "swaps.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "sysroot.h"

/* /proc/swaps escapes blanks, tabs, newlines and backslashes as \ooo. */
static void unescape(const char *src, char *dst, size_t cap)
{
	size_t o = 0;

	while (*src && o + 1 < cap) {
		if (src[0] == '\\' && src[1] >= '0' && src[1] <= '3' &&
		    src[2] >= '0' && src[2] <= '7' && src[3] >= '0' && src[3] <= '7') {
			dst[o++] = (char)((src[1] - '0') * 64 + (src[2] - '0') * 8 + (src[3] - '0'));
			src += 4;
		} else {
			dst[o++] = *src++;
		}
	}
	dst[o] = '\0';
}

static bool is_zram(const char *name)
{
	const char *base = strrchr(name, '/');

	base = base ? base + 1 : name;
	return !strncmp(base, "zram", 4);
}

static int parse_line(const char *line, struct bench_swap *d)
{
	char name[1024], type[32], tail;
	uint64_t size, used;
	long prio;

	/* Five fields and nothing after them. */
	if (sscanf(line, "%1023s %31s %" SCNu64 " %" SCNu64 " %ld %c",
		   name, type, &size, &used, &prio, &tail) != 5)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	unescape(name, d->name, sizeof(d->name));
	snprintf(d->type, sizeof(d->type), "%.15s", type);
	d->size_kb = size;
	d->used_kb = used;
	d->prio = prio;
	d->zram = is_zram(d->name);
	return 0;
}

int bench_swaps_parse(const char *text, struct bench_swaps *s)
{
	const char *p = text, *nl;
	char line[1400];
	bool header = true;

	memset(s, 0, sizeof(*s));
	if (strncmp(text, "Filename", 8))
		return -EINVAL;
	for (; *p; p = nl ? nl + 1 : p + strlen(p)) {
		size_t len;

		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (header) {
			header = false;
			continue;
		}
		if (len >= sizeof(line) || s->n == BENCH_SWAP_MAX)
			continue;
		memcpy(line, p, len);
		line[len] = '\0';
		if (!parse_line(line, &s->dev[s->n]))
			s->n++;
	}
	return 0;
}

int bench_swaps_read(struct bench_swaps *s)
{
	char path[APF_PATH_MAX], *text = NULL;
	ssize_t r;
	int err;

	if (apf_path(path, sizeof(path), "/proc/swaps"))
		return -ENAMETOOLONG;
	r = apf_slurp(path, 1 << 20, &text);
	if (r < 0)
		return (int)r;
	err = bench_swaps_parse(text, s);
	free(text);
	return err;
}

enum bench_swap_verdict bench_swaps_verdict(const struct bench_swaps *s,
					    const struct bench_swap **disk,
					    const struct bench_swap **zram)
{
	const struct bench_swap *d = NULL, *z = NULL;

	for (size_t i = 0; i < s->n; i++) {
		const struct bench_swap *x = &s->dev[i];

		if (x->zram) {
			if (!z || x->prio > z->prio)
				z = x;
		} else if (!d || x->prio > d->prio) {
			d = x;
		}
	}
	if (disk)
		*disk = d;
	if (zram)
		*zram = z;
	if (!d)
		return z ? BENCH_SWAP_ZRAM_ONLY : BENCH_SWAP_NONE;
	/* Equal priorities are used round-robin: half the swap-ins would be
	 * zram's synchronous ones, so "at or above" refuses too. */
	if (z && z->prio >= d->prio)
		return BENCH_SWAP_ZRAM_FIRST;
	return BENCH_SWAP_OK;
}
