// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: what `virsh qemu-monitor-command` printed, as the
 * hook's watcher reads it (apf_virsh_parse_reply): a reply, an error and
 * its class, or anything else. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hook.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *ret = (struct json_object *)1;
	char *s = fuzz_cstr(data, size), err[400];
	int rc;

	if (!s)
		return 0;
	rc = apf_virsh_parse_reply(s, &ret, err, sizeof(err));
	if (rc != 0 && rc != -ENOENT && rc != -ENOTSUP && rc != -ENODEV &&
	    rc != -EIO && rc != -EPROTO)
		abort();
	if (rc && (ret || !err[0]))
		abort();	/* an error says what, and returns nothing */
	if (strlen(err) >= sizeof(err))
		abort();
	json_object_put(ret);
	free(s);
	return 0;
}
