// SPDX-License-Identifier: GPL-2.0-only
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "procstat.h"

static bool has_word(const char *list, const char *word)
{
	size_t k = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += k)
		if ((p == list || p[-1] == ' ' || p[-1] == '\n') &&
		    (!p[k] || p[k] == ' ' || p[k] == '\n'))
			return true;
	return false;
}

void bench_cgroup_probe(struct bench_cgroup_state *s, char *why, size_t cap)
{
	char path[APF_PATH_MAX], buf[1024];

	memset(s, 0, sizeof(*s));
	why[0] = '\0';
	if (apf_path(path, sizeof(path), BENCH_CGROUP_ROOT "/cgroup.controllers") ||
	    apf_read_file(path, buf, sizeof(buf)) < 0) {
		bool hybrid = !apf_path(path, sizeof(path), BENCH_CGROUP_ROOT "/unified/cgroup.controllers") &&
			      apf_is_file(path);

		if (hybrid)
			snprintf(why, cap, "no cgroup v2 at " BENCH_CGROUP_ROOT ": this is a hybrid hierarchy (v2 only at " BENCH_CGROUP_ROOT "/unified, the memory controller on v1); boot with systemd.unified_cgroup_hierarchy=1");
		else
			snprintf(why, cap, "no cgroup v2 at " BENCH_CGROUP_ROOT " (no cgroup.controllers there); mount it: mount -t cgroup2 none " BENCH_CGROUP_ROOT);
		return;
	}
	s->v2 = true;
	if (!has_word(buf, "memory")) {
		snprintf(why, cap, "cgroup v2 at " BENCH_CGROUP_ROOT " has no memory controller (cgroup.controllers: %.*s); it may be bound to a v1 hierarchy or disabled with cgroup_disable=memory",
			 (int)strcspn(buf, "\n"), buf);
		return;
	}
	s->memory = true;
	if (!apf_path(path, sizeof(path), BENCH_CGROUP_ROOT "/cgroup.subtree_control") &&
	    apf_read_file(path, buf, sizeof(buf)) >= 0)
		s->memory_enabled = has_word(buf, "memory");
}

int bench_cgroup_open_flags(void)
{
	/* cgroupfs makes its files itself; a fixture tree needs them made. */
	return O_WRONLY | O_TRUNC | O_CLOEXEC | (apf_sysroot_is_live() ? 0 : O_CREAT);
}

static int write_in(const char *dir, const char *file, const char *value)
{
	char path[APF_PATH_MAX + 64];
	size_t len = strlen(value);
	int fd, err = 0;
	ssize_t w;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, bench_cgroup_open_flags(), 0644);
	if (fd < 0)
		return -errno;
	w = write(fd, value, len);
	if (w < 0)
		err = -errno;
	else if ((size_t)w != len)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

int bench_cgroups_setup(struct bench_cgroups *g, char *why, size_t cap)
{
	char root[APF_PATH_MAX];
	struct bench_cgroup_state s;
	int err;

	memset(g, 0, sizeof(*g));
	bench_cgroup_probe(&s, why, cap);
	if (!s.memory)
		return -ENOTSUP;
	if (apf_path(root, sizeof(root), BENCH_CGROUP_ROOT) ||
	    apf_path(g->base, sizeof(g->base), BENCH_CGROUP_ROOT "/apf-bench.%d",
		     (int)getpid()))
		return -ENAMETOOLONG;
	if (!s.memory_enabled) {
		err = write_in(root, "cgroup.subtree_control", "+memory");
		if (err) {
			snprintf(why, cap, "cannot enable the memory controller in %s/cgroup.subtree_control: %s",
				 root, strerror(-err));
			return err;
		}
	}
	if (mkdir(g->base, 0755) && errno != EEXIST) {
		err = -errno;
		snprintf(why, cap, "cannot create cgroup %s: %s", g->base, strerror(errno));
		return err;
	}
	g->created = true;
	err = write_in(g->base, "cgroup.subtree_control", "+memory");
	if (err) {
		snprintf(why, cap, "cannot enable the memory controller in %s: %s",
			 g->base, strerror(-err));
		return err;
	}
	return 0;
}

int bench_cgroup_create(const struct bench_cgroups *g, const char *name,
			uint64_t memory_max, char *dir, size_t dircap,
			char *why, size_t cap)
{
	char v[32];
	int err;

	if ((size_t)snprintf(dir, dircap, "%s/%s", g->base, name) >= dircap)
		return -ENAMETOOLONG;
	if (mkdir(dir, 0755) && errno != EEXIST) {
		err = -errno;
		snprintf(why, cap, "cannot create cgroup %s: %s", dir, strerror(errno));
		return err;
	}
	if (memory_max)
		snprintf(v, sizeof(v), "%" PRIu64, memory_max);
	else
		snprintf(v, sizeof(v), "max");
	err = write_in(dir, "memory.max", v);
	if (err) {
		snprintf(why, cap, "cannot set %s/memory.max to %s: %s", dir, v, strerror(-err));
		bench_cgroup_remove(dir);
		return err;
	}
	/* Absent when swap is not accounted: then nothing caps swap anyway. */
	err = write_in(dir, "memory.swap.max", "max");
	if (err && err != -ENOENT) {
		snprintf(why, cap, "cannot set %s/memory.swap.max: %s", dir, strerror(-err));
		bench_cgroup_remove(dir);
		return err;
	}
	return 0;
}

int bench_cgroup_stat(const char *dir, const char *file, const char *key,
		      uint64_t *out)
{
	char path[APF_PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return bench_keyed_file(path, key, out);
}

/* A fixture tree is a plain directory: what the run wrote there are files. */
static void remove_plain_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[APF_PATH_MAX + 300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (apf_is_file(path))
			unlink(path);
	}
	closedir(d);
}

int bench_cgroup_remove(const char *dir)
{
	long long deadline = bench_now_ms() + 5000;

	if (!apf_sysroot_is_live())
		remove_plain_files(dir);
	for (;;) {
		if (!rmdir(dir) || errno == ENOENT)
			return 0;
		/* EBUSY: a task (QEMU's last thread) is still leaving. */
		if (errno != EBUSY || bench_now_ms() > deadline)
			return -errno;
		bench_sleep_ms(50);
	}
}

void bench_cgroups_teardown(struct bench_cgroups *g)
{
	if (!g->created)
		return;
	g->created = false;
	if (bench_cgroup_remove(g->base))
		fprintf(stderr, "apf-bench: warning: could not remove cgroup %s: %s\n",
			g->base, strerror(errno));
}
