// SPDX-License-Identifier: GPL-2.0-only
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* -errno, never 0: a caller must not take a failed call for success. */
static int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* Fill buf[*off .. cap-1) from fd until EOF or full; EINTR retried.
 * Returns 0 or -errno. */
static int read_more(int fd, char *buf, size_t cap, size_t *off)
{
	while (*off < cap - 1) {
		ssize_t r = read(fd, buf + *off, cap - 1 - *off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return neg_errno();
		if (r == 0)
			return 0;
		*off += (size_t)r;
	}
	return 0;
}

int apf_check_regular(const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		return 0;
	return S_ISDIR(st->st_mode) ? -EISDIR : -APF_EFTYPE;
}

static int check_log_file(const struct stat *st, bool chr)
{
	return chr && S_ISCHR(st->st_mode) ? 0 : apf_check_regular(st);
}

int apf_open_append_regular(const char *path, mode_t mode, bool chr)
{
	struct stat st;
	int fd, err;

	if (!stat(path, &st) && (err = check_log_file(&st, chr)))
		return err;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY |
		  O_NONBLOCK, mode);
	if (fd < 0)
		return errno == ENXIO ? -APF_EFTYPE : -errno;
	err = fstat(fd, &st) ? -errno : check_log_file(&st, chr);
	if (!err && S_ISCHR(st.st_mode) &&
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int apf_open_regular_at(int dirfd, const char *path, off_t limit)
{
	struct stat st;
	int fd, err;

	/* Look before opening: open() alone has effects on some devices
	 * (a tape rewinds, a watchdog arms).  The fstat() below closes the
	 * race with a file swapped in between. */
	if (fstatat(dirfd, path, &st, 0) < 0)
		return neg_errno();
	err = apf_check_regular(&st);
	if (err)
		return err;
	fd = openat(dirfd, path, APF_O_READ);
	if (fd < 0)
		return neg_errno();
	if (fstat(fd, &st) < 0)
		err = neg_errno();
	else
		err = apf_check_regular(&st);
	/* procfs, sysfs and debugfs report 0; a real file over the limit
	 * is refused before reading any of it. */
	if (!err && limit > 0 && st.st_size > limit)
		err = -EFBIG;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

ssize_t apf_read_file(const char *path, char *buf, size_t cap)
{
	size_t off = 0;
	int fd, err;

	if (!cap)
		return -EINVAL;
	fd = apf_open_regular_at(AT_FDCWD, path, 0);
	if (fd < 0)
		return fd;
	err = read_more(fd, buf, cap, &off);
	close(fd);
	if (err)
		return err;
	buf[off] = '\0';
	return (ssize_t)off;
}

ssize_t apf_read_fd(int fd, size_t limit, char **out)
{
	/* Room for one byte past the limit: reading it means "too large". */
	size_t most = limit < SIZE_MAX - 2 ? limit + 2 : SIZE_MAX;
	size_t cap = most < 4096 ? most : 4096, off = 0;
	char *buf = NULL;
	int err = 0;

	*out = NULL;
	/* procfs/sysfs report size 0: grow the buffer until EOF, i.e. until
	 * a read leaves room to spare. */
	for (;;) {
		char *nb = realloc(buf, cap);

		if (!nb) {
			err = -ENOMEM;
			break;
		}
		buf = nb;
		err = read_more(fd, buf, cap, &off);
		if (!err && off > limit)
			err = -EFBIG;
		if (err || off + 1 < cap)
			break;
		cap = cap > most / 2 ? most : cap * 2;
	}
	if (err) {
		free(buf);
		return err;
	}
	buf[off] = '\0';
	*out = buf;
	return (ssize_t)off;
}

ssize_t apf_slurp(const char *path, size_t limit, char **out)
{
	ssize_t n;
	int fd;

	*out = NULL;
	fd = apf_open_regular_at(AT_FDCWD, path, (off_t)limit);
	if (fd < 0)
		return fd;
	n = apf_read_fd(fd, limit, out);
	close(fd);
	return n;
}

int apf_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? neg_errno() : -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int apf_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	static unsigned int seq;
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd = -1, err = 0, tries, dfd;

	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else
		snprintf(dir, sizeof(dir), ".");
	if (slash && slash == path)
		snprintf(dir, sizeof(dir), "/");
	if (strlen(path) + 32 >= sizeof(tmp))
		return -ENAMETOOLONG;
	/* A name of our own (pid and a counter), created exclusively: what
	 * someone else put at a predictable name is never opened. */
	for (tries = 0; tries < 16 && fd < 0; tries++) {
		snprintf(tmp, sizeof(tmp), "%.*s.%s.%d.%u.tmp",
			 slash ? (int)(slash - path + 1) : 0, path,
			 slash ? slash + 1 : path, (int)getpid(), seq++);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW |
			  O_NOCTTY, mode);
		if (fd < 0 && errno != EEXIST)
			return neg_errno();
	}
	if (fd < 0)
		return -EEXIST;
	err = apf_write_all(fd, data, len);
	if (!err && fsync(fd))
		err = neg_errno();
	if (close(fd) && !err)
		err = neg_errno();
	if (!err && rename(tmp, path))
		err = neg_errno();
	if (err) {
		unlink(tmp);
		return err;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

const char *apf_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err == APF_EFTYPE)
		return "Not a regular file";
	return strerror(err);
}

int apf_read_u64(const char *path, uint64_t *out)
{
	char buf[64] = "";	/* defined even if a read fails oddly */
	ssize_t n = apf_read_file(path, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	/* A value that filled the buffer was truncated: not a counter. */
	if ((size_t)n == sizeof(buf) - 1)
		return -EINVAL;
	return apf_parse_u64(buf, out);
}

int apf_write_file(const char *path, const char *s)
{
	size_t len = strlen(s);
	struct stat st;
	ssize_t w;
	int fd, err = 0;

	/* Non-blocking: a FIFO without a reader fails (ENXIO) at once. */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return neg_errno();
	err = fstat(fd, &st) < 0 ? neg_errno() : apf_check_regular(&st);
	if (err) {
		close(fd);
		return err;
	}
	w = write(fd, s, len);
	if (w < 0)
		err = neg_errno();
	else if ((size_t)w != len)
		err = -EIO;
	if (close(fd) < 0 && !err)
		err = neg_errno();
	return err;
}

bool apf_is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

bool apf_is_regular(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool apf_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
