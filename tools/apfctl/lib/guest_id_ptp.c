// SPDX-License-Identifier: GPL-2.0-only
/* Any architecture, stock guest kernels included: the ptp_kvm driver
 * registers its clock, named "KVM virtual PTP", only after the kernel
 * found KVM (x86: kvm_para_available() and kvmclock; arm64: the SMCCC
 * vendor hypervisor UID and the PTP service in KVM's feature bitmap).
 * It says nothing about async page faults, and the module is loaded on
 * demand (chrony's refclock, an admin), so its absence proves nothing. */
#include <dirent.h>
#include <string.h>

#include "fileio.h"
#include "guest_id.h"
#include "probe.h"
#include "sysroot.h"

#define PTP_CLASS "/sys/class/ptp"
#define KVM_PTP_NAME "KVM virtual PTP"
/* PTP clocks a machine may have: NICs' and this one. */
#define PTP_MAX_SCAN 64

static bool kvm_ptp_clock(void)
{
	char path[APF_PATH_MAX], name[64];
	struct dirent *de;
	unsigned int seen = 0;
	bool found = false;
	DIR *d;

	if (apf_path(path, sizeof(path), PTP_CLASS))
		return false;
	d = opendir(path);
	if (!d)
		return false;
	while (!found && seen < PTP_MAX_SCAN && (de = readdir(d))) {
		if (strncmp(de->d_name, "ptp", 3))
			continue;
		seen++;
		if (apf_path(path, sizeof(path), PTP_CLASS "/%s/clock_name",
			     de->d_name) ||
		    apf_read_file(path, name, sizeof(name)) <= 0)
			continue;
		name[strcspn(name, "\n")] = '\0';
		found = !strcmp(name, KVM_PTP_NAME);
	}
	closedir(d);
	return found;
}

int apf_guest_id_ptp(struct apf_guest_probe *g)
{
	if (!kvm_ptp_clock())
		return 0;
	g->id.kvm = true;
	g->id.arch = NULL;
	g->id.evidence = "ptp_kvm";
	return 0;
}
