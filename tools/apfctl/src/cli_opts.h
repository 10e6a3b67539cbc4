/* SPDX-License-Identifier: GPL-2.0-only */
/* Global options accepted after the command too ("apfctl stats -1 -j"). */
#ifndef APFCTL_CLI_OPTS_H
#define APFCTL_CLI_OPTS_H

#include <getopt.h>
#include <stdbool.h>

#define APF_OPT_SYSROOT 0x1000
#define APF_OPT_PRETTY	0x1001
#define APF_OPT_QMP_TIMEOUT 0x1002

/* Long options every command takes; -j is short everywhere, -p only where
 * the command does not use it (stats/trace: -p is --pid). */
#define APF_GLOBAL_LONG_OPTS					\
	{ "json", no_argument, NULL, 'j' },			\
	{ "pretty", no_argument, NULL, APF_OPT_PRETTY },	\
	{ "sysroot", required_argument, NULL, APF_OPT_SYSROOT },	\
	{ "qmp-timeout", required_argument, NULL, APF_OPT_QMP_TIMEOUT },	\
	{ "help", no_argument, NULL, 'h' }

/* Handle a global option inside a command's getopt loop; true if taken. */
bool apf_global_opt(int c, const char *arg);
/* Set the sysroot, exiting with a usage error if it is not a directory. */
void apf_use_sysroot(const char *dir);
/* Set the QMP reply timeout (ms), exiting with a usage error if invalid. */
void apf_use_qmp_timeout(const char *ms);

#endif
