// SPDX-License-Identifier: GPL-2.0-only
#include "prom.h"

#include <ctype.h>

void apf_prom_label_value(FILE *f, const char *s)
{
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
