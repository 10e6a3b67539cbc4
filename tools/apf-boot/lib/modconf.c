// SPDX-License-Identifier: GPL-2.0-only
#include "modconf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int apf_modconf_render(const struct apf_conf *c, const char *conf_path,
		       char *out, size_t cap)
{
	int n;

	if (!cap)
		return -ENOSPC;
	out[0] = '\0';
	if (c->host == APF_CONF_KEEP)
		return 0;
	/* kvm's async_pf is a bool parameter: Y/N as sysfs shows it. */
	n = snprintf(out, cap,
		     APF_MODCONF_MARKER " from %s\n"
		     "# (host_async_pf=%s).  Edit that file, then `systemctl restart\n"
		     "# apf-setup`; this file is rewritten.  Kernels without the\n"
		     "# parameter (not APF Suite host kernels) log \"unknown parameter\n"
		     "# 'async_pf' ignored\" and load kvm as usual.\n"
		     "options kvm async_pf=%s\n",
		     conf_path, apf_conf_switch_name(c->host),
		     c->host == APF_CONF_ON ? "Y" : "N");
	if (n < 0 || (size_t)n >= cap) {
		out[0] = '\0';
		return -ENOSPC;
	}
	return 0;
}

bool apf_modconf_ours(const char *text)
{
	return !strncmp(text, APF_MODCONF_MARKER, strlen(APF_MODCONF_MARKER));
}
