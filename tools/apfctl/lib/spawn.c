// SPDX-License-Identifier: GPL-2.0-only
#include "spawn.h"

#include "clock.h"
#include "fileio.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int apf_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

static struct rlimit fd_limit_orig;
static bool fd_limit_raised;

size_t apf_fd_limit(size_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 1024;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want &&
	    rl.rlim_cur < rl.rlim_max) {
		struct rlimit up = rl;

		up.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ?
			      want : rl.rlim_max;
		if (!setrlimit(RLIMIT_NOFILE, &up)) {
			if (!fd_limit_raised)
				fd_limit_orig = rl;
			fd_limit_raised = true;
			rl = up;
		}
	}
	return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > SIZE_MAX ? SIZE_MAX :
	       (size_t)rl.rlim_cur;
}

/* In a child between fork and exec: async-signal-safe calls only.
 * Closes every descriptor from 3 up except keep (-1: none). */
static void close_from_3(int keep)
{
#ifdef SYS_close_range
	if (keep < 3) {
		if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
			return;
	} else if ((keep == 3 || syscall(SYS_close_range, 3U, (unsigned int)keep - 1, 0U) == 0) &&
		   syscall(SYS_close_range, (unsigned int)keep + 1, ~0U, 0U) == 0) {
		return;
	}
#endif
	for (int fd = 3; fd < 1024; fd++)
		if (fd != keep)
			close(fd);
}

/* Gives the child its stdin, stdout and stderr (-1: /dev/null) and no
 * other descriptor but keep.  Returns 0, or an errno. */
static int child_fds(int in, int out, int err, int keep)
{
	/* setrlimit(2) is a plain system call: what we raised for ourselves
	 * is not the child's. */
	if (fd_limit_raised)
		setrlimit(RLIMIT_NOFILE, &fd_limit_orig);
	int null = open("/dev/null", O_RDWR);

	if (null < 0)
		return errno;
	dup2(in >= 0 ? in : null, 0);
	dup2(out >= 0 ? out : null, 1);
	dup2(err >= 0 ? err : null, 2);
	close_from_3(keep);
	return 0;
}

static void child_signals(void)
{
	struct sigaction sa;
	sigset_t none;
	int s;

	/* Dispositions set to "ignore" survive exec: give the program the
	 * defaults it expects. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (s = 1; s < NSIG; s++)
		sigaction(s, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void append(char *buf, size_t cap, size_t *len, const char *src, size_t n)
{
	if (*len + 1 >= cap)
		return;
	if (n > cap - 1 - *len)
		n = cap - 1 - *len;
	memcpy(buf + *len, src, n);
	*len += n;
	buf[*len] = '\0';
}

/* Waits for the child's exec (its end of px closes) or its report that
 * exec failed; true, with r->err set, for the latter. */
static bool exec_failed(int fd, struct apf_run_result *r)
{
	int e = 0;
	ssize_t got;

	do
		got = read(fd, &e, sizeof(e));
	while (got < 0 && errno == EINTR);
	if (got != (ssize_t)sizeof(e) || e <= 0)
		return false;
	r->err = -e;
	return true;
}

int apf_run(const char *const argv[], int timeout_ms, struct apf_run_result *r)
{
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, px[2] = { -1, -1 }, ws;
	size_t lo = 0, le = 0;
	int64_t deadline = apf_now_ms() + timeout_ms;
	bool open_o = true, open_e = true, never_ran = false;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	/* px reports a failed exec: the child writes its errno there, and a
	 * successful exec closes it (O_CLOEXEC) with nothing written.  An
	 * exit status cannot say this: the program may exit 127 itself, and
	 * a child under valgrind exits with valgrind's code. */
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC) || pipe2(px, O_CLOEXEC)) {
		r->err = -errno;
		goto close_pipes;
	}
	pid = fork();
	if (pid < 0) {
		r->err = -errno;
		goto close_pipes;
	}
	if (pid == 0) {
		int e;

		child_signals();
		e = child_fds(-1, po[1], pe[1], px[1]);
		if (!e) {
			execvp(argv[0], (char *const *)argv);
			e = errno;
		}
		(void)!write(px[1], &e, sizeof(e));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	close(px[1]);
	po[1] = pe[1] = px[1] = -1;
	never_ran = exec_failed(px[0], r);
	if (never_ran)
		open_o = open_e = false;	/* nothing to read: just reap */
	while (open_o || open_e) {
		struct pollfd p[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
		long long left = deadline - apf_now_ms();
		char buf[4096];
		int i, n;

		if (left <= 0) {
			r->err = -ETIMEDOUT;
			break;
		}
		if (!open_o)
			p[0].fd = -1;
		if (!open_e)
			p[1].fd = -1;
		n = poll(p, 2, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r->err = -errno;
			break;
		}
		for (i = 0; i < 2; i++) {
			ssize_t got;

			if (!p[i].revents)
				continue;
			got = read(p[i].fd, buf, sizeof(buf));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				if (i == 0)
					open_o = false;
				else
					open_e = false;
				continue;
			}
			if (i == 0)
				append(r->out, sizeof(r->out), &lo, buf, (size_t)got);
			else
				append(r->errout, sizeof(r->errout), &le, buf, (size_t)got);
		}
	}
	if (r->err && !never_ran)
		kill(pid, SIGKILL);
	/* Output is complete (or we gave up): the child has closed its pipes
	 * or is being killed; wait for it, bounded by the same deadline
	 * unless it was killed (then reaping is immediate). */
	for (;;) {
		pid_t w = waitpid(pid, &ws, r->err ? 0 : WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r->err = r->err ? r->err : -errno;
			goto close_pipes;
		}
		if (apf_now_ms() >= deadline) {
			r->err = -ETIMEDOUT;
			kill(pid, SIGKILL);
			continue;
		}
		usleep(5000);
	}
	if (never_ran)
		r->status = -1;
	else if (WIFEXITED(ws))
		r->status = WEXITSTATUS(ws);
	else if (WIFSIGNALED(ws))
		r->status = 128 + WTERMSIG(ws);
close_pipes:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
		if (px[i] >= 0)
			close(px[i]);
	}
	return r->err;
}

int apf_spawn_detached(const char *const argv[])
{
	pid_t pid = fork();
	int ws;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		pid_t gc;

		/* A new session: no controlling terminal, and signals sent to
		 * our caller's process group do not reach the grandchild. */
		setsid();
		gc = fork();
		if (gc != 0)
			_exit(gc < 0 ? 1 : 0);
		child_signals();
		if (!child_fds(-1, -1, -1, -1))
			execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(ws) && WEXITSTATUS(ws) == 0 ? 0 : -ECHILD;
}

void apf_last_line(const char *s, char *dst, size_t cap)
{
	const char *end = s + strlen(s), *start;

	while (end > s && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r'))
		end--;
	start = end;
	while (start > s && start[-1] != '\n')
		start--;
	snprintf(dst, cap, "%.*s", (int)(end - start), start);
}

int apf_run_tool(const char *const argv[], int timeout_ms, const char *missing,
		 char *why, size_t cap)
{
	struct apf_run_result *r = malloc(sizeof(*r));
	char line[300];
	int err;

	if (!r) {
		snprintf(why, cap, "%s: out of memory", argv[0]);
		return -ENOMEM;
	}
	err = apf_run(argv, timeout_ms, r);
	if (!err && r->status) {
		apf_last_line(r->errout[0] ? r->errout : r->out, line, sizeof(line));
		snprintf(why, cap, "%s exited with %d%s%s", argv[0], r->status,
			 line[0] ? ": " : "", line);
		err = -EIO;
	} else if (err) {
		snprintf(why, cap, "%s: %s", argv[0], err == -ENOENT && missing ? missing :
			 apf_strerror(-err));
	}
	free(r);
	return err;
}
