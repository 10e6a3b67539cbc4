// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: a /proc/PID/cmdline image (NUL-separated, maybe
 * truncated) through apf_split_argv() and apf_qemu_parse(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procfs.h"
#include "qemu_cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct apf_qemu_info q;
	char **argv;
	int argc, i;

	if (apf_split_argv((const char *)data, size, &argv, &argc))
		return 0;
	if (argc < 0 || argv[argc] != NULL)
		abort();
	for (i = 0; i < argc; i++)
		if (!argv[i])
			abort();
	apf_qemu_parse(argc, argv, &q);
	/* What vms.c relies on: terminated strings, a sane vCPU count. */
	if (strnlen(q.name, sizeof(q.name)) == sizeof(q.name) ||
	    strnlen(q.qmp, sizeof(q.qmp)) == sizeof(q.qmp) ||
	    q.smp < 0 || q.smp > 4096 || q.async_pf < -1 || q.async_pf > 1)
		abort();
	free(argv);
	return 0;
}
