// SPDX-License-Identifier: GPL-2.0-only
/* The hook's settings, its per-domain state documents, and the record it
 * keeps at release (lib/hook.h). */
#include "hook.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "clock.h"
#include "fileio.h"
#include "hook_log.h"
#include "sanitize.h"

#define STATE_MAX	(1u << 20)

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

void apf_hook_cfg_load(struct apf_hook_cfg *cfg, const char *version)
{
	cfg->state_dir = env_or("APF_STATE_DIR", "/var/lib/apf");
	cfg->run_dir = env_or("APF_RUN_DIR", "/run/apf");
	cfg->log_file = env_or("APF_HOOK_LOG", NULL);
	cfg->spawn = env_or("APF_HOOK_SPAWN", "auto");
	cfg->systemd_run = env_or("APF_SYSTEMD_RUN", "systemd-run");
	cfg->virsh = env_or("APF_VIRSH", "virsh");
	cfg->uri = env_or("APF_LIBVIRT_URI", "qemu:///system");
	cfg->libvirt_run = env_or("APF_LIBVIRT_RUN_DIR", "/run/libvirt/qemu");
	cfg->self = env_or("APF_HOOK_APFCTL", NULL);
	/* The whole hook must stay under 1 s; 800 ms leaves exit time.  Only
	 * the tests raise it: under valgrind, start-up alone takes a second. */
	cfg->deadline_ms = env_int("APF_HOOK_DEADLINE_MS", 800, 50, 30000);
	cfg->interval_s = env_int("APF_WATCH_INTERVAL", 10, 1, 3600);
	cfg->apply_timeout_ms = env_int("APF_APPLY_TIMEOUT_MS", 60000, 100, 600000);
	cfg->version = version;
}

/* ---------------------------------------------------------------- state */

bool apf_hook_name_usable(const char *name)
{
	size_t i, n = strlen(name);

	if (!n || n > APF_LOG_NAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (i = 0; i < n; i++)
		if (name[i] == '/' || (unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return false;
	return true;
}

int apf_hook_state_path(char *buf, size_t cap, const char *base, const char *name)
{
	int n = snprintf(buf, cap, "%s/domains/%s.json", base, name);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
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

/* Every string value under o as valid UTF-8: err and detail carry raw
 * virsh stderr and names, cut by snprintf() at any byte, and json-c
 * writes strings as they are. */
static void repair_utf8(struct json_object *o)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_object: {
		json_object_object_foreach(o, key, v) {
			(void)key;
			repair_utf8(v);
		}
		break;
	}
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			repair_utf8(json_object_array_get_idx(o, i));
		break;
	case json_type_string: {
		bool changed;
		char *fixed = apf_utf8_repair(json_object_get_string(o),
					      (size_t)json_object_get_string_len(o),
					      &changed);

		if (fixed && changed)
			json_object_set_string(o, fixed);
		free(fixed);
		break;
	}
	default:
		break;
	}
}

int apf_hook_state_write(const char *path, struct json_object *obj)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX], *doc;
	const char *s;
	int err;

	if (!slash || (size_t)(slash - path) >= sizeof(dir))
		return -EINVAL;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	err = mkdirs(dir, 0755);
	if (err)
		return err;
	repair_utf8(obj);
	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
					   JSON_C_TO_STRING_SPACED |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s || asprintf(&doc, "%s\n", s) < 0)
		return -ENOMEM;
	err = apf_write_atomic(path, doc, strlen(doc), 0644);
	free(doc);
	return err;
}

struct json_object *apf_hook_state_parse(const char *text, size_t len, int *err)
{
	struct json_tokener *tok;
	struct json_object *o = NULL;

	*err = -EBADMSG;
	if (len > STATE_MAX)
		return NULL;
	tok = json_tokener_new();
	if (!tok) {
		*err = -ENOMEM;
		return NULL;
	}
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
		  !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (o)
		*err = 0;
	return o;
}

struct json_object *apf_hook_state_read(const char *path, int *err)
{
	struct json_object *o;
	char *buf;
	ssize_t n = apf_slurp(path, STATE_MAX, &buf);

	if (n < 0) {
		*err = (int)n;
		return NULL;
	}
	o = apf_hook_state_parse(buf, (size_t)n, err);
	free(buf);
	return o;
}

const char *apf_json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int64_t apf_json_int(struct json_object *o, const char *key, int64_t def)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : def;
}

bool apf_json_bool(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

bool apf_pid_alive(long pid)
{
	char path[64], st[512], *p;

	if (pid <= 0 || pid > INT_MAX || kill((pid_t)pid, 0))
		return false;
	/* A zombie has exited: only its parent has not reaped it yet. */
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (apf_read_file(path, st, sizeof(st)) <= 0)
		return false;
	p = strrchr(st, ')');
	return !(p && p[1] == ' ' && p[2] == 'Z');
}

/* ---------------------------------------------------------------- release */

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

/* The watcher sees QEMU exit at once (pidfd) and writes its final state;
 * give it until the deadline's last 250 ms if release came first. */
static struct json_object *final_state(const char *path, int64_t deadline, int *err)
{
	struct json_object *st = apf_hook_state_read(path, err);

	while (st && !apf_json_bool(st, "final") &&
	       apf_pid_alive((long)apf_json_int(st, "watcher_pid", 0)) &&
	       apf_ms_left(deadline) > 250) {
		json_object_put(st);
		usleep(20000);
		st = apf_hook_state_read(path, err);
	}
	return st;
}

void apf_hook_release_summary(struct json_object *rec, char *buf, size_t cap)
{
	struct json_object *tp, *ks, *apply;
	char sum[400];

	sum[0] = '\0';
	if (json_object_object_get_ex(rec, "tracepoints", &tp))
		counts_summary(json_object_object_get(tp, "counts"), sum, sizeof(sum));
	if (!sum[0] && json_object_object_get_ex(rec, "kvm_stats", &ks))
		counts_summary(json_object_object_get(ks, "counters"), sum, sizeof(sum));
	apply = json_object_object_get(rec, "apply");
	snprintf(buf, cap, "released: policy %s%s%s%s; async PF: %s",
		 apf_json_str(rec, "policy") ? apf_json_str(rec, "policy") : "none",
		 apply ? " (" : "", apply && apf_json_str(apply, "result") ?
		 apf_json_str(apply, "result") : "", apply ? ")" : "",
		 sum[0] ? sum : "no counts (TCG domain, or no counter source)");
}

int apf_hook_release(const struct apf_hook_cfg *cfg, const char *name,
		     const struct apf_domain_policy *p, int64_t deadline)
{
	char spath[PATH_MAX], rpath[PATH_MAX], ts[APF_ISO_TIME_LEN], msg[600];
	struct json_object *st, *rec, *notes;
	struct timespec now;
	int err;

	if (apf_hook_state_path(spath, sizeof(spath), cfg->run_dir, name) ||
	    apf_hook_state_path(rpath, sizeof(rpath), cfg->state_dir, name)) {
		apf_log(LOG_ERR, "path too long; no record");
		return -ENAMETOOLONG;
	}
	st = final_state(spath, deadline, &err);
	rec = st ? st : json_object_new_object();
	if (!rec) {
		apf_log(LOG_ERR, "out of memory");
		return -ENOMEM;
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
	} else if (!apf_json_bool(st, "final")) {
		json_object_array_add(notes, json_object_new_string(
			"the applier had not seen QEMU exit: tracepoint counts are "
			"from its last sample"));
	}
	clock_gettime(CLOCK_REALTIME, &now);
	json_object_object_add(rec, "released_at", json_object_new_string(
		apf_iso_time(ts, sizeof(ts), &now, true)));
	if (apf_json_int(rec, "started_at_epoch_ms", -1) > 0) {
		double rt = ((double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6 -
			     (double)apf_json_int(rec, "started_at_epoch_ms", 0)) / 1000.0;
		char shown[32];

		snprintf(shown, sizeof(shown), "%.3f", rt);
		json_object_object_add(rec, "runtime_s", json_object_new_double_s(rt, shown));
	}
	json_object_object_add(rec, "apfctl_version", json_object_new_string(
		cfg->version ? cfg->version : "unknown"));
	json_object_object_del(rec, "started_at_epoch_ms");
	json_object_object_del(rec, "final");
	json_object_object_del(rec, "watcher_pid");
	err = apf_hook_state_write(rpath, rec);
	apf_hook_release_summary(rec, msg, sizeof(msg));
	if (err)
		apf_log(LOG_ERR, "%s; cannot write record %s: %s", msg, rpath,
			apf_strerror(-err));
	else
		apf_logr(LOG_INFO, rpath, "%s; record %s", msg, rpath);
	if (!err)
		unlink(spath);
	json_object_put(rec);
	return err;
}
