// SPDX-License-Identifier: GPL-2.0-only
#include "shell_defaults.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

#define MAX_NAMES 16

/* $1 the file, then the name patterns.  Exit 10: no readable file, 11:
 * does not parse.  Prints NAME=VALUE lines of the wanted variables that
 * are set after sourcing; a value with a newline cannot be told apart
 * from the next line, so it is left out. */
static const char script[] =
	"f=$1; shift\n"
	"[ -r \"$f\" ] || exit 10\n"
	"sh -n \"$f\" </dev/null >/dev/null 2>&1 || exit 11\n"
	"set -a\n"
	". \"$f\" </dev/null >/dev/null 2>&1\n"
	"set +a\n"
	"nl='\n'\n"
	"env | while IFS= read -r l; do\n"
	"  n=${l%%=*}\n"
	"  case $n in ''|[0-9]*|*[!A-Za-z0-9_]*) continue ;; esac\n"
	"  ok=\n"
	"  for p; do case $n in $p) ok=1 ;; esac; done\n"
	"  [ -n \"$ok\" ] || continue\n"
	"  eval \"[ \\\"\\${$n+set}\\\" = set ] && v=\\${$n}\" || continue\n"
	"  case $v in *\"$nl\"*) continue ;; esac\n"
	"  printf '%s=%s\\n' \"$n\" \"$v\"\n"
	"done\n"
	"exit 0\n";

static bool wanted(const char *name, const char *const names[])
{
	size_t i;

	if (!*name || (*name >= '0' && *name <= '9'))
		return false;
	for (i = 0; name[i]; i++) {
		char c = name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	for (i = 0; names[i]; i++)
		if (!fnmatch(names[i], name, 0))
			return true;
	return false;
}

static void reason(char *why, size_t cap, const char *text, const char *arg)
{
	if (why && cap)
		snprintf(why, cap, "%s%s", text, arg ? arg : "");
}

int apf_shell_defaults(const char *file, const char *const names[], int timeout_ms,
		       int *count, char *why, size_t cap)
{
	const char *argv[MAX_NAMES + 6];
	struct apf_run_result *r;
	char *line, *next;
	size_t i, n = 0;
	int err, set = 0;

	if (count)
		*count = 0;
	if (why && cap)
		*why = '\0';
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = script;
	argv[n++] = "apf-defaults";
	argv[n++] = file;
	for (i = 0; names[i]; i++) {
		if (i == MAX_NAMES)
			return -E2BIG;
		argv[n++] = names[i];
	}
	argv[n] = NULL;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	err = apf_run(argv, timeout_ms, r);
	if (err == -ETIMEDOUT) {
		reason(why, cap, "still running at the time limit", NULL);
		goto out;
	}
	if (err) {
		reason(why, cap, "cannot run /bin/sh: ", strerror(-err));
		goto out;
	}
	if (r->status == 10) {
		err = -ENOENT;
		reason(why, cap, "missing or unreadable", NULL);
		goto out;
	}
	if (r->status == 11) {
		err = -EINVAL;
		reason(why, cap, "does not parse (sh -n)", NULL);
		goto out;
	}
	if (r->status != 0) {
		err = -ECHILD;
		if (why && cap)
			snprintf(why, cap, "ended the shell with status %d (an exit in "
				 "the file?)", r->status);
		goto out;
	}
	/* Output cut at the buffer's size: the last line may be partial. */
	if (strlen(r->out) >= sizeof(r->out) - 1) {
		char *nl = strrchr(r->out, '\n');

		if (nl)
			nl[1] = '\0';
		else
			r->out[0] = '\0';
	}
	for (line = r->out; line && *line; line = next) {
		char *eq;

		next = strchr(line, '\n');
		if (!next)
			break;			/* no newline: cut, not complete */
		*next++ = '\0';
		eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		if (!wanted(line, names))
			continue;
		if (setenv(line, eq + 1, 1) == 0)
			set++;
	}
	if (count)
		*count = set;
out:
	free(r);
	return err;
}
