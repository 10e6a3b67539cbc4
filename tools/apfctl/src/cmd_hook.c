// SPDX-License-Identifier: GPL-2.0-only
/*
 * apfctl hook: the body of /etc/libvirt/hooks/qemu.d/50-apf.
 *
 * libvirt runs the hook as "50-apf DOMAIN OPERATION SUBOP EXTRA" with the
 * domain XML on stdin, synchronously, while it holds the domain's job (and
 * for some operations its driver locks).  So:
 *  - the hook never calls back into libvirt (that deadlocks);
 *  - it finishes in under a second whatever happens (a timer ends it);
 *  - only an invalid policy on "prepare" refuses a start (exit 1, message
 *    on stderr, which libvirt shows); any failure of our own is logged and
 *    the hook exits 0.
 *
 * Applying the policy needs the VM's monitor, and libvirt owns the QMP
 * socket of its domains: a second QMP client is not possible.  The way in
 * is libvirt's own API, virDomainQemuMonitorCommand (`virsh
 * qemu-monitor-command`), which is safe only after the hook has returned
 * (it needs the domain job the hook's caller holds).  So "started" hands the
 * work to a separate process, the watcher ("apfctl hook --watch"): a
 * transient systemd unit (systemd-run --no-block) where systemd is PID 1,
 * else a detached double-forked child.  The watcher's virsh call simply
 * waits until libvirt finishes the start job.  libvirt marks a domain used
 * with qemu-monitor-command as tainted ("custom-monitor"); no other libvirt
 * API reaches an accelerator property.  The guest runs with the host's
 * default for the short time until the watcher gets the job.
 *
 * "release" comes after QEMU has exited: neither libvirt (locks) nor QEMU
 * (gone) can be asked, and KVM's per-VM debugfs directory went with the VM
 * fd.  What is left is what the watcher kept: it counts the KVM async-PF
 * tracepoints on the VM's threads (perf counts stay readable after the
 * threads exit, so those totals are final) and samples KVM's binary stats
 * through libvirt every APF_WATCH_INTERVAL seconds (our async_pf_* counters
 * on a patched host; the last sample before exit).  It keeps all that in
 * $APF_RUN_DIR/domains/NAME.json; release turns it into the permanent record
 * $APF_STATE_DIR/domains/NAME.json and a journal (or syslog) message.
 *
 * Environment (all optional; tests set them): APF_STATE_DIR (/var/lib/apf),
 * APF_RUN_DIR (/run/apf), APF_HOOK_LOG (a file to append log lines to, as
 * well as the journal/syslog), APF_HOOK_SPAWN (auto|systemd|fork|none),
 * APF_SYSTEMD_RUN, APF_VIRSH, APF_LIBVIRT_URI (qemu:///system),
 * APF_LIBVIRT_RUN_DIR (/run/libvirt/qemu, for NAME.pid),
 * APF_HOOK_DEADLINE_MS (800), APF_WATCH_INTERVAL (10 s),
 * APF_APPLY_TIMEOUT_MS (60000).  libvirt passes hooks almost no environment,
 * so they come from /etc/default/apf (--defaults FILE, which the 50-apf
 * wrapper passes): sourced in a child shell once the deadline is armed,
 * with half of it to finish, so a file that blocks cannot hold libvirt.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "apfctl.h"
#include "cli_opts.h"
#include "counters.h"
#include "domain_policy.h"
#include "fileio.h"
#include "perf_tp.h"
#include "qmp.h"
#include "shell_defaults.h"
#include "spawn.h"
#include "stats_sampler.h"
#include "tracefs.h"
#include "whole_write.h"

#define STDIN_MAX	(16u << 20)
#define STATE_MAX	(1u << 20)
#define NAME_MAX_LEN	200
#define TS_LEN		96	/* an ISO 8601 time, with room gcc can prove */
/* migrate/restore: print nothing rather than start the XML this close to
 * the deadline. */
#define PASS_MIN_MS	50

struct hook_cfg {
	const char *state_dir, *run_dir, *log_file, *spawn, *systemd_run;
	const char *virsh, *uri, *libvirt_run;
	int deadline_ms, interval_s, apply_timeout_ms;
};

static struct hook_cfg cfg;

/* Forwarded to a systemd-run unit, which starts with a clean environment. */
static const char *const forwarded_env[] = {
	"APF_STATE_DIR", "APF_RUN_DIR", "APF_HOOK_LOG", "APF_VIRSH",
	"APF_LIBVIRT_URI", "APF_LIBVIRT_RUN_DIR", "APF_WATCH_INTERVAL",
	"APF_APPLY_TIMEOUT_MS", "LIBVIRT_DEFAULT_URI",
};

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static int env_int(const char *name, int def, int min, int max)
{
	const char *v = getenv(name);
	long n;

	if (!v || apf_parse_int(v, min, max, &n))
		return def;
	return (int)n;
}

static void cfg_load(void)
{
	cfg.state_dir = env_or("APF_STATE_DIR", "/var/lib/apf");
	cfg.run_dir = env_or("APF_RUN_DIR", "/run/apf");
	cfg.log_file = env_or("APF_HOOK_LOG", NULL);
	cfg.spawn = env_or("APF_HOOK_SPAWN", "auto");
	cfg.systemd_run = env_or("APF_SYSTEMD_RUN", "systemd-run");
	cfg.virsh = env_or("APF_VIRSH", "virsh");
	cfg.uri = env_or("APF_LIBVIRT_URI", "qemu:///system");
	cfg.libvirt_run = env_or("APF_LIBVIRT_RUN_DIR", "/run/libvirt/qemu");
	/* The whole hook must stay under 1 s; 800 ms leaves exit time.  Only
	 * the tests raise it: under valgrind, start-up alone takes a second. */
	cfg.deadline_ms = env_int("APF_HOOK_DEADLINE_MS", 800, 50, 30000);
	cfg.interval_s = env_int("APF_WATCH_INTERVAL", 10, 1, 3600);
	cfg.apply_timeout_ms = env_int("APF_APPLY_TIMEOUT_MS", 60000, 100, 600000);
}

/* ---------------------------------------------------------------- logging */

static int log_fd = -1;
static char log_domain[NAME_MAX_LEN + 1] = "-";
static const char *log_op = "-";
static int (*journal_send)(const char *fmt, ...);
static bool journal_tried, syslog_open;

static void log_open(void)
{
	if (cfg.log_file && log_fd < 0)
		log_fd = open(cfg.log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

static void iso_time(char *buf, size_t cap, const struct timespec *ts)
{
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ts->tv_nsec / 1000000);
}

static void now_iso(char *buf, size_t cap)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	iso_time(buf, cap, &ts);
}

/* The journal where there is one (structured fields the operator can
 * filter on: journalctl APF_DOMAIN=web1), else syslog.  libsystemd is
 * dlopen'ed: apfctl must run where it is not installed. */
static void log_system(int prio, const char *msg, const char *record)
{
	if (!journal_tried) {
		journal_tried = true;
		if (!access("/run/systemd/journal/socket", W_OK)) {
			void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);

			if (h)
				*(void **)&journal_send = dlsym(h, "sd_journal_send");
		}
	}
	if (journal_send) {
		journal_send("MESSAGE=%s", msg, "PRIORITY=%d", prio,
			     "SYSLOG_IDENTIFIER=apf-hook", "APF_DOMAIN=%s", log_domain,
			     "APF_OPERATION=%s", log_op,
			     record ? "APF_RECORD=%s" : NULL, record, NULL);
		return;
	}
	if (!syslog_open) {
		openlog("apf-hook", LOG_PID, LOG_DAEMON);
		syslog_open = true;
	}
	syslog(prio, "%s", msg);
}

static void hook_logr(int prio, const char *record, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void hook_logr(int prio, const char *record, const char *fmt, ...)
{
	char msg[1024], line[1200], ts[TS_LEN];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One event, one line: no control characters from QEMU or virsh. */
	for (n = 0; msg[n]; n++)
		if ((unsigned char)msg[n] < 0x20 || msg[n] == 0x7f)
			msg[n] = '?';
	log_system(prio, msg, record);
	if (log_fd < 0)
		return;
	now_iso(ts, sizeof(ts));
	n = snprintf(line, sizeof(line), "%s apf-hook[%d]: %s %s: %s\n", ts,
		     (int)getpid(), log_domain, log_op, msg);
	if (n > 0) {
		/* One write on an O_APPEND fd: lines of concurrent hooks and
		 * watchers do not interleave. */
		ssize_t w = write(log_fd, line, (size_t)n < sizeof(line) ? (size_t)n :
				  sizeof(line) - 1);
		(void)w;
	}
}

#define hook_log(prio, ...) hook_logr(prio, NULL, __VA_ARGS__)

/* ---------------------------------------------------------------- deadline */

/* Exit 0 whatever was cut short: a start goes ahead, and on migrate or
 * restore nothing has been printed yet (the XML goes out whole or not at
 * all), which leaves libvirt's XML as it is. */
static void on_deadline(int sig)
{
	static const char m[] = "apfctl: hook: deadline reached, giving up\n";
	(void)sig;
	/* Nothing to do if these fail: we are leaving either way. */
	if (log_fd >= 0 && write(log_fd, m, sizeof(m) - 1) < 0)
		_exit(APF_EXIT_OK);
	if (write(2, m, sizeof(m) - 1) < 0)
		_exit(APF_EXIT_OK);
	_exit(APF_EXIT_OK);
}

static struct timespec t_start;

static void deadline_arm(void)
{
	struct itimerval it = { { 0, 0 }, { cfg.deadline_ms / 1000,
					   (suseconds_t)(cfg.deadline_ms % 1000) * 1000 } };
	struct sigaction sa;

	clock_gettime(CLOCK_MONOTONIC, &t_start);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_deadline;	/* no SA_RESTART: blocked reads end */
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static int deadline_left_ms(void)
{
	struct timespec now;
	long long used;

	clock_gettime(CLOCK_MONOTONIC, &now);
	used = (long long)(now.tv_sec - t_start.tv_sec) * 1000 +
	       (now.tv_nsec - t_start.tv_nsec) / 1000000;
	return used >= cfg.deadline_ms ? 0 : (int)(cfg.deadline_ms - used);
}

/* Why the defaults file was skipped, logged once the domain is known. */
static char defaults_why[PATH_MAX + 200];

/* /etc/default/apf (FILE) into the environment, once the deadline is
 * armed: sourcing runs whatever the file says, so it gets half the time
 * left, in a child shell.  Then the settings are read again and the
 * deadline follows APF_HOOK_DEADLINE_MS from the file, counted from the
 * same start.  why gets the reason a file was skipped, for the log. */
static void hook_defaults(const char *file, char *why, size_t cap)
{
	static const char *const names[] = { "APF_*", "LIBVIRT_DEFAULT_URI", NULL };
	char reason[160];
	int err, left;

	*why = '\0';
	err = apf_shell_defaults(file, names, deadline_left_ms() / 2, NULL, reason,
				 sizeof(reason));
	if (err && err != -ENOENT)
		snprintf(why, cap, "%s skipped: %s", file, reason);
	if (err)
		return;
	cfg_load();
	left = deadline_left_ms();
	if (left <= 0)
		raise(SIGALRM);
	else {
		struct itimerval it = { { 0, 0 }, { left / 1000, (suseconds_t)(left % 1000) * 1000 } };

		setitimer(ITIMER_REAL, &it, NULL);
	}
}

/* ---------------------------------------------------------------- files */

/* libvirt rejects '/' in domain names; everything else it allows is a
 * usable file name except "." and "..". */
static bool name_usable(const char *name)
{
	size_t i, n = strlen(name);

	if (!n || n > NAME_MAX_LEN || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (i = 0; i < n; i++)
		if (name[i] == '/' || (unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return false;
	return true;
}

static int mkdirs(const char *dir, mode_t mode)
{
	char p[PATH_MAX];
	size_t i;

	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	for (i = 1; p[i]; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, mode) && errno != EEXIST)
			return -errno;
		p[i] = '/';
	}
	if (mkdir(p, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static int domain_file(char *buf, size_t cap, const char *base, const char *name)
{
	int n = snprintf(buf, cap, "%s/domains/%s.json", base, name);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* Write obj as JSON to path through a temporary file in the same directory
 * and rename(2): a reader sees the old or the new file, never half of one. */
static int write_json_atomic(const char *path, struct json_object *obj)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *s, *slash = strrchr(path, '/');
	size_t len, off = 0;
	int fd, err = 0, dfd;

	if (!slash || (size_t)(slash - path) >= sizeof(dir))
		return -EINVAL;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	err = mkdirs(dir, 0755);
	if (err)
		return err;
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.%d.tmp", dir, slash + 1,
		     (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
					   JSON_C_TO_STRING_SPACED |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(s);
	while (off < len) {
		ssize_t w = write(fd, s + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = w < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)w;
	}
	if (!err && write(fd, "\n", 1) != 1)
		err = -EIO;
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

static struct json_object *read_json(const char *path, int *err)
{
	struct json_object *o;
	char *buf;
	ssize_t n = apf_slurp(path, STATE_MAX, &buf);

	if (n < 0) {
		*err = (int)n;
		return NULL;
	}
	o = json_tokener_parse(buf);
	free(buf);
	*err = o && json_object_is_type(o, json_type_object) ? 0 : -EBADMSG;
	if (*err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* ---------------------------------------------------------------- stdin */

static ssize_t read_all(int fd, char **out)
{
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap + 1);

	*out = NULL;
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t r;

		if (len == cap) {
			char *nb;

			if (cap >= STDIN_MAX) {
				free(buf);
				return -EFBIG;
			}
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;

			free(buf);
			return e;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	*out = buf;
	return (ssize_t)len;
}

/* ---------------------------------------------------------------- started */

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

static int self_exe(char *buf, size_t cap)
{
	const char *o = getenv("APF_HOOK_APFCTL");
	ssize_t n;

	if (o && *o) {
		snprintf(buf, cap, "%s", o);
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

static void spawn_watcher(const char *name, const struct apf_domain_policy *p)
{
	char exe[PATH_MAX], id[24], unit[256], esc[200], desc[320];
	char envs[sizeof(forwarded_env) / sizeof(forwarded_env[0])][600];
	const char *argv[64];
	const char *policy = p->status == APF_POLICY_OK ?
			     apf_policy_value_name(p->async_pf) : "none";
	size_t a = 0, w0, i, ne = 0;
	bool use_systemd;
	int err;

	if (!strcmp(cfg.spawn, "none")) {
		hook_log(LOG_INFO, "policy async-pf=%s: not applied (APF_HOOK_SPAWN=none)",
			 policy);
		return;
	}
	if (self_exe(exe, sizeof(exe))) {
		hook_log(LOG_ERR, "cannot find our own binary; policy not applied");
		return;
	}
	snprintf(id, sizeof(id), "%ld", p->id);
	use_systemd = !strcmp(cfg.spawn, "systemd") ||
		      (!strcmp(cfg.spawn, "auto") && systemd_booted());
	if (use_systemd) {
		unit_escape(esc, sizeof(esc), name, 160);
		snprintf(unit, sizeof(unit), "--unit=apf-policy-%s-%s", esc,
			 p->id >= 0 ? id : "x");
		apf_sanitize(esc, sizeof(esc), name, 100);
		snprintf(desc, sizeof(desc),
			 "--description=APF policy and counters of libvirt domain %s", esc);
		argv[a++] = cfg.systemd_run;
		argv[a++] = "--no-block";
		argv[a++] = "--quiet";
		argv[a++] = "--collect";
		argv[a++] = unit;
		argv[a++] = desc;
		for (i = 0; i < sizeof(forwarded_env) / sizeof(forwarded_env[0]); i++) {
			const char *v = getenv(forwarded_env[i]);

			if (!v || snprintf(envs[ne], sizeof(envs[ne]), "--setenv=%s=%s",
					   forwarded_env[i], v) >= (int)sizeof(envs[ne]))
				continue;
			argv[a++] = envs[ne++];
		}
		argv[a++] = "--";
	}
	w0 = a;
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
	if (use_systemd) {
		int left = deadline_left_ms() - 150;

		/* Static, not on the heap: the deadline handler may _exit()
		 * while systemd-run hangs, and must leave nothing behind. */
		static struct apf_run_result rr;

		err = apf_run(argv, left > 50 ? left : 50, &rr);
		if (!err && rr.status == 0) {
			hook_log(LOG_INFO, "policy async-pf=%s handed to unit %s.service",
				 policy, unit + strlen("--unit="));
			return;
		}
		apf_last_line(rr.errout, desc, sizeof(desc));
		if (err)
			snprintf(esc, sizeof(esc), "%s", apf_strerror(-err));
		else
			snprintf(esc, sizeof(esc), "exit status %d", rr.status);
		hook_log(LOG_WARNING, "systemd-run failed (%s%s%s); using a detached "
			 "child instead", esc, desc[0] ? ": " : "", desc);
	}
	err = apf_spawn_detached(argv + w0);
	if (err)
		hook_log(LOG_ERR, "cannot start the policy applier: %s; policy "
			 "async-pf=%s not applied", apf_strerror(-err), policy);
	else
		hook_log(LOG_INFO, "policy async-pf=%s handed to a detached applier",
			 policy);
}

/* ---------------------------------------------------------------- release */

static bool pid_alive(long pid)
{
	char path[64], st[512], *p;

	if (pid <= 0 || kill((pid_t)pid, 0))
		return false;
	/* A zombie has exited: only its parent has not reaped it yet. */
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (apf_read_file(path, st, sizeof(st)) <= 0)
		return false;
	p = strrchr(st, ')');
	return !(p && p[1] == ' ' && p[2] == 'Z');
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int64_t jint(struct json_object *o, const char *key, int64_t def)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : def;
}

static bool jbool(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

/* "not_present=3 ready=3" from a {name: count} object, APF counters only. */
static void counts_summary(struct json_object *counts, char *buf, size_t cap)
{
	size_t o = 0;

	buf[0] = '\0';
	if (!counts || !json_object_is_type(counts, json_type_object))
		return;
	json_object_object_foreach(counts, k, v) {
		const char *shown = strncmp(k, "kvm_", 4) ? k : k + 4;
		int n;

		if (!strstr(k, "async_pf"))
			continue;
		n = snprintf(buf + o, cap - o, "%s%s=%lld", o ? " " : "", shown,
			     (long long)json_object_get_int64(v));
		if (n < 0 || (size_t)n >= cap - o)
			break;
		o += (size_t)n;
	}
}

static void hook_release(const char *name, const struct apf_domain_policy *p)
{
	char spath[PATH_MAX], rpath[PATH_MAX], ts[TS_LEN], sum[400], msg[600];
	struct json_object *st, *rec, *notes, *tp, *ks, *apply;
	struct timespec now;
	int err;

	if (domain_file(spath, sizeof(spath), cfg.run_dir, name) ||
	    domain_file(rpath, sizeof(rpath), cfg.state_dir, name)) {
		hook_log(LOG_ERR, "path too long; no record");
		return;
	}
	st = read_json(spath, &err);
	/* The watcher sees QEMU exit at once (pidfd) and writes its final
	 * state; give it a moment if release came first. */
	while (st && !jbool(st, "final") && pid_alive((long)jint(st, "watcher_pid", 0)) &&
	       deadline_left_ms() > 250) {
		json_object_put(st);
		usleep(20000);
		st = read_json(spath, &err);
	}
	rec = st ? st : json_object_new_object();
	if (!rec) {
		hook_log(LOG_ERR, "out of memory");
		return;
	}
	if (!json_object_object_get_ex(rec, "notes", &notes) ||
	    !json_object_is_type(notes, json_type_array)) {
		notes = json_object_new_array();
		json_object_object_add(rec, "notes", notes);
	}
	json_object_object_add(rec, "domain", json_object_new_string(name));
	if (!st) {
		/* No watcher state: record what the XML says. */
		if (p->uuid[0])
			json_object_object_add(rec, "uuid", json_object_new_string(p->uuid));
		if (p->type[0])
			json_object_object_add(rec, "type", json_object_new_string(p->type));
		json_object_object_add(rec, "policy", p->status == APF_POLICY_OK &&
				       p->async_pf != APF_POLICY_NONE ?
				       json_object_new_string(apf_policy_value_name(p->async_pf)) :
				       NULL);
		json_object_array_add(notes, json_object_new_string(
			err == -ENOENT ? "no state from the policy applier: the domain did "
			"not start, or started before the hook was installed" :
			"the policy applier's state was unreadable"));
	} else if (!jbool(st, "final")) {
		json_object_array_add(notes, json_object_new_string(
			"the applier had not seen QEMU exit: tracepoint counts are "
			"from its last sample"));
	}
	now_iso(ts, sizeof(ts));
	json_object_object_add(rec, "released_at", json_object_new_string(ts));
	clock_gettime(CLOCK_REALTIME, &now);
	if (jint(rec, "started_at_epoch_ms", -1) > 0) {
		double rt = ((double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6 -
			     (double)jint(rec, "started_at_epoch_ms", 0)) / 1000.0;

		char shown[32];

		snprintf(shown, sizeof(shown), "%.3f", rt);
		json_object_object_add(rec, "runtime_s", json_object_new_double_s(rt, shown));
	}
	json_object_object_add(rec, "apfctl_version", json_object_new_string(APFCTL_VERSION));
	json_object_object_del(rec, "started_at_epoch_ms");
	json_object_object_del(rec, "final");
	json_object_object_del(rec, "watcher_pid");
	err = write_json_atomic(rpath, rec);
	sum[0] = '\0';
	if (json_object_object_get_ex(rec, "tracepoints", &tp))
		counts_summary(json_object_object_get(tp, "counts"), sum, sizeof(sum));
	if (!sum[0] && json_object_object_get_ex(rec, "kvm_stats", &ks))
		counts_summary(json_object_object_get(ks, "counters"), sum, sizeof(sum));
	apply = json_object_object_get(rec, "apply");
	snprintf(msg, sizeof(msg), "released: policy %s%s%s%s; async PF: %s",
		 jstr(rec, "policy") ? jstr(rec, "policy") : "none",
		 apply ? " (" : "", apply && jstr(apply, "result") ?
		 jstr(apply, "result") : "", apply ? ")" : "",
		 sum[0] ? sum : "no counts (TCG domain, or no counter source)");
	if (err)
		hook_log(LOG_ERR, "%s; cannot write record %s: %s", msg, rpath,
			 apf_strerror(-err));
	else
		hook_logr(LOG_INFO, rpath, "%s; record %s", msg, rpath);
	if (!err)
		unlink(spath);
	json_object_put(rec);
}

/* ---------------------------------------------------------------- watcher */

struct watch {
	const char *name, *type;
	long id;
	enum apf_policy_value policy;
	pid_t qemu;
	struct json_object *st;		/* the runtime state document */
	char path[PATH_MAX];
	struct apf_tracefs tracefs;
	struct apf_tp_counter *perf;
	struct apf_sampler *sampler;
};

static volatile sig_atomic_t watch_stop;

static void on_watch_signal(int sig)
{
	watch_stop = sig;
}

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
	int err = write_json_atomic(w->path, w->st);

	if (err)
		hook_log(LOG_ERR, "cannot write %s: %s", w->path, apf_strerror(-err));
}

static pid_t find_qemu_pid(const char *name)
{
	char path[PATH_MAX], buf[32];
	int tries;

	if (snprintf(path, sizeof(path), "%s/%s.pid", cfg.libvirt_run, name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	/* libvirt writes the pid file before "started"; retry a little in
	 * case a slow file system shows it late. */
	for (tries = 0; tries < 50; tries++) {
		long pid;

		if (apf_read_file(path, buf, sizeof(buf)) > 0 &&
		    !apf_parse_int(buf, 1, INT_MAX, &pid))
			return (pid_t)pid;
		usleep(100000);
	}
	return -ENOENT;
}

/* One QMP command through libvirt (virsh qemu-monitor-command).  Returns
 * 0 and *ret (the "return" value, a reference), or -ENOENT (no such QOM
 * path or property: a QEMU without our switch), -ENOTSUP (no such command),
 * -EIO (another QMP error, desc in err), or an error running virsh. */
static int virsh_qmp(const char *name, const char *cmd, struct json_object **ret,
		     char *err, size_t errcap)
{
	const char *argv[] = { cfg.virsh, "-c", cfg.uri, "qemu-monitor-command",
			       "--domain", name, "--cmd", cmd, NULL };
	struct json_object *reply, *e, *r;
	struct apf_run_result *rr = malloc(sizeof(*rr));
	const char *cls, *desc;
	int rc;

	*ret = NULL;
	err[0] = '\0';
	if (!rr)
		return -ENOMEM;
	rc = apf_run(argv, cfg.apply_timeout_ms, rr);
	if (rc || rr->status) {
		char line[300];

		apf_last_line(rr->errout, line, sizeof(line));
		snprintf(err, errcap, "%s: %s", cfg.virsh,
			 rc ? apf_strerror(-rc) : line[0] ? line : "failed");
		free(rr);
		return rc ? rc : -EIO;
	}
	reply = json_tokener_parse(rr->out);
	free(rr);
	if (!reply || !json_object_is_type(reply, json_type_object)) {
		json_object_put(reply);
		snprintf(err, errcap, "virsh printed no QMP reply");
		return -EPROTO;
	}
	if (json_object_object_get_ex(reply, "error", &e)) {
		cls = jstr(e, "class");
		desc = jstr(e, "desc");
		snprintf(err, errcap, "%s: %s", cls ? cls : "error", desc ? desc : "");
		/* Our QEMU on a host kernel without the per-VM switch says
		 * "async-pf=off needs KVM_CAP_DISABLE_ASYNC_PF, which this host
		 * kernel does not support": unsupported, not a failure. */
		rc = (cls && !strcmp(cls, "CommandNotFound")) ||
		     (desc && strstr(desc, "KVM_CAP_DISABLE_ASYNC_PF")) ? -ENOTSUP :
		     (cls && !strcmp(cls, "DeviceNotFound")) ||
		     (desc && strstr(desc, "not found")) ? -ENOENT : -EIO;
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

static void apply_result(struct watch *w, const char *result, const char *detail,
			 int before, int after)
{
	struct json_object *a = json_object_new_object();
	char ts[TS_LEN];

	now_iso(ts, sizeof(ts));
	json_object_object_add(a, "result", json_object_new_string(result));
	json_object_object_add(a, "detail", json_object_new_string(detail));
	json_object_object_add(a, "before", before < 0 ? NULL :
			       json_object_new_boolean(before));
	json_object_object_add(a, "after", after < 0 ? NULL :
			       json_object_new_boolean(after));
	json_object_object_add(a, "at", json_object_new_string(ts));
	json_object_object_add(w->st, "apply", a);
}

static void watch_apply(struct watch *w)
{
	const bool want = w->policy == APF_POLICY_ON;
	struct json_object *ret;
	char cmd[256], err[400], detail[600];
	int rc, before;

	snprintf(cmd, sizeof(cmd), "{\"execute\":\"qom-get\",\"arguments\":"
		 "{\"path\":\"%s\",\"property\":\"%s\"}}", APF_QMP_ACCEL_PATH,
		 APF_QMP_ASYNC_PF_PROP);
	rc = virsh_qmp(w->name, cmd, &ret, err, sizeof(err));
	if (!rc && !json_object_is_type(ret, json_type_boolean)) {
		rc = -EPROTO;
		snprintf(err, sizeof(err), "qom-get %s: not a boolean", APF_QMP_ASYNC_PF_PROP);
	}
	if (!rc) {
		before = json_object_get_boolean(ret);
		json_object_put(ret);
		if (before == want) {
			apply_result(w, "already", "async-pf already set", before, before);
			hook_log(LOG_INFO, "async-pf=%s: already so", want ? "on" : "off");
			return;
		}
		snprintf(cmd, sizeof(cmd), "{\"execute\":\"qom-set\",\"arguments\":"
			 "{\"path\":\"%s\",\"property\":\"%s\",\"value\":%s}}",
			 APF_QMP_ACCEL_PATH, APF_QMP_ASYNC_PF_PROP, want ? "true" : "false");
		rc = virsh_qmp(w->name, cmd, &ret, err, sizeof(err));
		json_object_put(ret);
		if (!rc) {
			apply_result(w, "applied", "qom-set " APF_QMP_ACCEL_PATH
				     " async-pf through libvirt", before, want);
			hook_log(LOG_NOTICE, "async-pf %s -> %s applied", before ? "on" : "off",
				 want ? "on" : "off");
			return;
		}
	}
	if (rc == -ENOENT || rc == -ENOTSUP) {
		if (strstr(err, "KVM_CAP_DISABLE_ASYNC_PF"))
			snprintf(detail, sizeof(detail), "the host kernel has no per-VM "
				 "switch (the APF Suite host kernel adds it); %s", err);
		else
			snprintf(detail, sizeof(detail), "this QEMU has no %s property "
				 "'%s' (the APF Suite QEMU adds it, for KVM domains); "
				 "domain type %s; %s", APF_QMP_ACCEL_PATH,
				 APF_QMP_ASYNC_PF_PROP, w->type, err);
		apply_result(w, "unsupported", detail, -1, -1);
		hook_log(LOG_WARNING, "async-pf=%s: unsupported: %s; the domain runs "
			 "with the host's default", want ? "on" : "off", detail);
		return;
	}
	apply_result(w, "failed", err, -1, -1);
	hook_log(LOG_ERR, "async-pf=%s: failed: %s", want ? "on" : "off", err);
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
	char ts[TS_LEN];

	now_iso(ts, sizeof(ts));
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

static int sys_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

static int hook_watch(const char *name, long id, const char *policy,
		      const char *type, pid_t qemu)
{
	struct watch w = { .name = name, .type = type, .id = id, .qemu = qemu };
	struct sigaction sa;
	struct timespec now;
	char ts[TS_LEN];
	int pfd;

	if (!strcmp(policy, "on"))
		w.policy = APF_POLICY_ON;
	else if (!strcmp(policy, "off"))
		w.policy = APF_POLICY_OFF;
	else
		w.policy = APF_POLICY_NONE;
	log_op = "watch";
	if (domain_file(w.path, sizeof(w.path), cfg.run_dir, name))
		return APF_EXIT_RUNTIME;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_watch_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (w.qemu <= 0)
		w.qemu = find_qemu_pid(name);
	w.st = json_object_new_object();
	if (!w.st)
		return APF_EXIT_RUNTIME;
	clock_gettime(CLOCK_REALTIME, &now);
	iso_time(ts, sizeof(ts), &now);
	json_object_object_add(w.st, "domain", json_object_new_string(name));
	json_object_object_add(w.st, "id", id >= 0 ? json_object_new_int64(id) : NULL);
	json_object_object_add(w.st, "type", json_object_new_string(type));
	json_object_object_add(w.st, "policy", w.policy == APF_POLICY_NONE ? NULL :
			       json_object_new_string(policy));
	json_object_object_add(w.st, "qemu_pid", w.qemu > 0 ?
			       json_object_new_int64(w.qemu) : NULL);
	json_object_object_add(w.st, "watcher_pid", json_object_new_int64(getpid()));
	json_object_object_add(w.st, "started_at", json_object_new_string(ts));
	json_object_object_add(w.st, "started_at_epoch_ms", json_object_new_int64(
		(int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000));
	json_object_object_add(w.st, "final", json_object_new_boolean(false));
	if (w.qemu <= 0) {
		note(&w, "no QEMU pid in %s/%s.pid", cfg.libvirt_run, name);
		hook_log(LOG_ERR, "no QEMU pid for the domain; no counters");
	} else {
		watch_open_counters(&w);
		watch_count(&w, false);
	}
	watch_save(&w);
	if (w.policy != APF_POLICY_NONE)
		watch_apply(&w);
	else
		apply_result(&w, "none", "no <apf:policy> in the domain metadata", -1, -1);
	watch_save(&w);
	pfd = w.qemu > 0 ? sys_pidfd_open(w.qemu) : -1;
	/* Until QEMU exits: pidfd polls readable at exit (zombie included). */
	while (w.qemu > 0 && !watch_stop) {
		int left = cfg.interval_s * 1000, n;

		if (pfd >= 0) {
			struct pollfd p = { pfd, POLLIN, 0 };

			n = poll(&p, 1, left);
			if (n < 0 && errno != EINTR)
				break;
			if (n > 0)
				break;
		} else {
			for (; left > 0 && pid_alive(w.qemu) && !watch_stop; left -= 200)
				usleep(200000);
			if (!pid_alive(w.qemu))
				break;
		}
		if (watch_stop)
			break;
		watch_count(&w, false);
		watch_save(&w);
	}
	if (pfd >= 0)
		close(pfd);
	watch_count(&w, !watch_stop);
	now_iso(ts, sizeof(ts));
	json_object_object_add(w.st, watch_stop ? "watch_stopped_at" : "exited_at",
			       json_object_new_string(ts));
	json_object_object_add(w.st, "final", json_object_new_boolean(true));
	if (watch_stop)
		note(&w, "the applier was stopped (signal %d) before QEMU exited",
		     (int)watch_stop);
	watch_save(&w);
	hook_log(LOG_INFO, "QEMU pid %d %s; state in %s", (int)w.qemu,
		 watch_stop ? "still running, applier stopped" : "exited", w.path);
	apf_tp_counter_close(w.perf);
	apf_sampler_close(w.sampler);
	json_object_put(w.st);
	return APF_EXIT_OK;
}

/* ---------------------------------------------------------------- main */

static int hook_usage(FILE *f, int code)
{
	fprintf(f,
		"Usage: apfctl hook [--defaults FILE] [--] DOMAIN OPERATION SUBOP EXTRA\n"
		"       apfctl hook --check [FILE]\n"
		"The libvirt hook (/etc/libvirt/hooks/qemu.d/50-apf).  Reads the\n"
		"domain's <apf:policy async-pf='on|off'/> (namespace %s)\n"
		"from the domain XML on stdin:\n"
		"  prepare   validate it: an invalid policy refuses the start (exit 1)\n"
		"  started   hand it to an applier (systemd-run, or a detached child)\n"
		"            that sets it through libvirt once the hook has returned\n"
		"  release   record the domain's APF counters (APF_STATE_DIR/domains)\n"
		"  migrate, restore   print the XML unchanged (whole, or nothing)\n"
		"  --defaults FILE  settings (APF_*) from a shell file such as\n"
		"            /etc/default/apf, sourced within the time limit\n"
		"  --check   validate the policy in a domain XML (FILE or stdin)\n"
		"Always done within 1 s; only an invalid policy makes it fail.\n",
		APF_XMLNS);
	return code;
}

static int hook_check(const char *file)
{
	struct apf_domain_policy p;
	char *xml = NULL, shown[120];
	ssize_t n;

	n = file && strcmp(file, "-") ? apf_slurp_input(file, STDIN_MAX, &xml) : read_all(0, &xml);
	if (n < 0)
		return apf_fail(APF_EXIT_RUNTIME, "hook: %s: %s", file ? file : "stdin",
				apf_strerror((int)-n));
	apf_domain_policy_parse(xml, (size_t)n, &p);
	free(xml);
	apf_xml_cleanup();
	apf_sanitize(shown, sizeof(shown), p.name, 100);
	if (apf_g.json) {
		json_writer_t *w = apf_json_open();

		if (!w)
			return apf_fail(APF_EXIT_RUNTIME, "out of memory");
		jsonw_start_object(w);
		jsonw_string_field(w, "domain", p.name);
		jsonw_bool_field(w, "valid", p.status == APF_POLICY_OK);
		if (p.status == APF_POLICY_OK && p.async_pf != APF_POLICY_NONE)
			jsonw_string_field(w, "async_pf", apf_policy_value_name(p.async_pf));
		else
			jsonw_null_field(w, "async_pf");
		if (p.status != APF_POLICY_OK)
			jsonw_string_field(w, "error", p.error);
		jsonw_end_object(w);
		jsonw_destroy(&w);
		putchar('\n');
	} else if (p.status == APF_POLICY_OK) {
		printf("domain '%s': %s%s\n", shown, p.async_pf == APF_POLICY_NONE ?
		       "no APF policy" : "async-pf=",
		       p.async_pf == APF_POLICY_NONE ? "" : apf_policy_value_name(p.async_pf));
	}
	if (p.status != APF_POLICY_OK)
		return apf_fail(APF_EXIT_RUNTIME, "hook: domain '%s': %s%s", shown,
				p.status == APF_POLICY_INVALID ? "invalid APF policy: " : "",
				p.error);
	return APF_EXIT_OK;
}

enum { OPT_WATCH = 0x4000, OPT_CHECK, OPT_ID, OPT_POLICY, OPT_TYPE, OPT_PID, OPT_DEFAULTS };

static int hook_main(const char *name, const char *op)
{
	struct apf_domain_policy p;
	char *xml = NULL, shown[120];
	ssize_t n;
	int werr;

	apf_sanitize(log_domain, sizeof(log_domain), name, NAME_MAX_LEN);
	log_op = op;
	apf_sanitize(shown, sizeof(shown), name, 100);
	if (defaults_why[0])
		hook_log(LOG_WARNING, "%s", defaults_why);
	/* Drain stdin for every operation: libvirt writes the XML to all of
	 * them and should not see EPIPE. */
	n = read_all(0, &xml);
	if (!strcmp(op, "migrate") || !strcmp(op, "restore")) {
		if (n < 0) {
			/* Printing nothing keeps libvirt's XML as it is. */
			hook_log(LOG_ERR, "cannot read the domain XML: %s", apf_strerror((int)-n));
			return APF_EXIT_OK;
		}
		/* Half an XML would fail the migration: the XML goes out whole
		 * (one write that cannot block) or not at all, and not in the
		 * deadline's last PASS_MIN_MS. */
		if (deadline_left_ms() < PASS_MIN_MS) {
			free(xml);
			hook_log(LOG_WARNING, "too close to the deadline to pass the XML "
				 "back: printing nothing (libvirt keeps its XML)");
			return APF_EXIT_OK;
		}
		werr = apf_write_whole(1, xml, (size_t)n);
		free(xml);
		if (werr == -EIO) {
			hook_log(LOG_ERR, "the XML went out cut short");
			return APF_EXIT_RUNTIME;
		}
		if (werr) {
			hook_log(LOG_WARNING, "cannot pass the XML back whole (%s): printing "
				 "nothing (libvirt keeps its XML)", apf_strerror(-werr));
			return APF_EXIT_OK;
		}
		hook_log(LOG_DEBUG, "XML passed through unchanged (%zd bytes)", n);
		return APF_EXIT_OK;
	}
	if (strcmp(op, "prepare") && strcmp(op, "started") && strcmp(op, "reconnect") &&
	    strcmp(op, "release")) {
		free(xml);
		hook_log(LOG_DEBUG, "nothing to do");
		return APF_EXIT_OK;
	}
	if (n < 0) {
		hook_log(LOG_ERR, "cannot read the domain XML: %s; ignoring the "
			 "APF policy", apf_strerror((int)-n));
		return APF_EXIT_OK;
	}
	apf_domain_policy_parse(xml, (size_t)n, &p);
	free(xml);
	/* Done with libxml2: free its global state before any fork, so
	 * that no process we start inherits it (valgrind checks children). */
	apf_xml_cleanup();
	if (p.status == APF_POLICY_BAD_XML) {
		hook_log(LOG_ERR, "%s; ignoring the APF policy", p.error);
		p.async_pf = APF_POLICY_NONE;
	}
	if (!strcmp(op, "prepare")) {
		if (p.status == APF_POLICY_INVALID) {
			hook_log(LOG_ERR, "refusing to start: invalid APF policy: %s", p.error);
			fprintf(stderr, "apfctl: hook: domain '%s': invalid APF policy: %s\n",
				shown, p.error);
			return APF_EXIT_RUNTIME;
		}
		hook_log(LOG_INFO, "policy %s%s", p.async_pf == APF_POLICY_NONE ?
			 "none" : "async-pf=", p.async_pf == APF_POLICY_NONE ? "" :
			 apf_policy_value_name(p.async_pf));
		return APF_EXIT_OK;
	}
	if (!name_usable(name)) {
		hook_log(LOG_ERR, "domain name unusable as a file name; nothing recorded");
		return APF_EXIT_OK;
	}
	if (!strcmp(op, "release")) {
		hook_release(name, &p);
		return APF_EXIT_OK;
	}
	if (p.status == APF_POLICY_INVALID) {
		/* prepare refuses these; a domain started before the hook was
		 * installed can still have one. */
		hook_log(LOG_ERR, "invalid APF policy (%s); not applying it", p.error);
		p.async_pf = APF_POLICY_NONE;
		p.status = APF_POLICY_OK;
	}
	if (!strcmp(op, "reconnect")) {
		char spath[PATH_MAX];
		struct json_object *st;
		int err;

		/* libvirtd restarted: keep a watcher that still runs. */
		if (!domain_file(spath, sizeof(spath), cfg.run_dir, name) &&
		    (st = read_json(spath, &err))) {
			bool alive = pid_alive((long)jint(st, "watcher_pid", 0));

			json_object_put(st);
			if (alive) {
				hook_log(LOG_INFO, "the applier still runs");
				return APF_EXIT_OK;
			}
		}
	}
	spawn_watcher(name, &p);
	return APF_EXIT_OK;
}

int cmd_hook(int argc, char **argv)
{
	static const struct option opts[] = {
		APF_GLOBAL_LONG_OPTS,
		{ "watch", no_argument, NULL, OPT_WATCH },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "id", required_argument, NULL, OPT_ID },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "defaults", required_argument, NULL, OPT_DEFAULTS },
		{ NULL, 0, NULL, 0 },
	};
	const char *policy = "none", *type = "unknown", *defaults = NULL;
	bool watch = false, check = false;
	long id = -1, pid = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+jph", opts, NULL)) != -1) {
		if (c == 'p')
			c = APF_OPT_PRETTY;
		if (apf_global_opt(c, optarg))
			continue;
		switch (c) {
		case OPT_WATCH: watch = true; break;
		case OPT_CHECK: check = true; break;
		case OPT_ID:
			if (apf_parse_int(optarg, -1, LONG_MAX, &id))
				return apf_fail(APF_EXIT_USAGE, "hook: bad --id '%s'", optarg);
			break;
		case OPT_PID:
			if (apf_parse_int(optarg, 1, INT_MAX, &pid))
				return apf_fail(APF_EXIT_USAGE, "hook: bad --pid '%s'", optarg);
			break;
		case OPT_POLICY:
			if (strcmp(optarg, "on") && strcmp(optarg, "off") &&
			    strcmp(optarg, "none"))
				return apf_fail(APF_EXIT_USAGE, "hook: --policy on|off|none");
			policy = optarg;
			break;
		case OPT_TYPE: type = optarg; break;
		case OPT_DEFAULTS: defaults = optarg; break;
		case 'h': return hook_usage(stdout, APF_EXIT_OK);
		default: return hook_usage(stderr, APF_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (check) {
		if (argc > 1)
			return apf_fail(APF_EXIT_USAGE, "hook: --check takes one FILE");
		return hook_check(argc ? argv[0] : NULL);
	}
	cfg_load();
	if (!watch) {
		/* Before anything that can block, reading the defaults too. */
		deadline_arm();
		if (defaults)
			hook_defaults(defaults, defaults_why, sizeof(defaults_why));
	}
	log_open();
	if (watch) {
		if (argc != 1)
			return apf_fail(APF_EXIT_USAGE, "hook: --watch takes one DOMAIN");
		apf_sanitize(log_domain, sizeof(log_domain), argv[0], NAME_MAX_LEN);
		if (!name_usable(argv[0]))
			return apf_fail(APF_EXIT_USAGE, "hook: unusable domain name");
		rc = hook_watch(argv[0], id, policy, type, (pid_t)pid);
	} else {
		if (argc < 2 || argc > 4)
			return hook_usage(stderr, APF_EXIT_USAGE);
		rc = hook_main(argv[0], argv[1]);
	}
	apf_xml_cleanup();
	if (log_fd >= 0)
		close(log_fd);
	if (syslog_open)
		closelog();
	return rc;
}
