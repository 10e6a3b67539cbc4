/* SPDX-License-Identifier: GPL-2.0-only */
/* Prometheus text exposition format 0.0.4 helpers. */
#ifndef APF_PROM_H
#define APF_PROM_H

#include <stdio.h>

/* Write s as a label value: \, " and newline escaped. */
void apf_prom_label_value(FILE *f, const char *s);
/* Copy name into buf as a valid metric-name fragment ([a-zA-Z0-9_]). */
void apf_prom_sanitize(char *buf, size_t len, const char *name);
void apf_prom_family(FILE *f, const char *name, const char *type,
		     const char *help);

#endif
