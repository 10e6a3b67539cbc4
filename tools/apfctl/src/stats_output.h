/* SPDX-License-Identifier: GPL-2.0-only */
/* Renders stats samples as text, log lines, CSV or JSON lines. */
#ifndef APFCTL_STATS_OUTPUT_H
#define APFCTL_STATS_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "stats_sampler.h"

struct stats_output {
	bool json, pretty, csv, log, skip_zero;
	const char *path;	/* -L FILE, or NULL for stdout */
	FILE *f;
	bool header_done;
};

int stats_output_open(struct stats_output *o);
/* Reopen the log file after logrotate moved it (SIGHUP). */
int stats_output_reopen(struct stats_output *o);
/* 0, or -errno when the output failed (a full disk): the loop stops. */
int stats_output_sample(struct stats_output *o, const struct apf_sample *cur,
			const struct apf_sample *prev);
void stats_output_close(struct stats_output *o);

#endif
