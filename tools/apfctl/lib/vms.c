// SPDX-License-Identifier: GPL-2.0-only
#include "vms.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "kvm_debugfs.h"
#include "procfs.h"
#include "sysroot.h"

static int vms_push(struct apf_vm_list *l, size_t *cap, pid_t pid, int fd,
		    unsigned int nr_vcpus)
{
	struct apf_vm *vm;

	if (l->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct apf_vm *v = realloc(l->v, nc * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		*cap = nc;
	}
	vm = &l->v[l->n++];
	memset(vm, 0, sizeof(*vm));
	vm->pid = pid;
	vm->kvm_fd = fd;
	vm->nr_vcpus = nr_vcpus;
	return 0;
}

/* Fallback when debugfs is not listable: processes holding a VM fd. */
static int scan_proc_fds(struct apf_vm_list *l, size_t *cap)
{
	char path[APF_PATH_MAX];
	struct dirent *de;
	bool denied = false;
	DIR *proc;
	int err = apf_path(path, sizeof(path), "/proc");

	if (err)
		return err;
	proc = opendir(path);
	if (!proc)
		return -errno;
	while ((de = readdir(proc)) && !err) {
		char fddir[APF_PATH_MAX];
		struct dirent *fe;
		long pid;
		DIR *fds;

		if (apf_parse_int(de->d_name, 1, INT32_MAX, &pid) ||
		    apf_path(fddir, sizeof(fddir), "/proc/%ld/fd", pid))
			continue;
		fds = opendir(fddir);
		if (!fds) {
			/* gone, or another user's */
			denied |= errno == EACCES || errno == EPERM;
			continue;
		}
		while ((fe = readdir(fds)) && !err) {
			char link[APF_PATH_MAX], target[64];
			ssize_t n;
			long fd;

			if (apf_parse_int(fe->d_name, 0, INT32_MAX, &fd) ||
			    snprintf(link, sizeof(link), "%s/%s", fddir,
				     fe->d_name) >= (int)sizeof(link))
				continue;
			n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (!strcmp(target, "anon_inode:kvm-vm"))
				err = vms_push(l, cap, (pid_t)pid, (int)fd, 0);
		}
		closedir(fds);
	}
	closedir(proc);
	/* Nothing found where some processes could not be looked at: not
	 * "no VMs" but "not allowed to see them". */
	if (!err && !l->n && denied)
		err = -EACCES;
	return err;
}

static void vm_describe(struct apf_vm *vm)
{
	char path[APF_PATH_MAX], **argv;
	int argc, err;

	if (!apf_path(path, sizeof(path), "/proc/%d/comm", (int)vm->pid) &&
	    apf_read_file(path, vm->comm, sizeof(vm->comm)) > 0)
		vm->comm[strcspn(vm->comm, "\n")] = '\0';
	err = apf_proc_argv(vm->pid, &argv, &argc);

	if (!err) {
		apf_qemu_parse(argc, argv, &vm->qemu);
		free(argv);
		vm->argv_err = 0;
		vm->argv_fails = 0;
	} else {
		apf_qemu_parse(0, NULL, &vm->qemu);
		vm->argv_err = 0;
		if (err == -ETIMEDOUT || err == -EBUSY || err == -EAGAIN ||
		    err == -ENOMEM) {
			double wait = 1.0;
			unsigned int i;

			vm->argv_err = err;	/* named by comm: say why */
			vm->argv_fails++;
			for (i = 1; i < vm->argv_fails && wait < 64.0; i++)
				wait *= 2;
			vm->argv_retry_at = apf_now_s() + wait;
		}
	}
	if (!vm->nr_vcpus && vm->qemu.smp > 0)
		vm->nr_vcpus = (unsigned int)vm->qemu.smp;
}

/* Fix name pointers after the array stopped moving. */
static void vms_finish(struct apf_vm_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		struct apf_vm *vm = &l->v[i];

		vm->name = vm->qemu.name[0] ? vm->qemu.name :
			   vm->comm[0] ? vm->comm : "?";
	}
}

static int vm_cmp(const void *a, const void *b)
{
	const struct apf_vm *x = a, *y = b;

	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	return (x->kvm_fd > y->kvm_fd) - (x->kvm_fd < y->kvm_fd);
}

/* prev is sorted by pid (one VM a process): a binary search, so a fleet
 * of VMs costs n log n a sample, not n squared. */
static const struct apf_vm *find_same(const struct apf_vm_list *prev,
				      const struct apf_vm *vm)
{
	size_t lo = 0, hi = prev ? prev->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = vm_cmp(vm, &prev->v[mid]);

		if (!c)
			return &prev->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int apf_vms_discover_cached(struct apf_vm_list *l, const struct apf_vm_list *prev)
{
	struct apf_debugfs_vm *dv;
	size_t i, n, cap = 0, keep = 0;
	char path[APF_PATH_MAX];
	bool from_debugfs;
	int err;

	l->v = NULL;
	l->n = 0;
	err = apf_debugfs_list_vms_opt(&dv, &n, false);
	from_debugfs = !err;
	if (!err) {
		for (i = 0; i < n && !err; i++)
			err = vms_push(l, &cap, dv[i].pid, dv[i].fd, 0);
		free(dv);
	} else {
		err = scan_proc_fds(l, &cap);
	}
	if (err) {
		apf_vms_free(l);
		return err;
	}
	/* A new VM whose process is gone (exited mid-listing) is dropped.
	 * One seen before is known to be a VM: its directory (or VM fd) is
	 * listed, which KVM removes with the VM. */
	for (i = 0; i < l->n; i++) {
		struct apf_vm *vm = &l->v[i];
		const struct apf_vm *old = find_same(prev, vm);

		if (old) {
			*vm = *old;
			/* Not read last time (a stall, no thread): again,
			 * backing off; until then it keeps its comm. */
			if (vm->argv_err && apf_now_s() >= vm->argv_retry_at)
				vm_describe(vm);
		} else {
			if (apf_path(path, sizeof(path), "/proc/%d", (int)vm->pid) ||
			    !apf_is_dir(path))
				continue;
			if (from_debugfs)
				vm->nr_vcpus = apf_debugfs_count_vcpus(vm->pid,
								       vm->kvm_fd);
			vm_describe(vm);
		}
		l->v[keep++] = *vm;
	}
	l->n = keep;
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), vm_cmp);
	/* VMs are tracked by process (QMP, libvirt, perf all work per
	 * process); a process with several VMs shows its first one. */
	for (i = 0, keep = 0; i < l->n; i++)
		if (!keep || l->v[keep - 1].pid != l->v[i].pid)
			l->v[keep++] = l->v[i];
	l->n = keep;
	vms_finish(l);
	return 0;
}

int apf_vms_discover(struct apf_vm_list *l)
{
	return apf_vms_discover_cached(l, NULL);
}

const struct apf_vm *apf_vms_find(const struct apf_vm_list *l, const char *sel)
{
	long pid;
	size_t i;

	if (!apf_parse_int(sel, 1, INT32_MAX, &pid) &&
	    strspn(sel, "0123456789") == strlen(sel)) {
		for (i = 0; i < l->n; i++)
			if (l->v[i].pid == (pid_t)pid)
				return &l->v[i];
		return NULL;
	}
	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, sel))
			return &l->v[i];
	return NULL;
}

void apf_vms_free(struct apf_vm_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int apf_vm_fd_is_vm(pid_t pid, int fd)
{
	char link[APF_PATH_MAX], target[32];
	ssize_t n;
	int err = apf_path(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, fd);

	if (err)
		return err;
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	target[n] = '\0';
	return !strcmp(target, "anon_inode:kvm-vm");
}

#define STR_(x) #x
#define STR(x) STR_(x)

const char *apf_vm_argv_problem(const struct apf_vm *vm)
{
	switch (vm->argv_err) {
	case 0: return "";
	case -ETIMEDOUT:
		return "did not answer within " STR(APF_PROC_ARGV_TIMEOUT_MS) " ms "
		       "(the process holds its memory map lock?)";
	case -EAGAIN:
	case -ENOMEM:
		return "not read: no thread to read it in (process or memory limit)";
	default:
		return "not read: earlier reads of such files are still stuck";
	}
}
