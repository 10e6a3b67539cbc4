/* SPDX-License-Identifier: GPL-2.0-only */
/* What apfctl needs from a QEMU command line: name, QMP socket, vCPUs. */
#ifndef APF_QEMU_CMDLINE_H
#define APF_QEMU_CMDLINE_H

#include <stdbool.h>

#define APF_NAME_MAX 128
#define APF_SOCK_MAX 108	/* sizeof(sun_path) */

struct apf_qemu_info {
	bool is_qemu;
	bool libvirt;			/* started by libvirt (-name guest=...) */
	char name[APF_NAME_MAX];	/* "" if none */
	char qmp[APF_SOCK_MAX];		/* QMP unix socket path, "" if none */
	int smp;			/* -smp count, 0 if not given */
	bool kvm;			/* -enable-kvm or -accel kvm */
	int async_pf;			/* -accel kvm,async-pf=: 1, 0, or -1 unset */
};

/* Parse argv; never fails, unknown options are skipped. */
void apf_qemu_parse(int argc, char *const argv[], struct apf_qemu_info *q);

#endif
