// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: a sysfs CPU list (/sys/devices/system/cpu/online) as a
 * hostile fixture could hold it, through apf_cpu_list_parse(). */
#include <errno.h>
#include <stdlib.h>

#include "perf_tp.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	int *cpus = NULL, err;
	size_t n = 0, i;

	if (!s || size > 4096) {
		free(s);
		return 0;
	}
	err = apf_cpu_list_parse(s, &cpus, &n);
	if (err && (err != -EINVAL && err != -ENOMEM))
		abort();
	if (err && (cpus || n))
		abort();
	for (i = 0; i < n; i++)
		if (cpus[i] < 0 || cpus[i] > 65535)
			abort();
	if (!err && !n)
		abort();
	free(cpus);
	free(s);
	return 0;
}
