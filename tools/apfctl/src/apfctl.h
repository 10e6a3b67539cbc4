/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared CLI state and helpers for apfctl's subcommands. */
#ifndef APFCTL_H
#define APFCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "json_writer.h"
#include "sanitize.h"	/* apf_safe() for printf arguments */

/* Where no run-time switch exists, APF is turned off for a guest at its
 * next boot only, and the guest sees it: its kernel command line, or its
 * CPUID (kvm-asyncpf=off covers every guest kernel; kvm-asyncpf-int=off
 * only those from 5.8 on, which need delivery by interrupt, and 0009 of
 * the APF Suite QEMU then refuses such a guest's incoming migration from
 * a source that has it). */
#define APF_OFF_AT_BOOT_GUEST "'no-kvmapf' on the guest kernel command line"
#define APF_OFF_AT_BOOT_QEMU \
	"QEMU '-cpu ...,kvm-asyncpf=off' for the VM (CPUID: the same -cpu on " \
	"every migration destination)"
#define APF_OFF_AT_BOOT "at the guest's next boot, visible to it: " \
	APF_OFF_AT_BOOT_GUEST ", or " APF_OFF_AT_BOOT_QEMU

/* Exit codes (DESIGN.md, apfctl). */
enum {
	APF_EXIT_OK = 0,
	APF_EXIT_RUNTIME = 1,
	APF_EXIT_USAGE = 2,
	APF_EXIT_UNSUPPORTED = 3,
	APF_EXIT_PERM = 4,
};

struct apf_global {
	bool json;
	bool pretty;
	int qmp_timeout_ms;	/* --qmp-timeout; 0: each command's default */
	bool json_started;	/* some JSON went to stdout */
};

extern struct apf_global apf_g;

/* "apfctl: <message>\n" on stderr; returns code so callers can
 * "return apf_fail(APF_EXIT_USAGE, ...)". */
int apf_fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Warning on stderr, suppressed in JSON mode unless it matters. */
void apf_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A JSON writer on stdout honouring -p; NULL on allocation failure. */
json_writer_t *apf_json_open(void);
/* Map -errno from a switch write to an exit code. */
int apf_exit_for_errno(int err);
/* errno of the first failed write to stdout, where a command noticed it
 * (a flush that failed loses it); close_stdout() reports it at exit. */
extern int apf_stdout_errno;

/* Back to the plain stdout and stderr, unencoded: for the hook, which
 * passes libvirt's XML through byte for byte and whose forked children
 * end in _exit() holding nothing on the heap. */
void apf_output_plain(void);

/* Parse a duration in seconds ("0.5", "2") into milliseconds; -1 if bad. */
long apf_parse_seconds(const char *s);

/* Subcommands: argv[0] is the subcommand name; getopt-style parsing. */
int cmd_status(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_enable(int argc, char **argv);
int cmd_disable(int argc, char **argv);
int cmd_hook(int argc, char **argv);
int cmd_apply_config(int argc, char **argv);
int cmd_kexec(int argc, char **argv);

#endif
