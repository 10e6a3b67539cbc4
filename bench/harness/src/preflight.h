/* SPDX-License-Identifier: GPL-2.0-only */
/* Can this host run the benchmark, and how?  Root, a KVM that boots
 * ordinary guests, cgroup v2 with the memory controller, swap on a disk
 * (not zram), QEMU, and a way to switch APF off for mode "off". */
#ifndef BENCH_PREFLIGHT_H
#define BENCH_PREFLIGHT_H

#include <stdbool.h>
#include <stdio.h>

#include "apf_switch.h"
#include "cgroup.h"
#include "options.h"
#include "swaps.h"

struct bench_env {
	bool root;
	bool kvm_ok, pvm;
	struct bench_cgroup_state cg;
	struct bench_swaps swaps;
	int swaps_err;
	enum bench_swap_verdict swap_verdict;
	char zswap[8];			/* "Y", "N" or "" (no zswap) */
	struct bench_param param;
	char qemu_path[1024], qemu_version[256];
	bool qemu_found;
	bool qemu_probed, qemu_async_pf;
	char qemu_probe_how[128];
	bool off_wanted, off_skipped, off_via_qemu;
	char off_skip[512];		/* why off is skipped */
	int code;			/* exit code of the first failure, or 0 */
};

/* Run every check, print each finding to out (one "name  value" line),
 * and every failure on stderr.  e->code tells the verdict. */
void bench_preflight(const struct bench_opts *o, struct bench_env *e, FILE *out);

#endif
