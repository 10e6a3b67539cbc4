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
#include "fault_match.h"
#include "fileio.h"
#include "histogram.h"
#include "hostload.h"
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

/* Host counters that are read as totals and kept as differences. */
struct host_counters {
	bool have_pgmaj, have_in, have_out;
	uint64_t pgmaj, pswpin, pswpout;
};

/* What the console has told so far (fields in clang-tidy's order, least
 * padding). */
struct watch {
	const struct bench_run_ctx *ctx;
	long long t0, boot_at, result_at, crash_at, last_output;
	struct json_object *rec, *intervals;
	const char *crash_kind;
	/* The measured window (the workload's "window" line to its result). */
	double window_t;			/* its start, s after the threads' */
	struct apf_tp_counter *tpc;		/* system-wide, for the whole run */
	struct json_object *apfctl_w0;
	/* Per-fault latency over the window: not_present -> ready. */
	struct apf_tp_sampler *lat;
	uint64_t lat_lost;
	struct host_counters hc_w0;
	uint64_t tp_w0[APF_TP_MAX];
	struct bench_load_snap snap_run0, snap_w0, snap_w1;
	struct apf_fault_matcher match;
	pid_t qemu;
	int done_rc;
	unsigned bad_lines;
	bool have_result, have_done, have_error, log_short;
	bool window_open, tp_w0_ok, match_init;
	char lat_why[200];
	char crash_line[256], error_msg[256];
	char apfctl_w0_err[300];
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

/* apfctl's JSON for the run's VM (stats -1 -j -p QEMU).  At the window's
 * end QEMU is stopped meanwhile, so the numbers hold still and the VM
 * cannot power off underneath (the workload's next step); at its start
 * it keeps running (stopping it would cut into the window). */
static struct json_object *run_apfctl(struct watch *w, bool stop, char *why, size_t cap)
{
	const struct bench_run_ctx *ctx = w->ctx;
	char pid[16];
	const char *argv[12];
	struct bench_capture c;
	struct json_object *j;
	size_t n = 0;

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
	if (stop)
		kill(w->qemu, SIGSTOP);
	bench_capture_run(argv, NULL, APFCTL_TIMEOUT_MS, 1 << 20, &c);
	if (stop)
		kill(w->qemu, SIGCONT);
	j = c.status == 0 ? json_tokener_parse(c.out) : NULL;
	if (!j) {
		char last[256];

		bench_last_line(c.errout[0] ? c.errout : c.out, last, sizeof(last));
		snprintf(why, cap, "%s stats failed (%s): %s", ctx->apfctl,
			 c.err ? strerror(-c.err) : "exit status", last);
	}
	bench_capture_free(&c);
	return j;
}

/* The counters object of this run's VM in apfctl's JSON, or NULL. */
static struct json_object *vm_counters(struct json_object *j, pid_t pid)
{
	struct json_object *vms, *c;

	if (!j || !json_object_object_get_ex(j, "vms", &vms) ||
	    !json_object_is_type(vms, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(vms); i++) {
		struct json_object *vm = json_object_array_get_idx(vms, i);

		if (apfwl_num(vm, "pid", -1) == (double)pid &&
		    json_object_object_get_ex(vm, "counters", &c) &&
		    json_object_is_type(c, json_type_object))
			return c;
	}
	return NULL;
}

/* end - start of every counter both have. */
static struct json_object *counters_delta(struct json_object *a, struct json_object *b)
{
	struct json_object *d = json_object_new_object();

	json_object_object_foreach(b, key, vb) {
		struct json_object *va;

		if (!json_object_object_get_ex(a, key, &va) || !va || !vb ||
		    !json_object_is_type(vb, json_type_int) || !json_object_is_type(va, json_type_int))
			continue;
		json_object_object_add(d, key, json_object_new_int64(
			json_object_get_int64(vb) - json_object_get_int64(va)));
	}
	return d;
}

static void read_host_counters(const char *cgdir, struct host_counters *h)
{
	memset(h, 0, sizeof(*h));
	h->have_pgmaj = !bench_cgroup_stat(cgdir, "memory.stat", "pgmajfault", &h->pgmaj);
	h->have_in = !bench_vmstat("pswpin", &h->pswpin);
	h->have_out = !bench_vmstat("pswpout", &h->pswpout);
}

static void put_delta(struct json_object *o, const char *key, bool ok_a, uint64_t a,
		      bool ok_b, uint64_t b)
{
	json_object_object_add(o, key, ok_a && ok_b && b >= a ?
			       json_object_new_uint64(b - a) : NULL);
}

static void latency_start(struct watch *w)
{
	const struct apf_tracefs *t = w->ctx->tracefs;
	size_t np = APF_TP_MAX, ready = APF_TP_MAX, idx[2];
	int err = 0;

	if (!t) {
		snprintf(w->lat_why, sizeof(w->lat_why), "no tracepoints");
		return;
	}
	for (size_t i = 0; i < t->ntp; i++) {
		const char *n = t->tp[i].name;
		size_t l = strlen(n);

		if (strstr(n, "async_pf") && l >= 11 && !strcmp(n + l - 11, "not_present"))
			np = i;
		if (strstr(n, "async_pf") && l >= 5 && !strcmp(n + l - 5, "ready"))
			ready = i;
	}
	if (np == APF_TP_MAX || ready == APF_TP_MAX) {
		snprintf(w->lat_why, sizeof(w->lat_why),
			 "no async_pf not_present/ready tracepoints in %.120s", t->dir);
		return;
	}
	idx[0] = np;
	idx[1] = ready;
	w->lat = apf_tp_sampler_open(t, idx, 2, &err);
	if (!w->lat) {
		snprintf(w->lat_why, sizeof(w->lat_why), "perf sampling: %s", strerror(-err));
		return;
	}
	apf_fault_matcher_init(&w->match, np, ready);
	w->match.only_pid = w->qemu;
	w->match_init = true;
}

static void latency_poll(struct watch *w)
{
	if (w->lat && apf_tp_sampler_poll(w->lat, 0, apf_fault_match_sample, &w->match,
					  &w->lat_lost) < 0) {
		snprintf(w->lat_why, sizeof(w->lat_why), "perf sampling stopped");
		apf_tp_sampler_close(w->lat);
		w->lat = NULL;
	}
}

/* Percentiles in ns of the window's faults (null without faults). */
static struct json_object *latency_json(struct watch *w)
{
	static const struct { const char *name; double p; } pct[] = {
		{ "p50", 50 }, { "p90", 90 }, { "p99", 99 }, { "p999", 99.9 },
	};
	struct apf_histogram *h = &w->match.total;
	struct json_object *o = json_object_new_object(), *ns = json_object_new_object();
	uint64_t unp = 0, urd = 0;

	apf_fault_match_finish(&w->match);
	for (size_t i = 0; i < w->match.nvm; i++) {
		unp += w->match.vm[i].unmatched_np;
		urd += w->match.vm[i].unmatched_ready;
	}
	json_object_object_add(o, "source", json_object_new_string(
		"kvm_async_pf_not_present to kvm_async_pf_ready of the same token, this QEMU only"));
	json_object_object_add(o, "count", json_object_new_uint64(h->count));
	json_object_object_add(o, "lost", json_object_new_uint64(w->lat_lost));
	json_object_object_add(o, "unmatched_not_present", json_object_new_uint64(unp));
	json_object_object_add(o, "unmatched_ready", json_object_new_uint64(urd));
	for (size_t k = 0; k < sizeof(pct) / sizeof(pct[0]); k++)
		json_object_object_add(ns, pct[k].name, h->count ?
				       json_object_new_uint64(apf_hist_percentile(h, pct[k].p)) : NULL);
	json_object_object_add(ns, "mean", h->count ? json_object_new_uint64(h->sum / h->count) : NULL);
	json_object_object_add(ns, "max", h->count ? json_object_new_uint64(h->max) : NULL);
	json_object_object_add(o, "ns", ns);
	return o;
}

void bench_record_busy(struct json_object *rec, const char *reason)
{
	struct json_object *b, *r;

	if (!json_object_object_get_ex(rec, "busy", &b) || !b) {
		b = json_object_new_object();
		json_object_object_add(b, "flag", json_object_new_boolean(0));
		json_object_object_add(b, "reasons", json_object_new_array());
		json_object_object_add(rec, "busy", b);
	}
	if (!reason)
		return;
	json_object_object_add(b, "flag", json_object_new_boolean(1));
	json_object_object_get_ex(b, "reasons", &r);
	json_object_array_add(r, json_object_new_string(reason));
}

static void window_start(struct watch *w)
{
	const struct bench_run_ctx *ctx = w->ctx;

	w->tp_w0_ok = w->tpc && !apf_tp_counter_read(w->tpc, w->tp_w0, ctx->tracefs->ntp);
	read_host_counters(ctx->cgroup_dir, &w->hc_w0);
	bench_load_snap_take(&w->snap_w0, ctx->cgroup_dir);
	latency_start(w);
	if (ctx->apfctl)
		w->apfctl_w0 = run_apfctl(w, false, w->apfctl_w0_err, sizeof(w->apfctl_w0_err));
}

/* At the result line: the window's differences of every counter. */
static void window_end(struct watch *w)
{
	const struct bench_run_ctx *ctx = w->ctx;
	struct json_object *win = json_object_new_object(), *tp, *cg, *vm;
	uint64_t v[APF_TP_MAX];
	struct host_counters hc;
	char why[300] = "";

	/* Hold the VM still (and alive: powering off is the workload's next
	 * step) while the window's end is read. */
	kill(w->qemu, SIGSTOP);
	latency_poll(w);
	if (w->tp_w0_ok && !apf_tp_counter_read(w->tpc, v, ctx->tracefs->ntp)) {
		tp = json_object_new_object();
		for (size_t i = 0; i < ctx->tracefs->ntp; i++)
			put_delta(tp, ctx->tracefs->tp[i].name, true, w->tp_w0[i], true, v[i]);
		json_object_object_add(win, "tracepoints", tp);
	} else {
		json_object_object_add(win, "tracepoints", NULL);
	}
	read_host_counters(ctx->cgroup_dir, &hc);
	bench_load_snap_take(&w->snap_w1, ctx->cgroup_dir);
	put_num(win, "t_s", w->window_t);
	put_num(win, "elapsed_s", apfwl_num(w->rec, "elapsed_s", NAN));
	cg = json_object_new_object();
	put_delta(cg, "pgmajfault", w->hc_w0.have_pgmaj, w->hc_w0.pgmaj, hc.have_pgmaj, hc.pgmaj);
	json_object_object_add(win, "cgroup", cg);
	vm = json_object_new_object();
	put_delta(vm, "pswpin", w->hc_w0.have_in, w->hc_w0.pswpin, hc.have_in, hc.pswpin);
	put_delta(vm, "pswpout", w->hc_w0.have_out, w->hc_w0.pswpout, hc.have_out, hc.pswpout);
	json_object_object_add(win, "vmstat", vm);
	json_object_object_add(win, "load", bench_load_delta_json(&w->snap_w0, &w->snap_w1));
	if (w->match_init)
		json_object_object_add(win, "latency", latency_json(w));
	else
		json_object_object_add(win, "latency", NULL);
	if (w->lat_why[0])
		json_object_object_add(win, "latency_error", json_object_new_string(w->lat_why));
	if (ctx->apfctl) {
		struct json_object *end = run_apfctl(w, false, why, sizeof(why));
		struct json_object *a = vm_counters(w->apfctl_w0, w->qemu), *b = vm_counters(end, w->qemu);

		if (end)
			json_object_object_add(w->rec, "apfctl", end);
		else
			put_str(w->rec, "apfctl_error", why);
		if (a && b)
			json_object_object_add(win, "apfctl", counters_delta(a, b));
		else
			put_str(win, "apfctl_error", !w->apfctl_w0 ? w->apfctl_w0_err :
				end ? "apfctl has no counters of this VM" : why);
	}
	kill(w->qemu, SIGCONT);
	json_object_object_add(w->rec, "window", win);
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
		/* Totals since the threads started (null from older workloads). */
		json_object_array_add(row, json_object_get(json_object_object_get(ev->obj, "fault_pages")));
		json_object_array_add(row, json_object_get(json_object_object_get(ev->obj, "compute_units")));
		json_object_array_add(w->intervals, row);
		break;
	}
	case APFWL_WINDOW:
		if (w->window_open)
			break;
		w->window_open = true;
		w->window_t = apfwl_num(ev->obj, "t", 0);
		window_start(w);
		break;
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
		put_num(w->rec, "warmup_s", apfwl_num(ev->obj, "warmup_s", NAN));
		if (w->window_open) {
			window_end(w);
		} else if (w->ctx->apfctl) {
			/* An older workload without a window: whole-run counters. */
			char why[300];
			struct json_object *end = run_apfctl(w, true, why, sizeof(why));

			if (end)
				json_object_object_add(w->rec, "apfctl", end);
			else
				put_str(w->rec, "apfctl_error", why);
		}
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
		if (w->window_open && !w->have_result)
			latency_poll(w);
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

/* The run's load record, and the busy flags that follow from it. */
static void take_load(struct watch *w)
{
	struct bench_load_snap end;
	struct json_object *load;
	char why[1200];
	double steal;

	bench_load_snap_take(&end, w->ctx->cgroup_dir);
	load = bench_load_delta_json(&w->snap_run0, &end);
	json_object_object_add(load, "foreign_at_start", json_object_new_string(w->snap_run0.foreign_list));
	if (w->window_open && w->have_result) {
		json_object_object_add(load, "foreign_at_window_start",
				       json_object_new_string(w->snap_w0.foreign_list));
		json_object_object_add(load, "foreign_at_window_end",
				       json_object_new_string(w->snap_w1.foreign_list));
	}
	json_object_object_add(w->rec, "load", load);
	bench_record_busy(w->rec, NULL);
	if (w->snap_run0.foreign) {
		snprintf(why, sizeof(why), "other VMMs or compilers at the run's start: %s",
			 w->snap_run0.foreign_list);
		bench_record_busy(w->rec, why);
	}
	if (w->window_open && w->have_result) {
		if (w->snap_w0.foreign || w->snap_w1.foreign) {
			snprintf(why, sizeof(why), "other VMMs or compilers in the window: %s%s%s",
				 w->snap_w0.foreign_list, w->snap_w0.foreign && w->snap_w1.foreign ?
				 "; " : "", w->snap_w1.foreign_list);
			bench_record_busy(w->rec, why);
		}
		steal = bench_load_steal_share(&w->snap_w0, &w->snap_w1);
		if (isfinite(steal) && steal > BENCH_IDLE_MAX_STEAL) {
			snprintf(why, sizeof(why), "%.0f%% of CPU time stolen in the window", 100 * steal);
			bench_record_busy(w->rec, why);
		}
	}
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
	w.tpc = tpc;
	bench_load_snap_take(&w.snap_run0, ctx->cgroup_dir);
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
	take_load(&w);
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
	json_object_put(w.apfctl_w0);
	if (w.lat)
		apf_tp_sampler_close(w.lat);
	if (w.match_init)
		apf_fault_matcher_free(&w.match);
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
