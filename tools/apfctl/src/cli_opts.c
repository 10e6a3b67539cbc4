// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "apfctl.h"
#include "cli_opts.h"
#include "fileio.h"
#include "sysroot.h"

bool apf_global_opt(int c, const char *arg)
{
	switch (c) {
	case 'j':
		apf_g.json = true;
		return true;
	case APF_OPT_PRETTY:
		apf_g.json = apf_g.pretty = true;
		return true;
	case APF_OPT_SYSROOT:
		apf_use_sysroot(arg);
		return true;
	case APF_OPT_QMP_TIMEOUT:
		apf_use_qmp_timeout(arg);
		return true;
	}
	return false;
}

void apf_use_sysroot(const char *dir)
{
	struct stat st;

	/* A typo here would silently show an empty machine: refuse it. */
	if (stat(dir, &st))
		exit(apf_fail(APF_EXIT_USAGE, "--sysroot %s: %s", dir,
			      strerror(errno)));
	if (!S_ISDIR(st.st_mode))
		exit(apf_fail(APF_EXIT_USAGE, "--sysroot %s: %s", dir,
			      strerror(ENOTDIR)));
	if (apf_sysroot_set(dir))
		exit(apf_fail(APF_EXIT_USAGE, "--sysroot: path longer than %d bytes",
			      APF_PATH_MAX / 2 - 1));
}

void apf_use_qmp_timeout(const char *ms)
{
	long v;

	/* Nested or loaded hosts answer slowly; ten minutes is a typo. */
	if (apf_parse_int(ms, 1, 600000, &v))
		exit(apf_fail(APF_EXIT_USAGE,
			      "--qmp-timeout %s: milliseconds from 1 to 600000", ms));
	apf_g.qmp_timeout_ms = (int)v;
}
