// SPDX-License-Identifier: GPL-2.0-only
#include "usage.h"

#include <string.h>

#include "apfctl.h"

#define OPT_COL 22	/* where the help of an option starts */

/* Lines of text, each after prefix (the first) or indent (the others). */
static void lines(FILE *f, const char *text, const char *prefix,
		  const char *indent)
{
	const char *p = text;
	bool first = true;

	while (*p) {
		size_t n = strcspn(p, "\n");

		fprintf(f, "%s%.*s\n", first ? prefix : indent, (int)n, p);
		first = false;
		p += n;
		if (*p)
			p++;
	}
}

void apf_usage_opts(FILE *f, const struct apf_opt_help *opts)
{
	static const char pad[] = "                        ";

	for (; opts && opts->opt; opts++) {
		int w = fprintf(f, "  %s", opts->opt);

		/* A long option gets its help on the next line. */
		if (w < 0 || w >= OPT_COL) {
			fputc('\n', f);
			w = 0;
		}
		fprintf(f, "%.*s", OPT_COL - w, pad);
		lines(f, opts->help, "", pad + sizeof(pad) - 1 - OPT_COL);
	}
}

int apf_usage(const struct apf_usage *u, int c)
{
	FILE *f = c == 'h' ? stdout : stderr;
	const char *p = u->synopsis;

	/* Each form of the command on a Usage line of its own. */
	do {
		size_t n = strcspn(p, "\n");

		fprintf(f, "%s apfctl %s %.*s\n", p == u->synopsis ? "Usage:" : "      ",
			u->name, (int)n, p);
		p += n;
	} while (*p && *++p);
	fputs(u->about, f);
	apf_usage_opts(f, u->opts);
	if (u->after)
		fputs(u->after, f);
	fputs("Global options: -j/--json, --pretty, --sysroot DIR, --qmp-timeout MS\n"
	      "(apfctl --help); apfctl(8) has the details.\n", f);
	return c == 'h' ? APF_EXIT_OK : APF_EXIT_USAGE;
}
