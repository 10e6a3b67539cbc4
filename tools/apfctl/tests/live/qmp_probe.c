// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test driver for the live tests: calls lib/qmp.c and lib/libvirt_stats.c
 * directly and prints one fact per line, so test_qmp_libvirt.py can check
 * them against a real QEMU and a real libvirtd.  Built by the test itself
 * (see test_qmp_libvirt.py).  Exit status: 0, or the errno of the failure.
 *
 *   qmp_probe stats SOCKET [all]
 *   qmp_probe qom-get SOCKET PATH PROP
 *   qmp_probe qom-set SOCKET PATH PROP 0|1
 *   qmp_probe libvirt [URI|-] [all]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvirt_stats.h"
#include "qmp.h"

#define TIMEOUT_MS 3000

static int fail(int r, const char *what, const char *msg)
{
	printf("error %d %s: %s\n", -r, what, msg ? msg : "");
	return -r > 0 && -r < 256 ? -r : 1;
}

static void print_counters(const char *prefix, const struct apf_counters *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		printf("%s %s %llu\n", prefix, c->v[i].name,
		       (unsigned long long)c->v[i].value);
}

static int do_stats(const char *sock, bool all)
{
	struct apf_counters vm = { 0 };
	struct apf_qmp_vcpu_stats *v = NULL;
	size_t n = 0, i;
	int r;
	struct apf_qmp *q = apf_qmp_open(sock, TIMEOUT_MS, &r);

	if (!q)
		return fail(r, "open", "");
	r = apf_qmp_query_stats(q, all, &vm, &v, &n);
	if (r) {
		r = fail(r, "query-stats", apf_qmp_last_error(q));
		apf_qmp_close(q);
		return r;
	}
	print_counters("vm", &vm);
	for (i = 0; i < n; i++) {
		char p[32];

		snprintf(p, sizeof(p), "vcpu %d", v[i].index);
		print_counters(p, &v[i].counters);
	}
	apf_counters_free(&vm);
	apf_qmp_vcpu_stats_free(v, n);
	apf_qmp_close(q);
	return 0;
}

static int do_qom(const char *sock, const char *path, const char *prop,
		  const char *set)
{
	bool b = false;
	int r;
	struct apf_qmp *q = apf_qmp_open(sock, TIMEOUT_MS, &r);

	if (!q)
		return fail(r, "open", "");
	if (set)
		r = apf_qmp_qom_set_bool(q, path, prop, !strcmp(set, "1"));
	else
		r = apf_qmp_qom_get_bool(q, path, prop, &b);
	if (r)
		r = fail(r, set ? "qom-set" : "qom-get", apf_qmp_last_error(q));
	else if (!set)
		printf("bool %d\n", b);
	apf_qmp_close(q);
	return r;
}

static int do_libvirt(const char *uri, bool all)
{
	struct apf_libvirt_domain *d = NULL;
	size_t n = 0, i, k;
	int r = apf_libvirt_domain_stats(uri, all, &d, &n);

	if (r)
		return fail(r, "libvirt", apf_libvirt_last_error());
	for (i = 0; i < n; i++) {
		char p[200];

		printf("domain %s %d\n", d[i].name, d[i].id);
		snprintf(p, sizeof(p), "dvm %s", d[i].name);
		print_counters(p, &d[i].vm);
		for (k = 0; k < d[i].nvcpus; k++) {
			snprintf(p, sizeof(p), "dvcpu %s %d", d[i].name,
				 d[i].vcpus[k].index);
			print_counters(p, &d[i].vcpus[k].counters);
		}
	}
	apf_libvirt_domains_free(d, n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "stats"))
		return do_stats(argv[2], argc > 3 && !strcmp(argv[3], "all"));
	if (argc == 5 && !strcmp(argv[1], "qom-get"))
		return do_qom(argv[2], argv[3], argv[4], NULL);
	if (argc == 6 && !strcmp(argv[1], "qom-set"))
		return do_qom(argv[2], argv[3], argv[4], argv[5]);
	if (argc >= 2 && !strcmp(argv[1], "libvirt"))
		return do_libvirt(argc > 2 && strcmp(argv[2], "-") ? argv[2] :
				  NULL, argc > 3 && !strcmp(argv[3], "all"));
	fprintf(stderr, "usage: see the comment at the top of qmp_probe.c\n");
	return 2;
}
