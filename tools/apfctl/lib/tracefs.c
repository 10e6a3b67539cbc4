// SPDX-License-Identifier: GPL-2.0-only
/* Discovery of KVM's async-PF tracepoints and a strict parser for ftrace
 * "format" files.  The parser is fuzzed: it reads its input through bounded
 * spans, never writes past the fixed-size fields of struct apf_tracepoint,
 * and answers -EINVAL for anything that is not a well-formed format file. */
#include "tracefs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "sysroot.h"

/* A trace record is at most a page of ring buffer, and perf carries raw
 * data in a record whose size is a u16: no real field lies beyond 64 KiB. */
#define APF_TP_RAW_MAX 65536u
#define APF_TP_FORMAT_MAX ((size_t)256 * 1024)

/* A span of the input text: never NUL-terminated in place. */
struct span {
	const char *p;
	size_t n;
};

static struct span span_trim(struct span s)
{
	while (s.n && (s.p[0] == ' ' || s.p[0] == '\t'))
		s.p++, s.n--;
	while (s.n && isspace((unsigned char)s.p[s.n - 1]))
		s.n--;
	return s;
}

static int span_eat(struct span *s, const char *prefix)
{
	size_t k = strlen(prefix);

	if (s->n < k || memcmp(s->p, prefix, k))
		return 0;
	s->p += k;
	s->n -= k;
	return 1;
}

static int is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static int span_is_ident(struct span s)
{
	size_t i;

	if (!s.n || isdigit((unsigned char)s.p[0]))
		return 0;
	for (i = 0; i < s.n; i++)
		if (!is_ident_char(s.p[i]))
			return 0;
	return 1;
}

/* Decimal through apf_parse_u64 on a bounded copy (u64 has 20 digits). */
static int span_u64(struct span s, uint64_t *out)
{
	char buf[32];

	s = span_trim(s);
	if (!s.n || s.n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s.p, s.n);
	buf[s.n] = '\0';
	return apf_parse_u64(buf, out) ? -EINVAL : 0;
}

/* "field:TYPE NAME[N];\toffset:O;\tsize:S;\tsigned:B;" (s starts after
 * "field:").  Fields whose names do not fit, or past the table's end, are
 * valid but not kept: *keep says whether f was filled. */
static int parse_field(struct span s, struct apf_tp_field *f, int *keep)
{
	struct span seg, decl, name;
	bool have_off = false, have_size = false, have_signed = false;
	uint64_t off = 0, size = 0, sgn = 0;
	const char *semi;
	size_t i;

	*keep = 0;
	/* Declaration up to the first ';'. */
	semi = memchr(s.p, ';', s.n);
	if (!semi)
		return -EINVAL;
	decl = span_trim((struct span){ s.p, (size_t)(semi - s.p) });
	s.n -= (size_t)(semi - s.p) + 1;
	s.p = semi + 1;

	/* The name is the last word; an array suffix "[N]" is dropped. */
	for (i = decl.n; i > 0 && decl.p[i - 1] != ' ' && decl.p[i - 1] != '\t'; i--)
		;
	if (i == 0)		/* a type is required before the name */
		return -EINVAL;
	name = (struct span){ decl.p + i, decl.n - i };
	{
		const char *br = memchr(name.p, '[', name.n);

		if (br) {
			if (name.p[name.n - 1] != ']')
				return -EINVAL;
			name.n = (size_t)(br - name.p);
		}
	}
	if (!span_is_ident(name))
		return -EINVAL;

	/* Then "key:value;" attributes, each at most once. */
	while (s.n) {
		struct span key;
		const char *colon;

		semi = memchr(s.p, ';', s.n);
		if (!semi) {
			/* Only whitespace may follow the last ';'. */
			if (span_trim(s).n)
				return -EINVAL;
			break;
		}
		seg = span_trim((struct span){ s.p, (size_t)(semi - s.p) });
		s.n -= (size_t)(semi - s.p) + 1;
		s.p = semi + 1;
		colon = memchr(seg.p, ':', seg.n);
		if (!colon)
			return -EINVAL;
		key = (struct span){ seg.p, (size_t)(colon - seg.p) };
		seg = (struct span){ colon + 1, seg.n - (size_t)(colon - seg.p) - 1 };
		if (key.n == 6 && !memcmp(key.p, "offset", 6)) {
			if (have_off || span_u64(seg, &off))
				return -EINVAL;
			have_off = true;
		} else if (key.n == 4 && !memcmp(key.p, "size", 4)) {
			if (have_size || span_u64(seg, &size))
				return -EINVAL;
			have_size = true;
		} else if (key.n == 6 && !memcmp(key.p, "signed", 6)) {
			if (have_signed || span_u64(seg, &sgn) || sgn > 1)
				return -EINVAL;
			have_signed = true;
		} else if (!span_is_ident(key)) {
			return -EINVAL;
		}
		/* Other well-formed keys: ignored, for kernels that add some. */
	}
	if (!have_off || !have_size)
		return -EINVAL;
	/* Bounded before adding, so the sum cannot wrap. */
	if (off > APF_TP_RAW_MAX || size > APF_TP_RAW_MAX ||
	    off + size > APF_TP_RAW_MAX)
		return -EINVAL;

	if (name.n >= sizeof(f->name))
		return 0;
	memcpy(f->name, name.p, name.n);
	f->name[name.n] = '\0';
	f->offset = (unsigned int)off;
	f->size = (unsigned int)size;
	f->is_signed = sgn == 1;
	*keep = 1;
	return 0;
}

static bool is_common(const struct apf_tp_field *f)
{
	return !strncmp(f->name, "common_", 7);
}

/* The table holds 8 fields.  When an event has more, the common_* header
 * fields go first: perf reports pid and type by itself, and the event's own
 * fields (sched_switch's next_pid is its 9th) are what callers look up. */
static void keep_fields(struct apf_tracepoint *tp, const struct apf_tp_field *all,
			size_t n)
{
	const size_t max = sizeof(tp->fields) / sizeof(*tp->fields);
	bool drop_common = n > max;
	size_t i;

	tp->nfields = 0;
	for (i = 0; i < n && tp->nfields < max; i++)
		if (!drop_common || !is_common(&all[i]))
			tp->fields[tp->nfields++] = all[i];
}

int apf_tp_parse_format(const char *text, struct apf_tracepoint *tp)
{
	struct apf_tracepoint out;
	struct apf_tp_field all[64];
	bool have_name = false, have_id = false, in_format = false;
	size_t nseen = 0, nall = 0;
	const char *p;

	if (!text || !tp)
		return -EINVAL;
	memset(&out, 0, sizeof(out));
	for (p = text; *p;) {
		const char *eol = strchr(p, '\n');
		struct span line = { p, eol ? (size_t)(eol - p) : strlen(p) };

		p = eol ? eol + 1 : line.p + line.n;
		line = span_trim(line);
		if (!line.n)
			continue;
		if (span_eat(&line, "print fmt:")) {
			break;	/* C expression text: nothing we need */
		} else if (span_eat(&line, "name:")) {
			line = span_trim(line);
			if (have_name || in_format || !span_is_ident(line) ||
			    line.n >= sizeof(out.name))
				return -EINVAL;
			memcpy(out.name, line.p, line.n);
			out.name[line.n] = '\0';
			have_name = true;
		} else if (span_eat(&line, "ID:")) {
			if (have_id || in_format || span_u64(line, &out.id))
				return -EINVAL;
			have_id = true;
		} else if (span_eat(&line, "format:")) {
			if (in_format || span_trim(line).n)
				return -EINVAL;
			in_format = true;
		} else if (in_format && span_eat(&line, "field:")) {
			struct apf_tp_field f;
			int keep, err;

			memset(&f, 0, sizeof(f));
			err = parse_field(line, &f, &keep);
			if (err)
				return err;
			nseen++;
			if (keep && nall < sizeof(all) / sizeof(*all))
				all[nall++] = f;
		} else {
			return -EINVAL;
		}
	}
	if (!have_name || !in_format || !nseen)
		return -EINVAL;
	keep_fields(&out, all, nall);
	out.id_readable = have_id;
	*tp = out;
	return 0;
}

const struct apf_tp_field *apf_tp_field(const struct apf_tracepoint *tp,
					const char *name)
{
	size_t i;

	if (!tp || !name)
		return NULL;
	for (i = 0; i < tp->nfields && i < sizeof(tp->fields) / sizeof(*tp->fields); i++)
		if (!strcmp(tp->fields[i].name, name))
			return &tp->fields[i];
	return NULL;
}

const struct apf_tracepoint *apf_tracefs_find(const struct apf_tracefs *t,
					      const char *name)
{
	size_t i;

	if (!t || !name)
		return NULL;
	for (i = 0; i < t->ntp && i < APF_TP_MAX; i++)
		if (!strcmp(t->tp[i].name, name))
			return &t->tp[i];
	return NULL;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Read the id and format of one event directory into tp (name set). */
static void load_event(const char *kvmdir, struct apf_tracepoint *tp)
{
	char path[APF_PATH_MAX], buf[64];
	struct apf_tracepoint parsed;
	char *text = NULL;
	int n;

	n = snprintf(path, sizeof(path), "%s/%s/id", kvmdir, tp->name);
	if (n > 0 && (size_t)n < sizeof(path) &&
	    apf_read_file(path, buf, sizeof(buf)) >= 0 &&
	    !apf_parse_u64(buf, &tp->id) && tp->id)
		tp->id_readable = true;
	else
		tp->id = 0;

	n = snprintf(path, sizeof(path), "%s/%s/format", kvmdir, tp->name);
	if (n <= 0 || (size_t)n >= sizeof(path) ||
	    apf_slurp(path, APF_TP_FORMAT_MAX, &text) < 0)
		return;
	if (!apf_tp_parse_format(text, &parsed)) {
		memcpy(tp->fields, parsed.fields, sizeof(tp->fields));
		tp->nfields = parsed.nfields;
		/* The format file repeats the id: use it if "id" was not readable. */
		if (!tp->id_readable && parsed.id_readable && parsed.id) {
			tp->id = parsed.id;
			tp->id_readable = true;
		}
	}
	free(text);
}

int apf_tracefs_discover(struct apf_tracefs *t)
{
	static const char *const roots[] = {
		"/sys/kernel/tracing",
		"/sys/kernel/debug/tracing",
	};
	/* More matches than APF_TP_MAX are cut after sorting, so the set kept
	 * does not depend on directory order. */
	char names[64][sizeof(t->tp[0].name)];
	char kvmdir[APF_PATH_MAX], path[APF_PATH_MAX];
	size_t nnames = 0, i;
	int err = -ENOENT;
	struct dirent *de;
	DIR *d;

	if (!t)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	for (i = 0; i < sizeof(roots) / sizeof(*roots); i++) {
		int n;

		if (apf_path(t->dir, sizeof(t->dir), "%s", roots[i]))
			continue;
		n = snprintf(path, sizeof(path), "%s/events", t->dir);
		if (n <= 0 || (size_t)n >= sizeof(path))
			continue;
		/* An unmounted tracefs leaves an empty directory: look for
		 * events/, and remember a refusal (tracefs is 0700 root). */
		d = opendir(path);
		if (d) {
			closedir(d);
			t->found = true;
			break;
		}
		if (errno == EACCES || errno == EPERM)
			err = -errno;
	}
	if (!t->found) {
		t->dir[0] = '\0';
		return err;
	}

	if (snprintf(kvmdir, sizeof(kvmdir), "%s/events/kvm", t->dir) >=
	    (int)sizeof(kvmdir))
		return -ENAMETOOLONG;
	d = opendir(kvmdir);
	if (!d)		/* no kvm module: found, with no tracepoints */
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) && nnames < sizeof(names) / sizeof(*names)) {
		size_t len = strlen(de->d_name);

		if (!strstr(de->d_name, "async_pf") && !strstr(de->d_name, "try_async"))
			continue;
		if (len >= sizeof(names[0]))
			continue;
		memcpy(names[nnames++], de->d_name, len + 1);
	}
	closedir(d);
	qsort(names, nnames, sizeof(names[0]), name_cmp);

	for (i = 0; i < nnames && t->ntp < APF_TP_MAX; i++) {
		struct apf_tracepoint *tp = &t->tp[t->ntp];
		int n = snprintf(path, sizeof(path), "%s/%s", kvmdir, names[i]);

		if (n <= 0 || (size_t)n >= sizeof(path) || !apf_is_dir(path))
			continue;
		memset(tp, 0, sizeof(*tp));
		memcpy(tp->name, names[i], sizeof(tp->name));
		load_event(kvmdir, tp);
		t->ntp++;
	}
	return 0;
}
