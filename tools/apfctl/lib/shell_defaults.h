/* SPDX-License-Identifier: GPL-2.0-only */
/* A shell-syntax defaults file (/etc/default/apf) read the way
 * `set -a; . FILE` reads it, but in a child shell with a time limit:
 * sourcing runs whatever the file says and can block (a command, a FIFO,
 * a hung NFS mount), and the libvirt hook that needs the settings must
 * finish within its deadline whatever the file does. */
#ifndef APF_SHELL_DEFAULTS_H
#define APF_SHELL_DEFAULTS_H

#include <stddef.h>

/* Source file in `/bin/sh` (stdin /dev/null, its output discarded) with
 * `set -a`, at most timeout_ms in all, and setenv() in this process every
 * variable it leaves set whose name matches one of the shell patterns of
 * names (NULL-terminated; e.g. "APF_*").  Values holding a newline are
 * left out.  *count (may be NULL) gets the number of variables set.
 * Returns 0; -ENOENT for a file that is missing or unreadable (nothing to
 * read: not an error for a defaults file); -EINVAL for one that does not
 * parse (`sh -n`); -ETIMEDOUT; -ECHILD when the file ended the shell
 * (an `exit` in it) or the shell died; another -errno if no shell ran.
 * Nothing is set unless it returns 0.  why (may be NULL) gets a short
 * reason on failure. */
int apf_shell_defaults(const char *file, const char *const names[], int timeout_ms,
		       int *count, char *why, size_t cap);

#endif
