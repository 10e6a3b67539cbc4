// SPDX-License-Identifier: GPL-2.0-only
#include "kernels.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "kexec_pick.h"

enum apf_flavour apf_kernel_classify(const char *v, unsigned long *build)
{
	const char *p = NULL, *s, *q;
	unsigned long b = 0;

	*build = 0;
	/* The last "-apf" is the suite's marker: "X-apf[N]-(host|guest)". */
	for (s = strstr(v, "-apf"); s; s = strstr(s + 1, "-apf"))
		p = s;
	if (!p || p == v)
		return APF_FLAVOUR_NONE;
	q = p + 4;
	if (isdigit((unsigned char)*q)) {
		if (*q == '0')
			return APF_FLAVOUR_NONE;	/* builds count from 1 */
		for (; isdigit((unsigned char)*q); q++) {
			if (b > 100000000UL)
				return APF_FLAVOUR_NONE;
			b = b * 10 + (unsigned long)(*q - '0');
		}
	}
	if (!isdigit((unsigned char)v[0]))
		return APF_FLAVOUR_NONE;
	if (!strcmp(q, "-host")) {
		*build = b;
		return APF_FLAVOUR_HOST;
	}
	if (!strcmp(q, "-guest")) {
		*build = b;
		return APF_FLAVOUR_GUEST;
	}
	return APF_FLAVOUR_NONE;
}

const char *apf_flavour_name(enum apf_flavour f)
{
	return f == APF_FLAVOUR_HOST ? "host" : f == APF_FLAVOUR_GUEST ? "guest" : "none";
}

int apf_flavour_parse(const char *s, enum apf_flavour *f)
{
	if (!strcmp(s, "host"))
		*f = APF_FLAVOUR_HOST;
	else if (!strcmp(s, "guest"))
		*f = APF_FLAVOUR_GUEST;
	else
		return -EINVAL;
	return 0;
}

static int by_version(const void *a, const void *b)
{
	return strverscmp(((const struct apf_kernel *)a)->version,
			  ((const struct apf_kernel *)b)->version);
}

int apf_kernels_scan(const char *bootdir, struct apf_kernel **out, size_t *n,
		     char *err, size_t errcap)
{
	struct apf_kernel *k = NULL;
	size_t len = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*n = 0;
	err[0] = '\0';
	d = opendir(bootdir);
	if (!d) {
		int e = errno;

		snprintf(err, errcap, "%s: %s", bootdir, apf_strerror(e));
		return -e;
	}
	while ((de = readdir(d))) {
		const char *v = de->d_name + 8;
		char path[1024];
		int w;

		if (strncmp(de->d_name, "vmlinuz-", 8) || apf_kernel_version_skipped(v) ||
		    strlen(v) >= sizeof(k->version))
			continue;
		w = snprintf(path, sizeof(path), "%s/%s", bootdir, de->d_name);
		if (w < 0 || (size_t)w >= sizeof(path) || !apf_is_regular(path))
			continue;
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct apf_kernel *nk = realloc(k, ncap * sizeof(*k));

			if (!nk) {
				free(k);
				closedir(d);
				snprintf(err, errcap, "out of memory");
				return -ENOMEM;
			}
			k = nk;
			cap = ncap;
		}
		memset(&k[len], 0, sizeof(k[len]));
		snprintf(k[len].version, sizeof(k[len].version), "%s", v);
		k[len].flavour = apf_kernel_classify(v, &k[len].build);
		len++;
	}
	closedir(d);
	if (len)
		qsort(k, len, sizeof(*k), by_version);
	*out = k;
	*n = len;
	return 0;
}

int apf_flavour_default(const struct apf_kernel *k, size_t n, const char *running,
			enum apf_flavour *f, char *err, size_t errcap)
{
	bool host = false, guest = false;
	unsigned long b;
	size_t i;

	err[0] = '\0';
	*f = running ? apf_kernel_classify(running, &b) : APF_FLAVOUR_NONE;
	if (*f != APF_FLAVOUR_NONE)
		return 0;
	for (i = 0; i < n; i++) {
		host |= k[i].flavour == APF_FLAVOUR_HOST;
		guest |= k[i].flavour == APF_FLAVOUR_GUEST;
	}
	if (host && guest) {
		snprintf(err, errcap, "both host and guest APF kernels are installed and the "
			 "running kernel is neither: choose one with --flavour host|guest");
		return -EINVAL;
	}
	*f = host ? APF_FLAVOUR_HOST : guest ? APF_FLAVOUR_GUEST : APF_FLAVOUR_NONE;
	return 0;
}

static bool matches(const struct apf_kernel *k, const struct apf_target_req *req)
{
	if (req->any_kernel)
		return true;
	if (k->flavour == APF_FLAVOUR_NONE)
		return false;
	return req->flavour == APF_FLAVOUR_NONE || k->flavour == req->flavour;
}

const struct apf_kernel *apf_target(const struct apf_kernel *k, size_t n,
				    const struct apf_target_req *req, const char **note)
{
	const struct apf_kernel *newest = NULL;
	bool pin_missing = false;
	size_t i;

	if (req->pin) {
		/* The operator's explicit choice: any installed kernel. */
		for (i = 0; i < n; i++)
			if (!strcmp(k[i].version, req->pin)) {
				*note = "pinned";
				return &k[i];
			}
		pin_missing = true;
	}
	for (i = 0; i < n; i++)
		if (matches(&k[i], req))
			newest = &k[i];	/* sorted oldest first */
	if (pin_missing)
		*note = req->any_kernel ? "the pinned kernel is not installed; newest kernel" :
			"the pinned kernel is not installed; newest APF kernel";
	else
		*note = req->any_kernel ? "newest kernel" : "newest APF kernel";
	return newest;
}
