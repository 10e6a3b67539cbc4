/* SPDX-License-Identifier: GPL-2.0-only */
/* Bounded, error-returning readers for small kernel files. */
#ifndef APF_FILEIO_H
#define APF_FILEIO_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "number.h"	/* the parsers every reader uses */

/* All functions take real (already sysroot-resolved) paths and return
 * 0 / a length on success or a negative errno; they never abort. */

/* "Not a regular file": a FIFO, socket or device node where a kernel file
 * is expected.  Linux has no EFTYPE; this value is outside its errno range
 * and apf_strerror() names it. */
#define APF_EFTYPE 4079

/* Flags for every read of a kernel file: a FIFO never blocks the open or
 * the read, a tty never becomes ours, no fd leaks into spawned tools. */
#define APF_O_READ (O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)

struct stat;
/* 0 for a regular file, -EISDIR for a directory, -APF_EFTYPE otherwise:
 * procfs, sysfs, debugfs and tracefs files are all S_ISREG. */
int apf_check_regular(const struct stat *st);
/* Open path (relative to dirfd, or AT_FDCWD) for reading if it is a
 * regular file no larger than limit bytes (0: any size); the fd or -errno
 * (-EISDIR, -APF_EFTYPE, -EFBIG, or open's). */
int apf_open_regular_at(int dirfd, const char *path, off_t limit);
/* Open (creating with mode) a log file to append to: the fd or -errno.
 * Looked at first: a FIFO, socket or device there is never opened (an
 * open has effects on some devices; a FIFO's reader would see us come and
 * go); O_NONBLOCK and an fstat() for one swapped in meanwhile: a FIFO
 * without a reader fails at once, not when one comes.  -EISDIR,
 * -APF_EFTYPE (not a regular file), or open's.  With chr, a character
 * device the operator named (/dev/null, a tty) is taken too, blocking. */
int apf_open_append_regular(const char *path, mode_t mode, bool chr);
/* strerror() that also names APF_EFTYPE; takes err or -err. */
const char *apf_strerror(int err);

/* Read at most cap-1 bytes and NUL-terminate.  Returns bytes read. */
ssize_t apf_read_file(const char *path, char *buf, size_t cap);
/* Read a whole file of any size into a malloc'd NUL-terminated buffer,
 * refusing files over limit bytes (-EFBIG).  Caller frees *out. */
ssize_t apf_slurp(const char *path, size_t limit, char **out);
/* Read fd to EOF into a malloc'd NUL-terminated buffer of at most limit
 * bytes (-EFBIG past it); EINTR retried.  For stdin and fds already
 * checked.  Caller frees *out. */
ssize_t apf_read_fd(int fd, size_t limit, char **out);
/* Write all len bytes to fd, retrying short writes and EINTR: 0 or
 * -errno (-EIO for a write that wrote nothing). */
int apf_write_all(int fd, const void *buf, size_t len);
/* Replace path with len bytes of data atomically: a new file in the same
 * directory, created exclusively (O_EXCL, so nothing already there, a FIFO
 * or a link, is ever opened), written, fsync'ed and renamed over path, then
 * the directory fsync'ed.  A reader sees the old or the new file, never
 * half of one; on error path is unchanged.  mode: the new file's. */
int apf_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Read one unsigned decimal value (debugfs/sysfs style). */
int apf_read_u64(const char *path, uint64_t *out);
/* Write s to path (sysfs switch); maps short writes to -EIO. */
int apf_write_file(const char *path, const char *s);
bool apf_is_file(const char *path);
bool apf_is_dir(const char *path);
/* A regular file, as every procfs/sysfs/debugfs file is (apf_is_file() is
 * anything but a directory: /dev/kvm is a character device). */
bool apf_is_regular(const char *path);

#endif
