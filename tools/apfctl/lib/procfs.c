// SPDX-License-Identifier: GPL-2.0-only
#include "procfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounded.h"
#include "fileio.h"
#include "sysroot.h"

#define CMDLINE_LIMIT (1u << 20)	/* QEMU argv can be long; not this long */
#define INTERRUPTS_LIMIT (4u << 20)	/* hundreds of CPUs x hundreds of rows */

int apf_split_argv(const char *buf, size_t len, char ***argv, int *argc)
{
	size_t i, n = 0;
	char **v, *strs;

	*argv = NULL;
	*argc = 0;
	for (i = 0; i < len; i++)
		if (buf[i] == '\0')
			n++;
	if (len && buf[len - 1] != '\0')
		n++;	/* last argument not terminated (truncated read) */
	/* One block: pointers, then a terminated copy of the strings. */
	v = malloc((n + 1) * sizeof(*v) + len + 1);
	if (!v)
		return -ENOMEM;
	strs = (char *)(v + n + 1);
	if (len)
		memcpy(strs, buf, len);
	strs[len] = '\0';
	for (i = 0; i < n; i++) {
		v[i] = strs;
		strs += strlen(strs) + 1;
	}
	v[n] = NULL;
	*argv = v;
	*argc = (int)n;
	return 0;
}

ssize_t (*apf_proc_argv_reader)(const char *path, size_t limit, char **out) = apf_slurp;

int apf_proc_argv(pid_t pid, char ***argv, int *argc)
{
	char path[APF_PATH_MAX], *buf;
	ssize_t n;
	int err;

	*argv = NULL;
	*argc = 0;
	err = apf_path(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (err)
		return err;
	/* Reading another process's argv takes its mmap_lock: one stuck
	 * holding it must not hang apfctl (lib/bounded.h). */
	n = apf_read_within(apf_proc_argv_reader, path, CMDLINE_LIMIT, APF_PROC_ARGV_TIMEOUT_MS,
			    &buf);
	if (n == -ENOENT)
		return -ESRCH;
	if (n < 0)
		return (int)n;
	err = apf_split_argv(buf, (size_t)n, argv, argc);
	free(buf);
	return err;
}

static int pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int apf_proc_tids(pid_t pid, pid_t **tids, size_t *n)
{
	char path[APF_PATH_MAX];
	size_t cap = 0;
	struct dirent *de;
	DIR *d;
	int err;

	*tids = NULL;
	*n = 0;
	err = apf_path(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (err)
		return err;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	while ((de = readdir(d))) {
		long tid;

		if (apf_parse_int(de->d_name, 1, INT32_MAX, &tid))
			continue;
		if (*n == cap) {
			pid_t *t;

			cap = cap ? cap * 2 : 16;
			t = realloc(*tids, cap * sizeof(**tids));
			if (!t) {
				closedir(d);
				free(*tids);
				*tids = NULL;
				*n = 0;
				return -ENOMEM;
			}
			*tids = t;
		}
		(*tids)[(*n)++] = (pid_t)tid;
	}
	closedir(d);
	if (*n)
		qsort(*tids, *n, sizeof(**tids), pid_cmp);
	return 0;
}

bool apf_cmdline_has_word(const char *cmdline, const char *param)
{
	size_t plen = strlen(param);
	const char *p = cmdline;

	if (!plen)
		return false;
	while ((p = strstr(p, param))) {
		bool start = p == cmdline || isspace((unsigned char)p[-1]);
		char end = p[plen];

		if (start && (end == '\0' || isspace((unsigned char)end)))
			return true;
		p += plen;
	}
	return false;
}

int apf_kernel_cmdline_has(const char *param, bool *has)
{
	char path[APF_PATH_MAX], *buf;
	ssize_t n;
	int err;

	err = apf_path(path, sizeof(path), "/proc/cmdline");
	if (err)
		return err;
	n = apf_slurp(path, CMDLINE_LIMIT, &buf);
	if (n < 0)
		return (int)n;
	*has = apf_cmdline_has_word(buf, param);
	free(buf);
	return 0;
}

/* Row format: "LABEL:" then one count per CPU, then a description. */
static int parse_irq_line(const char *line, size_t len, unsigned int ncpus,
			  struct apf_irq_row *row)
{
	const char *p = line, *end = line + len;
	unsigned int i;

	row->found = true;
	row->total = 0;
	row->ncpus = 0;
	for (i = 0; i < ncpus; i++) {
		uint64_t v = 0;
		bool digits = false;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (p < end && *p >= '0' && *p <= '9') {
			unsigned int d = (unsigned int)(*p++ - '0');

			if (v > (UINT64_MAX - d) / 10)
				return -ERANGE;
			v = v * 10 + d;
			digits = true;
		}
		if (!digits)
			break;	/* description reached early: fewer columns */
		if (row->total > UINT64_MAX - v)
			return -ERANGE;
		row->total += v;
		row->ncpus++;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	len = (size_t)(end - p);
	if (len >= sizeof(row->desc))
		len = sizeof(row->desc) - 1;
	memcpy(row->desc, p, len);
	row->desc[len] = '\0';
	return row->ncpus ? 0 : -EINVAL;
}

/* The header names the CPU columns: "CPU0 CPU1 ...". */
static unsigned int header_cpus(const char *text)
{
	const char *p = text, *nl = strchr(text, '\n');
	const char *hend = nl ? nl : text + strlen(text);
	unsigned int ncpus = 0;

	while ((p = strstr(p, "CPU")) && p < hend) {
		ncpus++;
		p += 3;
	}
	return ncpus;
}

int apf_parse_interrupts(const char *text, const char *label,
			 struct apf_irq_row *row)
{
	size_t llen = strlen(label);
	unsigned int ncpus = header_cpus(text);
	const char *line = text, *nl = strchr(text, '\n');

	memset(row, 0, sizeof(*row));
	if (!ncpus)
		return -EINVAL;
	while (nl) {
		const char *s;

		line = nl + 1;
		nl = strchr(line, '\n');
		s = line;
		while (*s == ' ')
			s++;
		if (!strncmp(s, label, llen) && s[llen] == ':') {
			size_t len = nl ? (size_t)(nl - s) : strlen(s);

			return parse_irq_line(s + llen + 1, len - llen - 1,
					      ncpus, row);
		}
	}
	return 0;	/* not found is not an error: row->found == false */
}

int apf_parse_interrupts_action(const char *text, const char *action,
				struct apf_irq_row *row)
{
	size_t alen = strlen(action);
	unsigned int ncpus = header_cpus(text);
	const char *line, *nl = strchr(text, '\n');

	memset(row, 0, sizeof(*row));
	if (!ncpus || !alen)
		return -EINVAL;
	while (nl) {
		const char *end, *colon, *w;

		line = nl + 1;
		nl = strchr(line, '\n');
		end = nl ? nl : line + strlen(line);
		while (end > line && (end[-1] == ' ' || end[-1] == '\t' ||
				      end[-1] == '\r'))
			end--;
		/* The action is the whole last word of the row. */
		if ((size_t)(end - line) <= alen)
			continue;
		w = end - alen;
		if (memcmp(w, action, alen) || (w[-1] != ' ' && w[-1] != '\t'))
			continue;
		colon = memchr(line, ':', (size_t)(end - line));
		if (!colon)
			continue;
		return parse_irq_line(colon + 1, (size_t)(end - colon - 1),
				      ncpus, row);
	}
	return 0;	/* not found is not an error: row->found == false */
}

static int interrupts_find(const char *name, bool by_action,
			   struct apf_irq_row *row)
{
	char path[APF_PATH_MAX], *buf;
	ssize_t n;
	int err;

	memset(row, 0, sizeof(*row));
	err = apf_path(path, sizeof(path), "/proc/interrupts");
	if (err)
		return err;
	n = apf_slurp(path, INTERRUPTS_LIMIT, &buf);
	if (n < 0)
		return (int)n;
	err = by_action ? apf_parse_interrupts_action(buf, name, row) :
			  apf_parse_interrupts(buf, name, row);
	free(buf);
	return err;
}

int apf_proc_interrupts_row(const char *label, struct apf_irq_row *row)
{
	return interrupts_find(label, false, row);
}

int apf_proc_interrupts_action(const char *action, struct apf_irq_row *row)
{
	return interrupts_find(action, true, row);
}

bool apf_module_present(const char *name)
{
	char path[APF_PATH_MAX];

	return !apf_path(path, sizeof(path), "/sys/module/%s", name) &&
	       apf_is_dir(path);
}

int apf_is_mounted(const char *fstype, const char *mnt, bool *mounted)
{
	char path[APF_PATH_MAX], *buf, *line, *save = NULL;
	ssize_t n;
	int err;

	*mounted = false;
	err = apf_path(path, sizeof(path), "/proc/mounts");
	if (err)
		return err;
	n = apf_slurp(path, INTERRUPTS_LIMIT, &buf);
	if (n < 0)
		return (int)n;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char dev[256], dir[256], type[64];

		if (sscanf(line, "%255s %255s %63s", dev, dir, type) == 3 &&
		    !strcmp(type, fstype) && !strcmp(dir, mnt)) {
			*mounted = true;
			break;
		}
	}
	free(buf);
	return 0;
}
