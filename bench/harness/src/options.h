/* SPDX-License-Identifier: GPL-2.0-only */
/* The command line of "apf-bench run" and "apf-bench preflight". */
#ifndef BENCH_OPTIONS_H
#define BENCH_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "schedule.h"

#define BENCH_QEMU_ARGS_MAX 64
#define BENCH_APFWL_MAX 1024

enum bench_off_method { BENCH_OFF_AUTO, BENCH_OFF_PARAM, BENCH_OFF_QEMU };

struct bench_opts {
	bool preflight_only;
	const char *kernel, *initrd, *qemu, *out, *apfctl, *label, *cpu;
	const char *append, *sysroot, *workload;
	char apfwl[BENCH_APFWL_MAX];	/* workload argv joined by commas */
	long buffer_mb;			/* the workload's -m */
	long duration_s;		/* its -t, or -1 when not given */
	long warmup_s;			/* its -w, or 0 */
	enum bench_mode modes[BENCH_MODE_COUNT];
	size_t nmodes;
	long reps;
	uint64_t seed;			/* of the run order */
	bool seed_given;
	uint64_t memory_max;		/* bytes */
	long guest_mem_mb, smp;
	enum bench_off_method off_method;
	long boot_timeout_s, timeout_s, silence_timeout_s;
	bool force;
	bool allow_busy;		/* run on a busy machine, every run flagged */
	long idle_wait_s;		/* wait this long for the machine to calm */
	double max_load;		/* 1-min load average per CPU */
	bool resume;			/* continue the plan in --out */
	bool allow_dirty;		/* uncommitted source changes */
	const char *source_commit;	/* the caller checked the tree */
	bool source_dirty;
	const char *qemu_args[BENCH_QEMU_ARGS_MAX];
	size_t nqemu_args;
};

#define BENCH_DEFAULT_WORKLOAD "-f 2 -c 2 -m 600 -t 30"

/* Parse argv after the command word.  Returns -1 when everything is fine
 * (o filled), else the exit code to leave with: 0 after --help, 2 after a
 * usage error (already reported on stderr). */
int bench_opts_parse(int argc, char **argv, bool preflight_only,
		     struct bench_opts *o);
/* Split a workload command line ("-f 2 -m 600") into the guest's
 * "apfwl=" form ("-f,2,-m,600") and pick out -m, -t and -w.  0, or -EINVAL
 * with why (cap bytes) saying what is wrong. */
int bench_workload_parse(const char *wl, char *apfwl, size_t apfwl_cap,
			 long *buffer_mb, long *duration_s, long *warmup_s,
			 char *why, size_t cap);
const char *bench_off_method_name(enum bench_off_method m);
void bench_usage(FILE *f);

#endif
