/* SPDX-License-Identifier: GPL-2.0-only */
/* One benchmark run, from the start record to the done record. */
#ifndef APFWL_RUN_H
#define APFWL_RUN_H

#include "args.h"

/* Exit statuses (README.md). */
enum { WL_EXIT_OK = 0, WL_EXIT_RUNTIME = 1, WL_EXIT_USAGE = 2 };

/* Parses argv, runs, writes every record to out_fd (errors also to stderr,
 * usage and version text to out_fd) and returns the exit status. */
int wl_main(int argc, char **argv, int out_fd);

/* The measured part for an already parsed configuration: start, fill,
 * interval and result records (not done).  Returns the exit status;
 * err is filled on failure. */
int wl_run(const struct wl_config *cfg, int out_fd, char *err, size_t errlen);

#endif
