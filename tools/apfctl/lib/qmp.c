// SPDX-License-Identifier: GPL-2.0-only
/*
 * A minimal QMP client.  QEMU is not trusted: every wait has a deadline and
 * every reply a size cap, so a hung, slow or hostile monitor costs apfctl at
 * most timeout_ms per command and APF_QMP_MAX_REPLY bytes of memory.
 */
#include "qmp.h"

#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json.h>

struct apf_qmp {
	int fd;
	int timeout_ms;
	int64_t until;		/* every wait ends by then too; 0: no bound */
	bool broken;		/* a reply was lost: the stream is out of step */
	unsigned long next_id;
	char *buf;		/* received bytes not yet consumed */
	size_t len, cap;
	char err[256];
};

/* qom-path -> cpu-index, from query-cpus-fast. */
struct cpu_map {
	char **path;
	int *index;
	size_t n;
};

/* Wait for events on fd until deadline: 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	for (;;) {
		int left = apf_ms_left(deadline);

		if (!left)
			return -ETIMEDOUT;
		r = poll(&p, 1, left);
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int connect_unix(const char *path, int64_t deadline, int *fdp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	int fd, r, soerr;
	socklen_t sl = sizeof(soerr);

	if (!len)
		return -ENOENT;
	if (len >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, len + 1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		r = -errno;
		if (r == -EINTR)
			continue;
		/* A full listen backlog gives EAGAIN on AF_UNIX: retry until
		 * the deadline rather than fail at once. */
		if (r == -EAGAIN) {
			if (!apf_ms_left(deadline)) {
				r = -ETIMEDOUT;
				goto fail;
			}
			nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
			continue;
		}
		if (r != -EINPROGRESS)
			goto fail;
		r = wait_fd(fd, POLLOUT, deadline);
		if (r)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl)) {
			r = -errno;
			goto fail;
		}
		if (soerr) {
			r = -soerr;
			goto fail;
		}
		break;
	}
	*fdp = fd;
	return 0;
fail:
	close(fd);
	return r;
}

static int send_all(struct apf_qmp *q, const char *s, size_t n,
		    int64_t deadline)
{
	while (n) {
		/* MSG_NOSIGNAL: a QEMU that went away must not SIGPIPE us. */
		ssize_t w = send(q->fd, s, n, MSG_NOSIGNAL);

		if (w < 0) {
			int r = -errno;

			if (r == -EINTR)
				continue;
			if (r != -EAGAIN)
				return r;
			r = wait_fd(q->fd, POLLOUT, deadline);
			if (r)
				return r;
			continue;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read one '\n'-terminated line (without the newline, NUL-terminated,
 * malloc'd) within deadline and APF_QMP_MAX_REPLY bytes. */
static int read_line(struct apf_qmp *q, int64_t deadline, char **line)
{
	size_t scanned = 0;

	*line = NULL;

	for (;;) {
		char *nl = q->len > scanned ?
			   memchr(q->buf + scanned, '\n', q->len - scanned) :
			   NULL;
		ssize_t r;
		int w;

		if (nl) {
			size_t n = (size_t)(nl - q->buf);
			char *s = malloc(n + 1);

			if (!s)
				return -ENOMEM;
			memcpy(s, q->buf, n);
			s[n] = '\0';
			memmove(q->buf, nl + 1, q->len - n - 1);
			q->len -= n + 1;
			*line = s;
			return 0;
		}
		scanned = q->len;
		if (q->len >= APF_QMP_MAX_REPLY)
			return -EMSGSIZE;
		if (q->cap - q->len < 4096) {
			size_t cap = q->cap ? q->cap * 2 : 65536;
			char *b;

			if (cap > APF_QMP_MAX_REPLY + 4096)
				cap = APF_QMP_MAX_REPLY + 4096;
			b = realloc(q->buf, cap);
			if (!b)
				return -ENOMEM;
			q->buf = b;
			q->cap = cap;
		}
		w = wait_fd(q->fd, POLLIN, deadline);
		if (w)
			return w;
		r = recv(q->fd, q->buf + q->len, q->cap - q->len, 0);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return errno ? -errno : -EIO;
		}
		if (r == 0)
			return -ECONNRESET;
		q->len += (size_t)r;
	}
}

/* Parse a complete JSON text; trailing whitespace only.  json-c's own depth
 * limit (32) bounds recursion on hostile nesting. */
static struct json_object *parse_json(const char *s, size_t n)
{
	struct json_tokener *tok;
	struct json_object *o;
	size_t end;

	if (n > APF_QMP_MAX_REPLY || n > INT32_MAX)
		return NULL;
	tok = json_tokener_new();
	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, s, (int)n);
	if (o && json_tokener_get_error(tok) == json_tokener_success) {
		end = json_tokener_get_parse_end(tok);
		while (end < n && s[end] && strchr(" \t\r\n", s[end]))
			end++;
		if (end != n) {
			json_object_put(o);
			o = NULL;
		}
	} else {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static void set_err(struct apf_qmp *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_err(struct apf_qmp *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->err, sizeof(q->err), fmt, ap);
	va_end(ap);
}

int apf_qmp_error_code(const char *cls, const char *desc)
{
	if (!cls)
		cls = "";
	if (!desc)
		desc = "";
	if (!strcmp(cls, "CommandNotFound"))
		return -ENOTSUP;
	if (!strcmp(cls, "KVMMissingCap") ||
	    strstr(desc, "needs KVM_CAP_DISABLE_ASYNC_PF"))
		return -ENODEV;
	if (!strcmp(cls, "DeviceNotFound"))
		return -ENOENT;
	/* qom-get/qom-set of a missing property: GenericError with
	 * "Property '<type>.<name>' not found" (QEMU 10.0). */
	if (!strncmp(desc, "Property ", 9) && strstr(desc, "not found"))
		return -ENOENT;
	/* query-async-pf/set-async-pf under another accelerator:
	 * "Asynchronous page faults are a KVM feature; this VM uses the tcg
	 * accelerator". */
	if (strstr(desc, "are a KVM feature"))
		return -ENOENT;
	return -EIO;
}

/* Map a QMP {"error":{"class":..,"desc":..}} to -errno. */
static int map_error(struct apf_qmp *q, struct json_object *e)
{
	struct json_object *cls = NULL, *desc = NULL;
	const char *c = "", *d = "";

	if (json_object_is_type(e, json_type_object)) {
		if (json_object_object_get_ex(e, "class", &cls) &&
		    json_object_is_type(cls, json_type_string))
			c = json_object_get_string(cls);
		if (json_object_object_get_ex(e, "desc", &desc) &&
		    json_object_is_type(desc, json_type_string))
			d = json_object_get_string(desc);
	}
	if (q)
		set_err(q, "%s", d);
	return apf_qmp_error_code(c, d);
}

int apf_qmp_execute(struct apf_qmp *q, const char *command,
		    struct json_object *args, struct json_object **ret)
{
	struct json_object *req, *reply = NULL, *v, *id;
	const char *s;
	int64_t deadline;
	unsigned long my_id;
	int r;

	if (ret)
		*ret = NULL;
	if (q->broken) {
		set_err(q, "QMP connection out of step after an earlier error");
		json_object_put(args);
		return -EPIPE;
	}
	req = json_object_new_object();
	if (!req) {
		json_object_put(args);
		return -ENOMEM;
	}
	my_id = ++q->next_id;
	if (json_object_object_add(req, "execute",
				   json_object_new_string(command)) ||
	    (args && json_object_object_add(req, "arguments", args)) ||
	    json_object_object_add(req, "id", json_object_new_uint64(my_id))) {
		if (args && !json_object_object_get_ex(req, "arguments", NULL))
			json_object_put(args);
		json_object_put(req);
		return -ENOMEM;
	}
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	deadline = apf_now_ms() + q->timeout_ms;
	if (q->until && q->until < deadline)
		deadline = q->until;
	r = s ? send_all(q, s, strlen(s), deadline) : -ENOMEM;
	if (!r)
		r = send_all(q, "\n", 1, deadline);
	json_object_put(req);
	if (r)
		goto out;

	for (;;) {
		char *line;

		r = read_line(q, deadline, &line);
		if (!r && !line)
			r = -EIO;
		if (r)
			goto out;
		reply = parse_json(line, strlen(line));
		free(line);
		if (!reply || !json_object_is_type(reply, json_type_object)) {
			set_err(q, "malformed QMP reply");
			r = -EPROTO;
			goto out;
		}
		/* Asynchronous events arrive at any time: skip them. */
		if (json_object_object_get_ex(reply, "event", NULL)) {
			json_object_put(reply);
			reply = NULL;
			continue;
		}
		/* A reply carrying another id belongs to nobody we wait for. */
		if (json_object_object_get_ex(reply, "id", &id) &&
		    (!json_object_is_type(id, json_type_int) ||
		     json_object_get_uint64(id) != my_id)) {
			json_object_put(reply);
			reply = NULL;
			continue;
		}
		break;
	}
	if (json_object_object_get_ex(reply, "return", &v)) {
		if (ret)
			*ret = json_object_get(v);
		r = 0;
	} else if (json_object_object_get_ex(reply, "error", &v)) {
		r = map_error(q, v);
	} else {
		set_err(q, "QMP reply without return or error");
		r = -EPROTO;
	}
out:
	/* A timeout or I/O error leaves a reply in flight: refuse further
	 * commands rather than read it as the answer to the next one. */
	if (r == -ETIMEDOUT || r == -EMSGSIZE || r == -ECONNRESET ||
	    r == -EPIPE || r == -ENOMEM)
		q->broken = true;
	if (r == -ETIMEDOUT)
		set_err(q, "QMP reply timed out");
	json_object_put(reply);
	return r;
}

int apf_qmp_exec(void *q, const char *command, struct json_object *args,
		 struct json_object **ret)
{
	return apf_qmp_execute(q, command, args, ret);
}

const char *apf_qmp_last_error(const struct apf_qmp *q)
{
	return q ? q->err : "";
}

void apf_qmp_set_deadline(struct apf_qmp *q, int64_t deadline)
{
	q->until = deadline;
}

struct apf_qmp *apf_qmp_open(const char *path, int timeout_ms, int *err)
{
	return apf_qmp_open_until(path, timeout_ms, 0, err);
}

/* The greeting and qmp_capabilities on q's connected fd, by deadline. */
static int handshake(struct apf_qmp *q, int64_t deadline)
{
	struct json_object *greeting;
	char *line = NULL;
	int r;

	/* QEMU greets first; a monitor busy with another client (libvirt)
	 * accepts the connection but stays silent until the deadline. */
	r = read_line(q, deadline, &line);
	if (!r && !line)
		r = -EIO;
	if (r)
		return r;
	greeting = parse_json(line, strlen(line));
	free(line);
	if (!greeting || !json_object_object_get_ex(greeting, "QMP", NULL)) {
		json_object_put(greeting);
		return -EPROTO;
	}
	json_object_put(greeting);
	q->until = deadline;
	r = apf_qmp_execute(q, "qmp_capabilities", NULL, NULL);
	q->until = 0;
	return r == -ENOTSUP || r == -EIO ? -EPROTO : r;
}

static struct apf_qmp *qmp_new(int timeout_ms, int *err)
{
	struct apf_qmp *q = calloc(1, sizeof(*q));

	if (!q) {
		*err = -ENOMEM;
		return NULL;
	}
	q->fd = -1;
	q->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
	return q;
}

struct apf_qmp *apf_qmp_open_until(const char *path, int timeout_ms,
				   int64_t until, int *err)
{
	struct apf_qmp *q = qmp_new(timeout_ms, err);
	int64_t deadline;
	int r;

	if (!q)
		return NULL;
	/* Connecting, the greeting and qmp_capabilities: one deadline. */
	deadline = apf_now_ms() + q->timeout_ms;
	if (until && until < deadline)
		deadline = until;
	r = connect_unix(path, deadline, &q->fd);
	if (!r)
		r = handshake(q, deadline);
	if (r) {
		apf_qmp_close(q);
		*err = r;
		return NULL;
	}
	*err = 0;
	return q;
}

struct apf_qmp *apf_qmp_open_fd(int fd, int timeout_ms, int *err)
{
	struct apf_qmp *q = qmp_new(timeout_ms, err);
	int r;

	if (!q) {
		close(fd);
		return NULL;
	}
	q->fd = fd;
	r = handshake(q, apf_now_ms() + q->timeout_ms);
	if (r) {
		apf_qmp_close(q);
		*err = r;
		return NULL;
	}
	*err = 0;
	return q;
}

void apf_qmp_close(struct apf_qmp *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	free(q->buf);
	free(q);
}

void apf_qmp_vcpu_stats_free(struct apf_qmp_vcpu_stats *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		apf_counters_free(&v[i].counters);
	free(v);
}

/* One element's "stats": [{"name":..,"value":..}, ...] into c. */
static int parse_stat_list(struct json_object *stats, bool all,
			   struct apf_counters *c)
{
	size_t i, n;

	if (!json_object_is_type(stats, json_type_array))
		return -EPROTO;
	n = json_object_array_length(stats);
	for (i = 0; i < n; i++) {
		struct json_object *st = json_object_array_get_idx(stats, i);
		struct json_object *name, *value;
		const char *nm;
		int r;

		if (!json_object_is_type(st, json_type_object) ||
		    !json_object_object_get_ex(st, "name", &name) ||
		    !json_object_is_type(name, json_type_string) ||
		    !json_object_object_get_ex(st, "value", &value))
			return -EPROTO;
		/* Counters are unsigned integers; booleans (guest_mode,
		 * blocking) and log2 histograms are states, not counts. */
		if (!json_object_is_type(value, json_type_int) ||
		    json_object_get_int64(value) < 0)
			continue;
		nm = json_object_get_string(name);
		if (!apf_counter_is_shown(nm, all) ||
		    strlen(nm) >= APF_COUNTER_NAME_MAX ||
		    strlen(nm) != (size_t)json_object_get_string_len(name))
			continue;
		/* Linear lookups in apf_counters: cap the work a hostile
		 * reply can cause. */
		if (c->n >= APF_QMP_MAX_STATS &&
		    !apf_counters_find(c, nm))
			continue;
		r = apf_counters_set(c, nm, json_object_get_uint64(value));
		if (r)
			return r;
	}
	return 0;
}

static int map_index(const struct cpu_map *m, const char *path, int dflt)
{
	size_t i;

	for (i = 0; m && path && i < m->n; i++)
		if (!strcmp(m->path[i], path))
			return m->index[i];
	return dflt;
}

static int parse_stats(const char *json, bool all, struct apf_counters *vm,
		       struct apf_qmp_vcpu_stats **vcpus, size_t *nvcpus,
		       const struct cpu_map *map)
{
	struct json_object *root, *list;
	size_t i, n;
	int r = 0;

	if (!json)
		return -EINVAL;
	root = parse_json(json, strlen(json));
	if (!root)
		return -EPROTO;
	list = root;
	if (json_object_is_type(root, json_type_object)) {
		struct json_object *e;

		if (json_object_object_get_ex(root, "error", &e)) {
			r = map_error(NULL, e);
			goto out;
		}
		if (!json_object_object_get_ex(root, "return", &list)) {
			r = -EPROTO;
			goto out;
		}
	}
	if (!json_object_is_type(list, json_type_array)) {
		r = -EPROTO;
		goto out;
	}
	n = json_object_array_length(list);
	for (i = 0; i < n; i++) {
		struct json_object *el = json_object_array_get_idx(list, i);
		struct json_object *prov, *stats, *qom;
		struct apf_qmp_vcpu_stats *v;
		const char *qpath = NULL;

		if (!json_object_is_type(el, json_type_object) ||
		    !json_object_object_get_ex(el, "stats", &stats)) {
			r = -EPROTO;
			goto out;
		}
		/* Only KVM's binary stats; other providers may join later. */
		if (json_object_object_get_ex(el, "provider", &prov) &&
		    (!json_object_is_type(prov, json_type_string) ||
		     strcmp(json_object_get_string(prov), "kvm")))
			continue;
		/* Target vcpu elements name their CPU object; vm ones don't. */
		if (!json_object_object_get_ex(el, "qom-path", &qom)) {
			r = parse_stat_list(stats, all, vm);
			if (r)
				goto out;
			continue;
		}
		if (json_object_is_type(qom, json_type_string))
			qpath = json_object_get_string(qom);
		if (*nvcpus >= APF_QMP_MAX_VCPUS) {
			r = -E2BIG;
			goto out;
		}
		v = realloc(*vcpus, (*nvcpus + 1) * sizeof(*v));
		if (!v) {
			r = -ENOMEM;
			goto out;
		}
		*vcpus = v;
		v = &v[*nvcpus];
		memset(v, 0, sizeof(*v));
		v->index = map_index(map, qpath, (int)*nvcpus);
		(*nvcpus)++;
		r = parse_stat_list(stats, all, &v->counters);
		if (r)
			goto out;
	}
out:
	json_object_put(root);
	return r;
}

int apf_qmp_parse_stats(const char *json, bool all, struct apf_counters *vm,
			struct apf_qmp_vcpu_stats **vcpus, size_t *nvcpus)
{
	return parse_stats(json, all, vm, vcpus, nvcpus, NULL);
}

static void cpu_map_free(struct cpu_map *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->path[i]);
	free(m->path);
	free(m->index);
	memset(m, 0, sizeof(*m));
}

/* query-cpus-fast gives each vCPU's cpu-index and qom-path.  query-stats
 * lists vCPUs in no particular order (device[2] before device[0] seen with
 * QEMU 10.0), so this is what turns reply order into vCPU numbers.
 * Best effort: on any failure the map stays empty. */
static void cpu_map_load(apf_qmp_exec_fn *exec, void *ctx, struct cpu_map *m)
{
	struct json_object *ret;
	size_t i, n;

	memset(m, 0, sizeof(*m));
	if (exec(ctx, "query-cpus-fast", NULL, &ret))
		return;
	if (!json_object_is_type(ret, json_type_array))
		goto out;
	n = json_object_array_length(ret);
	if (n > APF_QMP_MAX_VCPUS)
		goto out;
	m->path = calloc(n ? n : 1, sizeof(*m->path));
	m->index = calloc(n ? n : 1, sizeof(*m->index));
	if (!m->path || !m->index)
		goto fail;
	for (i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(ret, i);
		struct json_object *p, *idx;

		if (!json_object_object_get_ex(c, "qom-path", &p) ||
		    !json_object_is_type(p, json_type_string) ||
		    !json_object_object_get_ex(c, "cpu-index", &idx) ||
		    !json_object_is_type(idx, json_type_int) ||
		    json_object_get_int64(idx) < 0 ||
		    json_object_get_int64(idx) > INT32_MAX)
			goto fail;
		m->path[i] = strdup(json_object_get_string(p));
		if (!m->path[i])
			goto fail;
		m->index[i] = (int)json_object_get_int64(idx);
		m->n = i + 1;
	}
	goto out;
fail:
	cpu_map_free(m);
out:
	json_object_put(ret);
}

static int cmp_vcpu(const void *a, const void *b)
{
	const struct apf_qmp_vcpu_stats *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

static struct json_object *string_array(const char *const *v)
{
	struct json_object *a = json_object_new_array();

	for (; a && *v; v++)
		if (json_object_array_add(a, json_object_new_string(*v))) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

/* A command's return value as the text {"return": ...}, so that it goes
 * through the one parser the fuzzer exercises.  *wrap owns ret afterwards
 * (put it once done, also when NULL comes back: no memory). */
static const char *rewrap_return(struct json_object *ret, struct json_object **wrap)
{
	*wrap = json_object_new_object();
	if (!*wrap || json_object_object_add(*wrap, "return", ret)) {
		json_object_put(*wrap);
		*wrap = NULL;
		json_object_put(ret);
		return NULL;
	}
	return json_object_to_json_string_ext(*wrap, JSON_C_TO_STRING_PLAIN);
}

/* query-stats of provider kvm for target, of the given names only
 * (NULL-terminated) or all of them (names NULL). */
static int query_stats_target(apf_qmp_exec_fn *exec, void *ctx,
			      const char *target, const char *const *names,
			      bool all, struct apf_counters *vm,
			      struct apf_qmp_vcpu_stats **vcpus,
			      size_t *nvcpus, const struct cpu_map *map)
{
	struct json_object *args, *provs, *prov, *list = NULL, *ret, *wrap;
	const char *s;
	int r;

	args = json_object_new_object();
	provs = json_object_new_array();
	prov = json_object_new_object();
	if (names)
		list = string_array(names);
	if (!args || !provs || !prov || (names && !list) ||
	    json_object_object_add(prov, "provider",
				   json_object_new_string("kvm")) ||
	    (list && json_object_object_add(prov, "names", list)) ||
	    json_object_array_add(provs, prov)) {
		if (!list || !json_object_object_get_ex(prov, "names", NULL))
			json_object_put(list);
		json_object_put(prov);
		json_object_put(provs);
		json_object_put(args);
		return -ENOMEM;
	}
	if (json_object_object_add(args, "target",
				   json_object_new_string(target)) ||
	    json_object_object_add(args, "providers", provs)) {
		json_object_put(provs);
		json_object_put(args);
		return -ENOMEM;
	}
	r = exec(ctx, "query-stats", args, &ret);
	if (r)
		return r;
	s = rewrap_return(ret, &wrap);
	r = s ? parse_stats(s, all, vm, vcpus, nvcpus, map) : -ENOMEM;
	json_object_put(wrap);
	return r;
}

int apf_qmp_query_stats(struct apf_qmp *q, bool all,
			struct apf_counters *vm,
			struct apf_qmp_vcpu_stats **vcpus, size_t *nvcpus)
{
	struct cpu_map map;
	int r;

	*vcpus = NULL;
	*nvcpus = 0;
	r = query_stats_target(apf_qmp_exec, q, "vm", NULL, all, vm, vcpus,
			       nvcpus, NULL);
	if (r)
		goto fail;
	cpu_map_load(apf_qmp_exec, q, &map);
	r = query_stats_target(apf_qmp_exec, q, "vcpu", NULL, all, vm, vcpus,
			       nvcpus, &map);
	cpu_map_free(&map);
	if (r)
		goto fail;
	if (*nvcpus > 1)
		qsort(*vcpus, *nvcpus, sizeof(**vcpus), cmp_vcpu);
	return 0;
fail:
	apf_qmp_vcpu_stats_free(*vcpus, *nvcpus);
	*vcpus = NULL;
	*nvcpus = 0;
	apf_counters_free(vm);
	return r;
}

/* qom-get (value < 0) or qom-set of a boolean property through exec. */
static int qom_bool(apf_qmp_exec_fn *exec, void *ctx, const char *path,
		    const char *prop, int value, struct json_object **ret)
{
	struct json_object *args = json_object_new_object();

	if (!args ||
	    json_object_object_add(args, "path", json_object_new_string(path)) ||
	    json_object_object_add(args, "property",
				   json_object_new_string(prop)) ||
	    (value >= 0 &&
	     json_object_object_add(args, "value",
				    json_object_new_boolean(value)))) {
		json_object_put(args);
		return -ENOMEM;
	}
	return exec(ctx, value < 0 ? "qom-get" : "qom-set", args, ret);
}

int apf_qmp_qom_get_bool(struct apf_qmp *q, const char *path,
			 const char *prop, bool *value)
{
	struct json_object *ret;
	int r = qom_bool(apf_qmp_exec, q, path, prop, -1, &ret);

	if (r)
		return r;
	if (json_object_is_type(ret, json_type_boolean)) {
		*value = json_object_get_boolean(ret);
	} else {
		set_err(q, "qom-get %s: not a boolean", prop);
		r = -EPROTO;
	}
	json_object_put(ret);
	return r;
}

int apf_qmp_qom_set_bool(struct apf_qmp *q, const char *path,
			 const char *prop, bool value)
{
	return qom_bool(apf_qmp_exec, q, path, prop, value, NULL);
}

/* ------------------------------------------------------ the async-pf switch */

/* query-async-pf's AsyncPfVcpuStats members and KVM's names for them. */
static const char *const async_pf_members[][2] = {
	{ "queued", "async_pf_queued" },
	{ "not-present", "async_pf_not_present" },
	{ "halted", "async_pf_halted" },
	{ "ready", "async_pf_ready" },
	{ "completed", "async_pf_completed" },
	{ "sync", "async_pf_sync" },
};
#define N_ASYNC_PF_MEMBERS (sizeof(async_pf_members) / sizeof(async_pf_members[0]))

const char *apf_qmp_iface_name(enum apf_qmp_iface iface, bool set)
{
	if (iface == APF_QMP_IFACE_QAPI)
		return set ? "QMP set-async-pf" : "QMP query-async-pf";
	return set ? "QMP qom-set " APF_QMP_ACCEL_PATH " " APF_QMP_ASYNC_PF_PROP :
		     "QMP qom-get " APF_QMP_ACCEL_PATH " " APF_QMP_ASYNC_PF_PROP;
}

void apf_qmp_async_pf_free(struct apf_qmp_async_pf *info)
{
	apf_qmp_vcpu_stats_free(info->vcpus, info->nvcpus);
	info->vcpus = NULL;
	info->nvcpus = 0;
}

static bool get_bool(struct json_object *o, const char *key, bool *v)
{
	struct json_object *m;

	if (!json_object_object_get_ex(o, key, &m) ||
	    !json_object_is_type(m, json_type_boolean))
		return false;
	*v = json_object_get_boolean(m);
	return true;
}

/* One AsyncPfVcpuStats: its cpu-index and the members it has. */
static int parse_async_pf_vcpu(struct json_object *o,
			       struct apf_qmp_vcpu_stats *v)
{
	struct json_object *m;
	size_t i;
	int r;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "cpu-index", &m) ||
	    !json_object_is_type(m, json_type_int) ||
	    json_object_get_int64(m) < 0 ||
	    json_object_get_int64(m) > INT32_MAX)
		return -EPROTO;
	v->index = (int)json_object_get_int64(m);
	for (i = 0; i < N_ASYNC_PF_MEMBERS; i++) {
		if (!json_object_object_get_ex(o, async_pf_members[i][0], &m))
			continue;	/* the host kernel lacks it */
		/* uint64 in the schema: anything else breaks it. */
		if (!json_object_is_type(m, json_type_int) ||
		    json_object_get_int64(m) < 0)
			return -EPROTO;
		r = apf_counters_append(&v->counters, async_pf_members[i][1],
					json_object_get_uint64(m),
					apf_counter_rank(async_pf_members[i][1]));
		if (r)
			return r;
	}
	return 0;
}

static int parse_async_pf(struct json_object *root, bool stats,
			  struct apf_qmp_async_pf *info)
{
	struct json_object *o = root, *list, *e;
	size_t i, n;
	bool b;

	if (json_object_is_type(root, json_type_object) &&
	    json_object_object_get_ex(root, "error", &e)) {
		struct json_object *c = NULL, *d = NULL;

		if (json_object_is_type(e, json_type_object)) {
			json_object_object_get_ex(e, "class", &c);
			json_object_object_get_ex(e, "desc", &d);
		}
		return apf_qmp_error_code(
			json_object_is_type(c, json_type_string) ?
			json_object_get_string(c) : NULL,
			json_object_is_type(d, json_type_string) ?
			json_object_get_string(d) : NULL);
	}
	if (json_object_is_type(root, json_type_object) &&
	    json_object_object_get_ex(root, "return", &e))
		o = e;
	if (!json_object_is_type(o, json_type_object) ||
	    !get_bool(o, "enabled", &info->enabled) ||
	    !get_bool(o, "switchable", &b) ||
	    !json_object_object_get_ex(o, "vcpus", &list) ||
	    !json_object_is_type(list, json_type_array))
		return -EPROTO;
	info->switchable = b;
	info->iface = APF_QMP_IFACE_QAPI;
	n = json_object_array_length(list);
	if (n > APF_QMP_MAX_VCPUS)
		return -E2BIG;
	if (!stats || !n)
		return 0;
	info->vcpus = calloc(n, sizeof(*info->vcpus));
	if (!info->vcpus)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		int r;

		info->nvcpus = i + 1;
		r = parse_async_pf_vcpu(json_object_array_get_idx(list, i),
					&info->vcpus[i]);
		if (r)
			return r;
	}
	if (n > 1)
		qsort(info->vcpus, n, sizeof(*info->vcpus), cmp_vcpu);
	return 0;
}

int apf_qmp_parse_async_pf(const char *json, bool stats,
			   struct apf_qmp_async_pf *info)
{
	struct json_object *root;
	int r;

	memset(info, 0, sizeof(*info));
	info->switchable = -1;
	if (!json)
		return -EINVAL;
	root = parse_json(json, strlen(json));
	if (!root)
		return -EPROTO;
	r = parse_async_pf(root, stats, info);
	json_object_put(root);
	if (r)
		apf_qmp_async_pf_free(info);
	return r;
}

/* The async_pf_* statistics of each vCPU through query-stats (QEMU >= 7.1),
 * for a QEMU without query-async-pf. */
static int async_pf_stats_fallback(apf_qmp_exec_fn *exec, void *ctx,
				   struct apf_qmp_async_pf *info)
{
	const char *names[N_ASYNC_PF_MEMBERS + 1];
	struct apf_counters vm = { 0 };
	struct cpu_map map;
	size_t i;
	int r;

	for (i = 0; i < N_ASYNC_PF_MEMBERS; i++)
		names[i] = async_pf_members[i][1];
	names[i] = NULL;
	cpu_map_load(exec, ctx, &map);
	r = query_stats_target(exec, ctx, "vcpu", names, false, &vm,
			       &info->vcpus, &info->nvcpus, &map);
	cpu_map_free(&map);
	apf_counters_free(&vm);
	if (!r && info->nvcpus > 1)
		qsort(info->vcpus, info->nvcpus, sizeof(*info->vcpus), cmp_vcpu);
	return r;
}

int apf_qmp_async_pf_get(apf_qmp_exec_fn *exec, void *ctx, bool stats,
			 struct apf_qmp_async_pf *info)
{
	struct json_object *ret, *wrap;
	const char *s;
	int r;

	memset(info, 0, sizeof(*info));
	info->switchable = -1;
	r = exec(ctx, "query-async-pf", NULL, &ret);
	if (!r) {
		s = rewrap_return(ret, &wrap);
		r = s ? apf_qmp_parse_async_pf(s, stats, info) : -ENOMEM;
		json_object_put(wrap);
		return r;
	}
	if (r != -ENOTSUP)
		return r;
	/* An older QEMU: the property, and query-stats for the counters. */
	info->iface = APF_QMP_IFACE_QOM;
	r = qom_bool(exec, ctx, APF_QMP_ACCEL_PATH, APF_QMP_ASYNC_PF_PROP, -1,
		     &ret);
	if (r)
		return r;
	if (!json_object_is_type(ret, json_type_boolean)) {
		json_object_put(ret);
		return -EPROTO;
	}
	info->enabled = json_object_get_boolean(ret);
	json_object_put(ret);
	if (stats) {
		r = async_pf_stats_fallback(exec, ctx, info);
		if (r)
			apf_qmp_async_pf_free(info);
	}
	return r;
}

int apf_qmp_async_pf_set(apf_qmp_exec_fn *exec, void *ctx, bool enabled,
			 enum apf_qmp_iface *iface)
{
	struct json_object *args;
	int r;

	if (*iface == APF_QMP_IFACE_QAPI) {
		args = json_object_new_object();
		if (!args || json_object_object_add(args, "enabled",
				json_object_new_boolean(enabled))) {
			json_object_put(args);
			return -ENOMEM;
		}
		r = exec(ctx, "set-async-pf", args, NULL);
		if (r != -ENOTSUP)
			return r;
		*iface = APF_QMP_IFACE_QOM;
	}
	return qom_bool(exec, ctx, APF_QMP_ACCEL_PATH, APF_QMP_ASYNC_PF_PROP,
			enabled, NULL);
}
