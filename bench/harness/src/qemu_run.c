// SPDX-License-Identifier: GPL-2.0-only
#include "qemu_run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apfwl.h"
#include "capture.h"
#include "cgroup.h"
#include "child_signals.h"
#include "clock.h"
#include "console.h"
#include "fileio.h"
#include "perf_tp.h"
#include "procstat.h"

/* After the result line: time for "done" and the poweroff. */
#define GRACE_AFTER_RESULT_MS 60000
/* After a crash line: time to let the rest of the trace reach the log
 * (with panic=-1 and -no-reboot, QEMU exits by itself first). */
#define GRACE_AFTER_CRASH_MS 10000
#define APFCTL_TIMEOUT_MS 20000

static const char *const outcome_names[] = {
	[BENCH_OK] = "ok",
	[BENCH_CRASH] = "crash",
	[BENCH_HANG] = "hang",
	[BENCH_ERROR] = "error",
	[BENCH_INTERRUPTED] = "interrupted",
};

const char *bench_outcome_name(enum bench_outcome o)
{
	return (unsigned)o < BENCH_OUTCOME_COUNT ? outcome_names[o] : "?";
}

int bench_qemu_argv(const struct bench_opts *o, enum bench_mode mode,
		    bool off_via_qemu, const char **argv, size_t cap,
		    char *cmdline, size_t cap_cmd)
{
	static char mem[24], smp[24];
	size_t n = 0;
	int len;

	/* panic=-1 with -no-reboot: a panicking guest ends QEMU at once. */
	len = snprintf(cmdline, cap_cmd, "console=ttyS0 loglevel=4 panic=-1 apfwl=%s%s%s%s",
		       o->apfwl, mode == BENCH_MODE_HALT ? " no-kvmapf" : "",
		       o->append ? " " : "", o->append ? o->append : "");
	if (len < 0 || (size_t)len >= cap_cmd)
		return -E2BIG;
	snprintf(mem, sizeof(mem), "%ld", o->guest_mem_mb);
	snprintf(smp, sizeof(smp), "%ld", o->smp);
	const char *fixed[] = {
		o->qemu, "-accel",
		mode == BENCH_MODE_OFF && off_via_qemu ? "kvm,async-pf=off" : "kvm",
		"-cpu", o->cpu, "-m", mem, "-smp", smp,
		"-kernel", o->kernel, "-initrd", o->initrd, "-append", cmdline,
		"-nographic", "-nodefaults", "-serial", "stdio", "-monitor", "none",
		"-no-reboot", "-display", "none",
	};
	if (sizeof(fixed) / sizeof(fixed[0]) + o->nqemu_args + 1 > cap)
		return -E2BIG;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		argv[n++] = fixed[i];
	for (size_t i = 0; i < o->nqemu_args; i++)
		argv[n++] = o->qemu_args[i];
	argv[n] = NULL;
	return (int)n;
}

/* What the console has told so far. */
struct watch {
	const struct bench_run_ctx *ctx;
	long long t0, boot_at, result_at, crash_at, last_output;
	pid_t qemu;
	struct json_object *rec, *intervals;
	bool have_result, have_done, have_error, log_short;
	int done_rc;
	unsigned bad_lines;
	const char *crash_kind;
	char crash_line[256], error_msg[256];
};

/* NaN (a missing number) is null: JSON has no NaN. */
static void put_num(struct json_object *o, const char *key, double v)
{
	json_object_object_add(o, key, isfinite(v) ? json_object_new_double(v) : NULL);
}

static void put_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

static void put_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

/* Counters of a live VM, with QEMU stopped so the numbers hold still and
 * the VM cannot power off underneath (the workload's next step). */
static void take_apfctl(struct watch *w)
{
	const struct bench_run_ctx *ctx = w->ctx;
	char pid[16];
	const char *argv[12];
	struct bench_capture c;
	struct json_object *j;
	size_t n = 0;

	if (!ctx->apfctl)
		return;
	snprintf(pid, sizeof(pid), "%d", (int)w->qemu);
	argv[n++] = ctx->apfctl;
	if (ctx->o->sysroot) {
		argv[n++] = "--sysroot";
		argv[n++] = ctx->o->sysroot;
	}
	argv[n++] = "stats";
	argv[n++] = "-1";
	argv[n++] = "-s";
	argv[n++] = "0.2";
	argv[n++] = "-j";
	argv[n++] = "-p";
	argv[n++] = pid;
	argv[n] = NULL;
	kill(w->qemu, SIGSTOP);
	bench_capture_run(argv, NULL, APFCTL_TIMEOUT_MS, 1 << 20, &c);
	kill(w->qemu, SIGCONT);
	j = c.status == 0 ? json_tokener_parse(c.out) : NULL;
	if (j) {
		json_object_object_add(w->rec, "apfctl", j);
	} else {
		char why[300], last[256];

		bench_last_line(c.errout[0] ? c.errout : c.out, last, sizeof(last));
		snprintf(why, sizeof(why), "%s stats failed (%s): %s", ctx->apfctl,
			 c.err ? strerror(-c.err) : "exit status", last);
		put_str(w->rec, "apfctl_error", why);
	}
	bench_capture_free(&c);
}

static void on_event(struct watch *w, struct apfwl_event *ev)
{
	long long now = bench_now_ms();
	struct json_object *guest;

	switch (ev->type) {
	case APFWL_BOOT:
		if (!w->boot_at)
			w->boot_at = now;
		break;
	case APFWL_START:
		json_object_object_add(w->rec, "start", json_object_get(ev->obj));
		break;
	case APFWL_FILL:
		put_num(w->rec, "fill_s", apfwl_num(ev->obj, "seconds", 0));
		break;
	case APFWL_INTERVAL: {
		struct json_object *row = json_object_new_array();

		json_object_array_add(row, json_object_new_double(apfwl_num(ev->obj, "t", 0)));
		json_object_array_add(row, json_object_new_double(apfwl_num(ev->obj, "fault_pages_per_s", 0)));
		json_object_array_add(row, json_object_new_double(apfwl_num(ev->obj, "compute_units_per_s", 0)));
		json_object_array_add(w->intervals, row);
		break;
	}
	case APFWL_RESULT:
		if (w->have_result)
			break;
		w->have_result = true;
		w->result_at = now;
		json_object_object_add(w->rec, "result", json_object_get(ev->obj));
		put_num(w->rec, "elapsed_s", apfwl_num(ev->obj, "elapsed_s", NAN));
		put_num(w->rec, "compute_units_per_s", apfwl_num(ev->obj, "compute_units_per_s", NAN));
		put_num(w->rec, "fault_pages_per_s", apfwl_num(ev->obj, "fault_pages_per_s", NAN));
		put_num(w->rec, "compute_units", apfwl_num(ev->obj, "compute_units", NAN));
		put_num(w->rec, "fault_pages", apfwl_num(ev->obj, "fault_pages", NAN));
		if (json_object_object_get_ex(ev->obj, "guest", &guest))
			json_object_object_add(w->rec, "guest", json_object_get(guest));
		take_apfctl(w);
		break;
	case APFWL_DONE:
		w->have_done = true;
		w->done_rc = (int)apfwl_num(ev->obj, "rc", -1);
		break;
	case APFWL_ERROR:
		if (!w->have_error) {
			struct json_object *m;

			w->have_error = true;
			snprintf(w->error_msg, sizeof(w->error_msg), "%s",
				 json_object_object_get_ex(ev->obj, "message", &m) ?
				 json_object_get_string(m) : "(no message)");
		}
		break;
	case APFWL_OTHER:
		break;
	}
}

static void on_line(const char *line, size_t len, void *arg)
{
	struct watch *w = arg;
	struct apfwl_event ev;
	const char *kind;
	int r;

	r = apfwl_parse_line(line, len, &ev);
	if (r > 0) {
		on_event(w, &ev);
		json_object_put(ev.obj);
		return;
	}
	if (r < 0) {
		w->bad_lines++;
		return;
	}
	kind = bench_crash_kind(line, len);
	if (kind && !w->crash_kind) {
		w->crash_kind = kind;
		w->crash_at = bench_now_ms();
		snprintf(w->crash_line, sizeof(w->crash_line), "%.*s",
			 (int)(len < 200 ? len : 200), line);
	}
}

/* Stop QEMU's whole process group: TERM, then KILL after a few seconds. */
static int stop_qemu(pid_t pid)
{
	long long deadline;
	int ws = 0;

	kill(-pid, SIGCONT);
	kill(-pid, SIGTERM);
	deadline = bench_now_ms() + 3000;
	while (bench_now_ms() < deadline) {
		if (waitpid(pid, &ws, WNOHANG) == pid)
			goto gone;
		bench_sleep_ms(50);
	}
	kill(-pid, SIGKILL);
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
gone:
	kill(-pid, SIGKILL);	/* anything QEMU left in its group */
	return ws;
}

/* The child: join the cgroup, then become QEMU.  Only async-signal-safe
 * calls between fork and exec; failures go to the parent through st. */
static void child(const char *procs, int procs_flags, const char *const argv[],
		  int out, int err, int st)
{
	int e[2], fd, null;

	setpgid(0, 0);
	fd = open(procs, procs_flags, 0644);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		e[0] = 1;
		e[1] = errno;
		if (write(st, e, sizeof(e)) < 0)
			_exit(126);
		_exit(126);
	}
	close(fd);
	child_reset_signals();
	null = open("/dev/null", O_RDONLY);
	dup2(null, 0);
	dup2(out, 1);
	dup2(err, 2);
	execvp(argv[0], (char *const *)argv);
	e[0] = 2;
	e[1] = errno;
	if (write(st, e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static void take_tracepoints(struct json_object *rec, const struct apf_tracefs *t,
			     struct apf_tp_counter *c, const char *why)
{
	uint64_t v[APF_TP_MAX];
	struct json_object *o;

	if (!c || apf_tp_counter_read(c, v, t->ntp)) {
		put_str(rec, "tracepoints_error", why ? why : "could not read the counters");
		json_object_object_add(rec, "tracepoints", NULL);
		return;
	}
	o = json_object_new_object();
	for (size_t i = 0; i < t->ntp; i++)
		put_u64(o, t->tp[i].name, v[i]);
	json_object_object_add(rec, "tracepoints", o);
}

static void take_host_counters(struct json_object *rec, const char *cgdir,
			       const uint64_t before[2], const bool had[2])
{
	static const char *const keys[2] = { "pswpin", "pswpout" };
	struct json_object *vm = json_object_new_object(), *cg = json_object_new_object();
	uint64_t v;

	for (int i = 0; i < 2; i++) {
		if (had[i] && !bench_vmstat(keys[i], &v) && v >= before[i])
			put_u64(vm, keys[i], v - before[i]);
		else
			json_object_object_add(vm, keys[i], NULL);
	}
	json_object_object_add(rec, "vmstat", vm);
	if (!bench_cgroup_stat(cgdir, "memory.stat", "pgmajfault", &v))
		put_u64(cg, "pgmajfault", v);
	else
		json_object_object_add(cg, "pgmajfault", NULL);
	if (!bench_cgroup_stat(cgdir, "memory.events", "oom_kill", &v))
		put_u64(cg, "oom_kill", v);
	else
		json_object_object_add(cg, "oom_kill", NULL);
	json_object_object_add(rec, "cgroup", cg);
}

static void stderr_tail(const char *path, char *dst, size_t cap, const char **crash)
{
	char *text = NULL;

	dst[0] = '\0';
	*crash = NULL;
	if (apf_slurp(path, 4 << 20, &text) < 0)
		return;
	bench_last_line(text, dst, cap);
	*crash = bench_qemu_crash_kind(text);
	free(text);
}

static void decide(struct watch *w, struct bench_run_out *out, int ws,
		   bool timed_out, const char *hang_why, const char *err_path)
{
	const struct bench_run_ctx *ctx = w->ctx;
	char tail[256];
	const char *qcrash;
	uint64_t oom = 0;
	struct json_object *cg;

	stderr_tail(err_path, tail, sizeof(tail), &qcrash);
	if (json_object_object_get_ex(w->rec, "cgroup", &cg))
		oom = (uint64_t)apfwl_num(cg, "oom_kill", 0);
	out->booted = w->boot_at != 0;
	if (*ctx->stop) {
		out->outcome = BENCH_INTERRUPTED;
		snprintf(out->reason, sizeof(out->reason), "interrupted by a signal");
	} else if (w->crash_kind) {
		out->outcome = BENCH_CRASH;
		snprintf(out->reason, sizeof(out->reason), "%s: %s", w->crash_kind, w->crash_line);
	} else if (qcrash) {
		out->outcome = BENCH_CRASH;
		snprintf(out->reason, sizeof(out->reason), "QEMU: %s", tail);
	} else if (timed_out) {
		out->outcome = BENCH_HANG;
		snprintf(out->reason, sizeof(out->reason), "%s", hang_why);
	} else if (w->have_error) {
		out->outcome = BENCH_ERROR;
		snprintf(out->reason, sizeof(out->reason), "workload: %s", w->error_msg);
	} else if (w->have_result && w->have_done && w->done_rc != 0) {
		out->outcome = BENCH_ERROR;
		snprintf(out->reason, sizeof(out->reason), "workload exited with status %d", w->done_rc);
	} else if (w->have_result) {
		out->outcome = BENCH_OK;
		out->reason[0] = '\0';
	} else if (oom) {
		out->outcome = BENCH_ERROR;
		snprintf(out->reason, sizeof(out->reason), "QEMU was OOM-killed in its cgroup (oom_kill %" PRIu64 "): swap full, or memory.max too small for QEMU itself",
			 oom);
	} else if (!w->boot_at) {
		out->outcome = BENCH_ERROR;
		out->qemu_failed_early = true;
		snprintf(out->reason, sizeof(out->reason), "QEMU exited (%s %d) before the workload booted: %s",
			 WIFSIGNALED(ws) ? "signal" : "status",
			 WIFSIGNALED(ws) ? WTERMSIG(ws) : WEXITSTATUS(ws),
			 tail[0] ? tail : "(nothing on stderr; see the serial log)");
	} else {
		out->outcome = BENCH_CRASH;
		snprintf(out->reason, sizeof(out->reason), "QEMU exited (%s %d) without a result%s%s",
			 WIFSIGNALED(ws) ? "signal" : "status",
			 WIFSIGNALED(ws) ? WTERMSIG(ws) : WEXITSTATUS(ws),
			 tail[0] ? ": " : "", tail);
	}
}

static void record_head(struct json_object *rec, const struct bench_run_ctx *ctx,
			const char *const *argv)
{
	struct json_object *a = json_object_new_array();
	char stamp[32];

	put_str(rec, "mode", bench_mode_name(ctx->slot.mode));
	json_object_object_add(rec, "rep", json_object_new_int(ctx->slot.rep + 1));
	json_object_object_add(rec, "order", json_object_new_int(ctx->slot.order + 1));
	bench_utc_stamp(stamp, sizeof(stamp));
	put_str(rec, "started", stamp);
	put_str(rec, "serial_log", ctx->serial_rel);
	put_str(rec, "stderr_log", ctx->stderr_rel);
	for (size_t i = 0; argv[i]; i++)
		json_object_array_add(a, json_object_new_string(argv[i]));
	json_object_object_add(rec, "qemu_argv", a);
}

enum watch_end {
	END_EOF,	/* QEMU closed its output: it exited */
	END_DEADLINE,	/* a hang: why says which deadline */
	END_GRACE,	/* done waiting after a result or a crash line */
	END_STOP,	/* a signal asked us to stop */
};

/* The poll loop. */
static enum watch_end watch_console(struct watch *w, int fd, int logfd, char *why, size_t cap)
{
	const struct bench_opts *o = w->ctx->o;
	static struct bench_lines lines;	/* 64 KiB: not on the stack */

	lines.len = 0;
	for (;;) {
		long long now = bench_now_ms(), t = now - w->t0;
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		char buf[8192];
		ssize_t n;

		if (*w->ctx->stop)
			return END_STOP;
		if (w->have_result && now - w->result_at > GRACE_AFTER_RESULT_MS)
			return END_GRACE;	/* ok, but no poweroff: stop it */
		if (w->crash_kind && now - w->crash_at > GRACE_AFTER_CRASH_MS)
			return END_GRACE;
		if (!w->boot_at && t > o->boot_timeout_s * 1000LL) {
			snprintf(why, cap, "the guest did not boot within %ld s under this /dev/kvm (a PVM or otherwise restricted KVM cannot run ordinary guests; use make bench-lab)",
				 o->boot_timeout_s);
			return END_DEADLINE;
		}
		if (!w->have_result && t > o->timeout_s * 1000LL) {
			snprintf(why, cap, "no result within --timeout %ld s", o->timeout_s);
			return END_DEADLINE;
		}
		if (!w->have_result && now - w->last_output > o->silence_timeout_s * 1000LL) {
			snprintf(why, cap, "no console output for %ld s (--silence-timeout)",
				 o->silence_timeout_s);
			return END_DEADLINE;
		}
		if (poll(&pf, 1, 500) < 0) {
			if (errno == EINTR)
				continue;
			return END_EOF;
		}
		if (!(pf.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			bench_lines_flush(&lines, on_line, w);
			return END_EOF;
		}
		w->last_output = bench_now_ms();
		if (write(logfd, buf, (size_t)n) != n)
			w->log_short = true;
		bench_lines_feed(&lines, buf, (size_t)n, on_line, w);
	}
}

/* Wait for a QEMU that closed its output; kill it if it lingers. */
static int reap(pid_t pid, bool force)
{
	long long deadline = bench_now_ms() + 10000;
	int ws = 0;

	if (force)
		return stop_qemu(pid);
	while (bench_now_ms() < deadline) {
		if (waitpid(pid, &ws, WNOHANG) == pid) {
			kill(-pid, SIGKILL);
			return ws;
		}
		bench_sleep_ms(20);
	}
	return stop_qemu(pid);
}

static void finish_record(struct json_object *rec, const struct bench_run_out *out,
			  const struct watch *w, int ws, long long t_end)
{
	put_str(rec, "outcome", bench_outcome_name(out->outcome));
	put_str(rec, "reason", out->reason[0] ? out->reason : NULL);
	put_num(rec, "wall_s", (double)(t_end - w->t0) / 1000.0);
	if (w->boot_at)
		put_num(rec, "boot_s", (double)(w->boot_at - w->t0) / 1000.0);
	if (w->have_done)
		json_object_object_add(rec, "done_rc", json_object_new_int(w->done_rc));
	json_object_object_add(rec, "qemu_status",
			       json_object_new_int(WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) :
						   WEXITSTATUS(ws)));
	json_object_object_add(rec, "bad_apfwl_lines", json_object_new_int((int)w->bad_lines));
	if (w->crash_kind)
		put_str(rec, "crash_line", w->crash_line);
	if (w->log_short)
		json_object_object_add(rec, "serial_log_incomplete", json_object_new_boolean(1));
}

struct json_object *bench_run_one(const struct bench_run_ctx *ctx,
				  struct bench_run_out *out)
{
	static const char *const vm_keys[2] = { "pswpin", "pswpout" };
	const char *argv[BENCH_QEMU_ARGS_MAX + 40];
	char cmdline[2048], procs[APF_PATH_MAX + 32], why[300] = "";
	struct watch w = { .ctx = ctx };
	struct apf_tp_counter *tpc = NULL;
	int so[2] = { -1, -1 }, st[2] = { -1, -1 }, errfd = -1, logfd = -1;
	int ws = 0, e[2] = { 0, 0 }, tperr = 0;
	uint64_t before[2] = { 0, 0 };
	enum watch_end end;
	bool had[2], timed_out;
	char tpwhy[200];
	pid_t pid;

	memset(out, 0, sizeof(*out));
	w.rec = json_object_new_object();
	w.intervals = json_object_new_array();
	if (bench_qemu_argv(ctx->o, ctx->slot.mode, ctx->off_via_qemu, argv,
			    sizeof(argv) / sizeof(argv[0]), cmdline, sizeof(cmdline)) < 0) {
		argv[0] = NULL;
		snprintf(out->reason, sizeof(out->reason), "the guest command line is too long");
		goto fail;
	}
	record_head(w.rec, ctx, argv);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", ctx->cgroup_dir);
	logfd = open(ctx->serial_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	errfd = open(ctx->stderr_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (logfd < 0 || errfd < 0) {
		snprintf(out->reason, sizeof(out->reason), "cannot write %s: %s",
			 logfd < 0 ? ctx->serial_log : ctx->stderr_log, strerror(errno));
		goto fail;
	}
	if (pipe2(so, O_CLOEXEC) || pipe2(st, O_CLOEXEC)) {
		snprintf(out->reason, sizeof(out->reason), "pipe: %s", strerror(errno));
		goto fail;
	}
	for (int i = 0; i < 2; i++)
		had[i] = !bench_vmstat(vm_keys[i], &before[i]);
	/* System-wide, opened before QEMU exists: counts every VM's events on
	 * this host (there should be no other busy VM while benchmarking). */
	if (ctx->tracefs) {
		tpc = apf_tp_counter_open(ctx->tracefs, 0, &tperr);
		snprintf(tpwhy, sizeof(tpwhy), "tracepoint counters: %s", strerror(-tperr));
	} else {
		snprintf(tpwhy, sizeof(tpwhy), "%s", ctx->tracefs_why ? ctx->tracefs_why : "no tracefs");
	}
	w.t0 = w.last_output = bench_now_ms();
	pid = fork();
	if (pid < 0) {
		snprintf(out->reason, sizeof(out->reason), "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child(procs, bench_cgroup_open_flags(), argv, so[1], errfd, st[1]);
	setpgid(pid, pid);
	w.qemu = pid;
	close(so[1]);
	close(st[1]);
	so[1] = st[1] = -1;
	if (read(st[0], e, sizeof(e)) == (ssize_t)sizeof(e)) {
		while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
			;
		out->qemu_failed_early = true;
		snprintf(out->reason, sizeof(out->reason), e[0] == 1 ?
			 "cannot move QEMU into cgroup %s: %s" : "cannot run %s: %s",
			 e[0] == 1 ? ctx->cgroup_dir : ctx->o->qemu, strerror(e[1]));
		goto fail;
	}
	end = watch_console(&w, so[0], logfd, why, sizeof(why));
	timed_out = end == END_DEADLINE;
	ws = reap(pid, end != END_EOF);
	take_tracepoints(w.rec, ctx->tracefs, tpc, tpwhy);
	take_host_counters(w.rec, ctx->cgroup_dir, before, had);
	json_object_object_add(w.rec, "intervals", w.intervals);
	w.intervals = NULL;
	decide(&w, out, ws, timed_out, why, ctx->stderr_log);
	out->boot_timeout = out->outcome == BENCH_HANG && !w.boot_at;
	finish_record(w.rec, out, &w, ws, bench_now_ms());
	goto done;
fail:
	out->outcome = BENCH_ERROR;
	if (!json_object_object_get_ex(w.rec, "mode", NULL))
		put_str(w.rec, "mode", bench_mode_name(ctx->slot.mode));
	json_object_object_add(w.rec, "rep", json_object_new_int(ctx->slot.rep + 1));
	json_object_object_add(w.rec, "order", json_object_new_int(ctx->slot.order + 1));
	put_str(w.rec, "outcome", "error");
	put_str(w.rec, "reason", out->reason);
done:
	json_object_put(w.intervals);
	if (tpc)
		apf_tp_counter_close(tpc);
	for (int i = 0; i < 2; i++) {
		if (so[i] >= 0)
			close(so[i]);
		if (st[i] >= 0)
			close(st[i]);
	}
	if (logfd >= 0)
		close(logfd);
	if (errfd >= 0)
		close(errfd);
	return w.rec;
}
