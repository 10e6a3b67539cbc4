// SPDX-License-Identifier: GPL-2.0-only
/*
 * labwl: the lab's minimal overcommit workload for the L2 guest.
 *
 * Allocates a buffer, touches every page once (fill: on an overcommitted
 * host this pushes the guest's memory out to host swap), then runs PHASES
 * phases of PHASE_SECS seconds each in which WRITERS threads write one byte
 * into random pages of the buffer (host swap-ins: the faults that can go
 * asynchronous) while COMPUTE threads do CPU-bound work.  Bounded in time:
 * every phase has a fixed length and an alarm ends the whole run after
 * MAX_SECS whatever happens.
 *
 * Progress goes to stdout as "LABWL ..." lines (the lab's L1 script waits
 * for them to take its snapshots); a JSON summary goes to --json FILE.
 * The benchmark (bench/) has its own, fuller workload; this one only has to
 * make asynchronous page faults happen.
 *
 *   labwl [--mb N] [--writers N] [--compute N] [--phases N]
 *         [--phase-secs S] [--max-secs S] [--json FILE]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define MAX_THREADS 64
#define MAX_PHASES 16

static unsigned char *buf;
static size_t npages;
static atomic_int stop;
static _Atomic uint64_t touches[MAX_THREADS];
static _Atomic uint64_t iters[MAX_THREADS];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void *writer(void *arg)
{
	long id = (long)arg;
	uint64_t s = 0x9e3779b97f4a7c15ULL * (uint64_t)(id + 1);

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint64_t r = xorshift(&s);

		buf[(r % npages) * PAGE + ((r >> 40) & (PAGE - 1))] = (unsigned char)r;
		atomic_fetch_add_explicit(&touches[id], 1, memory_order_relaxed);
	}
	return NULL;
}

static void *compute(void *arg)
{
	long id = (long)arg;
	volatile uint64_t acc = (uint64_t)id;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		for (int i = 0; i < 10000; i++)
			acc = acc * 6364136223846793005ULL + 1442695040888963407ULL;
		atomic_fetch_add_explicit(&iters[id], 1, memory_order_relaxed);
	}
	return NULL;
}

static uint64_t sum(_Atomic uint64_t *v, int from, int to)
{
	uint64_t s = 0;

	for (int i = from; i < to; i++)
		s += atomic_load(&v[i]);
	return s;
}

static void on_alarm(int sig)
{
	static const char msg[] = "LABWL abort max-secs reached\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

static int usage(void)
{
	fprintf(stderr, "usage: labwl [--mb N] [--writers N] [--compute N] [--phases N] "
		"[--phase-secs S] [--max-secs S] [--json FILE]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mb", required_argument, NULL, 'm' },
		{ "writers", required_argument, NULL, 'w' },
		{ "compute", required_argument, NULL, 'c' },
		{ "phases", required_argument, NULL, 'p' },
		{ "phase-secs", required_argument, NULL, 's' },
		{ "max-secs", required_argument, NULL, 'x' },
		{ "json", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	long mb = 256, nw = 1, nc = 1, phases = 2, max_secs = 600;
	double phase_secs = 20;
	const char *json = NULL;
	pthread_t th[MAX_THREADS];
	uint64_t ph_touch[MAX_PHASES], ph_iter[MAX_PHASES];
	double ph_secs[MAX_PHASES], t0, tf;
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'm': mb = atol(optarg); break;
		case 'w': nw = atol(optarg); break;
		case 'c': nc = atol(optarg); break;
		case 'p': phases = atol(optarg); break;
		case 's': phase_secs = atof(optarg); break;
		case 'x': max_secs = atol(optarg); break;
		case 'j': json = optarg; break;
		default: return usage();
		}
	}
	if (mb < 1 || nw < 0 || nc < 0 || nw + nc < 1 || nw + nc > MAX_THREADS ||
	    phases < 1 || phases > MAX_PHASES || phase_secs <= 0 || max_secs < 1)
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm((unsigned int)max_secs);

	npages = (size_t)mb * (1024 * 1024 / PAGE);
	buf = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		printf("LABWL error mmap %ld MB: %s\n", mb, strerror(errno));
		return 1;
	}
	printf("LABWL start mb=%ld writers=%ld compute=%ld phases=%ld phase_secs=%.1f\n",
	       mb, nw, nc, phases, phase_secs);
	t0 = now();
	for (size_t p = 0; p < npages; p++)
		buf[p * PAGE] = (unsigned char)p;
	tf = now() - t0;
	printf("LABWL fill done secs=%.1f\n", tf);

	for (long i = 0; i < nw; i++)
		pthread_create(&th[i], NULL, writer, (void *)i);
	for (long i = 0; i < nc; i++)
		pthread_create(&th[nw + i], NULL, compute, (void *)(nw + i));
	for (long p = 0; p < phases; p++) {
		uint64_t t_a = sum(touches, 0, (int)nw), i_a = sum(iters, (int)nw, (int)(nw + nc));
		double a = now();

		printf("LABWL phase=%ld start\n", p + 1);
		while (now() - a < phase_secs)
			usleep(100000);
		ph_secs[p] = now() - a;
		ph_touch[p] = sum(touches, 0, (int)nw) - t_a;
		ph_iter[p] = sum(iters, (int)nw, (int)(nw + nc)) - i_a;
		printf("LABWL phase=%ld end secs=%.1f touches=%llu compute=%llu\n", p + 1,
		       ph_secs[p], (unsigned long long)ph_touch[p], (unsigned long long)ph_iter[p]);
	}
	atomic_store(&stop, 1);
	for (long i = 0; i < nw + nc; i++)
		pthread_join(th[i], NULL);
	printf("LABWL done secs=%.1f touches=%llu compute=%llu\n", now() - t0,
	       (unsigned long long)sum(touches, 0, (int)nw),
	       (unsigned long long)sum(iters, (int)nw, (int)(nw + nc)));

	if (json) {
		FILE *f = fopen(json, "w");

		if (!f) {
			printf("LABWL error %s: %s\n", json, strerror(errno));
			return 1;
		}
		fprintf(f, "{\"mb\":%ld,\"writers\":%ld,\"compute\":%ld,\"fill_secs\":%.3f,\"phases\":[",
			mb, nw, nc, tf);
		for (long p = 0; p < phases; p++)
			fprintf(f, "%s{\"secs\":%.3f,\"touches\":%llu,\"compute_iters\":%llu}",
				p ? "," : "", ph_secs[p], (unsigned long long)ph_touch[p],
				(unsigned long long)ph_iter[p]);
		fprintf(f, "]}\n");
		fclose(f);
	}
	munmap(buf, npages * PAGE);
	return 0;
}
