// SPDX-License-Identifier: GPL-2.0-only
#include "counters.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *const apf_host_counter_names[] = {
	"async_pf_queued", "async_pf_not_present", "async_pf_halted",
	"async_pf_ready", "async_pf_completed", "async_pf_cancelled",
	"async_pf_sync",
};
const size_t apf_host_counter_count =
	sizeof(apf_host_counter_names) / sizeof(apf_host_counter_names[0]);

/* What an operator reads beside APF: exits and halts show where vCPU time
 * went (APF halts show up as halt_exits), pf_* how often KVM faulted at
 * all.  Kept short: each is a file per VM per sample on debugfs, and a
 * sample over 100 VMs must stay within 5 ms; -a shows everything. */
const char *const apf_context_counter_names[] = {
	"exits", "halt_exits", "halt_wakeup", "pf_taken", "pf_fixed",
};
const size_t apf_context_counter_count =
	sizeof(apf_context_counter_names) / sizeof(apf_context_counter_names[0]);

const char *const apf_guest_counter_names[] = {
	"page_not_present", "page_ready", "wake_before_wait",
	"wait_ns_total", "wait_ns_max",
};
const size_t apf_guest_counter_count =
	sizeof(apf_guest_counter_names) / sizeof(apf_guest_counter_names[0]);

/* orphaned: arm64 guests of the series' 0004 and later ("page not present"
 * notifications that no task slept on); no file on x86 guests or on older
 * arm64 ones. */
const char *const apf_guest_optional_counter_names[] = {
	"orphaned",
};
const size_t apf_guest_optional_counter_count =
	sizeof(apf_guest_optional_counter_names) /
	sizeof(apf_guest_optional_counter_names[0]);

bool apf_counter_is_shown(const char *name, bool all)
{
	size_t i;

	if (all || !strncmp(name, "async_pf", 8))
		return true;
	for (i = 0; i < apf_context_counter_count; i++)
		if (!strcmp(name, apf_context_counter_names[i]))
			return true;
	return false;
}

static struct apf_counter *counters_slot(struct apf_counters *c,
					 const char *name, int *err)
{
	size_t i, len;

	*err = 0;
	for (i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name))
			return &c->v[i];
	len = strlen(name);
	if (len >= APF_COUNTER_NAME_MAX) {
		*err = -ENAMETOOLONG;
		return NULL;
	}
	if (c->n == c->cap && (*err = apf_counters_reserve(c, c->cap ? c->cap : 16)))
		return NULL;
	memcpy(c->v[c->n].name, name, len + 1);
	c->v[c->n].value = 0;
	c->v[c->n].kind = APF_COUNTER_CUMULATIVE;
	c->v[c->n].rank = APF_RANK_UNKNOWN;
	return &c->v[c->n++];
}

static int counters_put(struct apf_counters *c, const char *name,
			uint64_t value, enum apf_counter_kind kind)
{
	int err;
	struct apf_counter *s = counters_slot(c, name, &err);

	if (s) {
		s->value = value;
		s->kind = kind;
	}
	return err;
}

int apf_counters_set(struct apf_counters *c, const char *name, uint64_t value)
{
	return counters_put(c, name, value, APF_COUNTER_CUMULATIVE);
}

int apf_counters_set_window(struct apf_counters *c, const char *name,
			    uint64_t value)
{
	return counters_put(c, name, value, APF_COUNTER_WINDOW);
}

int apf_counters_add(struct apf_counters *c, const char *name, uint64_t value,
		     enum apf_counter_kind kind)
{
	int err;
	struct apf_counter *s = counters_slot(c, name, &err);

	if (s) {
		s->value += value;	/* u64 wrap matches the kernel's own */
		if (kind == APF_COUNTER_WINDOW)
			s->kind = APF_COUNTER_WINDOW;
	}
	return err;
}

bool apf_counters_have_window(const struct apf_counters *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->v[i].kind == APF_COUNTER_WINDOW)
			return true;
	return false;
}

const struct apf_counter *apf_counters_find(const struct apf_counters *c,
					    const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name))
			return &c->v[i];
	return NULL;
}

int apf_counters_reserve(struct apf_counters *c, size_t n)
{
	struct apf_counter *v;
	size_t cap;

	if (c->cap - c->n >= n)
		return 0;
	cap = c->n + n;
	if (cap < c->cap * 2)
		cap = c->cap * 2;
	v = realloc(c->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->v = v;
	c->cap = cap;
	return 0;
}

int apf_counters_append(struct apf_counters *c, const char *name,
			uint64_t value, int rank)
{
	size_t len = strlen(name);
	struct apf_counter *s;
	int err;

	if (len >= APF_COUNTER_NAME_MAX)
		return -ENAMETOOLONG;
	if (c->n == c->cap && (err = apf_counters_reserve(c, c->cap ? c->cap : 16)))
		return err;
	s = &c->v[c->n++];
	memcpy(s->name, name, len + 1);
	s->value = value;
	s->kind = APF_COUNTER_CUMULATIVE;
	s->rank = rank;
	return 0;
}

int apf_counter_rank(const char *name)
{
	size_t i;

	for (i = 0; i < apf_host_counter_count; i++)
		if (!strcmp(name, apf_host_counter_names[i]))
			return (int)i;
	for (i = 0; i < apf_context_counter_count; i++)
		if (!strcmp(name, apf_context_counter_names[i]))
			return (int)(apf_host_counter_count + i);
	return APF_RANK_OTHER;
}

static int counter_cmp(const void *a, const void *b)
{
	const struct apf_counter *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp(x->name, y->name);
}

void apf_counters_sort(struct apf_counters *c)
{
	bool sorted = true;
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (c->v[i].rank == APF_RANK_UNKNOWN)
			c->v[i].rank = apf_counter_rank(c->v[i].name);
		if (i && sorted && counter_cmp(&c->v[i - 1], &c->v[i]) > 0)
			sorted = false;
	}
	if (!sorted)
		qsort(c->v, c->n, sizeof(*c->v), counter_cmp);
}

void apf_counters_free(struct apf_counters *c)
{
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
}
