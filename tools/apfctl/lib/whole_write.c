// SPDX-License-Identifier: GPL-2.0-only
#include "whole_write.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* The pipe's bytes sit in page-sized slots, and a slot the reader has
 * half consumed or a short write left open still takes a whole one:
 * count two pages of slack beside the bytes themselves. */
#define SLACK (2 * 4096L)

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

static int write_pipe(int fd, const char *s, size_t len)
{
	long need, size;
	int flags, err = 0, queued = 0;	/* FIONREAD gives an int */
	ssize_t w;

	if (ioctl(fd, FIONREAD, &queued) < 0 || queued < 0)
		queued = 0;
	if (len > (size_t)(0x7fffffffL - SLACK - queued))
		return -EAGAIN;
	need = (long)len + queued + SLACK;
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
	else if ((size_t)w != len)
		err = w ? -EIO : -EAGAIN;
	if (!(flags & O_NONBLOCK))
		(void)fcntl(fd, F_SETFL, flags);
	return err;
}

int apf_write_whole(int fd, const void *buf, size_t len)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!len)
		return 0;
	if (S_ISFIFO(st.st_mode))
		return write_pipe(fd, buf, len);
	if (S_ISREG(st.st_mode))
		return write_regular(fd, buf, len);
	return -ENOTSUP;
}
