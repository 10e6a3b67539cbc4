// SPDX-License-Identifier: GPL-2.0-only
#include "bench.h"

#include <errno.h>
#include <json-c/json.h>
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apf_switch.h"
#include "cgroup.h"
#include "clock.h"
#include "fileio.h"
#include "hostload.h"
#include "log.h"
#include "machine.h"
#include "plot.h"
#include "preflight.h"
#include "qemu_run.h"
#include "report.h"
#include "results.h"
#include "source.h"
#include "sysroot.h"
#include "tracefs.h"
#include "units.h"

static volatile sig_atomic_t stop_requested;

/* The first signal asks the run loop to stop QEMU and clean up; a second
 * one gives up at once, putting kvm.async_pf back first. */
static void on_signal(int sig)
{
	(void)sig;
	if (stop_requested) {
		bench_param_restore();
		_exit(BENCH_EXIT_RUNTIME);
	}
	stop_requested = 1;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: poll() and waits return EINTR and look at the flag. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int bench_mkdirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);

	if (!n || n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return apf_is_dir(buf) ? 0 : -ENOTDIR;
}

/* bench/results/<date>-<host>, or -2, -3... when that one has results.
 * bench/results is the checkout's when this binary is in one
 * (bench/harness/build/), else relative to the current directory. */
static void default_out(char *buf, size_t cap)
{
	char date[16], host[128], probe[4300], exe[4096], base[2048];
	char *real = NULL;
	ssize_t n;

	snprintf(base, sizeof(base), "bench/results");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		snprintf(probe, sizeof(probe), "%s/../../results", dirname(exe));
		real = realpath(probe, NULL);
		if (real && strlen(real) < sizeof(base) && apf_is_dir(real))
			snprintf(base, sizeof(base), "%s", real);
		free(real);
	}
	bench_local_date(date, sizeof(date));
	bench_hostname(host, sizeof(host));
	for (int i = 1; i < 1000; i++) {
		if (i == 1)
			snprintf(buf, cap, "%s/%s-%s", base, date, host);
		else
			snprintf(buf, cap, "%s/%s-%s-%d", base, date, host, i);
		snprintf(probe, sizeof(probe), "%s/results.json", buf);
		if (!apf_is_file(probe))
			return;
	}
}

/* --apfctl, else the checkout's build next to this binary, else PATH. */
static int find_apfctl(const struct bench_opts *o, char *buf, size_t cap)
{
	char exe[4096];
	ssize_t n;

	if (o->apfctl && !strcmp(o->apfctl, "none"))
		return -ENOENT;
	if (o->apfctl) {
		if (bench_which(o->apfctl, buf, cap))
			return -EINVAL;
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		snprintf(buf, cap, "%s/../../../tools/apfctl/build/apfctl", dirname(exe));
		if (!access(buf, X_OK))
			return 0;
	}
	return bench_which("apfctl", buf, cap) ? -ENOENT : 0;
}

static void put_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static struct json_object *params_json(const struct bench_opts *o,
				       const struct bench_env *e,
				       const enum bench_mode *modes, size_t nmodes,
				       const char *apfctl, const char *tp_note)
{
	struct json_object *p = json_object_new_object(), *a = json_object_new_array();
	struct json_object *req = json_object_new_array(), *qa = json_object_new_array();
	char mm[32];

	for (size_t i = 0; i < nmodes; i++)
		json_object_array_add(a, json_object_new_string(bench_mode_name(modes[i])));
	for (size_t i = 0; i < o->nmodes; i++)
		json_object_array_add(req, json_object_new_string(bench_mode_name(o->modes[i])));
	for (size_t i = 0; i < o->nqemu_args; i++)
		json_object_array_add(qa, json_object_new_string(o->qemu_args[i]));
	json_object_object_add(p, "modes", a);
	json_object_object_add(p, "requested_modes", req);
	json_object_object_add(p, "reps", json_object_new_int((int)o->reps));
	json_object_object_add(p, "seed", json_object_new_uint64(o->seed));
	put_str(p, "order", "randomized complete blocks (each mode once per repetition), "
		"Latin squares over each run of n blocks, from the seed (schedule.c)");
	bench_format_size(o->memory_max, mm, sizeof(mm));
	put_str(p, "memory_max", mm);
	json_object_object_add(p, "memory_max_bytes", json_object_new_uint64(o->memory_max));
	put_str(p, "memory_max_baseline", "max");
	json_object_object_add(p, "guest_mem_mb", json_object_new_int64(o->guest_mem_mb));
	json_object_object_add(p, "smp", json_object_new_int64(o->smp));
	put_str(p, "cpu", o->cpu);
	put_str(p, "workload", o->workload);
	put_str(p, "apfwl", o->apfwl);
	json_object_object_add(p, "buffer_mb", json_object_new_int64(o->buffer_mb));
	json_object_object_add(p, "duration_s", o->duration_s > 0 ?
			       json_object_new_int64(o->duration_s) : NULL);
	json_object_object_add(p, "warmup_s", json_object_new_int64(o->warmup_s));
	json_object_object_add(p, "allow_busy", json_object_new_boolean(o->allow_busy));
	json_object_object_add(p, "idle_wait_s", json_object_new_int64(o->idle_wait_s));
	json_object_object_add(p, "max_load_per_cpu", json_object_new_double(o->max_load));
	json_object_object_add(p, "max_busy_share", json_object_new_double(BENCH_IDLE_MAX_BUSY));
	json_object_object_add(p, "max_steal_share", json_object_new_double(BENCH_IDLE_MAX_STEAL));
	put_str(p, "append", o->append);
	put_str(p, "kernel", o->kernel);
	put_str(p, "initrd", o->initrd);
	put_str(p, "qemu", o->qemu);
	json_object_object_add(p, "qemu_args", qa);
	put_str(p, "off_method", !e->off_wanted || e->off_skipped ? NULL :
		e->off_via_qemu ? "qemu: -accel kvm,async-pf=off" : "param: kvm.async_pf=N");
	json_object_object_add(p, "boot_timeout_s", json_object_new_int64(o->boot_timeout_s));
	json_object_object_add(p, "timeout_s", json_object_new_int64(o->timeout_s));
	json_object_object_add(p, "silence_timeout_s", json_object_new_int64(o->silence_timeout_s));
	put_str(p, "label", o->label);
	put_str(p, "apfctl", apfctl);
	put_str(p, "tracepoints", tp_note);
	return p;
}

/* Make kvm.async_pf what this mode needs (only where we may write it). */
static int set_switch(const struct bench_env *e, enum bench_mode m)
{
	bool on = !(m == BENCH_MODE_OFF && !e->off_via_qemu);
	struct bench_param now;
	int err;

	if (!e->param.present || !e->param.writable)
		return 0;
	bench_param_probe(&now);
	if (!strcmp(now.original, on ? "Y" : "N"))
		return 0;
	err = bench_param_set(&e->param, on);
	if (err)
		bench_err("cannot set kvm.async_pf=%s: %s", on ? "Y" : "N", strerror(-err));
	return err;
}

struct run_state {
	const struct bench_opts *o;
	const struct bench_env *e;
	const char *dir;
	struct json_object *root, *runs;
	struct bench_idle_limits lim;
	long sample_ms;
	bool checked_idle;		/* the start's check covers the first run */
	bool *done;			/* per slot order: made before (resume) */
	struct bench_cgroups cg;
	struct apf_tracefs tf;
	bool tf_ok;
	char tf_why[400];
	const char *apfctl;
};

static void save(struct run_state *s)
{
	char stamp[32];

	bench_utc_stamp(stamp, sizeof(stamp));
	json_object_object_add(s->root, "finished", json_object_new_string(stamp));
	bench_summarize(s->root);
	bench_write_all(s->root, s->dir);
}

static void progress(const struct bench_slot *sl, size_t total, struct json_object *rec,
		     const struct bench_run_out *out)
{
	double c = bench_jnum(rec, "compute_units_per_s"), f = bench_jnum(rec, "fault_pages_per_s");
	double wall = bench_jnum(rec, "wall_s");

	if (out->outcome == BENCH_OK)
		bench_info("[%d/%zu] %s rep %d: ok, compute %.4g units/s, faults %.4g pages/s (%.0f s)",
			   sl->order + 1, total, bench_mode_name(sl->mode), sl->rep + 1,
			   isfinite(c) ? c : 0, isfinite(f) ? f : 0, isfinite(wall) ? wall : 0);
	else
		bench_info("[%d/%zu] %s rep %d: %s: %s", sl->order + 1, total,
			   bench_mode_name(sl->mode), sl->rep + 1,
			   bench_outcome_name(out->outcome), out->reason);
}

/* One slot: cgroup, switch, QEMU, cleanup.  Returns the outcome. */
static enum bench_outcome one_slot(struct run_state *s, const struct bench_slot *sl,
				   size_t total, const char *busy_why, struct bench_run_out *out)
{
	char name[64], cgdir[APF_PATH_MAX + 64], why[512], serial[4200], errlog[4200];
	char serial_rel[128], err_rel[128];
	struct bench_run_ctx ctx = {
		.o = s->o, .slot = *sl, .cgroup_dir = cgdir,
		.tracefs = s->tf_ok ? &s->tf : NULL, .tracefs_why = s->tf_why,
		.apfctl = s->apfctl, .off_via_qemu = s->e->off_via_qemu,
		.stop = &stop_requested,
		.serial_log = serial, .stderr_log = errlog,
		.serial_rel = serial_rel, .stderr_rel = err_rel,
	};
	struct json_object *rec;
	int err, cg_err;

	why[0] = '\0';
	snprintf(name, sizeof(name), "%s-%d", bench_mode_name(sl->mode), sl->rep + 1);
	snprintf(serial_rel, sizeof(serial_rel), "runs/%s.serial.log", name);
	snprintf(err_rel, sizeof(err_rel), "runs/%s.qemu-stderr.log", name);
	snprintf(serial, sizeof(serial), "%s/%s", s->dir, serial_rel);
	snprintf(errlog, sizeof(errlog), "%s/%s", s->dir, err_rel);
	memset(out, 0, sizeof(*out));
	bench_info("[%d/%zu] %s rep %d: starting", sl->order + 1, total,
		   bench_mode_name(sl->mode), sl->rep + 1);
	cg_err = bench_cgroup_create(&s->cg, name, sl->mode == BENCH_MODE_BASELINE ? 0 :
				     s->o->memory_max, cgdir, sizeof(cgdir), why, sizeof(why));
	err = cg_err ? cg_err : set_switch(s->e, sl->mode);
	if (err) {
		rec = json_object_new_object();
		put_str(rec, "mode", bench_mode_name(sl->mode));
		json_object_object_add(rec, "rep", json_object_new_int(sl->rep + 1));
		json_object_object_add(rec, "order", json_object_new_int(sl->order + 1));
		put_str(rec, "outcome", "error");
		snprintf(out->reason, sizeof(out->reason), "%s", why[0] ? why : strerror(-err));
		put_str(rec, "reason", out->reason);
		out->outcome = BENCH_ERROR;
		out->qemu_failed_early = true;
	} else {
		rec = bench_run_one(&ctx, out);
	}
	bench_record_busy(rec, NULL);
	if (s->o->allow_busy)
		bench_record_busy(rec, "run with --allow-busy (a quiet machine was not required)");
	if (busy_why && *busy_why)
		bench_record_busy(rec, busy_why);
	if (!cg_err && bench_cgroup_remove(cgdir))
		bench_warn("could not remove cgroup %s: %s", cgdir, strerror(errno));
	json_object_array_add(s->runs, rec);
	progress(sl, total, rec, out);
	return out->outcome;
}

/* Before a run: wait for a quiet machine (not the load average: our own
 * runs keep it up for minutes).  0 to go on (busy_why set when it goes on
 * busy under --allow-busy), or BENCH_EXIT_BUSY. */
static int before_run(struct run_state *s, char *busy_why, size_t cap)
{
	struct bench_idle idle;

	busy_why[0] = '\0';
	if (s->checked_idle) {
		s->checked_idle = false;
		return 0;
	}
	if (bench_idle_wait(&s->lim, false, s->sample_ms, s->o->allow_busy ? 0 :
			    s->o->idle_wait_s, &stop_requested, &idle) || !idle.busy)
		return 0;
	snprintf(busy_why, cap, "busy before the run: %s", idle.why);
	if (s->o->allow_busy)
		return 0;
	bench_err("the machine stayed busy for %ld s (%s): stopping; the results so far are in %s, and apf-bench run --resume --out %s continues the plan",
		  s->o->idle_wait_s, idle.why, s->dir, s->dir);
	return BENCH_EXIT_BUSY;
}

static int run_all(struct run_state *s, const enum bench_mode *modes, size_t nmodes)
{
	size_t total = nmodes * (size_t)s->o->reps, failed = 0, made = 0;
	struct bench_slot *slots = calloc(total, sizeof(*slots));
	int code = BENCH_EXIT_OK;

	if (!slots)
		return bench_fail(BENCH_EXIT_RUNTIME, "out of memory");
	bench_schedule(modes, nmodes, (int)s->o->reps, s->o->seed, slots);
	for (size_t i = 0; i < total && !stop_requested; i++) {
		struct bench_run_out out;
		enum bench_outcome oc;
		char busy_why[900];

		if (s->done && s->done[i])
			continue;
		code = before_run(s, busy_why, sizeof(busy_why));
		if (code || stop_requested)
			break;
		oc = one_slot(s, &slots[i], total, busy_why, &out);
		if (oc != BENCH_OK)
			failed++;
		save(s);
		/* The first run tells whether this host can run guests at all. */
		if (!made++ && out.boot_timeout) {
			bench_err("%s; stopping", out.reason);
			code = BENCH_EXIT_UNSUPPORTED;
			break;
		}
		if (made == 1 && out.qemu_failed_early) {
			bench_err("the first run failed before the guest booted (%s); stopping: every run would fail the same way",
				  out.reason);
			code = BENCH_EXIT_RUNTIME;
			break;
		}
	}
	free(slots);
	if (stop_requested) {
		bench_err("interrupted: results so far are in %s (apf-bench run --resume --out %s continues)",
			  s->dir, s->dir);
		return BENCH_EXIT_RUNTIME;
	}
	if (code)
		return code;
	/* Every run of the plan, earlier invocations' too. */
	failed = 0;
	for (size_t i = 0; i < json_object_array_length(s->runs); i++) {
		struct json_object *r = json_object_array_get_idx(s->runs, i), *oc;

		if (json_object_object_get_ex(r, "outcome", &oc) && oc &&
		    strcmp(json_object_get_string(oc), "ok"))
			failed++;
	}
	return failed ? BENCH_EXIT_RUNTIME : BENCH_EXIT_OK;
}

static void discover_tracepoints(struct run_state *s)
{
	int err = apf_tracefs_discover(&s->tf);

	s->tf_ok = false;
	if (err)
		snprintf(s->tf_why, sizeof(s->tf_why), "no tracefs: %s", strerror(-err));
	else if (!s->tf.ntp)
		snprintf(s->tf_why, sizeof(s->tf_why), "no kvm async_pf tracepoints in %s", s->tf.dir);
	else
		s->tf_ok = true;
	if (s->tf_ok) {
		size_t len = 0;

		s->tf_why[0] = '\0';
		for (size_t i = 0; i < s->tf.ntp && len + 2 < sizeof(s->tf_why); i++)
			len += (size_t)snprintf(s->tf_why + len, sizeof(s->tf_why) - len, "%s%s",
						i ? "," : "", s->tf.tp[i].name);
	}
}

static int finish(struct run_state *s, int code)
{
	char why[512];
	struct json_object *sum, *line;
	int err;

	save(s);
	err = bench_plot(s->root, s->dir, why, sizeof(why));
	if (err)
		bench_warn("%s", why);
	if (json_object_object_get_ex(s->root, "summary", &sum) &&
	    json_object_object_get_ex(sum, "line", &line))
		printf("%s\n", json_object_get_string(line));
	printf("results: %s/results.json, results.csv, summary.txt%s\n", s->dir,
	       err ? "" : ", throughput.png, throughput.svg");
	return code;
}

/* The parameters that make a plan: a resumed plan must have them all
 * equal, or its runs would not belong together. */
static const char *const plan_keys[] = {
	"modes", "reps", "seed", "workload", "memory_max_bytes", "guest_mem_mb", "smp",
	"cpu", "append", "kernel", "initrd", "qemu", "qemu_args", "off_method",
};

static bool same_json(struct json_object *a, struct json_object *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN),
		       json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN));
}

/* Load DIR/results.json to continue its plan: s->root and s->runs from it,
 * s->done marks the slots it made (interrupted runs are made again).
 * 1 when there was something to resume, 0 when not, or -exit code. */
static int load_resume(struct run_state *s, struct bench_opts *o, const char *dir,
		       const struct bench_source *src, size_t total)
{
	char path[3200], stamp[32];
	struct json_object *root, *params, *runs, *kept, *dropped, *old_src, *commit, *rs, *r;

	snprintf(path, sizeof(path), "%s/results.json", dir);
	if (!apf_is_file(path)) {
		bench_info("--resume: no results in %s yet: starting the plan", dir);
		return 0;
	}
	root = json_object_from_file(path);
	if (!root || !json_object_object_get_ex(root, "params", &params) ||
	    !json_object_object_get_ex(root, "runs", &runs) ||
	    !json_object_is_type(runs, json_type_array)) {
		json_object_put(root);
		return -bench_fail(BENCH_EXIT_USAGE, "--resume: %s is not an apf-bench results.json", path);
	}
	if (!o->seed_given && json_object_object_get_ex(params, "seed", &r) && r) {
		o->seed = json_object_get_uint64(r);
		o->seed_given = true;
	}
	if (json_object_object_get_ex(root, "source", &old_src) &&
	    json_object_object_get_ex(old_src, "commit", &commit) && commit &&
	    (!src->known || strcmp(json_object_get_string(commit), src->commit))) {
		bench_err("--resume: the runs in %s came from commit %s, this is %s: a plan's runs come from one commit",
			  dir, json_object_get_string(commit), src->known ? src->commit : "unknown");
		json_object_put(root);
		return -BENCH_EXIT_USAGE;
	}
	s->root = root;
	kept = json_object_new_array();
	dropped = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		struct json_object *rec = json_object_array_get_idx(runs, i), *oc, *ord;
		long order;

		if (!json_object_object_get_ex(rec, "outcome", &oc) || !oc ||
		    !strcmp(json_object_get_string(oc), "interrupted") ||
		    !json_object_object_get_ex(rec, "order", &ord) || !ord) {
			json_object_array_add(dropped, json_object_get(rec));
			continue;
		}
		order = json_object_get_int(ord);
		if (order < 1 || (size_t)order > total || s->done[order - 1]) {
			json_object_array_add(dropped, json_object_get(rec));
			continue;
		}
		s->done[order - 1] = true;
		json_object_array_add(kept, json_object_get(rec));
	}
	json_object_object_add(root, "runs", kept);
	s->runs = kept;
	if (json_object_array_length(dropped)) {
		struct json_object *old;

		if (json_object_object_get_ex(root, "dropped_runs", &old) &&
		    json_object_is_type(old, json_type_array))
			for (size_t i = 0; i < json_object_array_length(old); i++)
				json_object_array_add(dropped, json_object_get(json_object_array_get_idx(old, i)));
		json_object_object_add(root, "dropped_runs", dropped);
	} else {
		json_object_put(dropped);
	}
	if (!json_object_object_get_ex(root, "resumed", &rs) || !json_object_is_type(rs, json_type_array)) {
		rs = json_object_new_array();
		json_object_object_add(root, "resumed", rs);
	}
	r = json_object_new_object();
	bench_utc_stamp(stamp, sizeof(stamp));
	json_object_object_add(r, "at", json_object_new_string(stamp));
	json_object_object_add(r, "runs_kept", json_object_new_int((int)json_object_array_length(kept)));
	json_object_array_add(rs, r);
	bench_info("--resume: %zu of %zu runs of the plan in %s are made; continuing",
		   json_object_array_length(kept), total, dir);
	return 1;
}

static int check_plan(struct json_object *old, struct json_object *now, const char *dir)
{
	for (size_t i = 0; i < sizeof(plan_keys) / sizeof(plan_keys[0]); i++) {
		struct json_object *a = NULL, *b = NULL;

		json_object_object_get_ex(old, plan_keys[i], &a);
		json_object_object_get_ex(now, plan_keys[i], &b);
		if (!same_json(a, b))
			return bench_fail(BENCH_EXIT_USAGE, "--resume: the plan in %s has %s %s, this run %s: give the same options (or another --out)",
					  dir, plan_keys[i],
					  a ? json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN) : "null",
					  b ? json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN) : "null");
	}
	return 0;
}

static uint64_t fresh_seed(void)
{
	uint64_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v >> 1;	/* fits every JSON reader's int64 */
	return ((uint64_t)time(NULL) << 20 ^ (uint64_t)getpid()) >> 1;
}

int bench_cmd_run(const struct bench_opts *opts)
{
	enum bench_mode modes[BENCH_MODE_COUNT];
	char dir[3000], runs[3100], apfctl[4096], why[512];
	struct bench_opts oo = *opts, *o = &oo;
	struct run_state s = { .o = o };
	struct bench_source src;
	struct bench_idle idle;
	struct bench_env e;
	struct json_object *skipped, *params;
	size_t nmodes = 0, total;
	int err, code, resumed = 0;

	apf_sysroot_set(o->sysroot);
	bench_preflight(o, &e, stderr);
	if (e.code) {
		bench_err("preflight failed: nothing was run");
		return e.code;
	}
	for (size_t i = 0; i < o->nmodes; i++)
		if (!(o->modes[i] == BENCH_MODE_OFF && e.off_skipped))
			modes[nmodes++] = o->modes[i];
	if (!nmodes)
		return bench_fail(BENCH_EXIT_UNSUPPORTED, "no mode left to run (off: %s)", e.off_skip);
	if (e.off_skipped)
		bench_warn("mode off skipped: %s", e.off_skip);
	bench_source_probe(o, &src);
	if (src.dirty && !o->allow_dirty)
		return bench_fail(BENCH_EXIT_DIRTY, "the source tree has uncommitted changes (%s): a result set must say which commit it ran from; commit them, or give --allow-dirty (recorded as dirty)",
				  src.dirty_paths[0] ? src.dirty_paths : "given by --source-dirty");
	if (o->out && strlen(o->out) >= sizeof(dir))
		return bench_fail(BENCH_EXIT_USAGE, "--out: path too long");
	if (o->out)
		snprintf(dir, sizeof(dir), "%s", o->out);
	else
		default_out(dir, sizeof(dir));
	total = nmodes * (size_t)o->reps;
	s.done = calloc(total, sizeof(*s.done));
	if (!s.done)
		return bench_fail(BENCH_EXIT_RUNTIME, "out of memory");
	if (o->resume) {
		resumed = load_resume(&s, o, dir, &src, total);
		if (resumed < 0) {
			free(s.done);
			return -resumed;
		}
	}
	if (!o->seed_given)
		o->seed = fresh_seed();
	snprintf(runs, sizeof(runs), "%s/runs", dir);
	err = bench_mkdirs(runs);
	if (err) {
		json_object_put(s.root);
		free(s.done);
		return bench_fail(BENCH_EXIT_RUNTIME, "cannot create %s: %s", runs, strerror(-err));
	}
	s.dir = dir;
	s.e = &e;
	err = find_apfctl(o, apfctl, sizeof(apfctl));
	if (err == -EINVAL) {
		json_object_put(s.root);
		free(s.done);
		return bench_fail(BENCH_EXIT_USAGE, "--apfctl %s: not an executable", o->apfctl);
	}
	s.apfctl = err ? NULL : apfctl;
	install_signals();
	atexit(bench_param_restore);
	discover_tracepoints(&s);
	if (!s.tf_ok)
		bench_warn("APF tracepoint counts unavailable (%s)", s.tf_why);
	params = params_json(o, &e, modes, nmodes, s.apfctl, s.tf_why);
	if (resumed) {
		struct json_object *old;

		json_object_object_get_ex(s.root, "params", &old);
		if (check_plan(old, params, dir)) {
			json_object_put(params);
			json_object_put(s.root);
			free(s.done);
			return BENCH_EXIT_USAGE;
		}
		json_object_object_add(s.root, "params", params);
	}
	/* Benchmarks run alone: wait for a quiet machine, or refuse. */
	s.lim = (struct bench_idle_limits){ o->max_load, BENCH_IDLE_MAX_BUSY, BENCH_IDLE_MAX_STEAL };
	s.sample_ms = o->sysroot ? 50 : 2000;	/* a fixture's files do not change */
	if (bench_idle_wait(&s.lim, true, s.sample_ms, o->allow_busy ? 0 : o->idle_wait_s,
			    &stop_requested, &idle))
		bench_warn("cannot tell how busy the machine is (no /proc/stat)");
	if (idle.busy && !o->allow_busy) {
		if (!resumed)
			json_object_put(params);
		json_object_put(s.root);
		free(s.done);
		return bench_fail(BENCH_EXIT_BUSY, "the machine is busy (%s) and stayed so for %ld s: benchmarks run alone; stop the other work, or give --allow-busy (every run is then flagged busy)",
				  idle.why, o->idle_wait_s);
	}
	if (idle.busy)
		bench_warn("the machine is busy (%s): going on (--allow-busy), every run flagged", idle.why);
	s.checked_idle = true;
	err = bench_cgroups_setup(&s.cg, why, sizeof(why));
	if (err) {
		bench_cgroups_teardown(&s.cg);
		if (!resumed)
			json_object_put(params);
		json_object_put(s.root);
		free(s.done);
		return bench_fail(err == -EACCES || err == -EPERM ? BENCH_EXIT_PERM :
				  BENCH_EXIT_UNSUPPORTED, "%s", why);
	}
	if (!resumed) {
		struct json_object *tool = json_object_new_object();
		char stamp[32];

		s.root = json_object_new_object();
		s.runs = json_object_new_array();
		json_object_object_add(tool, "name", json_object_new_string("apf-bench"));
		json_object_object_add(tool, "version", json_object_new_string(APF_BENCH_VERSION));
		json_object_object_add(s.root, "tool", tool);
		bench_utc_stamp(stamp, sizeof(stamp));
		json_object_object_add(s.root, "started", json_object_new_string(stamp));
		json_object_object_add(s.root, "source", bench_source_json(&src));
		json_object_object_add(s.root, "machine", bench_machine_json(&e));
		json_object_object_add(s.root, "params", params);
		skipped = json_object_new_object();
		if (e.off_skipped)
			json_object_object_add(skipped, "off", json_object_new_string(e.off_skip));
		json_object_object_add(s.root, "skipped", skipped);
		json_object_object_add(s.root, "runs", s.runs);
	}
	json_object_object_add(s.root, resumed ? "idle_at_resume" : "idle_at_start",
			       bench_idle_json(&idle));
	code = run_all(&s, modes, nmodes);
	bench_param_restore();
	bench_cgroups_teardown(&s.cg);
	code = finish(&s, code);
	json_object_put(s.root);
	free(s.done);
	return code;
}

int bench_cmd_preflight(const struct bench_opts *o)
{
	struct bench_env e;

	apf_sysroot_set(o->sysroot);
	printf("apf-bench %s preflight\n", APF_BENCH_VERSION);
	bench_preflight(o, &e, stdout);
	printf("%s\n", e.code ? "preflight: refused (see the errors above)" :
	       "preflight: ok");
	return e.code;
}

int bench_cmd_plot(const char *dir)
{
	char path[4200], why[512];
	struct json_object *root, *sum, *line;
	int err;

	snprintf(path, sizeof(path), "%s/results.json", dir);
	if (!apf_is_file(path))
		return bench_fail(BENCH_EXIT_USAGE, "%s not found: give a directory that apf-bench run wrote", path);
	root = json_object_from_file(path);
	if (!root || bench_summarize(root)) {
		json_object_put(root);
		return bench_fail(BENCH_EXIT_RUNTIME, "%s is not an apf-bench results.json (no params.modes or runs)", path);
	}
	err = bench_write_all(root, dir);
	if (json_object_object_get_ex(root, "summary", &sum) &&
	    json_object_object_get_ex(sum, "line", &line))
		printf("%s\n", json_object_get_string(line));
	if (!err) {
		err = bench_plot(root, dir, why, sizeof(why));
		if (err) {
			bench_err("%s", why);
			json_object_put(root);
			return err == -ENOENT ? BENCH_EXIT_UNSUPPORTED : BENCH_EXIT_RUNTIME;
		}
		printf("wrote %s/summary.txt, results.csv, summary.dat, points.dat, ratios.dat, throughput.png, throughput.svg\n", dir);
	}
	json_object_put(root);
	return err ? BENCH_EXIT_RUNTIME : BENCH_EXIT_OK;
}
