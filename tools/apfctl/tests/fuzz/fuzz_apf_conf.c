// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: /etc/apf/apf.conf text through apf_conf_parse(). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apf_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct apf_conf c;
	char err[256], *s = malloc(size + 1);
	int rc;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	rc = apf_conf_parse(s, &c, err, sizeof(err));
	if (rc && (rc != -EINVAL || strncmp(err, "line ", 5)))
		abort();
	if (!rc && (c.host > APF_CONF_OFF || c.guest > APF_CONF_OFF))
		abort();
	free(s);
	return 0;
}
