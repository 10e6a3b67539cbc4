// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: a domain's typed parameters as libvirtd hands them
 * (virConnectGetAllDomainStats): field names and values of every type,
 * through apf_libvirt_parse_params().  The input is a list of records:
 * one byte of type, eight of value, then the field name up to a NUL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "libvirt_stats.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	virTypedParameter p[256];
	struct apf_libvirt_domain *d = calloc(1, sizeof(*d));
	size_t off = 0, i;
	int n = 0, all;

	if (!d)
		return 0;
	memset(p, 0, sizeof(p));
	while (off + 9 < size && n < 256) {
		size_t k;

		p[n].type = data[off] % 8;	/* 1..6 are libvirt's, others not */
		memcpy(&p[n].value.ul, data + off + 1, 8);
		off += 9;
		for (k = 0; off + k < size && data[off + k] && k < VIR_TYPED_PARAM_FIELD_LENGTH - 1; k++)
			p[n].field[k] = (char)data[off + k];
		off += k + 1;
		if (p[n].type == VIR_TYPED_PARAM_STRING)
			p[n].value.s = NULL;	/* never a pointer from the input */
		n++;
	}
	for (all = 0; all < 2; all++) {
		(void)apf_libvirt_parse_params(d, p, n, all);
		for (i = 0; i < d->nvcpus; i++)
			if (d->vcpus[i].index < 0)
				abort();
		apf_libvirt_domains_free(d, 1);
		d = calloc(1, sizeof(*d));
		if (!d)
			return 0;
	}
	free(d);
	return 0;
}
