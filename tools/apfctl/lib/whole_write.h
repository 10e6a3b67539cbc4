/* SPDX-License-Identifier: GPL-2.0-only */
/* Writing a buffer all at once or not at all, for the libvirt hook's
 * migrate/restore answer: libvirt keeps its domain XML when the hook
 * prints nothing, and fails the migration on half an XML. */
#ifndef APF_WHOLE_WRITE_H
#define APF_WHOLE_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Write len bytes of buf to fd whole, or write nothing.
 *  - a pipe (what libvirt gives a hook): grown (F_SETPIPE_SZ) until the
 *    bytes fit beside what it already holds (FIONREAD), then one
 *    non-blocking write that cannot stop part way; a pipe that cannot
 *    hold them gives -EAGAIN and nothing is written.  Should that write
 *    still come back short (the pipe shrunk by another process holding
 *    it, no memory for its pages), the rest follows as the reader makes
 *    room, until deadline (apf_now_ms() clock);
 *  - a regular file: written in full (it does not wait for a reader);
 *  - anything else (a terminal, a socket): -ENOTSUP, nothing written.
 * Nothing in here blocks past deadline, so a caller may hold its timer
 * signal off around it.  Returns 0 (all written), -EIO if only part went
 * out (the output is broken: the caller must fail), or another -errno
 * with nothing written. */
int apf_write_whole(int fd, const void *buf, size_t len, int64_t deadline);

/* The rest of a short write: len bytes of buf to fd (non-blocking), each
 * write once poll() says there is room, until all went out or deadline.
 * The number of bytes written, or -errno if none. */
ssize_t apf_write_until(int fd, const void *buf, size_t len, int64_t deadline);

#endif
