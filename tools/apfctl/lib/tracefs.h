/* SPDX-License-Identifier: GPL-2.0-only */
/* Discovery of KVM's async-PF tracepoints and their format files. */
#ifndef APF_TRACEFS_H
#define APF_TRACEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define APF_TP_MAX 16

struct apf_tp_field {
	char name[32];
	unsigned int offset, size;
	bool is_signed;
};

struct apf_tracepoint {
	char name[64];		/* e.g. "kvm_async_pf_not_present" */
	uint64_t id;		/* perf config for PERF_TYPE_TRACEPOINT, 0 unknown */
	bool id_readable;
	struct apf_tp_field fields[8];
	size_t nfields;
};

struct apf_tracefs {
	bool found;		/* tracefs reachable */
	char dir[256];		/* ".../tracing" under the sysroot */
	struct apf_tracepoint tp[APF_TP_MAX];
	size_t ntp;
};

/* Find tracefs (/sys/kernel/tracing, then /sys/kernel/debug/tracing) and
 * every events/kvm/ event whose name has "async_pf" or "try_async" in it.
 * Names differ between kernels, so none is hard-coded.  Returns 0 when
 * tracefs was found (t->ntp may still be 0: no kvm module), -ENOENT when
 * there is no tracefs, -EACCES/-EPERM when it is there but unreadable
 * (tracefs is root-only).  id_readable: the id is known, from "id" or
 * from the format file's "ID:" line. */
int apf_tracefs_discover(struct apf_tracefs *t);
const struct apf_tracepoint *apf_tracefs_find(const struct apf_tracefs *t,
					      const char *name);
/* Parse an events/.../format file (fuzzed): 0, or -EINVAL for anything
 * malformed (field offsets/sizes beyond 64 KiB included).  An event with
 * more than 8 fields keeps its first 8 non-common_* ones; fields with names
 * too long for the table are skipped.  Neither is an error. */
int apf_tp_parse_format(const char *text, struct apf_tracepoint *tp);
const struct apf_tp_field *apf_tp_field(const struct apf_tracepoint *tp,
					const char *name);

#endif
