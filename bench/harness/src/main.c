// SPDX-License-Identifier: GPL-2.0-only
/* apf-bench: does APF pay on this host?  See bench/harness/README.md. */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "log.h"
#include "options.h"
#include "results.h"

int main(int argc, char **argv)
{
	struct bench_opts o;
	const char *cmd = argc > 1 ? argv[1] : NULL;
	int r;

	if (!cmd) {
		bench_usage(stderr);
		return BENCH_EXIT_USAGE;
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		bench_usage(stdout);
		return BENCH_EXIT_OK;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("apf-bench %s\n", APF_BENCH_VERSION);
		return BENCH_EXIT_OK;
	}
	if (!strcmp(cmd, "plot")) {
		if (argc == 3 && (!strcmp(argv[2], "-h") || !strcmp(argv[2], "--help"))) {
			bench_usage(stdout);
			return BENCH_EXIT_OK;
		}
		if (argc != 3)
			return bench_fail(BENCH_EXIT_USAGE, "plot takes one directory: apf-bench plot DIR");
		bench_json_setup();
		r = bench_cmd_plot(argv[2]);
		bench_json_teardown();
		return r;
	}
	if (strcmp(cmd, "run") && strcmp(cmd, "preflight"))
		return bench_fail(BENCH_EXIT_USAGE, "unknown command '%s' (run, preflight, plot; see apf-bench --help)",
				  cmd);
	r = bench_opts_parse(argc - 1, argv + 1, !strcmp(cmd, "preflight"), &o);
	if (r >= 0)
		return r;
	bench_json_setup();
	r = !strcmp(cmd, "run") ? bench_cmd_run(&o) : bench_cmd_preflight(&o);
	bench_json_teardown();
	return r;
}
