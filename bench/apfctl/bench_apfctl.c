// SPDX-License-Identifier: GPL-2.0-only
/* apfctl's own latency benchmark: one stats sample over a fixture fleet
 * (in-process, through libapf) and whole `apfctl status` runs (fork+exec).
 * Prints one JSON object; bench/apfctl/run-bench records it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stats_sampler.h"
#include "sysroot.h"

static double clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/* CPU time of this process: what a sample costs, less the waiting for
 * a core that a busy 2-core machine adds to wall time. */
static double cpu_ms(void)
{
	return clock_ms(CLOCK_PROCESS_CPUTIME_ID);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void summary(const char *name, double *v, int n, int last)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("  \"%s\": {\"runs\": %d, \"min_ms\": %.3f, \"median_ms\": %.3f, "
	       "\"p90_ms\": %.3f, \"max_ms\": %.3f}%s\n", name, n, v[0], v[n / 2],
	       v[n * 9 / 10], v[n - 1], last ? "" : ",");
}

static int bench_sample(const char *fixture, bool vcpus, double *v,
			double *cpu, int n)
{
	struct apf_sampler_cfg cfg = { .vcpus = vcpus };
	struct apf_sampler *s;
	struct apf_sample smp;
	int i, err;

	apf_sysroot_set(fixture);
	s = apf_sampler_open(&cfg, &err);
	if (!s)
		return err;
	for (i = 0; i < n; i++) {
		double t0 = now_ms(), c0 = cpu_ms();

		err = apf_sampler_take(s, &smp, NULL);
		v[i] = now_ms() - t0;
		cpu[i] = cpu_ms() - c0;
		if (!err && smp.nvms != 100 && i == 0)
			fprintf(stderr, "warning: fixture has %zu VMs\n", smp.nvms);
		apf_sample_free(&smp);
		if (err)
			break;
	}
	apf_sampler_close(s);
	apf_sysroot_set(NULL);
	return err;
}

static int bench_status(const char *apfctl, double *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		double t0 = now_ms();
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
		v[i] = now_ms() - t0;
	}
	return 0;
}

int main(int argc, char **argv)
{
	enum { RUNS = 200 };
	static double v[RUNS], cpu[RUNS];
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: %s FLEET_FIXTURE APFCTL\n", argv[0]);
		return 2;
	}
	printf("{\n");
	err = bench_sample(argv[1], false, v, cpu, RUNS);
	if (!err) {
		summary("stats_sample_100vm_x8vcpu", v, RUNS, 0);
		summary("stats_sample_100vm_x8vcpu_cpu", cpu, RUNS, 0);
		err = bench_sample(argv[1], true, v, cpu, RUNS);
	}
	if (!err) {
		summary("stats_sample_100vm_x8vcpu_with_vcpu_rows", v, RUNS, 0);
		summary("stats_sample_100vm_x8vcpu_with_vcpu_rows_cpu", cpu, RUNS, 0);
	}
	if (!err)
		err = bench_status(argv[2], v, RUNS);
	if (!err)
		summary("status_live", v, RUNS, 1);
	printf("}\n");
	if (err)
		fprintf(stderr, "bench: %s\n", strerror(-err));
	return err ? 1 : 0;
}
