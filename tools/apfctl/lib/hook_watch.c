// SPDX-License-Identifier: GPL-2.0-only
/* The hook's watcher: hands a domain's APF policy to libvirt once the hook
 * has returned, and counts the domain's APF events until QEMU exits
 * (lib/hook.h).
 *
 * Applying the policy needs the VM's monitor, and libvirt owns the QMP
 * socket of its domains: a second QMP client is not possible.  The way in
 * is libvirt's own API, virDomainQemuMonitorCommand (`virsh
 * qemu-monitor-command`), which is safe only after the hook has returned
 * (it needs the domain job the hook's caller holds): the watcher's virsh
 * call simply waits until libvirt finishes the start job.  libvirt marks a
 * domain used with qemu-monitor-command as tainted ("custom-monitor"); no
 * other libvirt API reaches an accelerator property.  The guest runs with
 * the host's default until the watcher gets the job: a moment after a
 * start; on a migration destination, until the migration has ended (its
 * job times the commands out meanwhile, and the watcher tries again every
 * interval, "pending").
 *
 * "release" comes after QEMU has exited: neither libvirt (locks) nor QEMU
 * (gone) can be asked, and KVM's per-VM debugfs directory went with the VM
 * fd.  What is left is what the watcher kept: it counts the KVM async-PF
 * tracepoints on the VM's threads (perf counts stay readable after the
 * threads exit, so those totals are final) and samples KVM's binary stats
 * through libvirt every interval (our async_pf_* counters on a patched
 * host; the last sample before exit). */
#include "hook.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "clock.h"
#include "counters.h"
#include "fileio.h"
#include "hook_log.h"
#include "perf_tp.h"
#include "qmp.h"
#include "sanitize.h"
#include "signals.h"
#include "spawn.h"
#include "stats_sampler.h"
#include "tracefs.h"

/* Forwarded to a systemd-run unit, which starts with a clean environment. */
static const char *const forwarded_env[] = {
	"APF_STATE_DIR", "APF_RUN_DIR", "APF_HOOK_LOG", "APF_VIRSH",
	"APF_LIBVIRT_URI", "APF_LIBVIRT_RUN_DIR", "APF_WATCH_INTERVAL",
	"APF_APPLY_TIMEOUT_MS", "LIBVIRT_DEFAULT_URI",
};
#define N_FORWARDED (sizeof(forwarded_env) / sizeof(forwarded_env[0]))

/* ---------------------------------------------------------------- spawn */

/* systemd's unit-name escaping (systemd-escape): [A-Za-z0-9:_.] stay, except
 * a leading '.'; everything else becomes \xNN.  Cut at max characters on an
 * escape boundary (the domain id keeps cut names unique). */
static void unit_escape(char *dst, size_t cap, const char *s, size_t max)
{
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == ':' || c == '_' ||
			    (c == '.' && o);
		size_t need = keep ? 1 : 4;

		if (o + need >= cap || o + need > max)
			break;
		if (keep)
			dst[o++] = (char)c;
		else
			o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", c);
	}
	dst[o] = '\0';
}

static int self_exe(const struct apf_hook_cfg *cfg, char *buf, size_t cap)
{
	ssize_t n;

	if (cfg->self) {
		snprintf(buf, cap, "%s", cfg->self);
		return 0;
	}
	n = readlink("/proc/self/exe", buf, cap - 1);
	if (n <= 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static bool systemd_booted(void)
{
	/* sd_booted(3): this directory exists only under systemd as PID 1. */
	return apf_is_dir("/run/systemd/system");
}

/* Start the watcher as a transient unit: true if systemd-run took it. */
static bool spawn_unit(const struct apf_hook_cfg *cfg, const char *name, long dom_id,
		       const char *const *watch_argv, const char *policy,
		       int64_t deadline)
{
	/* Static, not on the heap: the hook's deadline handler may _exit()
	 * while systemd-run hangs, and must leave nothing behind. */
	static struct apf_run_result rr;
	char id[24], unit[256], esc[200], desc[320], why[200], line[300];
	char envs[N_FORWARDED][600];
	const char *argv[64];
	size_t a = 0, i, ne = 0;
	int err, left = apf_ms_left(deadline);

	snprintf(id, sizeof(id), "%ld", dom_id);
	unit_escape(esc, sizeof(esc), name, 160);
	snprintf(unit, sizeof(unit), "--unit=apf-policy-%s-%s", esc, dom_id >= 0 ? id : "x");
	snprintf(desc, sizeof(desc),
		 "--description=APF policy and counters of libvirt domain %s",
		 apf_safe_cut(name, esc, sizeof(esc), 100, 0));
	argv[a++] = cfg->systemd_run;
	argv[a++] = "--no-block";
	argv[a++] = "--quiet";
	argv[a++] = "--collect";
	argv[a++] = unit;
	argv[a++] = desc;
	for (i = 0; i < N_FORWARDED; i++) {
		const char *v = getenv(forwarded_env[i]);

		if (!v || snprintf(envs[ne], sizeof(envs[ne]), "--setenv=%s=%s",
				   forwarded_env[i], v) >= (int)sizeof(envs[ne]))
			continue;
		argv[a++] = envs[ne++];
	}
	argv[a++] = "--";
	for (i = 0; watch_argv[i] && a < sizeof(argv) / sizeof(argv[0]) - 1; i++)
		argv[a++] = watch_argv[i];
	argv[a] = NULL;
	/* Keep a quarter of what is left (150 ms at least) for killing a
	 * hung systemd-run and logging why: a fixed 150 ms was too short
	 * under valgrind and load, and the deadline then hid the cause. */
	left -= left / 4 > 150 ? left / 4 : 150;
	err = apf_run(argv, left > 50 ? left : 50, &rr);
	if (!err && rr.status == 0) {
		apf_log(LOG_INFO, "policy async-pf=%s handed to unit %s.service",
			policy, unit + strlen("--unit="));
		return true;
	}
	apf_last_line(rr.errout, line, sizeof(line));
	if (err)
		snprintf(why, sizeof(why), "%s", apf_strerror(-err));
	else
		snprintf(why, sizeof(why), "exit status %d", rr.status);
	apf_log(LOG_WARNING, "systemd-run failed (%s%s%s); using a detached "
		"child instead", why, line[0] ? ": " : "", line);
	return false;
}

void apf_hook_spawn_watcher(const struct apf_hook_cfg *cfg, const char *name,
			    const struct apf_domain_policy *p, int64_t deadline)
{
	const char *policy = p->status == APF_POLICY_OK ?
			     apf_policy_value_name(p->async_pf) : "none";
	char exe[PATH_MAX], id[24];
	const char *argv[16];
	size_t a = 0;
	int err;

	if (!strcmp(cfg->spawn, "none")) {
		apf_log(LOG_INFO, "policy async-pf=%s: not applied (APF_HOOK_SPAWN=none)",
			policy);
		return;
	}
	if (self_exe(cfg, exe, sizeof(exe))) {
		apf_log(LOG_ERR, "cannot find our own binary; policy not applied");
		return;
	}
	snprintf(id, sizeof(id), "%ld", p->id);
	argv[a++] = exe;
	argv[a++] = "hook";
	argv[a++] = "--watch";
	argv[a++] = "--id";
	argv[a++] = id;
	argv[a++] = "--policy";
	argv[a++] = policy;
	argv[a++] = "--type";
	argv[a++] = p->type[0] ? p->type : "unknown";
	argv[a++] = "--";
	argv[a++] = name;
	argv[a] = NULL;
	if ((!strcmp(cfg->spawn, "systemd") ||
	     (!strcmp(cfg->spawn, "auto") && systemd_booted())) &&
	    spawn_unit(cfg, name, p->id, argv, policy, deadline))
		return;
	err = apf_spawn_detached(argv);
	if (err)
		apf_log(LOG_ERR, "cannot start the policy applier: %s; policy "
			"async-pf=%s not applied", apf_strerror(-err), policy);
	else
		apf_log(LOG_INFO, "policy async-pf=%s handed to a detached applier",
			policy);
}

/* ---------------------------------------------------------------- virsh */

int apf_virsh_qmp(const struct apf_hook_cfg *cfg, const char *name,
		  const char *cmd, struct json_object **ret, char *err,
		  size_t errcap)
{
	const char *argv[] = { cfg->virsh, "-c", cfg->uri, "qemu-monitor-command",
			       "--domain", name, "--cmd", cmd, NULL };
	struct apf_run_result *rr = malloc(sizeof(*rr));
	int rc;

	*ret = NULL;
	err[0] = '\0';
	if (!rr)
		return -ENOMEM;
	rc = apf_run(argv, cfg->apply_timeout_ms, rr);
	if (rc || rr->status) {
		char line[300];

		apf_last_line(rr->errout, line, sizeof(line));
		snprintf(err, errcap, "%s: %s", cfg->virsh,
			 rc ? apf_strerror(-rc) : line[0] ? line : "failed");
		free(rr);
		return rc ? rc : -EIO;
	}
	rc = apf_virsh_parse_reply(rr->out, ret, err, errcap);
	free(rr);
	return rc;
}

int apf_virsh_parse_reply(const char *out, struct json_object **ret, char *err,
			  size_t errcap)
{
	struct json_object *reply, *e, *r;
	const char *cls, *desc;
	int rc;

	*ret = NULL;
	err[0] = '\0';
	reply = json_tokener_parse(out);
	if (!reply || !json_object_is_type(reply, json_type_object)) {
		json_object_put(reply);
		snprintf(err, errcap, "virsh printed no QMP reply");
		return -EPROTO;
	}
	if (json_object_object_get_ex(reply, "error", &e)) {
		cls = apf_json_str(e, "class");
		desc = apf_json_str(e, "desc");
		snprintf(err, errcap, "%s: %s", cls ? cls : "error", desc ? desc : "");
		rc = apf_qmp_error_code(cls, desc);
		json_object_put(reply);
		return rc;
	}
	if (!json_object_object_get_ex(reply, "return", &r)) {
		json_object_put(reply);
		snprintf(err, errcap, "QMP reply without \"return\"");
		return -EPROTO;
	}
	*ret = json_object_get(r);
	json_object_put(reply);
	return 0;
}

/* ---------------------------------------------------------------- watcher */

struct watch {
	const struct apf_hook_cfg *cfg;
	const char *name, *type;
	long id;
	enum apf_policy_value policy;
	pid_t qemu;
	struct json_object *st;		/* the runtime state document */
	char path[PATH_MAX];
	struct apf_tracefs tracefs;
	struct apf_tp_counter *perf;
	struct apf_sampler *sampler;
	bool apply_pending;	/* libvirt held the job: try again */
	unsigned apply_tries;
};

static void note(struct watch *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct watch *w, const char *fmt, ...)
{
	struct json_object *notes;
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!json_object_object_get_ex(w->st, "notes", &notes)) {
		notes = json_object_new_array();
		json_object_object_add(w->st, "notes", notes);
	}
	json_object_array_add(notes, json_object_new_string(buf));
}

static void watch_save(struct watch *w)
{
	int err = apf_hook_state_write(w->path, w->st);

	if (err)
		apf_log(LOG_ERR, "cannot write %s: %s", w->path, apf_strerror(-err));
}

/* libvirt writes NAME.pid before "started"; a slow file system may show
 * it late, and a write may be read half done, so a missing or unreadable
 * number is retried for up to 5 s.  What is not a regular file does not
 * become one: that fails at once. */
static pid_t find_qemu_pid(const struct apf_hook_cfg *cfg, const char *name)
{
	char path[PATH_MAX], buf[32];
	int tries;

	if (snprintf(path, sizeof(path), "%s/%s.pid", cfg->libvirt_run, name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	for (tries = 0; tries < 50; tries++) {
		ssize_t n = apf_read_file(path, buf, sizeof(buf));
		long pid;

		if (n > 0 && !apf_parse_int(buf, 1, INT_MAX, &pid))
			return (pid_t)pid;
		if (n < 0 && n != -ENOENT)
			return (pid_t)n;
		usleep(100000);
	}
	return -ENOENT;
}

/* The "apply" member of the state: what happened, and through which QMP
 * command (iface: apf_qmp_iface_name(), or NULL). */
static void apply_result(struct watch *w, const char *result, const char *detail,
			 const char *iface, int before, int after)
{
	struct json_object *a = json_object_new_object();
	char ts[APF_ISO_TIME_LEN];

	json_object_object_add(a, "result", json_object_new_string(result));
	json_object_object_add(a, "detail", json_object_new_string(detail));
	json_object_object_add(a, "interface", iface ? json_object_new_string(iface) : NULL);
	json_object_object_add(a, "before", before < 0 ? NULL :
			       json_object_new_boolean(before));
	json_object_object_add(a, "after", after < 0 ? NULL :
			       json_object_new_boolean(after));
	json_object_object_add(a, "at", json_object_new_string(
		apf_iso_time(ts, sizeof(ts), NULL, true)));
	json_object_object_add(a, "tries", json_object_new_int((int)w->apply_tries));
	json_object_object_add(w->st, "apply", a);
}

/* libvirt answers a monitor command with a timeout while another job holds
 * the domain: on a migration destination, the incoming-migration job until
 * Finish (libvirt waits VIR_JOB_WAIT_TIME, 30 s, then gives up); our own
 * deadline on virsh may come first.  Worth another try later. */
static bool libvirt_busy(int rc, const char *err)
{
	return rc == -ETIMEDOUT ||
	       (rc == -EIO && (strstr(err, "cannot acquire state change lock") ||
			       strstr(err, "Timed out during operation")));
}

/* apf_qmp_exec_fn through virsh qemu-monitor-command: the async-pf
 * functions of lib/qmp.c, and their fallback, over libvirt's monitor. */
struct virsh_exec {
	const struct apf_hook_cfg *cfg;
	const char *name;
	char err[400];		/* what went wrong last */
};

static int virsh_exec(void *ctx, const char *command, struct json_object *args,
		      struct json_object **ret)
{
	struct virsh_exec *v = ctx;
	struct json_object *req = json_object_new_object(), *r = NULL;
	const char *s;
	int rc;

	if (ret)
		*ret = NULL;
	if (!req ||
	    json_object_object_add(req, "execute", json_object_new_string(command)) ||
	    (args && json_object_object_add(req, "arguments", args))) {
		if (args && !json_object_object_get_ex(req, "arguments", NULL))
			json_object_put(args);
		json_object_put(req);
		snprintf(v->err, sizeof(v->err), "out of memory");
		return -ENOMEM;
	}
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	rc = s ? apf_virsh_qmp(v->cfg, v->name, s, &r, v->err, sizeof(v->err)) : -ENOMEM;
	json_object_put(req);
	if (ret)
		*ret = r;
	else
		json_object_put(r);
	return rc;
}

static void watch_apply(struct watch *w)
{
	const bool want = w->policy == APF_POLICY_ON;
	struct virsh_exec vx = { .cfg = w->cfg, .name = w->name };
	struct apf_qmp_async_pf info;
	enum apf_qmp_iface iface;
	char detail[600];
	bool setting = false;	/* a failure is set-async-pf's (qom-set's) */
	int rc, before;

	w->apply_tries++;
	w->apply_pending = false;
	rc = apf_qmp_async_pf_get(virsh_exec, &vx, false, &info);
	iface = info.iface;
	if (!rc) {
		before = info.enabled;
		if (before == want) {
			snprintf(detail, sizeof(detail), "async-pf already set (%s)",
				 apf_qmp_iface_name(iface, false));
			apply_result(w, "already", detail, apf_qmp_iface_name(iface, false),
				     before, before);
			apf_log(LOG_INFO, "async-pf=%s: already so", want ? "on" : "off");
			return;
		}
		setting = true;
		rc = apf_qmp_async_pf_set(virsh_exec, &vx, want, &iface);
		if (!rc) {
			snprintf(detail, sizeof(detail), "%s through libvirt",
				 apf_qmp_iface_name(iface, true));
			apply_result(w, "applied", detail, apf_qmp_iface_name(iface, true),
				     before, want);
			apf_log(LOG_NOTICE, "async-pf %s -> %s applied (%s)",
				before ? "on" : "off", want ? "on" : "off",
				apf_qmp_iface_name(iface, true));
			return;
		}
	}
	if (rc == -ENODEV || rc == -ENOENT || rc == -ENOTSUP) {
		if (rc == -ENODEV)
			snprintf(detail, sizeof(detail), "the host kernel lacks "
				 "KVM_CAP_DISABLE_ASYNC_PF, the per-VM switch (the APF "
				 "Suite host kernel adds it); %s", vx.err);
		else
			snprintf(detail, sizeof(detail), "this QEMU has no async-pf "
				 "switch: neither query-async-pf nor %s property '%s' "
				 "(the APF Suite QEMU adds them, for KVM domains); "
				 "domain type %s; %s", APF_QMP_ACCEL_PATH,
				 APF_QMP_ASYNC_PF_PROP, w->type, vx.err);
		apply_result(w, "unsupported", detail, apf_qmp_iface_name(iface, setting),
			     -1, -1);
		apf_log(LOG_WARNING, "async-pf=%s: unsupported: %s; the domain runs "
			"with the host's default", want ? "on" : "off", detail);
		return;
	}
	if (libvirt_busy(rc, vx.err) && w->qemu > 0 && apf_pid_alive(w->qemu)) {
		snprintf(detail, sizeof(detail), "libvirt holds the domain's job (on "
			 "a migration destination: until the migration ends); "
			 "trying again every %d s: %s", w->cfg->interval_s, vx.err);
		apply_result(w, "pending", detail, NULL, -1, -1);
		if (w->apply_tries == 1)
			apf_log(LOG_NOTICE, "async-pf=%s: pending: %s",
				want ? "on" : "off", detail);
		w->apply_pending = true;
		return;
	}
	apply_result(w, "failed", vx.err, apf_qmp_iface_name(iface, setting), -1, -1);
	apf_log(LOG_ERR, "async-pf=%s: failed: %s", want ? "on" : "off", vx.err);
}

static void counters_to_json(struct json_object *dst, const char *key,
			     const struct apf_counters *c)
{
	struct json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < c->n; i++)
		json_object_object_add(o, c->v[i].name,
				       json_object_new_int64((int64_t)c->v[i].value));
	json_object_object_add(dst, key, o);
}

static void watch_count(struct watch *w, bool final)
{
	uint64_t v[APF_TP_MAX];
	char ts[APF_ISO_TIME_LEN];

	apf_iso_time(ts, sizeof(ts), NULL, true);
	if (w->perf && !apf_tp_counter_read(w->perf, v, w->tracefs.ntp)) {
		struct json_object *tp = json_object_new_object();
		struct json_object *counts = json_object_new_object();
		size_t i;

		for (i = 0; i < w->tracefs.ntp; i++)
			json_object_object_add(counts, w->tracefs.tp[i].name,
					       json_object_new_int64((int64_t)v[i]));
		json_object_object_add(tp, "scope", json_object_new_string(
			"threads of the QEMU process (vCPU context; "
			"kvm_async_pf_completed runs in kernel workers and is not "
			"attributed)"));
		json_object_object_add(tp, "read_at", json_object_new_string(ts));
		json_object_object_add(tp, "final", json_object_new_boolean(final));
		json_object_object_add(tp, "counts", counts);
		json_object_object_add(w->st, "tracepoints", tp);
	}
	if (w->sampler && !final) {
		struct apf_sample smp;

		if (!apf_sampler_take(w->sampler, &smp, NULL)) {
			if (smp.nvms && smp.vms[0].source != APF_SRC_NONE) {
				struct json_object *ks = json_object_new_object();

				json_object_object_add(ks, "source", json_object_new_string(
					apf_source_name(smp.vms[0].source)));
				json_object_object_add(ks, "sampled_at",
						       json_object_new_string(ts));
				counters_to_json(ks, "counters", &smp.vms[0].counters);
				json_object_object_add(w->st, "kvm_stats", ks);
			}
			apf_sample_free(&smp);
		}
	}
}

static void watch_open_counters(struct watch *w)
{
	struct apf_sampler_cfg sc = { 0 };
	char sel[24];
	int err = 0;

	if (strcmp(w->type, "kvm")) {
		note(w, "domain type '%s' does not use KVM: no APF counters", w->type);
		return;
	}
	if (apf_tracefs_discover(&w->tracefs) || !w->tracefs.ntp)
		note(w, "no KVM async-PF tracepoints (tracefs missing or kvm not loaded)");
	else if (!(w->perf = apf_tp_counter_open(&w->tracefs, w->qemu, &err)))
		note(w, "cannot count tracepoints on pid %d: %s", (int)w->qemu,
		     apf_strerror(-err));
	/* KVM's binary stats through libvirt (never QMP: libvirt owns the
	 * monitor), or debugfs; perf is ours above. */
	snprintf(sel, sizeof(sel), "%d", (int)w->qemu);
	sc.select = sel;
	sc.no_qmp = true;
	sc.no_perf = true;
	w->sampler = apf_sampler_open(&sc, &err);
	if (!w->sampler)
		note(w, "no KVM stats source for pid %d: %s", (int)w->qemu, apf_strerror(-err));
}

/* Until QEMU exits (a pidfd polls readable at exit, zombie included) or a
 * stop signal: a sample every interval. */
static void watch_until_exit(struct watch *w)
{
	int pfd = apf_pidfd_open(w->qemu);

	while (!apf_stop_signal) {
		int left = w->cfg->interval_s * 1000, n;

		/* The sampler's kept files hold the VM: not over a long
		 * interval (the VMM may close its VM fd meanwhile). */
		if (w->sampler)
			apf_sampler_release(w->sampler, left);
		if (pfd >= 0) {
			struct pollfd p = { pfd, POLLIN, 0 };

			n = poll(&p, 1, left);
			if ((n < 0 && errno != EINTR) || n > 0)
				break;
		} else {
			for (; left > 0 && apf_pid_alive(w->qemu) && !apf_stop_signal;
			     left -= 200)
				usleep(200000);
			if (!apf_pid_alive(w->qemu))
				break;
		}
		if (apf_stop_signal)
			break;
		if (w->apply_pending)
			watch_apply(w);
		watch_count(w, false);
		watch_save(w);
	}
	if (pfd >= 0)
		close(pfd);
}

static void watch_start_doc(struct watch *w, const char *policy)
{
	char ts[APF_ISO_TIME_LEN];
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	json_object_object_add(w->st, "domain", json_object_new_string(w->name));
	json_object_object_add(w->st, "id", w->id >= 0 ? json_object_new_int64(w->id) : NULL);
	json_object_object_add(w->st, "type", json_object_new_string(w->type));
	json_object_object_add(w->st, "policy", w->policy == APF_POLICY_NONE ? NULL :
			       json_object_new_string(policy));
	json_object_object_add(w->st, "qemu_pid", w->qemu > 0 ?
			       json_object_new_int64(w->qemu) : NULL);
	json_object_object_add(w->st, "watcher_pid", json_object_new_int64(getpid()));
	json_object_object_add(w->st, "started_at", json_object_new_string(
		apf_iso_time(ts, sizeof(ts), &now, true)));
	json_object_object_add(w->st, "started_at_epoch_ms", json_object_new_int64(
		(int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000));
	json_object_object_add(w->st, "final", json_object_new_boolean(false));
}

int apf_hook_watch(const struct apf_hook_cfg *cfg, const char *name, long id,
		   const char *policy, const char *type, pid_t qemu)
{
	struct watch w = { .cfg = cfg, .name = name, .type = type, .id = id,
			   .qemu = qemu };
	char ts[APF_ISO_TIME_LEN];
	int err;

	if (!strcmp(policy, "on"))
		w.policy = APF_POLICY_ON;
	else if (!strcmp(policy, "off"))
		w.policy = APF_POLICY_OFF;
	else
		w.policy = APF_POLICY_NONE;
	apf_log_context(name, "watch");
	err = apf_hook_state_path(w.path, sizeof(w.path), cfg->run_dir, name);
	if (err)
		return err;
	apf_catch_signals((const int[]){ SIGTERM, SIGINT, SIGHUP }, 3, 0);
	if (w.qemu <= 0)
		w.qemu = find_qemu_pid(cfg, name);
	w.st = json_object_new_object();
	if (!w.st)
		return -ENOMEM;
	watch_start_doc(&w, policy);
	if (w.qemu <= 0) {
		note(&w, "no QEMU pid in %s/%s.pid (%s)", cfg->libvirt_run, name,
		     apf_strerror(w.qemu ? -w.qemu : ENOENT));
		apf_log(LOG_ERR, "no QEMU pid for the domain; no counters");
	} else {
		watch_open_counters(&w);
		watch_count(&w, false);
	}
	watch_save(&w);
	if (w.policy != APF_POLICY_NONE)
		watch_apply(&w);
	else
		apply_result(&w, "none", "no <apf:policy> in the domain metadata", NULL,
			     -1, -1);
	watch_save(&w);
	if (w.qemu > 0)
		watch_until_exit(&w);
	if (w.apply_pending) {
		apply_result(&w, "failed", "libvirt held the domain's job until the "
			     "applier ended (QEMU exited, or the applier was stopped): "
			     "the policy was not applied", NULL, -1, -1);
		apf_log(LOG_ERR, "async-pf: failed: libvirt held the domain's job "
			"until the end");
	}
	watch_count(&w, !apf_stop_signal);
	json_object_object_add(w.st, apf_stop_signal ? "watch_stopped_at" : "exited_at",
			       json_object_new_string(apf_iso_time(ts, sizeof(ts), NULL, true)));
	json_object_object_add(w.st, "final", json_object_new_boolean(true));
	if (apf_stop_signal)
		note(&w, "the applier was stopped (signal %d) before QEMU exited",
		     (int)apf_stop_signal);
	watch_save(&w);
	apf_log(LOG_INFO, "QEMU pid %d %s; state in %s", (int)w.qemu,
		apf_stop_signal ? "still running, applier stopped" : "exited", w.path);
	apf_tp_counter_close(w.perf);
	apf_sampler_close(w.sampler);
	json_object_put(w.st);
	return 0;
}
