// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvirt domain stats through dlopen: guests and plain-QEMU hosts have no
 * libvirt, so apfctl must not link it.  <libvirt/libvirt.h> is included for
 * types and constants only.
 *
 * libvirt calls can block (a daemon that accepts but never answers, a
 * monitor stuck in a job), so the whole open/query/close runs in a worker
 * thread that the caller waits on with a deadline (lib/bounded.h).  A
 * timed-out worker is left to finish on its own; while one is still out,
 * later calls fail at once instead of piling up threads.
 */
#include "libvirt_stats.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "bounded.h"
#include "number.h"

static struct {
	void *h;
	virConnectPtr (*open_ro)(const char *);
	int (*close)(virConnectPtr);
	int (*get_all_stats)(virConnectPtr, unsigned int,
			     virDomainStatsRecordPtr **, unsigned int);
	void (*records_free)(virDomainStatsRecordPtr *);
	const char *(*dom_name)(virDomainPtr);
	unsigned int (*dom_id)(virDomainPtr);
	void (*set_error_func)(void *, virErrorFunc);
	virErrorPtr (*last_error)(void);
} lv;

static pthread_once_t lv_once = PTHREAD_ONCE_INIT;
static int lv_load_err;
/* A worker that outlived its caller's deadline and still runs: while one
 * does, later calls fail at once. */
static struct apf_stuck lv_stuck = { .max = 1 };
static char lv_errmsg[256];
static pthread_mutex_t lv_errmsg_lock = PTHREAD_MUTEX_INITIALIZER;

/* libvirt prints every error on stderr by default; apfctl reports them in
 * its own words (and -j output must stay clean). */
static void lv_silent(void *opaque, virErrorPtr e)
{
	(void)opaque;
	(void)e;
}

static void lv_load(void)
{
	/* Never dlclose: libvirt keeps threads and one-time state. */
	lv.h = dlopen("libvirt.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!lv.h) {
		lv_load_err = -ENOTSUP;
		return;
	}
#define SYM(field, name)                                         \
	do {                                                       \
		*(void **)&lv.field = dlsym(lv.h, name);           \
		if (!lv.field) {                                   \
			lv_load_err = -ENOTSUP;                    \
			return;                                    \
		}                                                  \
	} while (0)
	SYM(open_ro, "virConnectOpenReadOnly");
	SYM(close, "virConnectClose");
	SYM(get_all_stats, "virConnectGetAllDomainStats");
	SYM(records_free, "virDomainStatsRecordListFree");
	SYM(dom_name, "virDomainGetName");
	SYM(dom_id, "virDomainGetID");
	SYM(set_error_func, "virSetErrorFunc");
	SYM(last_error, "virGetLastError");
#undef SYM
	lv.set_error_func(NULL, lv_silent);
}

const char *apf_libvirt_last_error(void)
{
	return lv_errmsg;
}

static void set_errmsg(const char *msg)
{
	pthread_mutex_lock(&lv_errmsg_lock);
	snprintf(lv_errmsg, sizeof(lv_errmsg), "%s", msg ? msg : "");
	pthread_mutex_unlock(&lv_errmsg_lock);
}

/* The calling thread's last libvirt error as -errno. */
static int lv_errno(void)
{
	virErrorPtr e = lv.last_error();

	if (!e)
		return -EIO;
	set_errmsg(e->message);
	switch (e->code) {
	case VIR_ERR_AUTH_FAILED:
	case VIR_ERR_AUTH_CANCELLED:
	case VIR_ERR_AUTH_UNAVAILABLE:
	case VIR_ERR_OPERATION_DENIED:
	case VIR_ERR_ACCESS_DENIED:
		return -EACCES;
	case VIR_ERR_NO_SUPPORT:
		return -ENOTSUP;
	case VIR_ERR_SYSTEM_ERROR:
	case VIR_ERR_NO_CONNECT:
		/* int1 carries errno for system errors; a missing socket
		 * means the same to us as a refusing one. */
		if (e->int1 == EACCES || e->int1 == EPERM)
			return -EACCES;
		if (e->int1 == ETIMEDOUT)
			return -ETIMEDOUT;
		return -ECONNREFUSED;
	default:
		return -EIO;
	}
}

static const char *strip_suffix(const char *s, size_t *len)
{
	/* libvirt names KVM stats <name>.sum (cumulative), .cur (instant)
	 * or .max (peak); anything else is libvirt's own (vcpu.N.state,
	 * .time, .wait, .delay) and not a KVM counter. */
	static const char *const sfx[] = { ".sum", ".cur", ".max" };
	size_t n = strlen(s), i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
		if (n > 4 && !strcmp(s + n - 4, sfx[i])) {
			*len = n - 4;
			return s;
		}
	return NULL;
}

static bool param_value(const virTypedParameter *p, uint64_t *v)
{
	switch (p->type) {
	case VIR_TYPED_PARAM_UINT:
		*v = p->value.ui;
		return true;
	case VIR_TYPED_PARAM_ULLONG:
		*v = p->value.ul;
		return true;
	case VIR_TYPED_PARAM_INT:
		if (p->value.i < 0)
			return false;
		*v = (uint64_t)p->value.i;
		return true;
	case VIR_TYPED_PARAM_LLONG:
		if (p->value.l < 0)
			return false;
		*v = (uint64_t)p->value.l;
		return true;
	default:	/* booleans are states; doubles, strings not ours */
		return false;
	}
}

static int add_stat(struct apf_counters *c, const char *full, bool all,
		    uint64_t v)
{
	char name[APF_COUNTER_NAME_MAX];
	size_t len;

	if (!strip_suffix(full, &len) || !len || len >= sizeof(name))
		return 0;
	memcpy(name, full, len);
	name[len] = '\0';
	if (!apf_counter_is_shown(name, all))
		return 0;
	if (c->n >= APF_QMP_MAX_STATS && !apf_counters_find(c, name))
		return 0;
	return apf_counters_set(c, name, v);
}

static struct apf_qmp_vcpu_stats *vcpu_slot(struct apf_libvirt_domain *d,
					    int idx, int *err)
{
	struct apf_qmp_vcpu_stats *v;
	size_t i;

	*err = 0;
	/* libvirt lists a vCPU's params together: the last one is the
	 * likely hit. */
	for (i = d->nvcpus; i-- > 0;)
		if (d->vcpus[i].index == idx)
			return &d->vcpus[i];
	if (d->nvcpus >= APF_QMP_MAX_VCPUS) {
		*err = -E2BIG;
		return NULL;
	}
	v = realloc(d->vcpus, (d->nvcpus + 1) * sizeof(*v));
	if (!v) {
		*err = -ENOMEM;
		return NULL;
	}
	d->vcpus = v;
	v = &v[d->nvcpus++];
	memset(v, 0, sizeof(*v));
	v->index = idx;
	return v;
}

static int fill_domain(struct apf_libvirt_domain *d,
		       const virDomainStatsRecord *rec, bool all)
{
	const char *nm = lv.dom_name(rec->dom);
	unsigned int id = lv.dom_id(rec->dom);

	if (nm) {
		size_t n = strnlen(nm, sizeof(d->name) - 1);

		memcpy(d->name, nm, n);
		d->name[n] = '\0';
	}
	d->id = id == (unsigned int)-1 || id > INT32_MAX ? -1 : (int)id;
	return apf_libvirt_parse_params(d, rec->params, rec->nparams, all);
}

int apf_libvirt_parse_params(struct apf_libvirt_domain *d,
			     const struct _virTypedParameter *params, int n, bool all)
{
	int i, r;

	for (i = 0; i < n; i++) {
		const virTypedParameter *p = &params[i];
		const char *f = p->field;
		uint64_t v;

		if (!param_value(p, &v))
			continue;
		if (!strncmp(f, "vm.", 3)) {
			r = add_stat(&d->vm, f + 3, all, v);
		} else if (!strncmp(f, "vcpu.", 5) && f[5] >= '0' &&
			   f[5] <= '9') {
			struct apf_qmp_vcpu_stats *vc;
			const char *end = f + 5;
			uint64_t idx;

			if (apf_parse_digits(&end, 10, APF_QMP_MAX_VCPUS - 1, &idx) ||
			    *end != '.' ||
			    !strip_suffix(end + 1, &(size_t){ 0 }))
				continue;
			vc = vcpu_slot(d, (int)idx, &r);
			if (vc)
				r = add_stat(&vc->counters, end + 1, all, v);
		} else {
			continue;
		}
		if (r)
			return r;
	}
	return 0;
}

static int cmp_vcpu(const void *a, const void *b)
{
	const struct apf_qmp_vcpu_stats *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

void apf_libvirt_domains_free(struct apf_libvirt_domain *d, size_t n)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < n; i++) {
		apf_counters_free(&d[i].vm);
		apf_qmp_vcpu_stats_free(d[i].vcpus, d[i].nvcpus);
	}
	free(d);
}

/* Runs in the worker thread: everything that may block. */
static int collect(const char *uri, bool all, struct apf_libvirt_domain **doms,
		   size_t *ndoms)
{
	virConnectPtr c;
	virDomainStatsRecordPtr *recs = NULL;
	struct apf_libvirt_domain *d = NULL;
	int n, i, r = 0;

	c = lv.open_ro(uri);
	if (!c)
		return lv_errno();
	/* NOWAIT: skip a domain whose monitor is busy in a job rather than
	 * wait for it. */
	n = lv.get_all_stats(c, VIR_DOMAIN_STATS_VM | VIR_DOMAIN_STATS_VCPU,
			     &recs,
			     VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE |
			     VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
	if (n < 0) {
		r = lv_errno();
		goto out;
	}
	d = calloc(n ? (size_t)n : 1, sizeof(*d));
	if (!d) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		r = fill_domain(&d[i], recs[i], all);
		if (r) {
			apf_libvirt_domains_free(d, (size_t)n);
			d = NULL;
			goto out;
		}
		if (d[i].nvcpus > 1)
			qsort(d[i].vcpus, d[i].nvcpus, sizeof(*d[i].vcpus),
			      cmp_vcpu);
	}
	*doms = d;
	*ndoms = (size_t)n;
out:
	if (recs)
		lv.records_free(recs);
	lv.close(c);
	return r;
}

struct job {
	bool all;
	char *uri;
	int r;
	struct apf_libvirt_domain *doms;
	size_t n;
};

static void job_run(void *arg)
{
	struct job *j = arg;

	j->r = collect(j->uri, j->all, &j->doms, &j->n);
}

static void job_free(void *arg)
{
	struct job *j = arg;

	apf_libvirt_domains_free(j->doms, j->n);
	free(j->uri);
	free(j);
}

static bool socket_answers(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	bool ok;

	if (fd < 0)
		return true;	/* cannot tell: let libvirt try */
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ok = !connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	     errno == EAGAIN || errno == EINPROGRESS;
	close(fd);
	return ok;
}

static bool local_daemon_absent(const char *uri)
{
	/* qemu:///system with no daemon listening (no socket, or a stale one
	 * left by a killed daemon): say so without loading libvirt at all.
	 * Modular virtqemud or monolithic libvirtd. */
	if (strcmp(uri, "qemu:///system"))
		return false;
	return !socket_answers("/run/libvirt/virtqemud-sock-ro") &&
	       !socket_answers("/run/libvirt/libvirt-sock-ro");
}

int apf_libvirt_domain_stats(const char *uri, bool all,
			     struct apf_libvirt_domain **doms, size_t *n)
{
	struct job *j;
	const char *env;
	int r;

	*doms = NULL;
	*n = 0;
	set_errmsg("");
	if (!uri || !*uri) {
		env = getenv("APFCTL_LIBVIRT_URI");
		uri = env && *env ? env : "qemu:///system";
	}
	if (local_daemon_absent(uri)) {
		set_errmsg("no libvirt daemon listens in /run/libvirt");
		return -ECONNREFUSED;
	}
	pthread_once(&lv_once, lv_load);
	if (lv_load_err) {
		set_errmsg("libvirt.so.0 not available");
		return lv_load_err;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->uri = strdup(uri);
	j->all = all;
	if (!j->uri) {
		free(j);
		return -ENOMEM;
	}
	r = apf_run_within(&lv_stuck, job_run, job_free, j, APF_LIBVIRT_TIMEOUT_MS);
	if (r == -ETIMEDOUT) {
		set_errmsg("libvirt did not answer in time");
		return r;	/* the worker frees the job when it ends */
	}
	if (r == -EBUSY)
		set_errmsg("an earlier libvirt call is still hanging");
	if (r) {
		job_free(j);
		return r;
	}
	r = j->r;
	if (!r) {
		*doms = j->doms;
		*n = j->n;
		j->doms = NULL;
		j->n = 0;
	}
	job_free(j);
	return r;
}
