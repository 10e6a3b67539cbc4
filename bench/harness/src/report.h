/* SPDX-License-Identifier: GPL-2.0-only */
/* Files written from the results document: results.json, results.csv,
 * summary.txt, and gnuplot's inputs summary.dat, points.dat, ratios.dat. */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stdio.h>

struct json_object;

/* Each returns 0 or -errno; files are written to NAME.tmp and renamed. */
int bench_write_json(struct json_object *root, const char *path);
int bench_write_csv(struct json_object *root, const char *path);
int bench_write_summary_txt(struct json_object *root, const char *path);
int bench_write_summary_dat(struct json_object *root, const char *path);
/* The same to an open stream (tests). */
void bench_csv_to(struct json_object *root, FILE *f);
void bench_summary_txt_to(struct json_object *root, FILE *f);
void bench_summary_dat_to(struct json_object *root, FILE *f);
void bench_points_dat_to(struct json_object *root, FILE *f);
void bench_ratios_dat_to(struct json_object *root, FILE *f);
/* The definition of a compute unit (summary.txt, the plot). */
void bench_unit_text(struct json_object *root, char *buf, size_t cap);
/* All of them into dir; 0 or the first -errno (with the file named on stderr). */
int bench_write_all(struct json_object *root, const char *dir);

#endif
