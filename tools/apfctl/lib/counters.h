/* SPDX-License-Identifier: GPL-2.0-only */
/* A small ordered name -> u64 map: one source's counters for one scope. */
#ifndef APF_COUNTERS_H
#define APF_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define APF_COUNTER_NAME_MAX 64

/* What a value counts.  KVM's statistics (QMP, libvirt, debugfs) and the
 * guest's counters are cumulative: since the VM (or boot) began.  A
 * tracepoint count is what apfctl itself counted since it opened the perf
 * counter: a window, not a total, and shown apart from the totals. */
enum apf_counter_kind {
	APF_COUNTER_CUMULATIVE = 0,
	APF_COUNTER_WINDOW,
};

struct apf_counter {
	char name[APF_COUNTER_NAME_MAX];
	uint64_t value;
	enum apf_counter_kind kind;
	int rank;		/* display order, APF_RANK_UNKNOWN until sorted */
};

#define APF_RANK_UNKNOWN (-1)
/* Counters outside the APF and context sets rank after them, by name. */
#define APF_RANK_OTHER 1000

struct apf_counters {
	struct apf_counter *v;
	size_t n, cap;
};

/* The six per-vCPU statistics added by our host patches (DESIGN.md). */
extern const char *const apf_host_counter_names[];
extern const size_t apf_host_counter_count;
/* Stock KVM statistics shown beside them for context. */
extern const char *const apf_context_counter_names[];
extern const size_t apf_context_counter_count;
/* The guest counters under /sys/kernel/kvm_async_pf/: those every
 * patched guest kernel has, then those only some have (an architecture,
 * a later version).  Each is read where its file exists and left out of
 * the counters where it does not, so a name that is missing means "this
 * kernel has no such counter", never 0. */
extern const char *const apf_guest_counter_names[];
extern const size_t apf_guest_counter_count;
extern const char *const apf_guest_optional_counter_names[];
extern const size_t apf_guest_optional_counter_count;

/* Set (replace) or add to a counter; -ENOMEM or -ENAMETOOLONG on error.
 * A counter set or added is cumulative; apf_counters_set_window() sets a
 * window count, and a sum with any window count in it is a window count. */
int apf_counters_set(struct apf_counters *c, const char *name, uint64_t value);
int apf_counters_set_window(struct apf_counters *c, const char *name,
			    uint64_t value);
int apf_counters_add(struct apf_counters *c, const char *name, uint64_t value,
		     enum apf_counter_kind kind);
/* Append a counter known not to be in c yet (a reader that lists each
 * name once), with its display rank (apf_counter_rank()): no lookup, and
 * nothing to sort when the reader appends in display order. */
int apf_counters_append(struct apf_counters *c, const char *name,
			uint64_t value, int rank);
/* Room for n more counters without reallocating.  -ENOMEM. */
int apf_counters_reserve(struct apf_counters *c, size_t n);
int apf_counter_rank(const char *name);
/* Whether any counter of c is a window count. */
bool apf_counters_have_window(const struct apf_counters *c);
const struct apf_counter *apf_counters_find(const struct apf_counters *c,
					    const char *name);
bool apf_counter_is_shown(const char *name, bool all);
/* Display order: the APF counters, then the context set, then the rest
 * by name, so every source prints the same table.  Each name's rank is
 * looked up once; counters already in order are not moved. */
void apf_counters_sort(struct apf_counters *c);
void apf_counters_free(struct apf_counters *c);

#endif
