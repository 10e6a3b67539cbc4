/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMs on a host: found in debugfs and /proc, named from QEMU's argv. */
#ifndef APF_VMS_H
#define APF_VMS_H

#include <stddef.h>
#include <sys/types.h>

#include "qemu_cmdline.h"

struct apf_vm {
	pid_t pid;
	int kvm_fd;			/* -1 if unknown */
	unsigned int nr_vcpus;		/* from debugfs, else -smp, else 0 */
	char comm[32];
	struct apf_qemu_info qemu;
	const char *name;		/* qemu.name, or comm */
	int argv_err;			/* reading its argv: -ETIMEDOUT, -EBUSY
					 * (lib/bounded.h), -EAGAIN or -ENOMEM
					 * (no thread to read it in), or 0 */
	unsigned int argv_fails;	/* such failures in a row */
	double argv_retry_at;		/* apf_now_s() when it is read again */
};

struct apf_vm_list {
	struct apf_vm *v;
	size_t n;
};

/* Enumerate VMs: debugfs VM directories when listable, otherwise processes
 * with an anon_inode:kvm-vm file descriptor.  A VM that exits between
 * listing and reading is dropped, not reported as an error. */
int apf_vms_discover(struct apf_vm_list *l);
/* Same, reusing the descriptions (name, argv, vCPUs) of VMs with the same
 * pid and VM fd in prev, so repeated samples read /proc only for new VMs
 * and for VMs whose argv could not be read (argv_err), again from
 * argv_retry_at on: 1, 2, 4 ... 64 s after each failure in a row. */
int apf_vms_discover_cached(struct apf_vm_list *l, const struct apf_vm_list *prev);
/* Select by pid (sel is all digits) or by name; NULL if none. */
const struct apf_vm *apf_vms_find(const struct apf_vm_list *l, const char *sel);
void apf_vms_free(struct apf_vm_list *l);
/* Why vm has no argv (it is named by its comm, without a QMP socket):
 * "" when it has, else a phrase such as "did not answer within 500 ms". */
const char *apf_vm_argv_problem(const struct apf_vm *vm);
/* Whether the process's descriptor fd still is a VM (its /proc fd link
 * reads anon_inode:kvm-vm): 1 yes, 0 no (closed, or now something
 * else), -errno where it cannot be told (-EACCES: another user's). */
int apf_vm_fd_is_vm(pid_t pid, int fd);

#endif
