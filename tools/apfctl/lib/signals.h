/* SPDX-License-Identifier: GPL-2.0-only */
/* The one stop-signal handler: stats, trace and the hook's watcher run
 * until a signal asks them to stop, and finish their work then. */
#ifndef APF_SIGNALS_H
#define APF_SIGNALS_H

#include <signal.h>
#include <stddef.h>

/* The signal that asked this process to stop, or 0. */
extern volatile sig_atomic_t apf_stop_signal;
/* SIGHUP seen since the flag was last cleared (where SIGHUP means "reopen
 * the log", not "stop"). */
extern volatile sig_atomic_t apf_hup_signal;

/* Catch each of sigs into apf_stop_signal, and SIGHUP into apf_hup_signal
 * if hup (it must then not be in sigs).  Without SA_RESTART: a sleep,
 * poll or read in progress returns EINTR at once.  0 or -errno. */
int apf_catch_signals(const int *sigs, size_t n, int hup);

#endif
