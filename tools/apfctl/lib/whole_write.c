// SPDX-License-Identifier: GPL-2.0-only
#include "whole_write.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"

/* The pipe's bytes sit in page-sized slots, and a slot the reader has
 * half consumed or a short write left open still takes a whole one:
 * count two pages of slack beside the bytes themselves. */
static long slack(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return 2 * (page > 4096 ? page : 4096);
}

static int write_regular(int fd, const char *s, size_t len)
{
	bool some = false;

	while (len) {
		ssize_t w = write(fd, s, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return some || !w ? -EIO : -errno;
		some = true;
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

ssize_t apf_write_until(int fd, const void *buf, size_t len, int64_t deadline)
{
	const char *s = buf;
	size_t done = 0;
	int err = -ETIMEDOUT;

	while (done < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		ssize_t w = write(fd, s + done, len - done);

		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (!w || (errno != EAGAIN && errno != EINTR)) {
			err = w ? -errno : -EIO;
			break;
		}
		/* poll(2) wakes us when the reader makes room; a reader gone
		 * (POLLERR) leaves nothing to wait for. */
		if (!apf_ms_left(deadline) ||
		    (poll(&pfd, 1, apf_ms_left(deadline)) > 0 &&
		     !(pfd.revents & POLLOUT)))
			break;
	}
	return done || !len ? (ssize_t)done : err;
}

static int write_pipe(int fd, const char *s, size_t len, int64_t deadline)
{
	long need, size, extra = slack();
	int flags, err = 0, queued = 0;	/* FIONREAD gives an int */
	ssize_t w;

	if (ioctl(fd, FIONREAD, &queued) < 0 || queued < 0)
		queued = 0;
	if (len > (size_t)(0x7fffffffL - extra - queued))
		return -EAGAIN;
	need = (long)len + queued + extra;
	size = fcntl(fd, F_GETPIPE_SZ);
	if (size < 0)
		return -errno;
	/* Only grow: a failure (over /proc/sys/fs/pipe-max-size without
	 * CAP_SYS_RESOURCE, or the user's pipe quota) leaves the pipe as it
	 * was, and the room check below decides. */
	if (size < need && fcntl(fd, F_SETPIPE_SZ, (int)need) >= 0)
		size = fcntl(fd, F_GETPIPE_SZ);
	if (size < need)
		return -EAGAIN;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return -errno;
	if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	/* The room is there and we are the only writer: the kernel copies
	 * all of it without sleeping, so no signal can cut it short. */
	do
		w = write(fd, s, len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		err = errno == EAGAIN ? -EAGAIN : -errno;
	else if (!w)
		err = -EAGAIN;
	else if ((size_t)w != len) {
		/* Part is out and cannot be taken back: the rest must follow,
		 * or the output is broken. */
		ssize_t more = apf_write_until(fd, s + w, len - (size_t)w, deadline);

		err = more == (ssize_t)(len - (size_t)w) ? 0 : -EIO;
	}
	if (!(flags & O_NONBLOCK))
		(void)fcntl(fd, F_SETFL, flags);
	return err;
}

int apf_write_whole(int fd, const void *buf, size_t len, int64_t deadline)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!len)
		return 0;
	if (S_ISFIFO(st.st_mode))
		return write_pipe(fd, buf, len, deadline);
	if (S_ISREG(st.st_mode))
		return write_regular(fd, buf, len);
	return -ENOTSUP;
}
