// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: /proc/interrupts text through apf_parse_interrupts()
 * for the row an x86 guest probe wants ("HYP") and a row every kernel
 * has, and through apf_parse_interrupts_action() for the arm64 guest's
 * PPI ("kvm-apf") and a one-letter action. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procfs.h"
#include "fuzz_input.h"

static void check(const char *text, const char *label, bool action)
{
	struct apf_irq_row r;
	int err = action ? apf_parse_interrupts_action(text, label, &r) :
			   apf_parse_interrupts(text, label, &r);

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
	check(s, "HYP", false);
	check(s, "NMI", false);
	check(s, "kvm-apf", true);
	check(s, "x", true);
	free(s);
	return 0;
}
