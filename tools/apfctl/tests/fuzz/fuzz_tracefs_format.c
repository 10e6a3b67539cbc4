// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: an events/.../format file, as a hostile fixture or an
 * odd kernel might present it, through apf_tp_parse_format(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tracefs.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct apf_tracepoint tp;
	char *s;
	size_t i;

	/* The parser takes a C string, as apf_slurp() hands it one. */
	s = fuzz_cstr(data, size);
	if (!s)
		return 0;
	if (apf_tp_parse_format(s, &tp) == 0) {
		/* What the sampler relies on: terminated names, bounded fields. */
		if (tp.nfields > sizeof(tp.fields) / sizeof(*tp.fields) ||
		    strnlen(tp.name, sizeof(tp.name)) == sizeof(tp.name))
			abort();
		for (i = 0; i < tp.nfields; i++)
			if (strnlen(tp.fields[i].name, sizeof(tp.fields[i].name)) ==
			    sizeof(tp.fields[i].name) ||
			    tp.fields[i].offset + (uint64_t)tp.fields[i].size > 65536)
				abort();
		(void)apf_tp_field(&tp, "token");
	}
	free(s);
	return 0;
}
