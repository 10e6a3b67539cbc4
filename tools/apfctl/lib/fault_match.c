// SPDX-License-Identifier: GPL-2.0-only
#include "fault_match.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "sysroot.h"

/* Exact percentiles for up to this many faults; beyond, log2-interpolated. */
#define HIST_CAP_VM (1u << 18)
#define HIST_CAP_TOTAL (1u << 20)

/* ---- (pid, token) -> time, open addressing with backward-shift delete -- */



static size_t ptable_slot(const struct ptable *t, pid_t pid, uint64_t token)
{
	uint64_t x = token ^ ((uint64_t)(uint32_t)pid << 32 | (uint32_t)pid);

	/* splitmix64 finaliser: tokens are (counter << 12 | vcpu) on x86, so
	 * low bits alone would collide. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (size_t)x & (t->cap - 1);
}

static struct pending *ptable_find(struct ptable *t, pid_t pid, uint64_t token)
{
	size_t i;

	if (!t->cap)
		return NULL;
	for (i = ptable_slot(t, pid, token); t->e[i].used; i = (i + 1) & (t->cap - 1))
		if (t->e[i].pid == pid && t->e[i].token == token)
			return &t->e[i];
	return NULL;
}

static int ptable_grow(struct ptable *t)
{
	struct ptable nt = { NULL, t->cap ? t->cap * 2 : 1024, 0 };
	size_t i;

	nt.e = calloc(nt.cap, sizeof(*nt.e));
	if (!nt.e)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		size_t j;

		if (!t->e[i].used)
			continue;
		for (j = ptable_slot(&nt, t->e[i].pid, t->e[i].token); nt.e[j].used;
		     j = (j + 1) & (nt.cap - 1))
			;
		nt.e[j] = t->e[i];
		nt.n++;
	}
	free(t->e);
	*t = nt;
	return 0;
}

/* Insert a new key (the caller checked it is absent).  -ENOSPC when full. */
static int ptable_insert(struct ptable *t, pid_t pid, uint64_t token, uint64_t time)
{
	size_t i;

	if (t->n >= APF_FAULT_PENDING_MAX)
		return -ENOSPC;
	/* Keep the load under one half so probe runs stay short. */
	if ((t->n + 1) * 2 > t->cap && ptable_grow(t))
		return -ENOMEM;
	for (i = ptable_slot(t, pid, token); t->e[i].used; i = (i + 1) & (t->cap - 1))
		;
	t->e[i] = (struct pending){ token, time, pid, true };
	t->n++;
	return 0;
}

static void ptable_remove(struct ptable *t, struct pending *p)
{
	size_t i = (size_t)(p - t->e), j = i;

	/* Backward shift: pull later entries of the probe run into the hole
	 * unless that would move one before its home slot. */
	for (;;) {
		size_t home;

		j = (j + 1) & (t->cap - 1);
		if (!t->e[j].used)
			break;
		home = ptable_slot(t, t->e[j].pid, t->e[j].token);
		if (((j - home) & (t->cap - 1)) >= ((j - i) & (t->cap - 1))) {
			t->e[i] = t->e[j];
			i = j;
		}
	}
	t->e[i].used = false;
	t->n--;
}




static void vm_name(const struct apf_vm_list *vms, pid_t pid, char *buf, size_t len)
{
	char path[APF_PATH_MAX], comm[64];
	size_t i;

	for (i = 0; vms && i < vms->n; i++) {
		if (vms->v[i].pid == pid) {
			snprintf(buf, len, "%s", vms->v[i].name ? vms->v[i].name : "");
			return;
		}
	}
	/* Not a VM we know (started after we listed, or not QEMU): comm. */
	if (!apf_path(path, sizeof(path), "/proc/%d/comm", (int)pid) &&
	    apf_read_file(path, comm, sizeof(comm)) > 0) {
		comm[strcspn(comm, "\n")] = '\0';
		snprintf(buf, len, "%s", comm);
		return;
	}
	snprintf(buf, len, "?");
}

struct apf_fault_vm *apf_fault_vm_get(struct apf_fault_matcher *c, pid_t pid)
{
	struct apf_fault_vm *v;
	size_t i;

	for (i = 0; i < c->nvm; i++)
		if (c->vm[i].pid == pid)
			return &c->vm[i];
	if (c->nvm == c->capvm) {
		size_t nc = c->capvm ? c->capvm * 2 : 8;
		struct apf_fault_vm *nv = realloc(c->vm, nc * sizeof(*nv));

		if (!nv) {
			c->err = -ENOMEM;
			return NULL;
		}
		c->vm = nv;
		c->capvm = nc;
	}
	v = &c->vm[c->nvm++];
	memset(v, 0, sizeof(*v));
	v->pid = pid;
	/* Named at first sight: the process may be gone by the end. */
	vm_name(c->vms, pid, v->name, sizeof(v->name));
	apf_hist_init(&v->hist, HIST_CAP_VM);
	return v;
}

static void record(struct apf_fault_matcher *c, struct apf_fault_vm *v, uint64_t ns)
{
	/* -ENOMEM here only costs exactness: the buckets still count. */
	(void)apf_hist_add(&v->hist, ns);
	(void)apf_hist_add(&c->total, ns);
}

/* x86 traces the u32 token, so "wake all" (~0) shows as 0xffffffff; other
 * architectures carry a full u64 ~0. */
static bool is_broadcast(uint64_t token)
{
	return token == UINT32_MAX || token == UINT64_MAX;
}

void apf_fault_match_sample(const struct apf_tp_sample *s, void *arg)
{
	struct apf_fault_matcher *c = arg;
	struct apf_fault_vm *v;
	struct pending *p;
	bool is_np = s->tp_index == c->np_idx;
	struct ptable *mine, *other;
	int r;

	if (c->only_pid && s->pid != c->only_pid)
		return;
	if (!is_np && s->tp_index != c->ready_idx)
		return;
	v = apf_fault_vm_get(c, s->pid);
	if (!v)
		return;
	if (is_np) {
		c->not_present++;
		v->not_present++;
	} else if (is_broadcast(s->token)) {
		c->ready_broadcast++;
		v->ready_broadcast++;
		return;
	} else {
		c->ready_n++;
		v->ready++;
	}

	mine = is_np ? &c->np : &c->ready;
	other = is_np ? &c->ready : &c->np;
	p = ptable_find(other, s->pid, s->token);
	if (p) {
		uint64_t t_np = is_np ? s->time_ns : p->time;
		uint64_t t_ready = is_np ? p->time : s->time_ns;

		/* A partner from before this fault is a stale leftover. */
		if (t_ready >= t_np) {
			record(c, v, t_ready - t_np);
			ptable_remove(other, p);
			return;
		}
	}
	/* The same token again before its partner: the earlier one is lost. */
	p = ptable_find(mine, s->pid, s->token);
	if (p) {
		if (is_np)
			v->unmatched_np++;
		else
			v->unmatched_ready++;
		p->time = s->time_ns;
		return;
	}
	r = ptable_insert(mine, s->pid, s->token, s->time_ns);
	if (r) {
		if (r == -ENOMEM && !c->err)
			c->err = r;
		if (is_np)
			v->unmatched_np++;
		else
			v->unmatched_ready++;
	}
}

static int vm_cmp(const void *a, const void *b)
{
	pid_t x = ((const struct apf_fault_vm *)a)->pid, y = ((const struct apf_fault_vm *)b)->pid;

	return (x > y) - (x < y);
}

/* Whatever still waits at the end never found its partner. */
void apf_fault_match_finish(struct apf_fault_matcher *c)
{
	size_t i;

	for (i = 0; i < c->np.cap; i++) {
		struct apf_fault_vm *v;

		if (!c->np.e[i].used || !(v = apf_fault_vm_get(c, c->np.e[i].pid)))
			continue;
		v->unmatched_np++;
	}
	for (i = 0; i < c->ready.cap; i++) {
		struct apf_fault_vm *v;

		if (!c->ready.e[i].used || !(v = apf_fault_vm_get(c, c->ready.e[i].pid)))
			continue;
		v->unmatched_ready++;
	}
	/* Output in pid order, not in order of first fault. */
	if (c->nvm > 1)
		qsort(c->vm, c->nvm, sizeof(*c->vm), vm_cmp);
}

void apf_fault_matcher_init(struct apf_fault_matcher *c, size_t np_idx,
			    size_t ready_idx)
{
	memset(c, 0, sizeof(*c));
	c->np_idx = np_idx;
	c->ready_idx = ready_idx;
	apf_hist_init(&c->total, HIST_CAP_TOTAL);
}

void apf_fault_matcher_free(struct apf_fault_matcher *c)
{
	size_t i;

	for (i = 0; i < c->nvm; i++)
		apf_hist_free(&c->vm[i].hist);
	free(c->vm);
	free(c->np.e);
	free(c->ready.e);
	apf_hist_free(&c->total);
}
