// SPDX-License-Identifier: GPL-2.0-only
/*
 * L2 workload for scripts/lab-apf.sh: allocate MB of anonymous memory,
 * touch every page once, then write random pages for SECONDS seconds.
 * Run in a guest whose RAM the host has capped with a memory cgroup, so
 * that the host swaps guest pages out and the guest's user-mode accesses
 * take async page faults.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	size_t mb, pages, i;
	unsigned long x = 88172645463325252UL, touches = 0;
	time_t end;
	char *p;

	if (argc != 3) {
		fprintf(stderr, "usage: %s MB SECONDS\n", argv[0]);
		return 2;
	}
	mb = strtoul(argv[1], NULL, 0);
	pages = mb << 8;
	p = malloc(mb << 20);
	if (!p)
		return 1;
	for (i = 0; i < pages; i++)
		p[i << 12] = 1;
	end = time(NULL) + atoi(argv[2]);
	while (time(NULL) < end) {
		for (i = 0; i < 256; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			p[(x % pages) << 12]++;
			touches++;
		}
	}
	printf("touch: %lu random page writes in %s s over %zu MB\n",
	       touches, argv[2], mb);
	return 0;
}
