// SPDX-License-Identifier: GPL-2.0-only
#include "prom.h"

#include <ctype.h>
#include <string.h>

#include "sanitize.h"

void apf_prom_label_value(FILE *f, const char *s)
{
	char safe[1024];

	/* Label values must be UTF-8; controls are encoded as everywhere
	 * else, and the backslash of "\xHH" escaped below as "\\". */
	s = apf_safe_encode(s, safe, sizeof(safe), APF_SAN_NL);
	putc('"', f);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			putc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		putc(*s, f);
	}
	putc('"', f);
}

void apf_prom_sanitize(char *buf, size_t len, const char *name)
{
	size_t i;

	if (!len)
		return;
	for (i = 0; name[i] && i + 1 < len; i++)
		buf[i] = isalnum((unsigned char)name[i]) ? name[i] : '_';
	buf[i] = '\0';
}

void apf_prom_family(FILE *f, const char *name, const char *type,
		     const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void apf_prom_metric(char *buf, size_t len, const char *prefix,
		     const char *name, double *scale, int *gauge)
{
	char san[128], unit[160];
	const char *ns;
	size_t n;

	apf_prom_sanitize(san, sizeof(san), name);
	*scale = 1.0;
	*gauge = strstr(san, "_max") != NULL;
	/* "wait_ns_total" -> "wait_seconds_total", "poll_ns" -> "poll_seconds" */
	ns = strstr(san, "_ns");
	if (ns && (ns[3] == '\0' || ns[3] == '_')) {
		snprintf(unit, sizeof(unit), "%.*s_seconds%s", (int)(ns - san),
			 san, ns + 3);
		*scale = 1e-9;
	} else {
		snprintf(unit, sizeof(unit), "%s", san);
	}
	n = strlen(unit);
	if (*gauge || (n >= 6 && !strcmp(unit + n - 6, "_total")))
		snprintf(buf, len, "%s_%s", prefix, unit);
	else
		snprintf(buf, len, "%s_%s_total", prefix, unit);
}
