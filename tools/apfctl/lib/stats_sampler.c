// SPDX-License-Identifier: GPL-2.0-only
/*
 * One stats sample over every source.  What a sample costs, with many VMs:
 *  - debugfs: each VM's stat files (and each vCPU's, with -v) are opened
 *    once and read with one pread(2) each per sample (lib/kvm_debugfs.c),
 *    not opened, checked, read and closed each time.  An open per-VM stat
 *    file holds a reference on the VM in KVM, so on the live system each
 *    such VM's VMM is watched with a pidfd: when it exits, its files are
 *    closed at once (apf_sampler_wait() sleeps on the pidfds), and a VM
 *    whose pidfd cannot be had is read the old way.
 *  - QMP: the VMs asked over QMP are asked at the same time, by up to
 *    QMP_WORKERS threads, while this thread reads the others; each VM's
 *    whole exchange (connect, greeting, three commands) is bounded by one
 *    --qmp-timeout.  So slow monitors delay a sample by about one timeout,
 *    however many there are (up to QMP_WORKERS of them), and never bend
 *    the other VMs' rates: each row has the time it was read.
 *  - lookups by pid are binary searches over arrays kept sorted.
 */
#include "stats_sampler.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "kvm_debugfs.h"
#include "libvirt_stats.h"
#include "perf_tp.h"
#include "probe.h"
#include "qmp.h"
#include "spawn.h"
#include "sysroot.h"
#include "tracefs.h"
#include "vms.h"

/* Kept stat files are closed over a wait longer than this. */
#define APF_HOLD_MAX_MS 10000
/* Monitors asked at once; more wait their turn. */
#define QMP_WORKERS 16
/* Descriptors kept free for everything else (sockets, perf, children). */
#define FD_RESERVE ((size_t)256)
/* The fd budget asked for: what a large fleet with -v needs at most. */
#define FD_WANT ((size_t)1 << 20)

/* Per-VM source state kept across samples, keyed by pid (sorted). */
struct vm_state {
	pid_t pid;
	enum apf_source source;
	struct apf_qmp *qmp;
	struct apf_tp_counter *perf;
	double perf_since;		/* when perf was opened */
	bool warned, seen;
	bool warned_argv;		/* its argv read hung: said once */
	unsigned int qmp_fails;		/* in a row; 0 after an answer */
	double qmp_retry_at;		/* no QMP before (CLOCK_MONOTONIC) */
	/* debugfs, kept open: the VM's stat files and each vCPU's. */
	int kvm_fd;			/* the VM directory they are of */
	struct apf_debugfs_set *dset;
	struct apf_debugfs_set **vsets;
	unsigned int nvsets;
	bool sets_tried;		/* opened (or given up) for this VM */
	int pidfd;			/* live: the VMM, while sets are open */
	bool exited;			/* its pidfd said so: not sampled */
	bool fd_gone;			/* its VMM closed the VM fd */
};

/* After a failed QMP sample, wait 1, 2, 4 ... 64 s before asking again: a
 * silent or dripping monitor costs its full timeout each time. */
#define QMP_BACKOFF_MAX_S 64.0

double apf_qmp_backoff_s(unsigned int fails)
{
	double wait = 1.0;
	unsigned int i;

	for (i = 1; i < fails && wait < QMP_BACKOFF_MAX_S; i++)
		wait *= 2;
	return wait < QMP_BACKOFF_MAX_S ? wait : QMP_BACKOFF_MAX_S;
}

static void qmp_backoff(struct vm_state *st, double now)
{
	st->qmp_fails++;
	st->qmp_retry_at = now + apf_qmp_backoff_s(st->qmp_fails);
}

struct apf_sampler {
	struct apf_sampler_cfg cfg;
	struct apf_tracefs tracefs;
	struct vm_state *st;		/* sorted by pid */
	size_t nst, capst;
	pid_t selected;			/* 0: all VMs */
	bool debugfs_vm_ok;		/* VM stat files readable */
	bool debugfs_total_ok;
	bool libvirt_ok;		/* libvirt answered last time */
	struct apf_tp_counter *perf_total;
	double perf_total_since;
	struct apf_debugfs_set *total_set;
	bool guest;
	struct apf_vm_list known;	/* last discovery, reused for names */
	unsigned int samples;
	size_t fds_held, fd_budget;	/* debugfs descriptors kept open */
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

/* ---------------------------------------------------------------- state */

static size_t state_index(const struct apf_sampler *s, pid_t pid, bool *found)
{
	size_t lo = 0, hi = s->nst;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->st[mid].pid == pid) {
			*found = true;
			return mid;
		}
		if (s->st[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static struct vm_state *state_for(struct apf_sampler *s, pid_t pid)
{
	bool found;
	size_t i = state_index(s, pid, &found);
	struct vm_state *st;

	if (found)
		return &s->st[i];
	if (s->nst == s->capst) {
		size_t cap = s->capst ? s->capst * 2 : 16;

		st = realloc(s->st, cap * sizeof(*st));
		if (!st)
			return NULL;
		s->st = st;
		s->capst = cap;
	}
	memmove(&s->st[i + 1], &s->st[i], (s->nst - i) * sizeof(*s->st));
	s->nst++;
	st = &s->st[i];
	memset(st, 0, sizeof(*st));
	st->pid = pid;
	st->pidfd = -1;
	return st;
}

static void sets_close(struct apf_sampler *s, struct vm_state *st)
{
	unsigned int i;

	s->fds_held -= apf_debugfs_set_files(st->dset);
	apf_debugfs_set_close(st->dset);
	st->dset = NULL;
	for (i = 0; i < st->nvsets; i++) {
		s->fds_held -= apf_debugfs_set_files(st->vsets[i]);
		apf_debugfs_set_close(st->vsets[i]);
	}
	free(st->vsets);
	st->vsets = NULL;
	st->nvsets = 0;
	if (st->pidfd >= 0)
		close(st->pidfd);
	st->pidfd = -1;
}

static void state_close(struct apf_sampler *s, struct vm_state *st)
{
	apf_qmp_close(st->qmp);
	apf_tp_counter_close(st->perf);
	st->qmp = NULL;
	st->perf = NULL;
	sets_close(s, st);
}

/* Drop state of VMs that were not seen in this sample (they exited). */
static void state_sweep(struct apf_sampler *s)
{
	size_t i, keep = 0;

	for (i = 0; i < s->nst; i++) {
		if (!s->st[i].seen) {
			state_close(s, &s->st[i]);
			continue;
		}
		s->st[i].seen = false;
		s->st[keep++] = s->st[i];
	}
	s->nst = keep;
}

/* Close the files of VMs whose VMM exited: KVM destroys a VM only once
 * the last of them is closed.  Waits up to ms for one (0: just looks).
 * Returns how many exited, or -errno (-EINTR: a signal came). */
static int reap_exited(struct apf_sampler *s, int ms)
{
	struct pollfd *p;
	size_t i, n = 0, *idx;
	int r, exited = 0;

	for (i = 0; i < s->nst; i++)
		n += s->st[i].pidfd >= 0;
	if (!n)
		return ms > 0 && poll(NULL, 0, ms) < 0 ? -errno : 0;
	p = calloc(n, sizeof(*p));
	idx = calloc(n, sizeof(*idx));
	if (!p || !idx) {
		free(p);
		free(idx);
		return -ENOMEM;
	}
	for (i = 0, n = 0; i < s->nst; i++) {
		if (s->st[i].pidfd < 0)
			continue;
		p[n].fd = s->st[i].pidfd;
		p[n].events = POLLIN;
		idx[n++] = i;
	}
	r = poll(p, n, ms);
	if (r < 0)
		r = -errno;
	for (i = 0; r > 0 && i < n; i++) {
		if (!p[i].revents)
			continue;
		s->st[idx[i]].exited = true;
		sets_close(s, &s->st[idx[i]]);
		exited++;
	}
	free(p);
	free(idx);
	return r < 0 ? r : exited;
}

/* Close every VM's kept files (they are opened again when next read). */
static void release_sets(struct apf_sampler *s)
{
	size_t i;

	for (i = 0; i < s->nst; i++) {
		sets_close(s, &s->st[i]);
		s->st[i].sets_tried = false;
	}
}

void apf_sampler_release(struct apf_sampler *s, long ms)
{
	/* Kept files hold their VMs: not over a long wait. */
	if (ms > s->cfg.hold_max_ms)
		release_sets(s);
}

int apf_sampler_wait(struct apf_sampler *s, long ms)
{
	int64_t until = apf_now_ms() + ms;
	int left, r;

	apf_sampler_release(s, ms);

	/* Sleep on the pidfds: a VMM that exits meanwhile has its files
	 * closed now, not at the next sample. */
	while ((left = apf_ms_left(until)) > 0)
		if ((r = reap_exited(s, left)) < 0)
			return r;
	return 0;
}

/* ---------------------------------------------------------------- sources */

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

/* One VM over QMP: safe to run in a worker thread (it touches only st,
 * row and the read-only configuration).  The whole exchange ends by one
 * deadline. */
static int sample_qmp(const struct apf_sampler_cfg *cfg, struct vm_state *st,
		      const char *path, struct apf_vm_row *row)
{
	struct apf_qmp_vcpu_stats *v = NULL;
	int64_t deadline = apf_now_ms() + cfg->qmp_timeout_ms;
	size_t n = 0;
	int err = 0;

	if (!st->qmp)
		st->qmp = apf_qmp_open_until(path, cfg->qmp_timeout_ms, deadline, &err);
	if (!st->qmp)
		return err;
	apf_qmp_set_deadline(st->qmp, deadline);
	err = apf_qmp_query_stats(st->qmp, cfg->all, &row->counters, &v, &n);
	if (err) {
		apf_qmp_close(st->qmp);	/* reconnect next time */
		st->qmp = NULL;
		apf_counters_free(&row->counters);
		return err;
	}
	apf_qmp_set_deadline(st->qmp, 0);
	sum_vcpus(&row->counters, v, n);
	if (cfg->vcpus)
		copy_vcpus(row, v, n);
	apf_qmp_vcpu_stats_free(v, n);
	snprintf(row->detail, sizeof(row->detail), "%s", path);
	row->time = apf_now_s();	/* the reply is in */
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

/* Keep a set open if the budget allows (else read it once and close). */
static int set_open(struct apf_sampler *s, const char *dir,
		    struct apf_debugfs_set **out)
{
	int n = apf_debugfs_set_open(dir, s->cfg.all, out);

	if (n > 0)
		s->fds_held += (size_t)n;
	return n;
}

/* Open the VM's (and its vCPUs') stat files to keep, on the live system
 * only with a pidfd on its VMM to close them by.  false: read them the
 * old way (no budget left, no pidfd). */
static bool sets_open(struct apf_sampler *s, struct vm_state *st,
		      const struct apf_vm *vm)
{
	size_t want = (1 + (s->cfg.vcpus ? vm->nr_vcpus : 0)) *
		      (s->cfg.all ? 64 : apf_host_counter_count +
		       apf_context_counter_count);
	char dir[64];
	unsigned int i;

	st->sets_tried = true;
	st->kvm_fd = vm->kvm_fd;
	if (s->fds_held + want > s->fd_budget)
		return false;
	/* Not a VM its VMM still has: nothing to hold it by. */
	if (vm->kvm_fd >= 0 && !apf_vm_fd_is_vm(vm->pid, vm->kvm_fd))
		return false;
	if (s->cfg.watch_vmm) {
		st->pidfd = apf_pidfd_open(st->pid);
		if (st->pidfd < 0)
			return false;
	}
	snprintf(dir, sizeof(dir), "%d-%d", (int)vm->pid, vm->kvm_fd);
	if (set_open(s, dir, &st->dset) <= 0) {
		sets_close(s, st);
		return false;
	}
	if (!s->cfg.vcpus || !vm->nr_vcpus)
		return true;
	st->vsets = calloc(vm->nr_vcpus, sizeof(struct apf_debugfs_set *));
	if (!st->vsets)
		return true;
	for (i = 0; i < vm->nr_vcpus; i++) {
		char vdir[80];

		snprintf(vdir, sizeof(vdir), "%s/vcpu%u", dir, i);
		/* A vCPU without files: an empty slot, skipped when read. */
		set_open(s, vdir, &st->vsets[i]);
	}
	st->nvsets = vm->nr_vcpus;
	return true;
}

/* A VM whose stat files are kept (each holds the VM in KVM) must still
 * be its VMM's: one that closed its VM fd and runs on would otherwise
 * keep the VM alive through us, its debugfs directory listed, its last
 * counters reported, and a new VM on the same fd number refused its own
 * directory.  So each sample reads the fd link of every such VM (and of
 * one found closed before: a new VM may take the number) and closes the
 * files where it is no longer a VM.  false: leave the VM out. */
static bool vm_fd_held(struct apf_sampler *s, struct vm_state *st,
		       const struct apf_vm *vm)
{
	int r;

	if (st->kvm_fd != vm->kvm_fd)
		st->fd_gone = false;	/* another VM fd: judged afresh */
	if ((!st->dset && !st->fd_gone) || vm->kvm_fd < 0)
		return true;
	r = apf_vm_fd_is_vm(vm->pid, vm->kvm_fd);
	if (r) {
		if (st->fd_gone) {	/* a new VM on that number */
			st->fd_gone = false;
			st->sets_tried = false;
		}
		return true;	/* a VM, or no way to tell (not ours) */
	}
	sets_close(s, st);
	st->fd_gone = true;
	return false;
}

static int sample_debugfs(struct apf_sampler *s, struct vm_state *st,
			  const struct apf_vm *vm, struct apf_vm_row *row)
{
	char dir[64];
	unsigned int i;
	int n;

	/* A new VM under an old pid (the pid and fd reused): new files. */
	if (st->sets_tried && st->kvm_fd != vm->kvm_fd) {
		sets_close(s, st);
		st->sets_tried = false;
	}
	if (!st->sets_tried)
		sets_open(s, st, vm);
	if (st->dset) {
		n = apf_debugfs_set_read(st->dset, &row->counters);
		if (n <= 0)	/* gone under us: no more reads of these */
			sets_close(s, st);
	} else {
		snprintf(dir, sizeof(dir), "%d-%d", (int)vm->pid, vm->kvm_fd);
		n = apf_debugfs_read_stats(dir, s->cfg.all, &row->counters);
	}
	if (n < 0)
		return n;
	if (!n)
		return -ENODATA;
	snprintf(row->detail, sizeof(row->detail), "/sys/kernel/debug/kvm/%d-%d",
		 (int)vm->pid, vm->kvm_fd);
	if (!s->cfg.vcpus || !vm->nr_vcpus)
		return 0;
	row->vcpus = calloc(vm->nr_vcpus, sizeof(*row->vcpus));
	if (!row->vcpus)
		return 0;
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct apf_vcpu_row *vr = &row->vcpus[row->nvcpus];
		char vdir[80];

		vr->index = i;
		if (st->dset && i < st->nvsets) {
			n = st->vsets[i] ? apf_debugfs_set_read(st->vsets[i],
								&vr->counters) : 0;
		} else {
			snprintf(vdir, sizeof(vdir), "%d-%d/vcpu%u", (int)vm->pid,
				 vm->kvm_fd, i);
			n = apf_debugfs_read_stats(vdir, s->cfg.all, &vr->counters);
		}
		if (n > 0)
			row->nvcpus++;
		else
			apf_counters_free(&vr->counters);
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

/* The QMP socket to ask for vm this sample, or NULL (none, libvirt's,
 * or backing off). */
static const char *qmp_path_of(const struct apf_sampler *s, const struct vm_state *st,
			       const struct apf_vm *vm, char *buf, size_t len)
{
	const char *qmp = vm->qemu.qmp[0] ? vm->qemu.qmp : NULL;

	if (s->cfg.no_qmp)
		return NULL;
	if (s->cfg.qmp && s->selected == vm->pid)
		qmp = s->cfg.qmp;
	else if (vm->qemu.libvirt)
		qmp = NULL;	/* libvirtd owns that monitor: ask libvirt */
	else if (qmp && !apf_sysroot_is_live())
		qmp = sysroot_socket(qmp, buf, len);
	if (qmp && st->qmp_fails && apf_now_s() < st->qmp_retry_at)
		qmp = NULL;	/* backing off: the other sources this time */
	if (qmp && qmp != buf)
		snprintf(buf, len, "%s", qmp);
	return qmp ? buf : NULL;
}

/* The sources after QMP, in order of fidelity: libvirt (KVM's binary
 * stats through the VMM), debugfs, counting tracepoints. */
static void sample_others(struct apf_sampler *s, struct vm_state *st,
			  const struct apf_vm *vm, struct apf_libvirt_domain *doms,
			  size_t ndoms, double libvirt_time, struct apf_vm_row *row)
{
	if (vm->qemu.libvirt && ndoms &&
	    !sample_libvirt(doms, ndoms, vm, s->cfg.vcpus, row)) {
		row->source = APF_SRC_LIBVIRT;
		row->time = libvirt_time;	/* one call for all domains */
		return;
	}
	if (s->debugfs_vm_ok && !sample_debugfs(s, st, vm, row)) {
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

/* ---------------------------------------------------------------- QMP jobs */

struct qmp_job {
	struct vm_state *st;
	struct apf_vm_row *row;
	const struct apf_vm *vm;
	char path[APF_SOCK_MAX];
	int err;
};

struct qmp_pool {
	const struct apf_sampler_cfg *cfg;
	struct qmp_job *jobs;
	size_t n;
	atomic_size_t next;
};

static void *qmp_worker(void *arg)
{
	struct qmp_pool *pool = arg;
	size_t i;

	while ((i = atomic_fetch_add(&pool->next, 1)) < pool->n) {
		struct qmp_job *j = &pool->jobs[i];

		j->err = sample_qmp(pool->cfg, j->st, j->path, j->row);
	}
	return NULL;
}

/* Start the workers (none for a single job: it runs in qmp_finish). */
static size_t qmp_start(struct qmp_pool *pool, pthread_t *tid)
{
	size_t want = pool->n < QMP_WORKERS ? pool->n : QMP_WORKERS, t;

	if (pool->n < 2)
		return 0;
	for (t = 0; t < want; t++)
		if (pthread_create(&tid[t], NULL, qmp_worker, pool))
			break;
	return t;
}

static void qmp_finish(struct qmp_pool *pool, pthread_t *tid, size_t nthreads)
{
	size_t t;

	/* What no thread took (one job, or threads that did not start). */
	qmp_worker(pool);
	for (t = 0; t < nthreads; t++)
		pthread_join(tid[t], NULL);
}

/* ---------------------------------------------------------------- sample */

static bool vm_selected(const struct apf_sampler *s, const struct apf_vm *vm)
{
	return !s->selected || vm->pid == s->selected;
}

static void sample_total(struct apf_sampler *s, struct apf_sample *out)
{
	size_t i, j;

	if (s->debugfs_total_ok) {
		int n;

		if (!s->total_set && set_open(s, "", &s->total_set) <= 0) {
			apf_debugfs_set_close(s->total_set);
			s->total_set = NULL;
		}
		n = s->total_set ? apf_debugfs_set_read(s->total_set, &out->total) :
		    apf_debugfs_read_stats("", s->cfg.all, &out->total);
		if (n > 0) {
			out->total_source = APF_SRC_DEBUGFS;
			/* A stock kernel's debugfs has no APF counters: the
			 * tracepoints are the only place its async faults
			 * show up. */
			if (s->perf_total &&
			    !read_perf(&s->tracefs, s->perf_total, &out->total)) {
				out->total_source = APF_SRC_DEBUGFS_TP;
				out->total_window_since = s->perf_total_since;
			}
			return;
		}
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

static void warn_qmp(const struct qmp_job *j, void (*warn)(const char *))
{
	char msg[256];

	snprintf(msg, sizeof(msg), "VM %d (%s): QMP %s: %s; using other sources",
		 (int)j->vm->pid, j->vm->name, j->path, apf_strerror(-j->err));
	warn(msg);
}

static void warn_argv(const struct apf_vm *vm, void (*warn)(const char *))
{
	char msg[256];

	snprintf(msg, sizeof(msg), "VM %d (%s): /proc/%d/cmdline %s; shown by its "
		 "process name, without its QMP socket", (int)vm->pid, vm->name,
		 (int)vm->pid, apf_vm_argv_problem(vm));
	warn(msg);
}

/* Every VM of vms into out->vms (in vms' order, which is by pid): QMP
 * ones by the workers, the others here meanwhile, then the sources after
 * QMP for the VMs QMP failed. */
static int sample_vms(struct apf_sampler *s, const struct apf_vm_list *vms,
		      struct apf_libvirt_domain *doms, size_t ndoms,
		      double libvirt_time, struct apf_sample *out,
		      void (*warn)(const char *msg))
{
	struct slot {
		struct vm_state *st;
		const struct apf_vm *vm;
		bool qmp;
	} *slot;
	struct qmp_pool pool = { .cfg = &s->cfg };
	pthread_t tid[QMP_WORKERS];
	size_t i, nthreads;

	pool.jobs = calloc(vms->n ? vms->n : 1, sizeof(*pool.jobs));
	slot = calloc(vms->n ? vms->n : 1, sizeof(*slot));
	if (!pool.jobs || !slot) {
		free(pool.jobs);
		free(slot);
		return -ENOMEM;
	}
	/* Every VM's state first: adding one moves the array, so pointers
	 * into it are taken only once nothing more is added. */
	for (i = 0; i < vms->n; i++)
		if (vm_selected(s, &vms->v[i]))
			state_for(s, vms->v[i].pid);
	for (i = 0; i < vms->n; i++) {
		const struct apf_vm *vm = &vms->v[i];
		struct vm_state *st;
		struct apf_vm_row *row;
		struct qmp_job *j = &pool.jobs[pool.n];
		bool found;
		size_t k;

		if (!vm_selected(s, vm))
			continue;
		k = state_index(s, vm->pid, &found);
		st = found ? &s->st[k] : NULL;
		if (st && st->exited)
			continue;	/* its VMM is gone; so is the VM */
		if (st && !vm_fd_held(s, st, vm)) {
			st->seen = true;	/* remembered as closed */
			continue;	/* its VMM closed it: not its VM now */
		}
		row = &out->vms[out->nvms];
		slot[out->nvms].st = st;
		slot[out->nvms].vm = vm;
		out->nvms++;
		row->pid = vm->pid;
		k = strnlen(vm->name, sizeof(row->name) - 1);
		memcpy(row->name, vm->name, k);	/* the row is zeroed */
		if (!st) {
			row->time = apf_now_s();	/* out of memory: no source */
			continue;
		}
		st->seen = true;
		if (vm->argv_err && !st->warned_argv && warn) {
			warn_argv(vm, warn);
			st->warned_argv = true;
		}
		if (qmp_path_of(s, st, vm, j->path, sizeof(j->path))) {
			j->st = st;
			j->row = row;
			j->vm = vm;
			pool.n++;
			slot[out->nvms - 1].qmp = true;
		}
	}
	atomic_init(&pool.next, 0);
	nthreads = qmp_start(&pool, tid);
	/* Meanwhile, every VM that is not asked over QMP. */
	for (i = 0; i < out->nvms; i++)
		if (slot[i].st && !slot[i].qmp)
			sample_others(s, slot[i].st, slot[i].vm, doms, ndoms,
				      libvirt_time, &out->vms[i]);
	qmp_finish(&pool, tid, nthreads);
	for (i = 0; i < pool.n; i++) {
		struct qmp_job *j = &pool.jobs[i];

		if (!j->err) {
			j->row->source = APF_SRC_QMP;
			j->st->qmp_fails = 0;
			continue;
		}
		qmp_backoff(j->st, apf_now_s());
		if (!j->st->warned && warn) {
			warn_qmp(j, warn);
			j->st->warned = true;
		}
		sample_others(s, j->st, j->vm, doms, ndoms, libvirt_time, j->row);
	}
	free(pool.jobs);
	free(slot);
	return 0;
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
	/* VMMs that exited since the last look: their files closed first. */
	reap_exited(s, 0);
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
	err = out->vms ? sample_vms(s, &vms, doms, ndoms, libvirt_time, out, warn) :
	      -ENOMEM;
	apf_libvirt_domains_free(doms, ndoms);
	if (err) {
		apf_vms_free(&vms);
		apf_sample_free(out);
		return err;
	}
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
	size_t limit;

	*err = 0;
	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	s->cfg = *cfg;
	if (apf_sysroot_is_live())
		s->cfg.watch_vmm = true;
	if (!s->cfg.qmp_timeout_ms)
		s->cfg.qmp_timeout_ms = 1000;
	if (!s->cfg.hold_max_ms)
		s->cfg.hold_max_ms = APF_HOLD_MAX_MS;
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
	if (s->debugfs_vm_ok) {
		/* Stat files kept open need descriptors: as many as the
		 * hard limit allows, less a reserve for everything else. */
		limit = apf_fd_limit(FD_WANT);
		s->fd_budget = limit > FD_RESERVE * 2 ? limit - FD_RESERVE : limit / 2;
	}
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

	for (i = 0; smp->vms && i < smp->nvms; i++) {
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
		state_close(s, &s->st[i]);
	free(s->st);
	apf_vms_free(&s->known);
	apf_tp_counter_close(s->perf_total);
	apf_debugfs_set_close(s->total_set);
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
	/* Counters of two sources (QMP, then debugfs while QMP backs off)
	 * are not one series: no interval, so no rate, across them. */
	return prev && prev->source == cur->source ? cur->time - prev->time : 0;
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

		if (!vc || !pv || pv->source != v->source ||
		    !apf_counters_find(&pv->counters, c->name))
			continue;	/* no earlier value of the same series */
		if (!apf_rate(&pv->counters, vc, apf_vm_dt(v, pv), &r))
			return false;	/* went down: no honest sum */
		*rate += r;
		any = true;
	}
	return any;
}

/* Rows are in pid order (discovery sorts them): a binary search. */
const struct apf_vm_row *apf_sample_vm(const struct apf_sample *smp, pid_t pid)
{
	size_t lo = 0, hi = smp->nvms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (smp->vms[mid].pid == pid)
			return &smp->vms[mid];
		if (smp->vms[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
