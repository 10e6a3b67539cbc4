/* SPDX-License-Identifier: GPL-2.0-only */
/* Writing a buffer all at once or not at all, for the libvirt hook's
 * migrate/restore answer: libvirt keeps its domain XML when the hook
 * prints nothing, and fails the migration on half an XML. */
#ifndef APF_WHOLE_WRITE_H
#define APF_WHOLE_WRITE_H

#include <stddef.h>

/* Write len bytes of buf to fd whole, or write nothing.
 *  - a pipe (what libvirt gives a hook): grown (F_SETPIPE_SZ) until the
 *    bytes fit beside what it already holds (FIONREAD), then one
 *    non-blocking write that cannot stop part way; a pipe that cannot
 *    hold them gives -EAGAIN and nothing is written;
 *  - a regular file: written in full (it does not block);
 *  - anything else (a terminal, a socket): -ENOTSUP, nothing written.
 * Returns 0 (all written), -EIO if only part went out (a pipe that
 * shrank under us: the caller must treat the output as broken), or
 * another -errno with nothing written. */
int apf_write_whole(int fd, const void *buf, size_t len);

#endif
