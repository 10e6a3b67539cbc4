/* SPDX-License-Identifier: GPL-2.0-only */
/* Every command's help from one table: one layout, and the global options
 * said once, by the printer. */
#ifndef APFCTL_USAGE_H
#define APFCTL_USAGE_H

#include <stdio.h>

struct apf_opt_help {
	const char *opt;	/* "-s, --delay SEC" */
	const char *help;	/* more lines after '\n' */
};

struct apf_usage {
	const char *name;	/* the command */
	const char *synopsis;	/* after "Usage: apfctl NAME "; more forms
				 * after '\n', each its own Usage line */
	const char *about;	/* what the command does ('\n'-ended lines) */
	const struct apf_opt_help *opts;	/* until opt == NULL, or NULL */
	const char *after;	/* notes after the options, or NULL */
};

/* Print u's help: on stdout with exit 0 when c is 'h' (-h/--help), else
 * on stderr with the usage exit code (getopt's '?').  Returns the code. */
int apf_usage(const struct apf_usage *u, int c);
/* An options table in the layout of every command's help. */
void apf_usage_opts(FILE *f, const struct apf_opt_help *opts);

#endif
