/* SPDX-License-Identifier: GPL-2.0-only */
/* Prometheus text exposition format 0.0.4 helpers. */
#ifndef APF_PROM_H
#define APF_PROM_H

#include <stdio.h>

/* Write s as a label value: \, " and newline escaped. */
void apf_prom_label_value(FILE *f, const char *s);
/* Copy name into buf as a valid metric-name fragment ([a-zA-Z0-9_]). */
void apf_prom_sanitize(char *buf, size_t len, const char *name);
/* Metric name for a counter: prefix_name, with "_ns" units turned into
 * "_seconds" (Prometheus wants base units; *scale gets 1e-9) and "_total"
 * appended to counters.  A name with "_max" is a gauge (*gauge). */
void apf_prom_metric(char *buf, size_t len, const char *prefix,
		     const char *name, double *scale, int *gauge);
void apf_prom_family(FILE *f, const char *name, const char *type,
		     const char *help);

#endif
