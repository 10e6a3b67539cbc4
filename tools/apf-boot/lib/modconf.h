/* SPDX-License-Identifier: GPL-2.0-only */
/* /etc/modprobe.d/apf-suite.conf, written from /etc/apf/apf.conf: the
 * kvm.async_pf module parameter holds whenever kvm loads (udev loads it
 * late, after apf-setup.service has run, on many hosts); apf-setup's run
 * time write covers a kvm that is already loaded. */
#ifndef APF_BOOT_MODCONF_H
#define APF_BOOT_MODCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "apf_conf.h"

/* The first line of every file we write: a file without it is the
 * administrator's, never overwritten or removed. */
#define APF_MODCONF_MARKER "# Written by apf-boot modprobe-conf"

/* The file's text for configuration c read from conf_path; "" when the
 * configuration sets no module parameter (host_async_pf=keep): then the
 * file is removed.  -ENOSPC if it does not fit. */
int apf_modconf_render(const struct apf_conf *c, const char *conf_path,
		       char *out, size_t cap);

/* Is this text (an existing file) ours to replace? */
bool apf_modconf_ours(const char *text);

#endif
