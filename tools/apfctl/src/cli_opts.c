// SPDX-License-Identifier: GPL-2.0-only
#include <stdbool.h>

#include "apfctl.h"
#include "cli_opts.h"
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
		apf_sysroot_set(arg);
		return true;
	}
	return false;
}
