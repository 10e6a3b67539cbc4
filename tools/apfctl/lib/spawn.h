/* SPDX-License-Identifier: GPL-2.0-only */
/* Running helper programs (virsh, systemd-run, kexec, systemctl) with a
 * deadline and captured output, and detaching a process from its caller. */
#ifndef APF_SPAWN_H
#define APF_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

struct apf_run_result {
	int status;		/* exit code, or 128+signal; -1 if never ran */
	int err;		/* 0, or -errno: could not start, -ETIMEDOUT */
	char out[8192];		/* stdout, NUL-terminated, cut at the size */
	char errout[2048];	/* stderr, the same */
};

/* Run argv[0] (looked up in PATH) with stdin from /dev/null, waiting at
 * most timeout_ms; a child that overruns is killed (SIGKILL) and reaped.
 * Returns r->err. */
int apf_run(const char *const argv[], int timeout_ms, struct apf_run_result *r);

/* apf_run(), then a reason for a log in why when it failed: "ARGV0 exited
 * with N: LAST LINE" (the last line of stderr, else of stdout), or
 * "ARGV0: ERROR" when it could not run (for ENOENT, missing when given:
 * "not installed (kexec-tools)").  0, -EIO (ran, exited non-zero), or
 * the -errno of apf_run(). */
int apf_run_tool(const char *const argv[], int timeout_ms, const char *missing,
		 char *why, size_t cap);

/* Start argv as a grandchild in its own session, with stdin/stdout/stderr
 * on /dev/null and no other descriptor inherited, so that nobody waits on
 * it: whoever waits for our pipes to close (libvirt, for a hook) is not
 * held up by it.  Returns 0 once the intermediate child is reaped, -errno
 * if it could not fork.  Failures of exec itself are not seen here. */
int apf_spawn_detached(const char *const argv[]);

/* pidfd_open(2): a descriptor that polls readable when pid exits (a
 * zombie included), or -1 with errno (ENOSYS before Linux 5.3, ESRCH). */
int apf_pidfd_open(pid_t pid);

/* Descriptors this process may hold open: the soft RLIMIT_NOFILE, raised
 * toward the hard limit to at least want if it is lower (the stats
 * sampler keeps each VM's stat files open).  Programs started through
 * apf_run() and apf_spawn_detached() get the soft limit back as it was,
 * as systemd does for its children: select(2) users break above 1024. */
size_t apf_fd_limit(size_t want);

/* The last line of s that has text, trimmed, for a log message. */
void apf_last_line(const char *s, char *dst, size_t cap);

#endif
