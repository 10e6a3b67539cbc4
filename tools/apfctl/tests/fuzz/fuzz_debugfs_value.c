// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: one debugfs/sysfs value or directory name, as a
 * hostile fixture or a future kernel might present it, through the strict
 * number parsers and apf_debugfs_parse_vm_dir(). */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "fileio.h"
#include "kvm_debugfs.h"
#include "fuzz_input.h"

/* Digits only, no sign, no blanks: what a name that parsed must be. */
static bool all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t u = 0;
	long l = 0;
	bool b;
	pid_t pid = 0;
	int fd = 0, err;
	char *s;

	/* Readers hand the parsers a C string, as apf_read_file() makes. */
	s = fuzz_cstr(data, size);
	if (!s)
		return 0;

	err = apf_parse_u64(s, &u);
	if (err && err != -EINVAL && err != -ERANGE)
		abort();
	err = apf_parse_int(s, -1000, 1000, &l);
	if (err && err != -EINVAL && err != -ERANGE)
		abort();
	if (!err && (l < -1000 || l > 1000))
		abort();
	err = apf_parse_int(s, LONG_MIN, LONG_MAX, &l);
	if (err && err != -EINVAL && err != -ERANGE)
		abort();
	err = apf_parse_bool(s, &b);
	if (err && err != -EINVAL)
		abort();

	if (!apf_debugfs_parse_vm_dir(s, &pid, &fd)) {
		const char *dash = strchr(s, '-');

		/* Accepted: "<digits>-<digits>", pid > 0, fd >= 0. */
		if (pid <= 0 || fd < 0 || !dash ||
		    !all_digits(s, (size_t)(dash - s)) ||
		    !all_digits(dash + 1, strlen(dash + 1)))
			abort();
	}
	free(s);
	return 0;
}
