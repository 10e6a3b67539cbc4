// SPDX-License-Identifier: GPL-2.0-only
#include "stats_sampler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "fileio.h"
#include "kvm_debugfs.h"
#include "libvirt_stats.h"
#include "perf_tp.h"
#include "probe.h"
#include "qmp.h"
#include "sysroot.h"
#include "tracefs.h"
#include "vms.h"

/* Per-VM source state kept across samples, keyed by pid. */
struct vm_state {
	pid_t pid;
	enum apf_source source;
	struct apf_qmp *qmp;
	struct apf_tp_counter *perf;
	double perf_since;		/* when perf was opened */
	bool warned, seen;
	unsigned int qmp_fails;		/* in a row; 0 after an answer */
	double qmp_retry_at;		/* no QMP before (CLOCK_MONOTONIC) */
};

/* After a failed QMP sample, wait 1, 2, 4 ... 64 s before asking again: a
 * silent or dripping monitor costs its full timeout each time, and N of
 * them would add N timeouts to every sample. */
#define QMP_BACKOFF_MAX_S 64.0

static void qmp_backoff(struct vm_state *st, double now)
{
	double wait = 1.0;
	unsigned int i;

	for (i = 1; i < st->qmp_fails && wait < QMP_BACKOFF_MAX_S; i++)
		wait *= 2;
	st->qmp_fails++;
	st->qmp_retry_at = now + (wait < QMP_BACKOFF_MAX_S ? wait : QMP_BACKOFF_MAX_S);
}

struct apf_sampler {
	struct apf_sampler_cfg cfg;
	struct apf_tracefs tracefs;
	struct vm_state *st;
	size_t nst;
	pid_t selected;			/* 0: all VMs */
	bool debugfs_vm_ok;		/* VM stat files readable */
	bool debugfs_total_ok;
	bool libvirt_ok;		/* libvirt answered last time */
	struct apf_tp_counter *perf_total;
	double perf_total_since;
	bool guest;
	struct apf_vm_list known;	/* last discovery, reused for names */
	unsigned int samples;
};

const char *apf_source_name(enum apf_source s)
{
	switch (s) {
	case APF_SRC_NONE: return "none";
	case APF_SRC_QMP: return "qmp";
	case APF_SRC_LIBVIRT: return "libvirt";
	case APF_SRC_DEBUGFS: return "debugfs";
	case APF_SRC_TRACEPOINTS: return "tracepoints";
	case APF_SRC_SUM: return "sum";
	case APF_SRC_DEBUGFS_TP: return "debugfs+tracepoints";
	case APF_SRC_SYSFS: return "sysfs";
	}
	return "unknown";
}

static struct vm_state *state_for(struct apf_sampler *s, pid_t pid)
{
	struct vm_state *st;
	size_t i;

	for (i = 0; i < s->nst; i++)
		if (s->st[i].pid == pid)
			return &s->st[i];
	st = realloc(s->st, (s->nst + 1) * sizeof(*st));
	if (!st)
		return NULL;
	s->st = st;
	st = &s->st[s->nst++];
	memset(st, 0, sizeof(*st));
	st->pid = pid;
	return st;
}

static void state_close(struct vm_state *st)
{
	apf_qmp_close(st->qmp);
	apf_tp_counter_close(st->perf);
	st->qmp = NULL;
	st->perf = NULL;
}

/* Drop state of VMs that were not seen in this sample (they exited). */
static void state_sweep(struct apf_sampler *s)
{
	size_t i, keep = 0;

	for (i = 0; i < s->nst; i++) {
		if (!s->st[i].seen) {
			state_close(&s->st[i]);
			continue;
		}
		s->st[i].seen = false;
		s->st[keep++] = s->st[i];
	}
	s->nst = keep;
}

static void tp_values_to_counters(const struct apf_tracefs *t,
				  const uint64_t *v, struct apf_counters *c)
{
	size_t i;

	for (i = 0; i < t->ntp; i++)
		apf_counters_set_window(c, t->tp[i].name, v[i]);
}

static int read_perf(const struct apf_tracefs *t, struct apf_tp_counter *pc,
		     struct apf_counters *c)
{
	uint64_t v[APF_TP_MAX];
	int err = apf_tp_counter_read(pc, v, t->ntp);

	if (!err)
		tp_values_to_counters(t, v, c);
	return err;
}

static void copy_vcpus(struct apf_vm_row *row, struct apf_qmp_vcpu_stats *v,
		       size_t n)
{
	size_t i;

	row->vcpus = calloc(n ? n : 1, sizeof(*row->vcpus));
	if (!row->vcpus)
		return;
	for (i = 0; i < n; i++) {
		row->vcpus[i].index = (unsigned int)v[i].index;
		/* Move, not copy: the caller frees the emptied source. */
		row->vcpus[i].counters = v[i].counters;
		memset(&v[i].counters, 0, sizeof(v[i].counters));
	}
	row->nvcpus = n;
}

/* VM counters are the sum over vCPUs plus the VM-wide stats. */
static void sum_vcpus(struct apf_counters *dst, const struct apf_qmp_vcpu_stats *v,
		      size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < v[i].counters.n; j++)
			apf_counters_add(dst, v[i].counters.v[j].name,
					 v[i].counters.v[j].value,
					 v[i].counters.v[j].kind);
}

static int sample_qmp(struct apf_sampler *s, struct vm_state *st,
		      const char *path, struct apf_vm_row *row)
{
	struct apf_qmp_vcpu_stats *v = NULL;
	size_t n = 0;
	int err = 0;

	if (!st->qmp)
		st->qmp = apf_qmp_open(path, s->cfg.qmp_timeout_ms, &err);
	if (!st->qmp)
		return err;
	err = apf_qmp_query_stats(st->qmp, s->cfg.all, &row->counters, &v, &n);
	if (err) {
		apf_qmp_close(st->qmp);	/* reconnect next time */
		st->qmp = NULL;
		apf_counters_free(&row->counters);
		return err;
	}
	sum_vcpus(&row->counters, v, n);
	if (s->cfg.vcpus)
		copy_vcpus(row, v, n);
	apf_qmp_vcpu_stats_free(v, n);
	snprintf(row->detail, sizeof(row->detail), "%s", path);
	return 0;
}

static int sample_libvirt(struct apf_libvirt_domain *doms, size_t ndoms,
			  const struct apf_vm *vm, bool vcpus,
			  struct apf_vm_row *row)
{
	size_t i;

	for (i = 0; i < ndoms; i++) {
		struct apf_libvirt_domain *d = &doms[i];

		if (strcmp(d->name, vm->qemu.name))
			continue;
		row->counters = d->vm;
		memset(&d->vm, 0, sizeof(d->vm));
		sum_vcpus(&row->counters, d->vcpus, d->nvcpus);
		if (vcpus)
			copy_vcpus(row, d->vcpus, d->nvcpus);
		snprintf(row->detail, sizeof(row->detail), "domain %s", d->name);
		return 0;
	}
	return -ENOENT;
}

static int sample_debugfs(struct apf_sampler *s, const struct apf_vm *vm,
			  struct apf_vm_row *row)
{
	char dir[64];
	unsigned int i;
	int n;

	snprintf(dir, sizeof(dir), "%d-%d", (int)vm->pid, vm->kvm_fd);
	n = apf_debugfs_read_stats(dir, s->cfg.all, &row->counters);
	if (n < 0)
		return n;
	if (!n)
		return -ENODATA;
	snprintf(row->detail, sizeof(row->detail), "/sys/kernel/debug/kvm/%s", dir);
	if (!s->cfg.vcpus || !vm->nr_vcpus)
		return 0;
	row->vcpus = calloc(vm->nr_vcpus, sizeof(*row->vcpus));
	if (!row->vcpus)
		return 0;
	for (i = 0; i < vm->nr_vcpus; i++) {
		char vdir[80];

		snprintf(vdir, sizeof(vdir), "%s/vcpu%u", dir, i);
		row->vcpus[row->nvcpus].index = i;
		if (apf_debugfs_read_stats(vdir, s->cfg.all,
					   &row->vcpus[row->nvcpus].counters) > 0)
			row->nvcpus++;
		else
			apf_counters_free(&row->vcpus[row->nvcpus].counters);
	}
	return 0;
}

static int sample_perf(struct apf_sampler *s, struct vm_state *st,
		       struct apf_vm_row *row)
{
	int err = 0;

	if (!s->tracefs.ntp)
		return -ENOENT;
	if (!st->perf) {
		st->perf = apf_tp_counter_open(&s->tracefs, st->pid, &err);
		st->perf_since = apf_now_s();
	}
	if (!st->perf)
		return err;
	row->window_since = st->perf_since;
	/* Counts since apfctl opened them; events the kernel raises in
	 * worker threads (kvm_async_pf_completed) are in the total only. */
	snprintf(row->detail, sizeof(row->detail), "threads of pid %d",
		 (int)st->pid);
	return read_perf(&s->tracefs, st->perf, &row->counters);
}

/* A QMP path from a fixture's command line lies under the sysroot like
 * everything else; only a socket there (a test's fake QEMU) is asked, so
 * trees without one stay quiet and never reach the host's sockets. */
static const char *sysroot_socket(const char *qmp, char *buf, size_t len)
{
	struct stat sb;

	if (apf_path(buf, len, "%s", qmp) || stat(buf, &sb) ||
	    !S_ISSOCK(sb.st_mode))
		return NULL;
	return buf;
}

/* Try each source in order of fidelity: KVM's own binary stats through the
 * VMM first, then debugfs, then counting tracepoints. */
static void sample_vm(struct apf_sampler *s, const struct apf_vm *vm,
		      struct apf_libvirt_domain *doms, size_t ndoms,
		      double libvirt_time, struct apf_vm_row *row,
		      void (*warn)(const char *))
{
	struct vm_state *st = state_for(s, vm->pid);
	const char *qmp = vm->qemu.qmp[0] ? vm->qemu.qmp : NULL;
	char msg[256], qpath[108];	/* sun_path */
	int err = -ENOENT;

	memset(row, 0, sizeof(*row));
	row->pid = vm->pid;
	snprintf(row->name, sizeof(row->name), "%s", vm->name);
	if (!st)
		return;
	st->seen = true;
	if (s->cfg.qmp && s->selected == vm->pid)
		qmp = s->cfg.qmp;
	else if (vm->qemu.libvirt)
		qmp = NULL;	/* libvirtd owns that monitor: ask libvirt */
	else if (qmp && !apf_sysroot_is_live())
		qmp = sysroot_socket(qmp, qpath, sizeof(qpath));
	if (qmp && st->qmp_fails && apf_now_s() < st->qmp_retry_at)
		qmp = NULL;	/* backing off: the other sources this time */
	if (qmp && !s->cfg.no_qmp && !(err = sample_qmp(s, st, qmp, row))) {
		row->source = APF_SRC_QMP;
		row->time = apf_now_s();	/* the reply is in */
		st->qmp_fails = 0;
		return;
	}
	if (qmp && !s->cfg.no_qmp)
		qmp_backoff(st, apf_now_s());
	if (qmp && !s->cfg.no_qmp && !st->warned && warn) {
		snprintf(msg, sizeof(msg), "VM %d (%s): QMP %s: %s; using other sources",
			 (int)vm->pid, vm->name, qmp, apf_strerror(-err));
		warn(msg);
		st->warned = true;
	}
	if (vm->qemu.libvirt && ndoms &&
	    !sample_libvirt(doms, ndoms, vm, s->cfg.vcpus, row)) {
		row->source = APF_SRC_LIBVIRT;
		row->time = libvirt_time;	/* one call for all domains */
		return;
	}
	if (s->debugfs_vm_ok && !sample_debugfs(s, vm, row)) {
		row->source = APF_SRC_DEBUGFS;
		row->time = apf_now_s();
		return;
	}
	apf_counters_free(&row->counters);
	if (!s->cfg.no_perf && !sample_perf(s, st, row)) {
		row->source = APF_SRC_TRACEPOINTS;
		row->time = apf_now_s();
		return;
	}
	apf_counters_free(&row->counters);
	row->detail[0] = '\0';
	row->source = APF_SRC_NONE;
	row->time = apf_now_s();
}

static bool vm_selected(const struct apf_sampler *s, const struct apf_vm *vm)
{
	return !s->selected || vm->pid == s->selected;
}

static void sample_total(struct apf_sampler *s, struct apf_sample *out)
{
	size_t i, j;

	if (s->debugfs_total_ok &&
	    apf_debugfs_read_stats("", s->cfg.all, &out->total) > 0) {
		out->total_source = APF_SRC_DEBUGFS;
		/* A stock kernel's debugfs has no APF counters: the tracepoints
		 * are the only place its async faults show up. */
		if (s->perf_total &&
		    !read_perf(&s->tracefs, s->perf_total, &out->total)) {
			out->total_source = APF_SRC_DEBUGFS_TP;
			out->total_window_since = s->perf_total_since;
		}
		return;
	}
	apf_counters_free(&out->total);
	if (s->perf_total && !read_perf(&s->tracefs, s->perf_total, &out->total)) {
		out->total_source = APF_SRC_TRACEPOINTS;
		out->total_window_since = s->perf_total_since;
		return;
	}
	apf_counters_free(&out->total);
	for (i = 0; i < out->nvms; i++) {
		/* A sum over window counts began with the latest of them. */
		if (out->vms[i].window_since > out->total_window_since)
			out->total_window_since = out->vms[i].window_since;
		for (j = 0; j < out->vms[i].counters.n; j++)
			apf_counters_add(&out->total, out->vms[i].counters.v[j].name,
					 out->vms[i].counters.v[j].value,
					 out->vms[i].counters.v[j].kind);
	}
	out->total_source = APF_SRC_SUM;
}

static void sample_guest(struct apf_sample *out)
{
	struct apf_guest_probe g;

	if (apf_guest_probe(&g) || !apf_is_guest(&g)) {
		apf_guest_probe_free(&g);
		return;
	}
	out->guest = true;
	out->guest_source = g.sysfs ? APF_SRC_SYSFS : APF_SRC_NONE;
	out->guest_counters = g.counters;
	memset(&g.counters, 0, sizeof(g.counters));
	if (g.hyp.found)
		apf_counters_set(&out->guest_counters, "hyp_interrupts", g.hyp.total);
	apf_guest_probe_free(&g);
}

int apf_sampler_take(struct apf_sampler *s, struct apf_sample *out,
		     void (*warn)(const char *msg))
{
	struct apf_libvirt_domain *doms = NULL;
	struct apf_vm_list vms;
	size_t i, ndoms = 0;
	bool any_libvirt = false;
	double libvirt_time;
	int err;

	memset(out, 0, sizeof(*out));
	/* Re-read every VM's /proc entry now and then, in case a pid and VM
	 * fd were reused by a new VM; otherwise only new VMs are read. */
	err = apf_vms_discover_cached(&vms, s->samples++ % 32 ? &s->known : NULL);
	if (err && err != -ENOENT && err != -EACCES)
		return err;
	if (err)
		vms.n = 0, vms.v = NULL;
	out->vms_err = err;
	for (i = 0; i < vms.n; i++)
		any_libvirt |= vm_selected(s, &vms.v[i]) && vms.v[i].qemu.libvirt;
	if (any_libvirt && !s->cfg.no_libvirt && s->libvirt_ok &&
	    apf_libvirt_domain_stats(NULL, s->cfg.all, &doms, &ndoms)) {
		s->libvirt_ok = false;	/* no daemon: stop asking */
		if (warn)
			warn("libvirt domain stats unavailable; using other sources");
	}
	libvirt_time = apf_now_s();
	out->vms = calloc(vms.n ? vms.n : 1, sizeof(*out->vms));
	if (!out->vms) {
		apf_libvirt_domains_free(doms, ndoms);
		apf_vms_free(&vms);
		return -ENOMEM;
	}
	for (i = 0; i < vms.n; i++) {
		if (!vm_selected(s, &vms.v[i]))
			continue;
		sample_vm(s, &vms.v[i], doms, ndoms, libvirt_time,
			  &out->vms[out->nvms], warn);
		out->nvms++;
	}
	apf_libvirt_domains_free(doms, ndoms);
	apf_vms_free(&s->known);
	s->known = vms;
	state_sweep(s);
	for (i = 0; i < out->nvms; i++) {
		size_t j;

		apf_counters_sort(&out->vms[i].counters);
		for (j = 0; j < out->vms[i].nvcpus; j++)
			apf_counters_sort(&out->vms[i].vcpus[j].counters);
	}
	out->time = apf_now_s();
	if (s->selected && !out->nvms) {
		apf_sample_free(out);
		return -ESRCH;
	}
	if (!s->selected)
		sample_total(s, out);
	out->total_time = apf_now_s();
	apf_counters_sort(&out->total);
	if (s->guest)
		sample_guest(out);
	out->guest_time = apf_now_s();
	return 0;
}

struct apf_sampler *apf_sampler_open(const struct apf_sampler_cfg *cfg, int *err)
{
	struct apf_counters probe = { 0 };
	struct apf_sampler *s = calloc(1, sizeof(*s));
	struct apf_guest_probe g;

	*err = 0;
	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	s->cfg = *cfg;
	if (!s->cfg.qmp_timeout_ms)
		s->cfg.qmp_timeout_ms = 1000;
	s->libvirt_ok = true;
	if (cfg->select) {
		struct apf_vm_list vms;
		const struct apf_vm *vm;

		*err = apf_vms_discover(&vms);
		vm = *err ? NULL : apf_vms_find(&vms, cfg->select);
		if (vm)
			s->selected = vm->pid;
		apf_vms_free(&vms);
		if (!vm) {
			free(s);
			*err = -ESRCH;
			return NULL;
		}
	}
	/* Probe once: under lockdown every stat file is EPERM, and trying
	 * them again every sample would only cost time. */
	s->debugfs_total_ok = apf_debugfs_read_stats("", cfg->all, &probe) > 0;
	s->debugfs_vm_ok = s->debugfs_total_ok;
	apf_counters_free(&probe);
	apf_tracefs_discover(&s->tracefs);
	if (!cfg->no_perf && !s->selected && s->tracefs.ntp &&
	    (!s->debugfs_total_ok || !apf_debugfs_has_stat("async_pf_queued")) &&
	    apf_sysroot_is_live()) {
		int perr;

		s->perf_total = apf_tp_counter_open(&s->tracefs, 0, &perr);
		s->perf_total_since = apf_now_s();
	}
	if (!apf_sysroot_is_live()) {
		/* A fixture tree has no daemons or perf; QMP sockets only
		 * where a test serves one (sysroot_socket()). */
		s->cfg.no_perf = s->cfg.no_libvirt = true;
	}
	s->guest = !apf_guest_probe(&g) && apf_is_guest(&g);
	apf_guest_probe_free(&g);
	return s;
}

void apf_sample_free(struct apf_sample *smp)
{
	size_t i, j;

	for (i = 0; i < smp->nvms; i++) {
		apf_counters_free(&smp->vms[i].counters);
		for (j = 0; j < smp->vms[i].nvcpus; j++)
			apf_counters_free(&smp->vms[i].vcpus[j].counters);
		free(smp->vms[i].vcpus);
	}
	free(smp->vms);
	apf_counters_free(&smp->total);
	apf_counters_free(&smp->guest_counters);
	memset(smp, 0, sizeof(*smp));
}

void apf_sampler_close(struct apf_sampler *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nst; i++)
		state_close(&s->st[i]);
	free(s->st);
	apf_vms_free(&s->known);
	apf_tp_counter_close(s->perf_total);
	free(s);
}

bool apf_rate(const struct apf_counters *prev, const struct apf_counter *cur,
	      double dt, double *rate)
{
	const struct apf_counter *p = prev ? apf_counters_find(prev, cur->name) : NULL;

	if (!p || dt <= 0 || cur->value < p->value)
		return false;
	*rate = (double)(cur->value - p->value) / dt;
	return true;
}

double apf_vm_dt(const struct apf_vm_row *cur, const struct apf_vm_row *prev)
{
	return prev ? cur->time - prev->time : 0;
}

bool apf_total_rate(const struct apf_sample *cur, const struct apf_sample *prev,
		    const struct apf_counter *c, double *rate)
{
	bool any = false;
	size_t i;

	if (cur->total_source != prev->total_source)
		return false;
	if (cur->total_source != APF_SRC_SUM)
		return apf_rate(&prev->total, c, cur->total_time - prev->total_time,
				rate);
	*rate = 0;
	for (i = 0; i < cur->nvms; i++) {
		const struct apf_vm_row *v = &cur->vms[i];
		const struct apf_vm_row *pv = apf_sample_vm(prev, v->pid);
		const struct apf_counter *vc = apf_counters_find(&v->counters, c->name);
		double r;

		if (!vc || !pv || !apf_counters_find(&pv->counters, c->name))
			continue;
		if (!apf_rate(&pv->counters, vc, apf_vm_dt(v, pv), &r))
			return false;	/* went down: no honest sum */
		*rate += r;
		any = true;
	}
	return any;
}

const struct apf_vm_row *apf_sample_vm(const struct apf_sample *smp, pid_t pid)
{
	size_t i;

	for (i = 0; i < smp->nvms; i++)
		if (smp->vms[i].pid == pid)
			return &smp->vms[i];
	return NULL;
}
