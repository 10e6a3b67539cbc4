// SPDX-License-Identifier: GPL-2.0-only
#include "signals.h"

#include <errno.h>
#include <string.h>

volatile sig_atomic_t apf_stop_signal;
volatile sig_atomic_t apf_hup_signal;

static void on_stop(int sig)
{
	apf_stop_signal = sig;
}

static void on_hup(int sig)
{
	(void)sig;
	apf_hup_signal = 1;
}

int apf_catch_signals(const int *sigs, size_t n, int hup)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;	/* no SA_RESTART: wake the sleep */
	for (i = 0; i < n; i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -errno;
	if (!hup)
		return 0;
	sa.sa_handler = on_hup;
	return sigaction(SIGHUP, &sa, NULL) ? -errno : 0;
}
