/* SPDX-License-Identifier: GPL-2.0-only */
/* One benchmark run: QEMU in a prepared cgroup, its serial console read
 * with deadlines, the workload's APFWL lines and crash lines parsed, host
 * counters taken around it.  The result is one JSON record. */
#ifndef BENCH_QEMU_RUN_H
#define BENCH_QEMU_RUN_H

#include <signal.h>
#include <stdbool.h>

#include "options.h"
#include "schedule.h"
#include "tracefs.h"

struct json_object;

enum bench_outcome {
	BENCH_OK,
	BENCH_CRASH,		/* guest panic/BUG/Oops/lockup, or QEMU died */
	BENCH_HANG,		/* a deadline passed */
	BENCH_ERROR,		/* the workload or QEMU failed */
	BENCH_INTERRUPTED,	/* SIGINT/SIGTERM */
	BENCH_OUTCOME_COUNT,
};

const char *bench_outcome_name(enum bench_outcome o);

struct bench_run_ctx {
	const struct bench_opts *o;
	struct bench_slot slot;
	const char *cgroup_dir;		/* created, limits set */
	const char *serial_log, *stderr_log;	/* full paths */
	const char *serial_rel, *stderr_rel;	/* as recorded (under DIR) */
	const struct apf_tracefs *tracefs;	/* NULL: no tracepoint counts */
	const char *tracefs_why;	/* why not, for the record */
	const char *apfctl;		/* NULL: none */
	bool off_via_qemu;		/* -accel kvm,async-pf=off in mode off */
	volatile sig_atomic_t *stop;	/* set by SIGINT/SIGTERM */
};

struct bench_run_out {
	enum bench_outcome outcome;
	bool booted;			/* the workload's boot line came */
	bool boot_timeout;		/* ... and did not, within the limit */
	bool qemu_failed_early;		/* QEMU exited before the guest booted */
	char reason[512];
};

/* Flag a run record busy with a reason (NULL: just make sure the record
 * has its "busy" object, {"flag": false, "reasons": []}). */
void bench_record_busy(struct json_object *rec, const char *reason);

/* Run it; returns the record (never NULL unless out of memory). */
struct json_object *bench_run_one(const struct bench_run_ctx *ctx,
				  struct bench_run_out *out);

/* The QEMU argv for a run (for the record and for tests): a NULL-ended
 * vector of n entries in argv (cap entries); cmdline (cap_cmd) holds the
 * guest kernel command line that argv points to. */
int bench_qemu_argv(const struct bench_opts *o, enum bench_mode mode,
		    bool off_via_qemu, const char **argv, size_t cap,
		    char *cmdline, size_t cap_cmd);

#endif
