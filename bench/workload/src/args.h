/* SPDX-License-Identifier: GPL-2.0-only */
/* Command line: options, their limits, and the apfwl= kernel parameter that
 * carries them when the program runs as /init. */
#ifndef APFWL_ARGS_H
#define APFWL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WL_VERSION 1            /* of the output format ("version" key) */
#define WL_MAX_THREADS 1024     /* per class */
#define WL_MAX_MB (4ULL << 20)  /* 4 TiB */
#define WL_MAX_SECONDS 86400
#define WL_MAX_PASSES 1000000
/* About 1 ms of hash mixing on a current x86 core (see README.md). */
#define WL_DEFAULT_UNIT_ITERS 200000

enum wl_access { WL_ACCESS_WRITE, WL_ACCESS_READ, WL_ACCESS_RW };

struct wl_config {
	unsigned fault_threads;
	unsigned compute_threads;
	uint64_t mb;
	unsigned duration_s;    /* throughput mode only: the measured window */
	unsigned warmup_s;      /* throughput mode: run this long before it */
	unsigned interval_s;    /* 0: no interval records */
	enum wl_access access;
	bool fill;
	uint64_t passes;        /* 0: throughput mode; else finish mode */
	uint64_t seed;
	uint64_t unit_iters;
	const char *sysroot;    /* prefix for /proc and /sys ("" = real) */
};

enum wl_args_result {
	WL_ARGS_OK,
	WL_ARGS_HELP,           /* print usage, exit 0 */
	WL_ARGS_VERSION,        /* print version, exit 0 */
	WL_ARGS_USAGE,          /* err holds the message, exit 2 */
};

void wl_config_defaults(struct wl_config *cfg);
/* Parses argv (argv[0] is the program name).  Resets getopt itself, so it
 * may be called more than once.  In finish mode compute_threads is 0. */
enum wl_args_result wl_parse_args(int argc, char **argv,
				  struct wl_config *cfg,
				  char *err, size_t errlen);
const char *wl_access_name(enum wl_access a);
void wl_usage(int fd);

/* argv built from the last apfwl= parameter of a kernel command line:
 * values split at commas, empty elements dropped, argv[0] = "apf-workload".
 * Double quotes are removed as the kernel does ("apfwl=\"-f,2\"").
 * Returns 1 and fills *out when the parameter is present, 0 when it is not
 * (out gets just argv[0]), -1 when out of memory.  Free with
 * wl_cmdline_free. */
struct wl_cmdline_argv {
	int argc;
	char **argv;
	char *strings;
};
int wl_cmdline_argv(const char *cmdline, struct wl_cmdline_argv *out);
void wl_cmdline_free(struct wl_cmdline_argv *out);

#endif
