/* SPDX-License-Identifier: GPL-2.0-only */
/* The source tree a result set came from: its commit, and whether the
 * files that make the benchmark (bench/, tools/apfctl/, tests/lab/,
 * kernel/, qemu/, mk/) had uncommitted changes.  A result set records it
 * (results.json "source") and apf-bench refuses a dirty tree unless told. */
#ifndef BENCH_SOURCE_H
#define BENCH_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

struct json_object;

struct bench_source {
	bool known;		/* a commit is known */
	bool dirty;
	char commit[96];	/* full hash, or what --source-commit said */
	char describe[128];	/* git describe --always --dirty */
	char dirty_paths[1024];	/* git status --porcelain lines, ", "-joined */
	char how[300];		/* where this came from */
};

/* The checkout apf-bench was built in: $APF_BENCH_SOURCE_DIR ("none": no
 * checkout), else three levels above the binary (bench/harness/build/)
 * when that has .git.  Fills s; with --source-commit nothing is asked of
 * git.  Returns 0 (s->known false when there is no checkout: an installed
 * apf-bench records its version only). */
int bench_source_probe(const struct bench_opts *o, struct bench_source *s);
struct json_object *bench_source_json(const struct bench_source *s);
/* The paths that make the benchmark, as git pathspecs (NULL-ended). */
extern const char *const bench_source_pathspecs[];

#endif
