/* SPDX-License-Identifier: GPL-2.0-only */
/* /sys/kernel/debug/kvm: summed stats, per-VM <pid>-<fd>/ dirs, vcpuN/. */
#ifndef APF_KVM_DEBUGFS_H
#define APF_KVM_DEBUGFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "counters.h"

struct apf_debugfs_vm {
	pid_t pid;
	int fd;
	unsigned int nr_vcpus;	/* vcpuN directories seen */
};

/* 0 if /sys/kernel/debug/kvm is listable, -ENOENT (no debugfs or no kvm),
 * -EACCES/-EPERM otherwise. */
int apf_debugfs_kvm_probe(void);
/* List VM directories.  Caller frees *vms. */
int apf_debugfs_list_vms(struct apf_debugfs_vm **vms, size_t *n);
/* Same, counting vcpuN directories only if vcpus (a readdir per VM). */
int apf_debugfs_list_vms_opt(struct apf_debugfs_vm **vms, size_t *n,
			     bool vcpus);
/* vcpuN directories of one VM. */
unsigned int apf_debugfs_count_vcpus(pid_t pid, int fd);
/* Parse "<pid>-<fd>" (fuzzed). */
int apf_debugfs_parse_vm_dir(const char *name, pid_t *pid, int *fd);

/* Read stat files from dir ("" for the summed top level, "PID-FD" for a
 * VM, "PID-FD/vcpuN" for a vCPU) into c.  Only names apf_counter_is_shown()
 * accepts are read.  Returns the number read, or -EPERM when every file
 * refused (lockdown), or another -errno.  A directory that vanished returns
 * -ENOENT without noise. */
int apf_debugfs_read_stats(const char *dir, bool all, struct apf_counters *c);
/* The stat files of one directory, opened once (each checked to be a
 * regular file, as above) and read with one pread(2) a file at each
 * sample: a sample over many VMs costs a syscall a counter, not four.
 * Returns the number of files opened (0: none), -EPERM when every file
 * refused, or another -errno.  A per-VM file holds a reference on the VM
 * in KVM: close a VM's set when its VMM exits (the sampler watches with a
 * pidfd) or KVM keeps the VM until then. */
struct apf_debugfs_set;
int apf_debugfs_set_open(const char *dir, bool all, struct apf_debugfs_set **out);
/* Append the values to c (names each once, display ranks); the number
 * read, or the first -errno when none could be (the VM is gone). */
int apf_debugfs_set_read(const struct apf_debugfs_set *set, struct apf_counters *c);
size_t apf_debugfs_set_files(const struct apf_debugfs_set *set);
void apf_debugfs_set_close(struct apf_debugfs_set *set);
/* Whether a named stat file exists in the top-level directory. */
bool apf_debugfs_has_stat(const char *name);

#endif
