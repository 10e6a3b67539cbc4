// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "fileio.h"
#include "guest_id.h"
#include "probe.h"
#include "sysroot.h"

#define GUEST_SYSFS "/sys/kernel/kvm_async_pf"

/* In turn; the first that finds KVM decides (guest_id.h).  CPUID first:
 * on x86 it is the host's own answer and carries the feature bits. */
static int (*const guest_id_probes[])(struct apf_guest_probe *) = {
	apf_guest_id_x86,
	apf_guest_id_arm64,
	apf_guest_id_ptp,
};

bool apf_is_guest(const struct apf_guest_probe *g)
{
	return g->id.kvm;
}

/* The counters of names[] whose files exist and read as numbers; an
 * unreadable or missing file leaves its name out.  -ENOMEM. */
static int guest_read_counters(struct apf_guest_probe *g,
			       const char *const *names, size_t n)
{
	char path[APF_PATH_MAX];
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t v;

		if (apf_path(path, sizeof(path), GUEST_SYSFS "/%s", names[i]) ||
		    apf_read_u64(path, &v))
			continue;
		if (apf_counters_set(&g->counters, names[i], v))
			return -ENOMEM;
	}
	return 0;
}

int apf_guest_probe(struct apf_guest_probe *g)
{
	char path[APF_PATH_MAX];
	size_t i;
	int err;

	memset(g, 0, sizeof(*g));
	for (i = 0; i < sizeof(guest_id_probes) / sizeof(guest_id_probes[0]); i++) {
		err = guest_id_probes[i](g);
		if (err)
			return err;
		if (g->id.kvm)
			break;
	}
	if (apf_kernel_cmdline_has("no-kvmapf", &g->no_kvmapf))
		g->no_kvmapf = false;
	/* No KVM found, or found without its notification row (ptp_kvm):
	 * x86's HYP row, reported as not found where there is none. */
	if (!g->id.irq && apf_proc_interrupts_row("HYP", &g->hyp))
		memset(&g->hyp, 0, sizeof(g->hyp));
	g->sysfs = !apf_path(path, sizeof(path), GUEST_SYSFS) && apf_is_dir(path);
	if (!g->sysfs)
		return 0;
	g->sysfs_enabled_known = !apf_guest_switch_get(&g->enabled);
	err = guest_read_counters(g, apf_guest_counter_names,
				  apf_guest_counter_count);
	if (!err)
		err = guest_read_counters(g, apf_guest_optional_counter_names,
					  apf_guest_optional_counter_count);
	return err;
}

void apf_guest_probe_free(struct apf_guest_probe *g)
{
	apf_counters_free(&g->counters);
}
