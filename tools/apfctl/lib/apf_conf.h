/* SPDX-License-Identifier: GPL-2.0-only */
/* /etc/apf/apf.conf, applied at boot by apf-setup.service
 * (apfctl apply-config).  Format: KEY=VALUE lines; blank lines and lines
 * starting with '#' are ignored, as is "  # comment" after a value; a value
 * may be quoted ("..." or '...').  The syntax is a subset of what systemd's
 * EnvironmentFile= and sh accept, so other tools can read the file too.
 *   host_async_pf  = on | off | keep   kvm.async_pf on this KVM host
 *   guest_async_pf = on | off | keep   /sys/kernel/kvm_async_pf/enabled
 *   on_unsupported = warn | fail       a switch set above that this kernel
 *                                      lacks: a warning (exit 0) or exit 3
 * Unknown keys and repeated keys are errors: a typo must not pass as
 * "keep". */
#ifndef APF_CONF_H
#define APF_CONF_H

#include <stdbool.h>
#include <stddef.h>

enum apf_conf_switch { APF_CONF_KEEP = 0, APF_CONF_ON, APF_CONF_OFF };

struct apf_conf {
	enum apf_conf_switch host, guest;
	bool fail_unsupported;
};

#define APF_CONF_MAX (64u << 10)

/* Parse text (NUL-terminated).  0, or -EINVAL with "line N: ..." in err. */
int apf_conf_parse(const char *text, struct apf_conf *c, char *err, size_t errcap);
const char *apf_conf_switch_name(enum apf_conf_switch s);

#endif
