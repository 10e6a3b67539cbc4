// SPDX-License-Identifier: GPL-2.0-only
#include "hostload.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "log.h"
#include "procstat.h"
#include "sysroot.h"

#define PF_KTHREAD_FLAG 0x00200000u

int bench_cpu_times_parse(const char *text, struct bench_cpu_times *t)
{
	unsigned long long v[8] = { 0 };
	const char *p = text;
	int n;

	memset(t, 0, sizeof(*t));
	if (strncmp(text, "cpu ", 4))
		return -EINVAL;
	n = sscanf(text + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	if (n < 4)
		return -EINVAL;
	t->user = v[0];
	t->nice = v[1];
	t->system = v[2];
	t->idle = v[3];
	t->iowait = v[4];
	t->irq = v[5];
	t->softirq = v[6];
	t->steal = v[7];
	while ((p = strchr(p, '\n'))) {
		p++;
		if (!strncmp(p, "cpu", 3) && p[3] >= '0' && p[3] <= '9')
			t->ncpu++;
	}
	if (!t->ncpu)
		t->ncpu = 1;
	return 0;
}

int bench_loadavg_parse(const char *text, double la[3])
{
	return sscanf(text, "%lf %lf %lf", &la[0], &la[1], &la[2]) == 3 ? 0 : -EINVAL;
}

bool bench_foreign_comm(const char *comm)
{
	static const char *const exact[] = {
		"qemu", "qemu-kvm", "qemu-apf", "firecracker", "cloud-hyperviso", "crosvm",
		"cc1", "cc1plus", "cc1obj", "lto1", "lto-wrapper", "collect2", "rustc",
		"ld", "ld.bfd", "ld.gold", "ld.lld", "lld", "stress", "stress-ng",
	};
	static const char *const prefix[] = { "qemu-system-", "clang", "stress-ng-" };

	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!strcmp(comm, exact[i]))
			return true;
	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
		if (!strncmp(comm, prefix[i], strlen(prefix[i])))
			return true;
	return false;
}

int bench_proc_stat_parse(const char *text, char *comm, size_t cap, pid_t *ppid,
			  bool *kthread)
{
	const char *open = strchr(text, '('), *close = strrchr(text, ')');
	unsigned long long flags = 0;
	char state;
	int pp;

	if (!open || !close || close < open || !cap)
		return -EINVAL;
	snprintf(comm, cap, "%.*s", (int)(close - open - 1), open + 1);
	/* ") S ppid pgrp session tty_nr tpgid flags" */
	if (sscanf(close + 1, " %c %d %*d %*d %*d %*d %llu", &state, &pp, &flags) != 3)
		return -EINVAL;
	*ppid = (pid_t)pp;
	*kthread = flags & PF_KTHREAD_FLAG;
	return 0;
}

static void add_item(char *list, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void add_item(char *list, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(list);
	va_list ap;

	if (len + 4 >= cap)
		return;
	if (len)
		len += (size_t)snprintf(list + len, cap - len, ", ");
	va_start(ap, fmt);
	vsnprintf(list + len, cap - len, fmt, ap);
	va_end(ap);
}

/* The entry of pid in tab, or NULL. */
static const struct bench_proc *proc_find(const struct bench_proc *tab, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (tab[i].pid == pid)
			return &tab[i];
	return NULL;
}

bool bench_proc_below(const struct bench_proc *tab, size_t n, pid_t pid, pid_t self)
{
	const struct bench_proc *p = proc_find(tab, n, pid);

	/* At most n steps up: a table read while processes come and go may
	 * hold a cycle (a PID reused by a child of its old child). */
	for (size_t steps = 0; p && steps <= n; steps++) {
		if (p->ppid == self)
			return true;
		if (p->ppid <= 0 || p->ppid == p->pid)
			return false;
		p = proc_find(tab, n, p->ppid);
	}
	return false;
}

int bench_foreign_select(const struct bench_proc *tab, size_t n, pid_t self, char *list,
			 size_t cap)
{
	int found = 0;

	list[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const struct bench_proc *p = &tab[i];

		/* Ours: this process and everything below it (the QEMU of the
		 * run, also one a --qemu wrapper script starts, apfctl,
		 * gnuplot). */
		if (p->pid == self || p->kthread || !bench_foreign_comm(p->comm) ||
		    bench_proc_below(tab, n, p->pid, self))
			continue;
		add_item(list, cap, "%d %s", (int)p->pid, p->comm);
		found++;
	}
	return found;
}

int bench_foreign_scan(char *list, size_t cap)
{
	char dir[APF_PATH_MAX];
	struct bench_proc *tab = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *de;
	DIR *d;
	int found;

	list[0] = '\0';
	if (apf_path(dir, sizeof(dir), "/proc"))
		return 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[APF_PATH_MAX + 300], text[1024];
		struct bench_proc p;

		if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
		    strspn(de->d_name, "0123456789") != strlen(de->d_name))
			continue;
		p.pid = (pid_t)atol(de->d_name);
		snprintf(path, sizeof(path), "%s/%s/stat", dir, de->d_name);
		if (apf_read_file(path, text, sizeof(text)) <= 0 ||
		    bench_proc_stat_parse(text, p.comm, sizeof(p.comm), &p.ppid, &p.kthread))
			continue;
		if (n == alloc) {
			size_t na = alloc ? 2 * alloc : 256;
			struct bench_proc *nt = realloc(tab, na * sizeof(*tab));

			if (!nt)
				break;	/* what was read so far still counts */
			tab = nt;
			alloc = na;
		}
		tab[n++] = p;
	}
	closedir(d);
	found = bench_foreign_select(tab, n, getpid(), list, cap);
	free(tab);
	return found;
}

static int read_cpu(struct bench_cpu_times *t)
{
	char path[APF_PATH_MAX], *text = NULL;
	int err;

	if (apf_path(path, sizeof(path), "/proc/stat"))
		return -ENAMETOOLONG;
	if (apf_slurp(path, 1 << 20, &text) < 0)
		return -ENOENT;
	err = bench_cpu_times_parse(text, t);
	free(text);
	return err;
}

static int read_load(double la[3])
{
	char path[APF_PATH_MAX], text[256];

	if (apf_path(path, sizeof(path), "/proc/loadavg") ||
	    apf_read_file(path, text, sizeof(text)) <= 0)
		return -ENOENT;
	return bench_loadavg_parse(text, la);
}

static uint64_t busy_ticks(const struct bench_cpu_times *t)
{
	return t->user + t->nice + t->system + t->irq + t->softirq + t->steal;
}

static uint64_t all_ticks(const struct bench_cpu_times *t)
{
	return busy_ticks(t) + t->idle + t->iowait;
}

static double share(uint64_t part_a, uint64_t part_b, uint64_t all_a, uint64_t all_b)
{
	if (all_b <= all_a || part_b < part_a)
		return all_b == all_a ? 0 : NAN;
	return (double)(part_b - part_a) / (double)(all_b - all_a);
}

static void append_why(char *why, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void append_why(char *why, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(why);
	va_list ap;

	if (len + 3 >= cap)
		return;
	if (len)
		len += (size_t)snprintf(why + len, cap - len, "; ");
	va_start(ap, fmt);
	vsnprintf(why + len, cap - len, fmt, ap);
	va_end(ap);
}

int bench_idle_check(const struct bench_idle_limits *lim, bool check_load,
		     long sample_ms, struct bench_idle *out)
{
	struct bench_cpu_times a, b;
	int err;

	memset(out, 0, sizeof(*out));
	out->busy_share = out->steal_share = NAN;
	out->load[0] = out->load[1] = out->load[2] = NAN;
	err = read_cpu(&a);
	if (err)
		return err;
	bench_sleep_ms(sample_ms);
	err = read_cpu(&b);
	if (err)
		return err;
	out->ncpu = b.ncpu;
	out->busy_share = share(busy_ticks(&a), busy_ticks(&b), all_ticks(&a), all_ticks(&b));
	out->steal_share = share(a.steal, b.steal, all_ticks(&a), all_ticks(&b));
	read_load(out->load);
	if (check_load && isfinite(out->load[0]) &&
	    out->load[0] > lim->max_load * out->ncpu)
		append_why(out->why, sizeof(out->why),
			   "1-min load average %.2f on %u CPUs (above %.2f per CPU)",
			   out->load[0], out->ncpu, lim->max_load);
	if (isfinite(out->busy_share) && out->busy_share > lim->max_busy)
		append_why(out->why, sizeof(out->why), "CPUs %.0f%% busy over %.1f s (above %.0f%%)",
			   100 * out->busy_share, (double)sample_ms / 1000, 100 * lim->max_busy);
	if (isfinite(out->steal_share) && out->steal_share > lim->max_steal)
		append_why(out->why, sizeof(out->why), "%.0f%% of CPU time stolen by the hypervisor (above %.0f%%)",
			   100 * out->steal_share, 100 * lim->max_steal);
	out->foreign = bench_foreign_scan(out->foreign_list, sizeof(out->foreign_list));
	if (out->foreign)
		append_why(out->why, sizeof(out->why), "other VMMs or compilers running: %s",
			   out->foreign_list);
	out->busy = out->why[0] != '\0';
	return 0;
}

int bench_idle_wait(const struct bench_idle_limits *lim, bool check_load,
		    long sample_ms, long wait_s, volatile sig_atomic_t *stop,
		    struct bench_idle *out)
{
	long long deadline = bench_now_ms() + wait_s * 1000LL;
	bool said = false;
	int err;

	for (;;) {
		err = bench_idle_check(lim, check_load, sample_ms, out);
		if (err || !out->busy || bench_now_ms() >= deadline || (stop && *stop))
			return err;
		if (!said)
			bench_info("the machine is busy (%s): waiting up to %ld s for it to calm",
				   out->why, wait_s);
		said = true;
		bench_sleep_ms(5000);
	}
}

static void put_num(struct json_object *o, const char *key, double v)
{
	json_object_object_add(o, key, isfinite(v) ? json_object_new_double(v) : NULL);
}

static struct json_object *load_array(const double la[3])
{
	struct json_object *a = json_object_new_array();

	for (int i = 0; i < 3; i++)
		json_object_array_add(a, isfinite(la[i]) ? json_object_new_double(la[i]) : NULL);
	return a;
}

struct json_object *bench_idle_json(const struct bench_idle *s)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "busy", json_object_new_boolean(s->busy));
	json_object_object_add(o, "loadavg", load_array(s->load));
	json_object_object_add(o, "ncpu", json_object_new_int((int)s->ncpu));
	put_num(o, "busy_share", s->busy_share);
	put_num(o, "steal_share", s->steal_share);
	json_object_object_add(o, "foreign", json_object_new_string(s->foreign_list));
	json_object_object_add(o, "why", s->why[0] ? json_object_new_string(s->why) : NULL);
	return o;
}

void bench_load_snap_take(struct bench_load_snap *s, const char *cgdir)
{
	uint64_t v;

	memset(s, 0, sizeof(*s));
	s->t_ms = bench_now_ms();
	s->load[0] = s->load[1] = s->load[2] = NAN;
	s->ok = !read_cpu(&s->cpu);
	read_load(s->load);
	if (cgdir) {
		char path[APF_PATH_MAX + 16];

		snprintf(path, sizeof(path), "%s/cpu.stat", cgdir);
		s->have_cg = !bench_keyed_file(path, "usage_usec", &v);
		s->cg_usage_us = s->have_cg ? v : 0;
		if (s->have_cg && !bench_keyed_file(path, "user_usec", &v))
			s->cg_user_us = v;
		if (s->have_cg && !bench_keyed_file(path, "system_usec", &v))
			s->cg_system_us = v;
	}
	s->foreign = bench_foreign_scan(s->foreign_list, sizeof(s->foreign_list));
}

double bench_load_steal_share(const struct bench_load_snap *a,
			      const struct bench_load_snap *b)
{
	if (!a->ok || !b->ok)
		return NAN;
	return share(a->cpu.steal, b->cpu.steal, all_ticks(&a->cpu), all_ticks(&b->cpu));
}

struct json_object *bench_load_delta_json(const struct bench_load_snap *a,
					  const struct bench_load_snap *b)
{
	struct json_object *o = json_object_new_object(), *c;
	double hz = (double)sysconf(_SC_CLK_TCK), wall = (double)(b->t_ms - a->t_ms) / 1000;
	double busy_s = NAN, qemu_s = NAN;

	if (hz <= 0)
		hz = 100;
	put_num(o, "wall_s", wall);
	json_object_object_add(o, "loadavg_start", load_array(a->load));
	json_object_object_add(o, "loadavg_end", load_array(b->load));
	if (a->ok && b->ok) {
		const struct bench_cpu_times *x = &a->cpu, *y = &b->cpu;

		c = json_object_new_object();
		json_object_object_add(o, "ncpu", json_object_new_int((int)y->ncpu));
#define TICKS(f) (y->f >= x->f ? (double)(y->f - x->f) / hz : NAN)
		put_num(c, "user", TICKS(user) + TICKS(nice));
		put_num(c, "system", TICKS(system) + TICKS(irq) + TICKS(softirq));
		put_num(c, "iowait", TICKS(iowait));
		put_num(c, "idle", TICKS(idle));
		put_num(c, "steal", TICKS(steal));
#undef TICKS
		json_object_object_add(o, "cpu_s", c);
		busy_s = busy_ticks(y) >= busy_ticks(x) ?
			 (double)(busy_ticks(y) - busy_ticks(x)) / hz : NAN;
		put_num(o, "busy_share", share(busy_ticks(x), busy_ticks(y), all_ticks(x), all_ticks(y)));
		put_num(o, "steal_share", share(x->steal, y->steal, all_ticks(x), all_ticks(y)));
	}
	if (a->have_cg && b->have_cg && b->cg_usage_us >= a->cg_usage_us) {
		qemu_s = (double)(b->cg_usage_us - a->cg_usage_us) / 1e6;
		put_num(o, "qemu_cpu_s", qemu_s);
		put_num(o, "qemu_user_s", (double)(b->cg_user_us - a->cg_user_us) / 1e6);
		put_num(o, "qemu_system_s", (double)(b->cg_system_us - a->cg_system_us) / 1e6);
	}
	if (isfinite(busy_s) && isfinite(qemu_s) && wall > 0 && b->cpu.ncpu) {
		double other = busy_s > qemu_s ? busy_s - qemu_s : 0;

		put_num(o, "other_cpu_s", other);
		put_num(o, "other_share", other / (wall * b->cpu.ncpu));
	}
	return o;
}
