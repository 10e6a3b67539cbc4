/* SPDX-License-Identifier: GPL-2.0-only */
/* cgroup v2 memory limits for the QEMU of each run:
 *   /sys/fs/cgroup/apf-bench.<pid>/<mode>-<rep>/  memory.max, memory.swap.max
 * The parent holds no process, so enabling +memory in its subtree_control
 * is always allowed. */
#ifndef BENCH_CGROUP_H
#define BENCH_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sysroot.h"

#define BENCH_CGROUP_ROOT "/sys/fs/cgroup"

struct bench_cgroup_state {
	bool v2;		/* cgroup.controllers at the root */
	bool memory;		/* "memory" among them */
	bool memory_enabled;	/* and in the root's subtree_control */
};

/* What the root cgroup offers; why (cap) explains a "no". */
void bench_cgroup_probe(struct bench_cgroup_state *s, char *why, size_t cap);

struct bench_cgroups {
	char base[APF_PATH_MAX];	/* resolved under the sysroot */
	bool created;
};

/* Enable +memory at the root if needed and create the parent group.
 * 0, or -errno with why. */
int bench_cgroups_setup(struct bench_cgroups *g, char *why, size_t cap);
/* Create base/name with memory.max (0 means "max", no limit) and
 * memory.swap.max=max; dir gets its path.  0 or -errno with why. */
int bench_cgroup_create(const struct bench_cgroups *g, const char *name,
			uint64_t memory_max, char *dir, size_t dircap,
			char *why, size_t cap);
/* A value of dir/file ("memory.stat", "pgmajfault"): 0 or -errno. */
int bench_cgroup_stat(const char *dir, const char *file, const char *key,
		      uint64_t *out);
/* open(2) flags for writing a cgroup file (O_CREAT under a fixture). */
int bench_cgroup_open_flags(void);
/* rmdir, retried for up to a few seconds while the last task leaves.
 * Under a fixture sysroot the plain files written are removed first. */
int bench_cgroup_remove(const char *dir);
void bench_cgroups_teardown(struct bench_cgroups *g);

#endif
