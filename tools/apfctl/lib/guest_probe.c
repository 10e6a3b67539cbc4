// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "fileio.h"
#include "probe.h"
#include "sysroot.h"

#define GUEST_SYSFS "/sys/kernel/kvm_async_pf"

bool apf_is_guest(const struct apf_guest_probe *g)
{
	return g->cpuid.kvm;
}

int apf_guest_probe(struct apf_guest_probe *g)
{
	char path[APF_PATH_MAX];
	size_t i;

	memset(g, 0, sizeof(*g));
	/* A bad CPUID source must not hide the rest of the report. */
	g->cpuid_err = apf_kvm_cpuid_read(&g->cpuid);
	if (g->cpuid_err)
		memset(&g->cpuid, 0, sizeof(g->cpuid));
	if (apf_kernel_cmdline_has("no-kvmapf", &g->no_kvmapf))
		g->no_kvmapf = false;
	/* No HYP row (old kernels, non-x86) is reported as not found. */
	if (apf_proc_interrupts_row("HYP", &g->hyp))
		memset(&g->hyp, 0, sizeof(g->hyp));
	g->sysfs = !apf_path(path, sizeof(path), GUEST_SYSFS) && apf_is_dir(path);
	if (!g->sysfs)
		return 0;
	g->sysfs_enabled_known = !apf_guest_switch_get(&g->enabled);
	for (i = 0; i < apf_guest_counter_count; i++) {
		uint64_t v;

		if (apf_path(path, sizeof(path), GUEST_SYSFS "/%s",
			     apf_guest_counter_names[i]) ||
		    apf_read_u64(path, &v))
			continue;
		if (apf_counters_set(&g->counters, apf_guest_counter_names[i], v))
			return -ENOMEM;
	}
	return 0;
}

void apf_guest_probe_free(struct apf_guest_probe *g)
{
	apf_counters_free(&g->counters);
}
