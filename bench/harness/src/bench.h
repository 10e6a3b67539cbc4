/* SPDX-License-Identifier: GPL-2.0-only */
/* The three commands: run, preflight, plot.  Each returns the exit code. */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include "options.h"

int bench_cmd_run(const struct bench_opts *o);
int bench_cmd_preflight(const struct bench_opts *o);
int bench_cmd_plot(const char *dir);

/* mkdir -p: 0 or -errno. */
int bench_mkdirs(const char *path);

#endif
