// SPDX-License-Identifier: GPL-2.0-only
#include "kvm_debugfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "sysroot.h"

#define KVM_DEBUGFS "/sys/kernel/debug/kvm"

int apf_debugfs_kvm_probe(void)
{
	char path[APF_PATH_MAX];
	DIR *d;
	int err = apf_path(path, sizeof(path), KVM_DEBUGFS);

	if (err)
		return err;
	d = opendir(path);
	if (!d)
		return -errno;
	closedir(d);
	return 0;
}

int apf_debugfs_parse_vm_dir(const char *name, pid_t *pid, int *fd)
{
	const char *dash = strchr(name, '-');
	char num[16];
	long p, f;
	size_t len;

	if (!dash)
		return -EINVAL;
	len = (size_t)(dash - name);
	if (!len || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, name, len);
	num[len] = '\0';
	if (apf_parse_int(num, 1, INT32_MAX, &p) ||
	    apf_parse_int(dash + 1, 0, INT32_MAX, &f))
		return -EINVAL;
	/* Reject blanks and signs the lenient parser allows ("12--0" would
	 * read as fd 0): a directory name is digits, one dash, digits. */
	if (strspn(name, "0123456789-") != strlen(name) ||
	    strchr(dash + 1, '-'))
		return -EINVAL;
	*pid = (pid_t)p;
	*fd = (int)f;
	return 0;
}

static unsigned int count_vcpus(const char *vmdir)
{
	struct dirent *de;
	unsigned int n = 0;
	DIR *d = opendir(vmdir);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		long idx;

		if (!strncmp(de->d_name, "vcpu", 4) &&
		    !apf_parse_int(de->d_name + 4, 0, 1 << 20, &idx) &&
		    strspn(de->d_name + 4, "0123456789") == strlen(de->d_name + 4))
			n++;
	}
	closedir(d);
	return n;
}

unsigned int apf_debugfs_count_vcpus(pid_t pid, int fd)
{
	char vmdir[APF_PATH_MAX];

	if (apf_path(vmdir, sizeof(vmdir), KVM_DEBUGFS "/%d-%d", (int)pid, fd))
		return 0;
	return count_vcpus(vmdir);
}

int apf_debugfs_list_vms(struct apf_debugfs_vm **vms, size_t *n)
{
	return apf_debugfs_list_vms_opt(vms, n, true);
}

int apf_debugfs_list_vms_opt(struct apf_debugfs_vm **vms, size_t *n,
			     bool vcpus)
{
	char path[APF_PATH_MAX], vmdir[APF_PATH_MAX];
	struct dirent *de;
	size_t cap = 0;
	DIR *d;
	int err;

	*vms = NULL;
	*n = 0;
	err = apf_path(path, sizeof(path), KVM_DEBUGFS);
	if (err)
		return err;
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct apf_debugfs_vm vm;

		if (apf_debugfs_parse_vm_dir(de->d_name, &vm.pid, &vm.fd))
			continue;
		if (apf_path(vmdir, sizeof(vmdir), KVM_DEBUGFS "/%s", de->d_name))
			continue;
		vm.nr_vcpus = vcpus ? count_vcpus(vmdir) : 0;
		if (*n == cap) {
			struct apf_debugfs_vm *v;

			cap = cap ? cap * 2 : 8;
			v = realloc(*vms, cap * sizeof(**vms));
			if (!v) {
				closedir(d);
				free(*vms);
				*vms = NULL;
				*n = 0;
				return -ENOMEM;
			}
			*vms = v;
		}
		(*vms)[(*n)++] = vm;
	}
	closedir(d);
	return 0;
}

struct read_state {
	int nread, nperm, first_err;
};

/* Read one stat file relative to the directory fd: openat() skips the
 * path walk, which dominates when sampling hundreds of VMs.  A missing or
 * non-numeric file is skipped quietly (older kernels lack some stats;
 * histograms are not counters), and so is a directory (vcpuN/ when listing
 * all).  Anything else that is not a regular file (a FIFO, socket or
 * device: never in debugfs) is an error, read no further: open is
 * non-blocking and the type is checked on the open fd, so no hang. */
static int read_one(int dfd, const char *name, struct apf_counters *c,
		    struct read_state *st)
{
	struct stat sb;
	char buf[64];
	uint64_t v;
	ssize_t n = 0;
	int fd, err;

	fd = openat(dfd, name, APF_O_READ);
	if (fd < 0) {
		/* open(2) of a socket (or of a device without a driver). */
		err = errno == ENXIO ? -APF_EFTYPE : -errno;
	} else {
		err = fstat(fd, &sb) < 0 ? -errno : apf_check_regular(&sb);
		if (!err) {
			n = read(fd, buf, sizeof(buf) - 1);
			err = n < 0 ? -errno : 0;
		}
		close(fd);
	}
	if (err == -EISDIR || err == -ENOENT)
		return 0;
	if (err) {
		st->nperm += err == -EPERM || err == -EACCES;
		st->first_err = st->first_err ? st->first_err : err;
		return 0;
	}
	buf[n] = '\0';
	/* A value that filled the buffer was truncated: not a counter. */
	if ((size_t)n == sizeof(buf) - 1 || apf_parse_u64(buf, &v))
		return 0;
	st->nread++;
	return apf_counters_set(c, name, v);
}

int apf_debugfs_read_stats(const char *dir, bool all, struct apf_counters *c)
{
	char path[APF_PATH_MAX];
	struct read_state st = { 0, 0, 0 };
	int dfd, err;

	err = apf_path(path, sizeof(path), KVM_DEBUGFS "%s%s",
		       *dir ? "/" : "", dir);
	if (err)
		return err;
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;	/* -ENOENT: the VM exited since listing */
	if (all) {
		struct dirent *de;
		DIR *d = fdopendir(dup(dfd));

		if (!d) {
			err = -errno;
			close(dfd);
			return err;
		}
		while ((de = readdir(d)) && !err)
			if (de->d_name[0] != '.')
				err = read_one(dfd, de->d_name, c, &st);
		closedir(d);
	} else {
		/* Open the known names only: a sample over 100 VMs stays
		 * within its time budget without a readdir per VM. */
		size_t i;

		for (i = 0; i < apf_host_counter_count && !err; i++)
			err = read_one(dfd, apf_host_counter_names[i], c, &st);
		for (i = 0; i < apf_context_counter_count && !err; i++)
			err = read_one(dfd, apf_context_counter_names[i], c, &st);
	}
	close(dfd);
	if (err)
		return err;
	if (!st.nread && st.first_err)
		return st.nperm ? -EPERM : st.first_err;
	return st.nread;
}

bool apf_debugfs_has_stat(const char *name)
{
	char path[APF_PATH_MAX];

	return !apf_path(path, sizeof(path), KVM_DEBUGFS "/%s", name) &&
	       apf_is_regular(path);
}
