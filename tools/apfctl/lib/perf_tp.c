// SPDX-License-Identifier: GPL-2.0-only
/* Counting and sampling KVM tracepoints with perf_event_open(2).
 *
 * perf fds always describe the live system, so the CPU list and thread list
 * come from the live /sys and /proc, never from --sysroot; only the
 * tracepoint ids and formats may come from a fixture. */
#include "perf_tp.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"

#define CPU_ID_MAX 65535
/* Data pages per CPU ring (a power of two); halved on mlock limits. */
#define RING_PAGES_MAX 128
#define RING_PAGES_MIN 8
#define RECORD_MAX 65536	/* perf_event_header.size is a u16 */

static int sys_perf_event_open(struct perf_event_attr *attr, pid_t pid,
			       int cpu, int group_fd, unsigned long flags)
{
	return (int)syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);
}

int apf_cpu_list_parse(const char *s, int **cpus, size_t *n)
{
	int *v = NULL;
	size_t cnt = 0, cap = 0;

	*cpus = NULL;
	*n = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	for (;;) {
		uint64_t a, b;

		if (apf_parse_digits(&s, 10, CPU_ID_MAX, &a))
			goto inval;
		b = a;
		if (*s == '-') {
			s++;
			if (apf_parse_digits(&s, 10, CPU_ID_MAX, &b))
				goto inval;
		}
		if (a > b)
			goto inval;
		for (; a <= b; a++) {
			if (cnt == cap) {
				size_t nc = cap ? cap * 2 : 16;
				int *nv = realloc(v, nc * sizeof(*nv));

				if (!nv) {
					free(v);
					return -ENOMEM;
				}
				v = nv;
				cap = nc;
			}
			v[cnt++] = (int)a;
		}
		if (*s != ',')
			break;
		s++;
	}
	while (*s && isspace((unsigned char)*s))
		s++;
	if (*s)
		goto inval;
	*cpus = v;
	*n = cnt;
	return 0;
inval:
	free(v);
	return -EINVAL;
}

static int online_cpus(int **cpus, size_t *n)
{
	char buf[4096];
	ssize_t r = apf_read_file("/sys/devices/system/cpu/online", buf, sizeof(buf));

	if (r < 0)
		return (int)r;
	return apf_cpu_list_parse(buf, cpus, n);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Thread ids of a live process; -ESRCH when it is gone. */
static int live_tids(pid_t pid, int **tids, size_t *n)
{
	char path[64];
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	int *v = NULL;
	DIR *d;

	*tids = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	while ((de = readdir(d))) {
		const char *p = de->d_name;
		uint64_t tid;

		if (apf_parse_digits(&p, 10, INT_MAX, &tid) || *p || !tid)
			continue;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			int *nv = realloc(v, nc * sizeof(*nv));

			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
			cap = nc;
		}
		v[cnt++] = (int)tid;
	}
	closedir(d);
	if (!cnt) {
		free(v);
		return -ESRCH;
	}
	qsort(v, cnt, sizeof(*v), cmp_int);
	*tids = v;
	*n = cnt;
	return 0;
}

/* One fd per event can exceed the default soft limit of 1024 on big hosts:
 * raise the soft limit toward the hard one when needed. */
static void want_fds(size_t nfds)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return;
	if ((rlim_t)nfds + 64 <= rl.rlim_cur)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
		      (rlim_t)nfds + 64 < rl.rlim_max ? (rlim_t)nfds + 64 : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static void close_fds(int *fds, size_t n)
{
	size_t i;

	for (i = 0; fds && i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* ---- counting ---------------------------------------------------------- */

struct apf_tp_counter {
	size_t ntp;		/* t->ntp: width of apf_tp_counter_read's output */
	size_t nev;		/* events per group (tracepoints with an id) */
	size_t *tp_of;		/* group member j counts tracepoint tp_of[j] */
	size_t ngroups;		/* one per CPU or per thread */
	int *fds;		/* ngroups * nev, leader first in each group */
	uint64_t *buf;		/* a PERF_FORMAT_GROUP read: nr, values[nev] */
};

void apf_tp_counter_close(struct apf_tp_counter *c)
{
	if (!c)
		return;
	close_fds(c->fds, c->ngroups * c->nev);
	free(c->fds);
	free(c->tp_of);
	free(c->buf);
	free(c);
}

/* Open one group (all tracepoints) on pid/cpu into fds[0..nev). */
static int open_group(const struct apf_tracefs *t, const size_t *tp_of,
		      size_t nev, pid_t pid, int cpu, int *fds)
{
	size_t j;

	for (j = 0; j < nev; j++) {
		struct perf_event_attr a;

		memset(&a, 0, sizeof(a));
		a.type = PERF_TYPE_TRACEPOINT;
		a.size = sizeof(a);
		a.config = t->tp[tp_of[j]].id;
		a.read_format = PERF_FORMAT_GROUP;
		/* One read of the leader returns every member's count. */
		fds[j] = sys_perf_event_open(&a, pid, cpu, j ? fds[0] : -1,
					     PERF_FLAG_FD_CLOEXEC);
		if (fds[j] < 0) {
			int err = -errno;

			close_fds(fds, j);
			for (; j < nev; j++)
				fds[j] = -1;
			return err;
		}
	}
	return 0;
}

struct apf_tp_counter *apf_tp_counter_open(const struct apf_tracefs *t,
					   pid_t pid, int *err)
{
	struct apf_tp_counter *c;
	int *targets = NULL;
	size_t ntargets = 0, i, g = 0;
	int e = 0, dummy;

	if (!err)
		err = &dummy;
	if (!t || pid < 0) {
		*err = -EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		*err = -ENOMEM;
		return NULL;
	}
	c->ntp = t->ntp < APF_TP_MAX ? t->ntp : APF_TP_MAX;
	c->tp_of = calloc(c->ntp ? c->ntp : 1, sizeof(*c->tp_of));
	if (!c->tp_of) {
		e = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < c->ntp; i++)
		if (t->tp[i].id_readable && t->tp[i].id)
			c->tp_of[c->nev++] = i;
	if (!c->nev) {
		e = -ENOENT;
		goto fail;
	}
	c->buf = calloc(c->nev + 1, sizeof(*c->buf));
	if (!c->buf) {
		e = -ENOMEM;
		goto fail;
	}

	e = pid ? live_tids(pid, &targets, &ntargets) : online_cpus(&targets, &ntargets);
	if (!e && !ntargets)
		e = pid ? -ESRCH : -ENODEV;
	if (e)
		goto fail;
	c->fds = malloc(ntargets * c->nev * sizeof(*c->fds));
	if (!c->fds) {
		e = -ENOMEM;
		goto fail;
	}
	want_fds(ntargets * c->nev);
	for (i = 0; i < ntargets; i++) {
		int r = pid ? open_group(t, c->tp_of, c->nev, targets[i], -1, c->fds + g * c->nev)
			    : open_group(t, c->tp_of, c->nev, -1, targets[i], c->fds + g * c->nev);

		/* A thread that exited, or a CPU that went offline, since the
		 * listing is not an error; anything else is. */
		if (r == -ESRCH || (!pid && r == -ENODEV))
			continue;
		if (r) {
			e = r;
			goto fail;
		}
		c->ngroups = ++g;
	}
	if (!c->ngroups) {
		e = pid ? -ESRCH : -ENODEV;
		goto fail;
	}
	free(targets);
	*err = 0;
	return c;
fail:
	free(targets);
	apf_tp_counter_close(c);
	*err = e;
	return NULL;
}

int apf_tp_counter_read(struct apf_tp_counter *c, uint64_t *values, size_t n)
{
	size_t g, j;

	if (!c || (!values && n))
		return -EINVAL;
	if (n)
		memset(values, 0, n * sizeof(*values));
	for (g = 0; g < c->ngroups; g++) {
		size_t want = (c->nev + 1) * sizeof(*c->buf);
		ssize_t r = read(c->fds[g * c->nev], c->buf, want);

		if (r < 0)
			return -errno;
		/* A read of 0 means the thread exited and its event was
		 * torn down: nothing more to add. */
		if (r == 0)
			continue;
		if ((size_t)r < sizeof(*c->buf) || c->buf[0] > c->nev ||
		    (size_t)r < (c->buf[0] + 1) * sizeof(*c->buf))
			return -EIO;
		for (j = 0; j < c->buf[0]; j++)
			if (c->tp_of[j] < n)
				values[c->tp_of[j]] += c->buf[1 + j];
	}
	return 0;
}

/* ---- sampling ---------------------------------------------------------- */

struct ring {
	int fd;
	struct perf_event_mmap_page *meta;
	size_t len;		/* whole mapping */
	unsigned char *data;
	uint64_t data_size;	/* power of two */
};

struct id_map {
	uint64_t id;		/* PERF_EVENT_IOC_ID */
	size_t tp_index;
};

struct tok_field {
	unsigned int off, size;	/* size 0: no usable "token" field */
};

struct apf_tp_sampler {
	struct ring *rings;
	size_t nrings;
	int *fds;		/* every event fd, ring owners included */
	size_t nfds;
	struct id_map *ids;	/* sorted by id */
	size_t nids;
	struct tok_field tok[APF_TP_MAX];
	struct pollfd *pfd;
	unsigned char *scratch;	/* a record that wraps the ring's end */
	uint64_t lost;
};

void apf_tp_sampler_close(struct apf_tp_sampler *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; s->rings && i < s->nrings; i++)
		if (s->rings[i].meta)
			munmap(s->rings[i].meta, s->rings[i].len);
	close_fds(s->fds, s->nfds);
	free(s->rings);
	free(s->fds);
	free(s->ids);
	free(s->pfd);
	free(s->scratch);
	free(s);
}

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = ((const struct id_map *)a)->id, y = ((const struct id_map *)b)->id;

	return (x > y) - (x < y);
}

static int map_ring(struct ring *r, int fd)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pages;

	if (page <= 0)
		page = 4096;
	/* Without CAP_IPC_LOCK the mlock budget (perf_event_mlock_kb) can
	 * refuse a big ring: retry smaller before giving up. */
	for (pages = RING_PAGES_MAX; pages >= RING_PAGES_MIN; pages /= 2) {
		size_t len = (pages + 1) * (size_t)page;
		void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (m == MAP_FAILED) {
			if (errno == EPERM || errno == ENOMEM)
				continue;
			return -errno;
		}
		r->fd = fd;
		r->meta = m;
		r->len = len;
		/* data_offset/data_size exist since Linux 4.1; before that the
		 * data area follows the first page. */
		if (r->meta->data_size && r->meta->data_offset + r->meta->data_size <= len) {
			r->data = (unsigned char *)m + r->meta->data_offset;
			r->data_size = r->meta->data_size;
		} else {
			r->data = (unsigned char *)m + page;
			r->data_size = pages * (size_t)page;
		}
		return 0;
	}
	return -ENOMEM;
}

static int open_sample_event(uint64_t config, int cpu, bool *clockid, uint64_t wm)
{
	struct perf_event_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_TRACEPOINT;
	a.size = sizeof(a);
	a.config = config;
	a.sample_period = 1;
	/* IDENTIFIER first: it tells which tracepoint a sample came from
	 * when several share one ring. */
	a.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID |
			PERF_SAMPLE_TIME | PERF_SAMPLE_RAW;
	a.disabled = 1;
	a.watermark = 1;
	a.wakeup_watermark = (uint32_t)wm;
	if (*clockid) {
		a.use_clockid = 1;
		a.clockid = CLOCK_MONOTONIC;
	}
	fd = sys_perf_event_open(&a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0 && errno == EINVAL && *clockid) {
		/* Kernels before 4.1 lack use_clockid: fall back to perf's
		 * own clock, which is also monotonic per CPU. */
		*clockid = false;
		return open_sample_event(config, cpu, clockid, wm);
	}
	return fd < 0 ? -errno : fd;
}

/* Where each tracepoint's "token" field is in its raw data. */
static void set_token_fields(struct apf_tp_sampler *s, const struct apf_tracefs *t,
			     const size_t *tp_index, size_t ntp)
{
	size_t i;

	for (i = 0; i < ntp; i++) {
		const struct apf_tp_field *f = apf_tp_field(&t->tp[tp_index[i]], "token");

		if (f && (f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8)) {
			s->tok[tp_index[i]].off = f->offset;
			s->tok[tp_index[i]].size = f->size;
		}
	}
}

struct apf_tp_sampler *apf_tp_sampler_open(const struct apf_tracefs *t,
					   const size_t *tp_index, size_t ntp,
					   int *err)
{
	struct apf_tp_sampler *s;
	int *cpus = NULL;
	size_t ncpus = 0, i, j;
	bool clockid = true;
	int e, dummy;

	if (!err)
		err = &dummy;
	if (!t || !tp_index || !ntp || ntp > APF_TP_MAX) {
		*err = -EINVAL;
		return NULL;
	}
	for (i = 0; i < ntp; i++) {
		if (tp_index[i] >= t->ntp || tp_index[i] >= APF_TP_MAX) {
			*err = -EINVAL;
			return NULL;
		}
		if (!t->tp[tp_index[i]].id_readable || !t->tp[tp_index[i]].id) {
			*err = -ENOENT;
			return NULL;
		}
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	set_token_fields(s, t, tp_index, ntp);
	e = online_cpus(&cpus, &ncpus);
	if (!e && !ncpus)
		e = -ENODEV;
	if (e)
		goto fail;
	s->rings = calloc(ncpus, sizeof(*s->rings));
	s->fds = malloc(ncpus * ntp * sizeof(*s->fds));
	s->ids = calloc(ncpus * ntp, sizeof(*s->ids));
	s->pfd = calloc(ncpus, sizeof(*s->pfd));
	s->scratch = malloc(RECORD_MAX);
	if (!s->rings || !s->fds || !s->ids || !s->pfd || !s->scratch) {
		e = -ENOMEM;
		goto fail;
	}
	want_fds(ncpus * ntp);

	for (i = 0; i < ncpus; i++) {
		struct ring *r = &s->rings[s->nrings];
		size_t first = s->nfds;

		for (j = 0; j < ntp; j++) {
			uint64_t id;
			int fd;

			/* Wake the poller when a quarter of the smallest ring
			 * fills; the caller's timeout drains the rest. */
			fd = open_sample_event(t->tp[tp_index[j]].id, cpus[i], &clockid,
					       RING_PAGES_MIN * 4096 / 4);
			if (fd == -ENODEV && j == 0)
				break;	/* CPU went offline since the listing */
			if (fd < 0) {
				e = fd;
				goto fail;
			}
			s->fds[s->nfds++] = fd;
			if (ioctl(fd, PERF_EVENT_IOC_ID, &id) < 0) {
				e = -errno;
				goto fail;
			}
			s->ids[s->nids].id = id;
			s->ids[s->nids++].tp_index = tp_index[j];
			/* The first event of a CPU owns the ring; the others
			 * write into it. */
			if (j == 0)
				e = map_ring(r, fd);
			else
				e = ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, s->fds[first]) < 0 ? -errno : 0;
			if (e)
				goto fail;
		}
		if (s->nfds == first)
			continue;
		s->pfd[s->nrings].fd = r->fd;
		s->pfd[s->nrings].events = POLLIN;
		s->nrings++;
	}
	if (!s->nrings) {
		e = -ENODEV;
		goto fail;
	}
	qsort(s->ids, s->nids, sizeof(*s->ids), cmp_id);
	/* Enable only once every ring exists, so all CPUs start together. */
	for (i = 0; i < s->nfds; i++)
		if (ioctl(s->fds[i], PERF_EVENT_IOC_ENABLE, 0) < 0) {
			e = -errno;
			goto fail;
		}
	free(cpus);
	*err = 0;
	return s;
fail:
	free(cpus);
	apf_tp_sampler_close(s);
	*err = e;
	return NULL;
}

static bool lookup_id(const struct apf_tp_sampler *s, uint64_t id, size_t *tp_index)
{
	size_t lo = 0, hi = s->nids;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->ids[mid].id == id) {
			*tp_index = s->ids[mid].tp_index;
			return true;
		}
		if (s->ids[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Parse one PERF_RECORD_SAMPLE (whole record in rec, len bytes).  Layout
 * for our sample_type: header, id, pid, tid, time, raw size, raw data. */
static bool parse_sample(const struct apf_tp_sampler *s, const unsigned char *rec,
			 size_t len, struct apf_tp_sample *out)
{
	const size_t fixed = sizeof(struct perf_event_header) + 8 + 4 + 4 + 8 + 4;
	uint64_t id, time;
	uint32_t pid, tid, raw_size;
	const unsigned char *p, *raw;
	const struct tok_field *tf;

	if (len < fixed)
		return false;
	p = rec + sizeof(struct perf_event_header);
	memcpy(&id, p, 8);
	memcpy(&pid, p + 8, 4);
	memcpy(&tid, p + 12, 4);
	memcpy(&time, p + 16, 8);
	memcpy(&raw_size, p + 24, 4);
	raw = p + 28;
	if (raw_size > len - fixed)
		return false;
	if (!lookup_id(s, id, &out->tp_index))
		return false;
	out->pid = (pid_t)pid;
	out->tid = (pid_t)tid;
	out->time_ns = time;
	out->token = ~(uint64_t)0;
	tf = &s->tok[out->tp_index];
	/* Format offsets count from the start of the raw data, which begins
	 * with the common_* fields. */
	if (tf->size && tf->off <= raw_size && tf->size <= raw_size - tf->off) {
		const unsigned char *f = raw + tf->off;

		switch (tf->size) {
		case 1:
			out->token = f[0];
			break;
		case 2: {
			uint16_t v;

			memcpy(&v, f, 2);
			out->token = v;
			break;
		}
		case 4: {
			uint32_t v;

			memcpy(&v, f, 4);
			out->token = v;
			break;
		}
		default:
			memcpy(&out->token, f, 8);
			break;
		}
	}
	return true;
}

/* Copy len bytes at ring offset pos, handling the wrap at the end. */
static void ring_copy(const struct ring *r, uint64_t pos, void *dst, size_t len)
{
	uint64_t off = pos & (r->data_size - 1);
	size_t first = r->data_size - off < len ? (size_t)(r->data_size - off) : len;

	memcpy(dst, r->data + off, first);
	if (first < len)
		memcpy((unsigned char *)dst + first, r->data, len - first);
}

static int drain_ring(struct apf_tp_sampler *s, struct ring *r,
		      void (*cb)(const struct apf_tp_sample *, void *), void *arg)
{
	uint64_t head, tail;
	int n = 0;

	/* Acquire pairs with the kernel's write barrier before it publishes
	 * data_head: the record bytes are visible once head is. */
	head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
	tail = r->meta->data_tail;
	while (tail < head) {
		struct perf_event_header hdr;
		const unsigned char *rec;
		uint64_t off;

		ring_copy(r, tail, &hdr, sizeof(hdr));
		if (hdr.size < sizeof(hdr) || hdr.size > head - tail) {
			/* Corrupt or torn: skip everything available. */
			tail = head;
			break;
		}
		off = tail & (r->data_size - 1);
		if (off + hdr.size <= r->data_size) {
			rec = r->data + off;
		} else {
			ring_copy(r, tail, s->scratch, hdr.size);
			rec = s->scratch;
		}
		if (hdr.type == PERF_RECORD_SAMPLE) {
			struct apf_tp_sample smp;

			if (parse_sample(s, rec, hdr.size, &smp)) {
				if (cb)
					cb(&smp, arg);
				if (n < INT_MAX)
					n++;
			}
		} else if (hdr.type == PERF_RECORD_LOST &&
			   hdr.size >= sizeof(hdr) + 16) {
			uint64_t lost;

			memcpy(&lost, rec + sizeof(hdr) + 8, 8);
			s->lost += lost;
		}
		tail += hdr.size;
	}
	/* Release: our reads of the records finish before the kernel may
	 * reuse their space. */
	__atomic_store_n(&r->meta->data_tail, tail, __ATOMIC_RELEASE);
	return n;
}

int apf_tp_parse_ring(const struct apf_tracefs *t, const uint64_t *ids,
		      const size_t *tp_index, size_t nids, unsigned char *data,
		      uint64_t size, uint64_t tail, uint64_t head,
		      void (*cb)(const struct apf_tp_sample *, void *), void *arg,
		      uint64_t *lost)
{
	struct perf_event_mmap_page meta;
	struct apf_tp_sampler s;
	struct ring r;
	size_t i;
	int n;

	/* As the kernel keeps it: at most one ring's worth unread. */
	if (!t || !size || (size & (size - 1)) || nids > APF_TP_MAX || tail > head ||
	    head - tail > size)
		return -EINVAL;
	for (i = 0; i < nids; i++)
		if (tp_index[i] >= t->ntp || tp_index[i] >= APF_TP_MAX)
			return -EINVAL;
	memset(&s, 0, sizeof(s));
	memset(&r, 0, sizeof(r));
	memset(&meta, 0, sizeof(meta));
	s.ids = calloc(nids ? nids : 1, sizeof(*s.ids));
	s.scratch = malloc(RECORD_MAX);
	if (!s.ids || !s.scratch) {
		free(s.ids);
		free(s.scratch);
		return -ENOMEM;
	}
	for (i = 0; i < nids; i++) {
		s.ids[i].id = ids[i];
		s.ids[i].tp_index = tp_index[i];
	}
	s.nids = nids;
	qsort(s.ids, s.nids, sizeof(*s.ids), cmp_id);
	set_token_fields(&s, t, tp_index, nids);
	meta.data_head = head;
	meta.data_tail = tail;
	r.meta = &meta;
	r.data = data;
	r.data_size = size;
	n = drain_ring(&s, &r, cb, arg);
	if (lost)
		*lost += s.lost;
	free(s.ids);
	free(s.scratch);
	return n;
}

int apf_tp_sampler_poll(struct apf_tp_sampler *s, int timeout_ms,
			void (*cb)(const struct apf_tp_sample *, void *),
			void *arg, uint64_t *lost)
{
	size_t i;
	int total = 0;

	if (!s)
		return -EINVAL;
	if (poll(s->pfd, s->nrings, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	/* Drain every ring, ready or not: a signal or the timeout ends the
	 * caller's window and nothing buffered should be left behind. */
	for (i = 0; i < s->nrings; i++) {
		int n = drain_ring(s, &s->rings[i], cb, arg);

		total = total > INT_MAX - n ? INT_MAX : total + n;
		/* A CPU that went offline hangs up: stop polling its fd. */
		if (s->pfd[i].revents & (POLLHUP | POLLERR))
			s->pfd[i].fd = -1;
		s->pfd[i].revents = 0;
	}
	if (lost)
		*lost = s->lost;
	return total;
}
