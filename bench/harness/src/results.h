/* SPDX-License-Identifier: GPL-2.0-only */
/* The results document (results.json) and what is derived from it: per
 * mode spread over the ok runs, the pv/off, pv/halt, pv/baseline ratios,
 * failures counted apart from results, and the one-line summary.
 *
 * Shape: { "tool", "machine", "params": { "modes": [...] , ...},
 *          "skipped": { mode: reason }, "runs": [ record... ],
 *          "summary": { "metric", "modes": {...}, "ratios": {...},
 *                       "failures": {...}, "line" } } */
#ifndef BENCH_RESULTS_H
#define BENCH_RESULTS_H

#include <stddef.h>

struct json_object;

/* Numbers in the document are written with this many significant digits. */
void bench_json_setup(void);
/* Frees what bench_json_setup allocated (json-c keeps the format string). */
void bench_json_teardown(void);

/* (Re)compute root["summary"] from root["params"]["modes"] and
 * root["runs"].  0, or -EINVAL when the document lacks them. */
int bench_summarize(struct json_object *root);

/* The tracepoint names met in any run, in first-seen order: a
 * json array of strings (caller puts it). */
struct json_object *bench_tracepoint_names(struct json_object *root);

/* The fault rate's drift in a run's window: mean rate of the window's
 * second half of intervals over its first half, minus 1; NaN when the
 * window has fewer than two intervals. */
double bench_window_drift(struct json_object *rec);

/* A number at a dotted path of o, NaN when absent or null. */
double bench_jnum(struct json_object *o, const char *path);
/* A host counter of a run record (path such as "tracepoints.X" or
 * "cgroup.pgmajfault"): over the run's measured window when it has one
 * ("window." + path), else over the whole run. */
double bench_host_value(struct json_object *rec, const char *path);

#endif
