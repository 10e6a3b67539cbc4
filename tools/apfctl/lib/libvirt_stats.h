/* SPDX-License-Identifier: GPL-2.0-only */
/* libvirt domain stats (virConnectGetAllDomainStats, VIR_DOMAIN_STATS_VM |
 * VIR_DOMAIN_STATS_VCPU), loaded with dlopen so that apfctl has no hard
 * dependency on libvirt (guests and plain-QEMU hosts do not have it). */
#ifndef APF_LIBVIRT_STATS_H
#define APF_LIBVIRT_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include "counters.h"
#include "qmp.h"

struct apf_libvirt_domain {
	char name[128];
	int id;				/* libvirt domain id */
	struct apf_counters vm;		/* "vm.<stat>" */
	struct apf_qmp_vcpu_stats *vcpus;	/* "vcpu.<n>.<stat>" */
	size_t nvcpus;
};

/* Upper bound on one apf_libvirt_domain_stats() call (connect + query). */
#define APF_LIBVIRT_TIMEOUT_MS	5000

/* Read stats of every running domain on uri (NULL: APFCTL_LIBVIRT_URI or
 * qemu:///system).  KVM stats only: "vm.<name>.sum|cur|max" and
 * "vcpu.<n>.<name>.sum|cur|max" with integer values, suffix dropped,
 * filtered with apf_counter_is_shown(); vcpus sorted by libvirt's vCPU
 * number.  -ENOTSUP if libvirt.so.0 cannot be loaded, -ECONNREFUSED if no
 * daemon answers, -EACCES if refused, -ETIMEDOUT after
 * APF_LIBVIRT_TIMEOUT_MS, -EBUSY while a timed-out call still hangs, other
 * -errno otherwise. */
int apf_libvirt_domain_stats(const char *uri, bool all,
			     struct apf_libvirt_domain **doms, size_t *n);
void apf_libvirt_domains_free(struct apf_libvirt_domain *d, size_t n);
/* One domain's typed parameters (libvirt's virTypedParameter array of a
 * stats record) into d: "vm.<stat>.sum|cur|max" and "vcpu.<n>.<stat>..."
 * with non-negative integer values (fuzzed).  0 or -errno; d is freed by
 * apf_libvirt_domains_free() whatever the result. */
struct _virTypedParameter;
int apf_libvirt_parse_params(struct apf_libvirt_domain *d,
			     const struct _virTypedParameter *params, int n, bool all);
/* libvirt's (or our) message for the last failure, "" if none. */
const char *apf_libvirt_last_error(void);

#endif
