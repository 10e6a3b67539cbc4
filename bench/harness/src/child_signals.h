/* SPDX-License-Identifier: GPL-2.0-only */
/* A forked child about to exec: the harness's signal handlers and mask
 * must not leak into QEMU or the tools it runs. */
#ifndef APF_BENCH_CHILD_SIGNALS_H
#define APF_BENCH_CHILD_SIGNALS_H

/* Every signal back to SIG_DFL, nothing blocked; async-signal-safe. */
void child_reset_signals(void);

#endif
