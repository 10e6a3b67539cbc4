// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: /proc/interrupts text through apf_parse_interrupts(),
 * for the row a guest probe wants ("HYP") and a row every kernel has. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procfs.h"
#include "fuzz_input.h"

static void check(const char *text, const char *label)
{
	struct apf_irq_row r;
	int err = apf_parse_interrupts(text, label, &r);

	if (err && err != -EINVAL && err != -ERANGE)
		abort();
	/* The description is always terminated within its buffer. */
	if (strnlen(r.desc, sizeof(r.desc)) == sizeof(r.desc))
		abort();
	if (!err && r.found && r.ncpus == 0)
		abort();
	if (!err && !r.found && (r.total || r.ncpus))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	/* apf_slurp() hands the parser a C string. */
	s = fuzz_cstr(data, size);
	if (!s)
		return 0;
	check(s, "HYP");
	check(s, "NMI");
	free(s);
	return 0;
}
