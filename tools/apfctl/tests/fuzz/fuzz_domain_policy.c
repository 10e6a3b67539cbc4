// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: domain XML (what libvirt pipes into the hook) through
 * apf_domain_policy_parse(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct apf_domain_policy p;

	apf_domain_policy_parse((const char *)data, size, &p);
	/* A verdict always comes with a consistent value and a message. */
	if (p.status == APF_POLICY_OK && p.error[0])
		abort();
	if (p.status != APF_POLICY_OK && (!p.error[0] || p.async_pf != APF_POLICY_NONE))
		abort();
	if (strnlen(p.name, sizeof(p.name)) == sizeof(p.name) ||
	    strnlen(p.error, sizeof(p.error)) == sizeof(p.error))
		abort();
	return 0;
}
