// SPDX-License-Identifier: GPL-2.0-only
#include <stdbool.h>
#include <stdlib.h>

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
	}
	return false;
}

void apf_use_sysroot(const char *dir)
{
	/* A typo here would silently show an empty machine: refuse it. */
	if (!apf_is_dir(dir))
		exit(apf_fail(APF_EXIT_USAGE, "--sysroot %s: not a directory", dir));
	apf_sysroot_set(dir);
}
