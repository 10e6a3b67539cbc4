// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: a hook state document (RUN_DIR/domains/NAME.json) as
 * a broken or hostile file would hold it: parsed, read for the fields the
 * hook uses, and summed up for the release log line. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hook.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *st;
	char msg[600];
	int err;

	st = apf_hook_state_parse((const char *)data, size, &err);
	if (!st) {
		if (!err)
			abort();
		return 0;
	}
	if (err || !json_object_is_type(st, json_type_object))
		abort();
	(void)apf_json_str(st, "policy");
	(void)apf_json_int(st, "watcher_pid", 0);
	(void)apf_json_bool(st, "final");
	apf_hook_release_summary(st, msg, sizeof(msg));
	if (strncmp(msg, "released: policy ", 17) || strlen(msg) >= sizeof(msg))
		abort();
	json_object_put(st);
	return 0;
}
