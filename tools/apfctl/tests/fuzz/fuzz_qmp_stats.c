// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: one query-stats reply line, as a hung or hostile QEMU
 * might send it, through apf_qmp_parse_stats(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qmp.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	int all;

	/* The parser takes a C string, as it gets one from the socket. */
	s = fuzz_cstr(data, size);
	if (!s)
		return 0;
	/* Both filters: all=true keeps every name, the costly path. */
	for (all = 0; all < 2; all++) {
		struct apf_counters vm = { 0 };
		struct apf_qmp_vcpu_stats *v = NULL;
		size_t n = 0;

		apf_qmp_parse_stats(s, all, &vm, &v, &n);
		apf_qmp_vcpu_stats_free(v, n);
		apf_counters_free(&vm);
	}
	free(s);
	return 0;
}
