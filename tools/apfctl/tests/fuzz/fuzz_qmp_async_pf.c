// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: one query-async-pf reply line, as a hung or hostile
 * QEMU might send it, through apf_qmp_parse_async_pf(), with and without
 * the vCPU statistics.  An error leaves nothing to free; a success keeps
 * the schema's promises (a switchable that is 0 or 1, at most
 * APF_QMP_MAX_VCPUS vCPUs, only the six async_pf_* names). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qmp.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	int stats;

	if (!s)
		return 0;
	for (stats = 0; stats < 2; stats++) {
		struct apf_qmp_async_pf info;
		size_t i, j;
		int r = apf_qmp_parse_async_pf(s, stats, &info);

		if (r) {
			if (r > 0 || info.vcpus || info.nvcpus)
				abort();
			continue;
		}
		if ((info.switchable != 0 && info.switchable != 1) ||
		    info.iface != APF_QMP_IFACE_QAPI ||
		    info.nvcpus > APF_QMP_MAX_VCPUS || (!stats && info.vcpus))
			abort();
		for (i = 0; i < info.nvcpus; i++) {
			if (info.vcpus[i].index < 0 || info.vcpus[i].counters.n > 6 ||
			    (i && info.vcpus[i].index < info.vcpus[i - 1].index))
				abort();
			for (j = 0; j < info.vcpus[i].counters.n; j++)
				if (strncmp(info.vcpus[i].counters.v[j].name, "async_pf_", 9))
					abort();
		}
		apf_qmp_async_pf_free(&info);
	}
	free(s);
	return 0;
}
