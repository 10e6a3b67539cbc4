/* SPDX-License-Identifier: GPL-2.0-only */
/* Logging for the libvirt hook and its watcher: one event, one line, to
 * the journal (structured fields an operator filters on: journalctl
 * APF_DOMAIN=web1) or else syslog, and to a log file where one is set.
 * Every message goes through lib/sanitize.c: names and error texts come
 * from QEMU, virsh and domain XML. */
#ifndef APF_HOOK_LOG_H
#define APF_HOOK_LOG_H

#include <stdbool.h>
#include <syslog.h>	/* LOG_ERR ... for callers */

#define APF_LOG_NAME_MAX 200	/* a domain name in a log line */

/* Append to file (NULL: none) as well.  The file must be a regular file
 * (or not exist yet: it is created, mode 0640); it is opened without
 * blocking, so a FIFO or device in its place is refused at once, not
 * waited on.  system: also the journal or syslog (tests turn it off).
 * 0 or -errno (the file is then not used; the journal/syslog still is). */
int apf_log_open(const char *file, bool system);
/* The domain and operation each line is about ("-" until set). */
void apf_log_context(const char *domain, const char *op);
/* Log at syslog priority prio; record (may be NULL) is a path the journal
 * gets as APF_RECORD. */
void apf_logr(int prio, const char *record, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define apf_log(prio, ...) apf_logr(prio, NULL, __VA_ARGS__)
/* The log file's fd or -1: for a signal handler's last write(2). */
int apf_log_fd(void);
void apf_log_close(void);

#endif
