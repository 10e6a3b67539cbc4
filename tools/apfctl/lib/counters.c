// SPDX-License-Identifier: GPL-2.0-only
#include "counters.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *const apf_host_counter_names[] = {
	"async_pf_queued", "async_pf_not_present", "async_pf_halted",
	"async_pf_ready", "async_pf_completed", "async_pf_sync",
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
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct apf_counter *v = realloc(c->v, cap * sizeof(*v));

		if (!v) {
			*err = -ENOMEM;
			return NULL;
		}
		c->v = v;
		c->cap = cap;
	}
	memcpy(c->v[c->n].name, name, len + 1);
	c->v[c->n].value = 0;
	c->v[c->n].kind = APF_COUNTER_CUMULATIVE;
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

static size_t rank(const char *name)
{
	size_t i;

	for (i = 0; i < apf_host_counter_count; i++)
		if (!strcmp(name, apf_host_counter_names[i]))
			return i;
	for (i = 0; i < apf_context_counter_count; i++)
		if (!strcmp(name, apf_context_counter_names[i]))
			return apf_host_counter_count + i;
	return (size_t)-1;
}

static int counter_cmp(const void *a, const void *b)
{
	const struct apf_counter *x = a, *y = b;
	size_t rx = rank(x->name), ry = rank(y->name);

	if (rx != ry)
		return rx < ry ? -1 : 1;
	return strcmp(x->name, y->name);
}

void apf_counters_sort(struct apf_counters *c)
{
	if (c->n > 1)
		qsort(c->v, c->n, sizeof(*c->v), counter_cmp);
}

void apf_counters_free(struct apf_counters *c)
{
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
}
