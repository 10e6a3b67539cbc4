// SPDX-License-Identifier: GPL-2.0-only
/* apfctl's own benchmark: what a stats sample costs over fixture fleets
 * (in-process, through libapf), what slow QMP monitors do to a sample,
 * and whole `apfctl status` runs (fork+exec).  Prints one JSON object;
 * bench/apfctl/run-bench records it with the machine's state.
 *
 * Every figure is measured in RUNS independent runs (a fresh sampler
 * each), and reported with its mean, a 95% confidence interval of the
 * mean (Student's t), the median, min and max over the runs.  CPU time is
 * the process's (CLOCK_PROCESS_CPUTIME_ID: every thread, the kernel's side
 * of every read included, in ns); its split into user and system time is
 * getrusage()'s, which the kernel apportions from tick samples.
 *
 * The same source builds against an older libapf (run-bench --baseline):
 * what only the newer has is behind its feature macros (APF_VM_ROW_TIME,
 * APF_SYSROOT_SET_CHECKS), and a figure the older cannot give (the read
 * spread, without per-VM read times) is left out of its record.
 *
 * What it measures is the sampler over fixture trees: stat files are
 * regular files, no VMM is watched with a pidfd (cfg.watch_vmm is off
 * under a sysroot) and no QMP is asked but the slow monitors served
 * here.  The live path (pidfd watching, real debugfs, which is EPERM
 * under lockdown) is not in these figures. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stats_sampler.h"
#include "sysroot.h"

#ifndef RUNS
#define RUNS 12		/* runs of each figure */
#endif
#ifndef SAMPLES
#define SAMPLES 100	/* steady-state samples a run (100 VMs; 1000: a fifth) */
#endif
/* A figure's samples, at least one: a short check run (SAMPLES under 20)
 * would otherwise divide by zero samples (inf and nan in the JSON). */
#define AT_LEAST_1(n) ((n) > 0 ? (n) : 1)
#define SAMPLES_FIFTH AT_LEAST_1(SAMPLES / 5)
#define SAMPLES_20TH AT_LEAST_1(SAMPLES / 20)
#define SLOW_TIMEOUT_MS 200
#define SLOW_DRIP_MS 150	/* a dripping monitor's delay per reply */

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct cpu_pt {
	double cpu_ms, user_ms, sys_ms, wall_ms;
};

static struct cpu_pt cpu_now(void)
{
	struct timespec ts;
	struct rusage ru;
	struct cpu_pt c;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	c.cpu_ms = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
	getrusage(RUSAGE_SELF, &ru);
	c.user_ms = (double)ru.ru_utime.tv_sec * 1e3 + (double)ru.ru_utime.tv_usec / 1e3;
	c.sys_ms = (double)ru.ru_stime.tv_sec * 1e3 + (double)ru.ru_stime.tv_usec / 1e3;
	c.wall_ms = mono_ms();
	return c;
}

/* ---------------------------------------------------------------- stats */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Two-sided 95% quantile of Student's t with df degrees of freedom. */
static double t95(int df)
{
	static const double t[] = { 0, 12.706, 4.303, 3.182, 2.776, 2.571,
		2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
		2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069,
		2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042 };

	return df < (int)(sizeof(t) / sizeof(*t)) ? t[df] : 1.96;
}

static bool first_field = true;

static void field(const char *name)
{
	printf("%s\n  \"%s\": ", first_field ? "" : ",", name);
	first_field = false;
}

/* One figure over the runs: {"unit", "runs", "values", mean, ci95, ...}. */
static void summary(const char *name, const char *unit, const double *in, int n)
{
	double v[64], mean = 0, var = 0, half;
	int i;

	memcpy(v, in, (size_t)n * sizeof(*v));
	for (i = 0; i < n; i++)
		mean += v[i];
	mean /= n;
	for (i = 0; i < n; i++)
		var += (v[i] - mean) * (v[i] - mean);
	var = n > 1 ? var / (n - 1) : 0;
	half = n > 1 ? t95(n - 1) * sqrt(var / n) : 0;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	field(name);
	printf("{\"unit\": \"%s\", \"runs\": %d, \"mean\": %.4f, \"ci95\": [%.4f, %.4f], "
	       "\"median\": %.4f, \"min\": %.4f, \"max\": %.4f, \"values\": [", unit, n,
	       mean, mean - half, mean + half, n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2,
	       v[0], v[n - 1]);
	for (i = 0; i < n; i++)
		printf("%s%.4f", i ? ", " : "", in[i]);
	printf("]}");
}

/* ---------------------------------------------------------------- slow QMP */

/* Monitors that never answer in time: odd ones accept and stay silent (a
 * monitor busy with another client), even ones greet and answer every
 * command SLOW_DRIP_MS late (each reply within a 200 ms timeout, a whole
 * sample not). */
struct slow_qmp {
	int n, fds[32];
	pthread_t tid;
	volatile bool stop;
};

static void *drip_conn(void *arg)
{
	static const char greet[] = "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n";
	int c = (int)(long)arg;
	char buf[4096];
	ssize_t r;

	usleep(SLOW_DRIP_MS * 1000);
	if (write(c, greet, sizeof(greet) - 1) < 0)
		goto out;
	while ((r = read(c, buf, sizeof(buf))) > 0) {
		usleep(SLOW_DRIP_MS * 1000);
		/* Good enough for the client: a reply without an id matches. */
		if (write(c, "{\"return\": []}\r\n", 16) < 0)
			break;
	}
out:
	close(c);
	return NULL;
}

static void *slow_serve(void *arg)
{
	struct slow_qmp *q = arg;
	struct pollfd p[32];
	int i;

	for (i = 0; i < q->n; i++)
		p[i] = (struct pollfd){ q->fds[i], POLLIN, 0 };
	while (!q->stop) {
		if (poll(p, (nfds_t)q->n, 50) <= 0)
			continue;
		for (i = 0; i < q->n; i++) {
			pthread_t t;
			int c;

			if (!(p[i].revents & POLLIN))
				continue;
			c = accept(q->fds[i], NULL, NULL);
			if (c < 0)
				continue;
			if (i % 2) {
				/* Silent: the socket stays open until we end. */
				continue;
			}
			if (pthread_create(&t, NULL, drip_conn, (void *)(long)c))
				close(c);
			else
				pthread_detach(t);
		}
	}
	return NULL;
}

static int slow_start(struct slow_qmp *q, const char *fleet, int n)
{
	int i;

	memset(q, 0, sizeof(*q));
	for (i = 0; i < n && i < 32; i++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/run/slow%d.qmp", fleet, i);
		unlink(sa.sun_path);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64))
			return -errno;
		q->fds[q->n++] = fd;
	}
	return pthread_create(&q->tid, NULL, slow_serve, q) ? -EAGAIN : 0;
}

static void slow_stop(struct slow_qmp *q, const char *fleet)
{
	int i;

	q->stop = true;
	pthread_join(q->tid, NULL);
	for (i = 0; i < q->n; i++) {
		char path[4200];

		close(q->fds[i]);
		/* Without its socket the VM is a plain debugfs VM again. */
		snprintf(path, sizeof(path), "%s/run/slow%d.qmp", fleet, i);
		unlink(path);
	}
}

/* ---------------------------------------------------------------- runs */

struct sample_runs {
	double user[RUNS], sys[RUNS], cpu[RUNS], wall[RUNS];	/* per sample */
	double first_cpu[RUNS], first_wall[RUNS];		/* the first */
	double spread[RUNS];	/* ms from the first to the last non-QMP read */
	size_t nvms;
};

/* When row v was read: its own time, or (older libapf) the sample's end,
 * which makes the spread 0 and is not reported. */
static double row_time(const struct apf_sample *smp, size_t v)
{
#ifdef APF_VM_ROW_TIME
	return smp->vms[v].time;
#else
	(void)v;
	return smp->time;
#endif
}

/* RUNS runs of: a fresh sampler, its first sample, nsamples more. */
static int bench_samples(const char *fleet, bool vcpus, int qmp_timeout_ms,
			 int nsamples, struct sample_runs *o)
{
	struct apf_sampler_cfg cfg = { .vcpus = vcpus, .qmp_timeout_ms = qmp_timeout_ms };
	int run, i, err = 0;

	memset(o, 0, sizeof(*o));
#ifdef APF_SYSROOT_SET_CHECKS
	if (apf_sysroot_set(fleet))
		return -ENAMETOOLONG;
#else
	apf_sysroot_set(fleet);
#endif
	for (run = 0; run < RUNS && !err; run++) {
		struct apf_sampler *s = apf_sampler_open(&cfg, &err);
		struct apf_sample smp;
		struct cpu_pt a, b;

		if (!s)
			break;
		a = cpu_now();
		err = apf_sampler_take(s, &smp, NULL);
		b = cpu_now();
		o->first_cpu[run] = b.cpu_ms - a.cpu_ms;
		o->first_wall[run] = b.wall_ms - a.wall_ms;
		if (!err) {
			double lo = 1e300, hi = 0;
			size_t v;

			o->nvms = smp.nvms;
			/* When the VMs not asked over QMP were read, relative
			 * to each other: a slow monitor must not hold them. */
			for (v = 0; v < smp.nvms; v++) {
				double t = row_time(&smp, v);

				if (strncmp(smp.vms[v].name, "vm", 2))
					continue;
				lo = t < lo ? t : lo;
				hi = t > hi ? t : hi;
			}
			o->spread[run] = hi > lo ? (hi - lo) * 1e3 : 0;
			apf_sample_free(&smp);
		}
		a = cpu_now();
		for (i = 0; i < nsamples && !err; i++) {
			err = apf_sampler_take(s, &smp, NULL);
			if (!err)
				apf_sample_free(&smp);
		}
		b = cpu_now();
		o->user[run] = (b.user_ms - a.user_ms) / nsamples;
		o->sys[run] = (b.sys_ms - a.sys_ms) / nsamples;
		o->cpu[run] = (b.cpu_ms - a.cpu_ms) / nsamples;
		o->wall[run] = (b.wall_ms - a.wall_ms) / nsamples;
		apf_sampler_close(s);
	}
	apf_sysroot_set(NULL);
	return err;
}

static void report(const char *name, const struct sample_runs *o, bool slow)
{
	char key[160];

	snprintf(key, sizeof(key), "%s_cpu_ms", name);
	summary(key, "ms of CPU (all threads, user+system) per sample", o->cpu, RUNS);
	snprintf(key, sizeof(key), "%s_user_ms", name);
	summary(key, "ms of user CPU per sample (tick-apportioned)", o->user, RUNS);
	snprintf(key, sizeof(key), "%s_sys_ms", name);
	summary(key, "ms of system CPU per sample (tick-apportioned)", o->sys, RUNS);
	snprintf(key, sizeof(key), "%s_wall_ms", name);
	summary(key, "ms wall per sample", o->wall, RUNS);
	snprintf(key, sizeof(key), "%s_first_sample_cpu_ms", name);
	summary(key, "ms of CPU, first sample of a sampler", o->first_cpu, RUNS);
	snprintf(key, sizeof(key), "%s_first_sample_wall_ms", name);
	summary(key, "ms wall, first sample of a sampler", o->first_wall, RUNS);
#ifndef APF_VM_ROW_TIME
	slow = false;	/* no per-VM read times: no spread to report */
#endif
	if (slow) {
		snprintf(key, sizeof(key), "%s_first_sample_read_spread_ms", name);
		summary(key, "ms between the first and last read of the VMs not "
			"asked over QMP, first sample", o->spread, RUNS);
	}
	snprintf(key, sizeof(key), "%s_vms", name);
	field(key);
	printf("%zu", o->nvms);
}

static int bench_status(const char *apfctl, double *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		double t0 = mono_ms();
		int status;
		pid_t pid;

		fflush(stdout);	/* or the child's exit flushes our buffer too */
		pid = fork();
		if (pid < 0)
			return -errno;
		if (!pid) {
			if (!freopen("/dev/null", "w", stdout))
				_exit(127);
			execl(apfctl, apfctl, "status", "-j", (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			return -ECHILD;
		v[i] = mono_ms() - t0;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct sample_runs r;
	struct slow_qmp slow;
	double st[RUNS];
	int err;

	if (argc != 4) {
		fprintf(stderr, "usage: %s FLEET_100x8 FLEET_1000x8 APFCTL\n"
			"(10 VMs of FLEET_1000x8 name QMP sockets, served here\n"
			"only for the slow-monitor figures)\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	printf("{");
	field("method");
	printf("\"%d runs a figure, each a fresh sampler: its first sample, then %d "
	       "samples with 100 VMs, %d with 1000 or with vCPU rows, %d beside the slow "
	       "monitors (per-sample figures "
	       "are their mean); CPU is CLOCK_PROCESS_CPUTIME_ID (all threads, user and "
	       "system), split by getrusage; 95%% CI of the mean over the runs, "
	       "Student's t\"", RUNS, SAMPLES, SAMPLES_FIFTH, SAMPLES_20TH);
	err = bench_samples(argv[1], false, 0, SAMPLES, &r);
	if (!err)
		report("stats_sample_100vm_x8vcpu", &r, false);
	if (!err)
		err = bench_samples(argv[1], true, 0, SAMPLES_FIFTH, &r);
	if (!err)
		report("stats_sample_100vm_x8vcpu_with_vcpu_rows", &r, false);
	if (!err)
		err = bench_samples(argv[2], false, 0, SAMPLES_FIFTH, &r);
	if (!err)
		report("stats_sample_1000vm_x8vcpu", &r, false);
	if (!err)
		err = slow_start(&slow, argv[2], 10);
	if (!err) {
		/* Fewer samples: a build whose monitors drip in turn spends
		 * seconds on every one. */
		err = bench_samples(argv[2], false, SLOW_TIMEOUT_MS, SAMPLES_20TH, &r);
		slow_stop(&slow, argv[2]);
		field("slow_qmp");
		printf("{\"vms\": 10, \"silent\": 5, \"dripping\": 5, \"drip_ms\": %d, "
		       "\"qmp_timeout_ms\": %d}", SLOW_DRIP_MS, SLOW_TIMEOUT_MS);
	}
	if (!err)
		report("stats_sample_1000vm_x8vcpu_plus_10_slow_qmp", &r, true);
	if (!err)
		err = bench_status(argv[3], st, RUNS);
	if (!err)
		summary("status_live_wall_ms", "ms wall of `apfctl status -j` (fork+exec)",
			st, RUNS);
	printf("\n}\n");
	if (err)
		fprintf(stderr, "bench: %s\n", strerror(-err));
	return err ? 1 : 0;
}
