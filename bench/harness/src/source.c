// SPDX-License-Identifier: GPL-2.0-only
#include "source.h"

#include <errno.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "fileio.h"

/* Results directories are outputs, not sources. */
const char *const bench_source_pathspecs[] = {
	"bench", ":(exclude)bench/results", "tools/apfctl", "tests/lab",
	":(exclude)tests/lab/results", "kernel", ":(exclude)kernel/results",
	"qemu", ":(exclude)qemu/results", "mk", "Makefile", "VERSION", NULL,
};

static int checkout_dir(char *buf, size_t cap)
{
	const char *env = getenv("APF_BENCH_SOURCE_DIR");
	char exe[4096], probe[4200];
	ssize_t n;

	if (env && *env) {
		if (!strcmp(env, "none"))
			return -ENOENT;
		snprintf(buf, cap, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ENOENT;
	exe[n] = '\0';
	snprintf(buf, cap, "%s/../../..", dirname(exe));
	snprintf(probe, sizeof(probe), "%s/.git", buf);
	return access(probe, F_OK) ? -ENOENT : 0;
}

/* git -C dir -c safe.directory=* ARGS...: stdout, or NULL. */
static char *git(const char *dir, const char *const *args)
{
	const char *argv[48] = { "git", "-C", dir, "-c", "safe.directory=*" };
	struct bench_capture c;
	size_t n = 5;

	for (size_t i = 0; args[i] && n + 1 < sizeof(argv) / sizeof(argv[0]); i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	bench_capture_run(argv, NULL, 30000, 1 << 20, &c);
	if (c.err || c.status) {
		bench_capture_free(&c);
		return NULL;
	}
	return c.out;
}

static void chomp(char *s)
{
	s[strcspn(s, "\n")] = '\0';
}

int bench_source_probe(const struct bench_opts *o, struct bench_source *s)
{
	static const char *const head[] = { "rev-parse", "HEAD", NULL };
	static const char *const desc[] = { "describe", "--always", "--dirty", "--abbrev=12", NULL };
	const char *status[40] = { "status", "--porcelain", "--" };
	char dir[4096], *out;
	size_t n = 3;

	memset(s, 0, sizeof(*s));
	if (o->source_commit) {
		s->known = true;
		s->dirty = o->source_dirty;
		snprintf(s->commit, sizeof(s->commit), "%s", o->source_commit);
		snprintf(s->how, sizeof(s->how), "--source-commit (checked by the caller)%s",
			 o->source_dirty ? ", --source-dirty" : "");
		return 0;
	}
	if (checkout_dir(dir, sizeof(dir))) {
		snprintf(s->how, sizeof(s->how), "not run from a git checkout: apf-bench %s",
			 APF_BENCH_VERSION);
		return 0;
	}
	out = git(dir, head);
	if (!out) {
		snprintf(s->how, sizeof(s->how), "%.200s: git rev-parse HEAD failed", dir);
		return 0;
	}
	chomp(out);
	snprintf(s->commit, sizeof(s->commit), "%s", out);
	free(out);
	s->known = true;
	out = git(dir, desc);
	if (out) {
		chomp(out);
		snprintf(s->describe, sizeof(s->describe), "%s", out);
		free(out);
	}
	for (size_t i = 0; bench_source_pathspecs[i] && n + 1 < sizeof(status) / sizeof(status[0]); i++)
		status[n++] = bench_source_pathspecs[i];
	status[n] = NULL;
	out = git(dir, status);
	if (!out) {
		/* Unknown is not clean. */
		s->dirty = true;
		snprintf(s->dirty_paths, sizeof(s->dirty_paths), "(git status failed)");
	} else {
		size_t len = 0;

		for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
			s->dirty = true;
			if (len + strlen(line) + 3 < sizeof(s->dirty_paths))
				len += (size_t)snprintf(s->dirty_paths + len, sizeof(s->dirty_paths) - len,
							"%s%s", len ? ", " : "", line);
		}
		free(out);
	}
	snprintf(s->how, sizeof(s->how), "git in %.250s", dir);
	return 0;
}

struct json_object *bench_source_json(const struct bench_source *s)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "commit", s->known ? json_object_new_string(s->commit) : NULL);
	json_object_object_add(o, "describe", s->describe[0] ? json_object_new_string(s->describe) : NULL);
	json_object_object_add(o, "dirty", s->known ? json_object_new_boolean(s->dirty) : NULL);
	json_object_object_add(o, "dirty_paths", s->dirty_paths[0] ?
			       json_object_new_string(s->dirty_paths) : NULL);
	json_object_object_add(o, "how", json_object_new_string(s->how));
	return o;
}
