// SPDX-License-Identifier: GPL-2.0-only
#include "hook_log.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "sanitize.h"

static int log_fd = -1;
static bool use_system;
static char log_domain[APF_LOG_NAME_MAX + 8] = "-";
static char log_op[32] = "-";
static int (*journal_send)(const char *fmt, ...);
static bool journal_tried, syslog_open;

int apf_log_open(const char *file, bool system)
{
	int fd;

	use_system = system;
	/* syslog() stamps its lines with localtime_r(), and glibc loads the
	 * time zone (TZ's file or /etc/localtime: a FILE and malloc'ed rules)
	 * on the first call.  Load it here, once, right after the deadline is
	 * armed, rather than at whichever line comes first: a deadline's
	 * _exit in the middle of a late line then finds no zone half read
	 * (valgrind saw that as a leak), and a zone file that does not answer
	 * costs the deadline, as before, and nothing more.  The file's own
	 * time stamps are UTC and read no zone (apf_iso_time()). */
	if (system)
		tzset();
	if (!file || log_fd >= 0)
		return 0;
	fd = apf_open_append_regular(file, 0640, false);	/* never a FIFO's */
	if (fd < 0)
		return fd;
	log_fd = fd;
	return 0;
}

void apf_log_context(const char *domain, const char *op)
{
	if (domain)
		apf_safe_cut(domain, log_domain, sizeof(log_domain), APF_LOG_NAME_MAX, 0);
	if (op)
		apf_safe_cut(op, log_op, sizeof(log_op), 16, 0);
}

int apf_log_fd(void)
{
	return log_fd;
}

/* The journal where there is one, else syslog.  libsystemd is dlopen'ed:
 * apfctl must run where it is not installed. */
static void log_system(int prio, const char *msg, const char *record)
{
	if (!journal_tried) {
		journal_tried = true;
		if (!access("/run/systemd/journal/socket", W_OK)) {
			void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);

			if (h)
				*(void **)&journal_send = dlsym(h, "sd_journal_send");
		}
	}
	if (journal_send) {
		journal_send("MESSAGE=%s", msg, "PRIORITY=%d", prio,
			     "SYSLOG_IDENTIFIER=apf-hook", "APF_DOMAIN=%s", log_domain,
			     "APF_OPERATION=%s", log_op,
			     record ? "APF_RECORD=%s" : NULL, record, NULL);
		return;
	}
	if (!syslog_open) {
		openlog("apf-hook", LOG_PID, LOG_DAEMON);
		syslog_open = true;
	}
	syslog(prio, "%s", msg);
}

static void write_line(const char *line, size_t n)
{
	if (write(log_fd, line, n) < 0)
		return;	/* nowhere to say so; the journal still hears it */
}

void apf_logr(int prio, const char *record, const char *fmt, ...)
{
	char raw[1024], msg[1024], line[1400], ts[APF_ISO_TIME_LEN];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* One event, one line: control characters from QEMU, virsh or the
	 * domain XML are encoded, never passed on. */
	apf_safe_encode(raw, msg, sizeof(msg), 0);
	/* The file first: one write(2), where the first journal message
	 * loads libsystemd, which a deadline close behind may cut short. */
	if (log_fd >= 0) {
		apf_iso_time(ts, sizeof(ts), NULL, true);
		n = snprintf(line, sizeof(line), "%s apf-hook[%d]: %s %s: %s\n", ts,
			     (int)getpid(), log_domain, log_op, msg);
		if (n > 0) {
			/* One write on an O_APPEND fd: lines of concurrent
			 * hooks and watchers do not interleave.  A line cut to
			 * the buffer still ends in its newline. */
			if ((size_t)n >= sizeof(line)) {
				n = sizeof(line) - 1;
				line[n - 1] = '\n';
			}
			write_line(line, (size_t)n);
		}
	}
	if (use_system)
		log_system(prio, msg, record);
}

void apf_log_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	if (syslog_open)
		closelog();
	syslog_open = false;
}
