/* SPDX-License-Identifier: GPL-2.0-only */
/* Running as /init of an initramfs that holds nothing else. */
#ifndef APFWL_PID1_H
#define APFWL_PID1_H

/* Mounts /proc, /sys and /dev, takes the console, runs with the options of
 * the apfwl= kernel parameter (else with argv), then syncs and powers off.
 * Never returns: PID 1 exiting would panic the guest. */
_Noreturn void wl_pid1_main(int argc, char **argv);

#endif
