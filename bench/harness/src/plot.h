/* SPDX-License-Identifier: GPL-2.0-only */
/* throughput.png and throughput.svg from DIR/summary.dat with gnuplot and
 * bench/harness/plot.gp (a copy is left in DIR for re-plotting by hand). */
#ifndef BENCH_PLOT_H
#define BENCH_PLOT_H

#include <stddef.h>

struct json_object;

/* gnuplot is $APF_BENCH_GNUPLOT, else found in PATH.
 * 0; -ENOENT when gnuplot or plot.gp is missing, -ENODATA when no mode has
 * an ok run, -EIO when gnuplot failed.  why (cap) explains. */
int bench_plot(struct json_object *root, const char *dir, char *why, size_t cap);
/* Where plot.gp is: $APF_BENCH_PLOT_GP, next to the binary's directory
 * (bench/harness/build/.. in a checkout), or the installed path. */
int bench_find_plot_script(char *buf, size_t cap);

#endif
