/* SPDX-License-Identifier: GPL-2.0-only */
/* The two ways to switch APF off for mode "off": the host's kvm.async_pf
 * module parameter (APF Suite host kernel) or QEMU's per-VM accelerator
 * property -accel kvm,async-pf=off (APF Suite QEMU). */
#ifndef BENCH_APF_SWITCH_H
#define BENCH_APF_SWITCH_H

#include <stdbool.h>
#include <stddef.h>

struct bench_param {
	bool present;		/* /sys/module/kvm/parameters/async_pf exists */
	bool writable;
	char original[8];	/* "Y" or "N" as found */
};

/* Read the parameter (under the sysroot).  Returns 0 (p->present tells). */
int bench_param_probe(struct bench_param *p);
/* Set it ("Y"/"N").  The first change remembers the original value, which
 * bench_param_restore writes back; restore is async-signal-safe, so a
 * signal handler may call it, and it is idempotent.  0 or -errno. */
int bench_param_set(const struct bench_param *p, bool on);
void bench_param_restore(void);
/* Whether a restore is pending (a value was changed). */
bool bench_param_changed(void);

/* Full path of an executable named as on a command line (PATH lookup when
 * it has no slash).  0 or -ENOENT. */
int bench_which(const char *name, char *buf, size_t cap);
/* Does this QEMU have the kvm-accel property async-pf?  Asked through QMP
 * qom-list-properties under -machine none -accel tcg (no /dev/kvm needed);
 * when QEMU cannot answer (no TCG, say), the binary is searched for the
 * property's name, as tests/lab does.  how (cap bytes) says which. */
bool bench_qemu_has_async_pf(const char *qemu, char *how, size_t cap);
/* First line of "QEMU --version", or an empty string. */
void bench_qemu_version(const char *qemu, char *buf, size_t cap);

#endif
