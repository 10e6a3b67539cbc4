// SPDX-License-Identifier: GPL-2.0-only
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child_signals.h"
#include "clock.h"

/* Between fork and exec: async-signal-safe calls only. */
static void child(const char *const argv[], int in, int out, int err, int status_fd)
{
	int e;

	setpgid(0, 0);
	child_reset_signals();
	dup2(in, 0);
	dup2(out, 1);
	dup2(err, 2);
	execvp(argv[0], (char *const *)argv);
	e = errno;
	if (write(status_fd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static void add(char **buf, size_t *len, size_t *cap, size_t limit,
		const char *src, size_t n)
{
	if (*len + n > limit)
		n = limit - *len;
	if (!n)
		return;
	if (*len + n + 1 > *cap) {
		size_t nc = (*len + n + 1) * 2;
		char *nb;

		if (nc > limit + 1)
			nc = limit + 1;
		if (!nc)
			return;
		nb = realloc(*buf, nc);
		if (!nb)
			return;
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, src, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int bench_capture_run(const char *const argv[], const char *input,
		      int timeout_ms, size_t out_cap, struct bench_capture *c)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	int pst[2] = { -1, -1 }, ws = 0, exec_errno = 0;
	size_t in_left = input ? strlen(input) : 0, cap = 0, elen = 0;
	long long deadline = bench_now_ms() + timeout_ms;
	bool killed = false;
	pid_t pid;

	memset(c, 0, sizeof(*c));
	c->status = -1;
	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) ||
	    pipe2(perr, O_CLOEXEC) || pipe2(pst, O_CLOEXEC)) {
		c->err = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		c->err = -errno;
		goto out;
	}
	if (pid == 0)
		child(argv, pin[0], pout[1], perr[1], pst[1]);
	setpgid(pid, pid);
	close_fd(&pin[0]);
	close_fd(&pout[1]);
	close_fd(&perr[1]);
	close_fd(&pst[1]);
	if (!in_left)
		close_fd(&pin[1]);
	else
		fcntl(pin[1], F_SETFL, O_NONBLOCK);
	while (pout[0] >= 0 || perr[0] >= 0) {
		struct pollfd pf[3] = {
			{ .fd = pout[0], .events = POLLIN },
			{ .fd = perr[0], .events = POLLIN },
			{ .fd = pin[1], .events = POLLOUT },
		};
		long long left = deadline - bench_now_ms();
		char buf[4096];
		ssize_t n;

		if (left <= 0) {
			kill(-pid, SIGKILL);
			killed = true;
			break;
		}
		if (poll(pf, 3, (int)(left > 1000 ? 1000 : left)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[2].revents & (POLLOUT | POLLERR | POLLHUP)) {
			n = write(pin[1], input, in_left);
			if (n > 0) {
				input += n;
				in_left -= (size_t)n;
			}
			if (n < 0 || !in_left)
				close_fd(&pin[1]);
		}
		if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(pout[0], buf, sizeof(buf));
			if (n <= 0)
				close_fd(&pout[0]);
			else
				add(&c->out, &c->out_len, &cap, out_cap, buf, (size_t)n);
		}
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(perr[0], buf, sizeof(buf));
			if (n <= 0) {
				close_fd(&perr[0]);
			} else if (elen + 1 < sizeof(c->errout)) {
				size_t k = (size_t)n < sizeof(c->errout) - 1 - elen ?
					   (size_t)n : sizeof(c->errout) - 1 - elen;

				memcpy(c->errout + elen, buf, k);
				elen += k;
				c->errout[elen] = '\0';
			}
		}
	}
	/* The child may close its output and linger: the deadline covers
	 * that, and the whole group goes. */
	if (!killed) {
		pid_t w;

		while ((w = waitpid(pid, &ws, WNOHANG)) == 0 && bench_now_ms() < deadline)
			bench_sleep_ms(10);
		if (w == pid)
			goto reaped;
		kill(-pid, SIGKILL);
		killed = true;
	}
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
reaped:
	if (read(pst[0], &exec_errno, sizeof(exec_errno)) == (ssize_t)sizeof(exec_errno))
		c->err = -exec_errno;
	else if (killed)
		c->err = -ETIMEDOUT;
	if (WIFEXITED(ws))
		c->status = WEXITSTATUS(ws);
	else if (WIFSIGNALED(ws))
		c->status = 128 + WTERMSIG(ws);
out:
	close_fd(&pin[0]);
	close_fd(&pin[1]);
	close_fd(&pout[0]);
	close_fd(&pout[1]);
	close_fd(&perr[0]);
	close_fd(&perr[1]);
	close_fd(&pst[0]);
	close_fd(&pst[1]);
	if (!c->out) {
		c->out = calloc(1, 1);
		c->out_len = 0;
	}
	return c->err;
}

void bench_capture_free(struct bench_capture *c)
{
	free(c->out);
	c->out = NULL;
}

void bench_last_line(const char *text, char *dst, size_t cap)
{
	const char *end = text + strlen(text), *start;

	dst[0] = '\0';
	while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > text && start[-1] != '\n')
		start--;
	while (start < end && (*start == ' ' || *start == '\t'))
		start++;
	snprintf(dst, cap, "%.*s", (int)(end - start), start);
}
