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

/* One stat file of a set: its fd, and its name and display rank. */
struct stat_file {
	int fd;
	int rank;
	char name[APF_COUNTER_NAME_MAX];
};

struct apf_debugfs_set {
	size_t n, cap;
	struct stat_file *f;
};

struct open_state {
	int nperm, first_err;
};

/* Open one stat file relative to the directory fd: openat() skips the
 * path walk.  A missing file is skipped quietly (older kernels lack some
 * stats), and so is a directory (vcpuN/ when listing all).  Anything else
 * that is not a regular file (a FIFO, socket or device: never in debugfs)
 * is an error of that file: open is non-blocking and the type is checked
 * on the open fd, so nothing hangs and nothing else is read from it. */
static int open_one(int dfd, const char *name, int rank,
		    struct apf_debugfs_set *set, struct open_state *st)
{
	int fd, err;

	if (strlen(name) >= APF_COUNTER_NAME_MAX)
		return 0;
	/* Looked at before it is opened (an open has effects on some
	 * devices), then checked again on the fd. */
	fd = apf_open_regular_at(dfd, name, 0);
	err = fd < 0 ? (fd == -ENXIO ? -APF_EFTYPE : fd) : 0;
	if (err == -EISDIR || err == -ENOENT)
		return 0;
	if (err) {
		st->nperm += err == -EPERM || err == -EACCES;
		st->first_err = st->first_err ? st->first_err : err;
		return 0;
	}
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		struct stat_file *f = realloc(set->f, cap * sizeof(*f));

		if (!f) {
			close(fd);
			return -ENOMEM;
		}
		set->f = f;
		set->cap = cap;
	}
	set->f[set->n].fd = fd;
	set->f[set->n].rank = rank;
	snprintf(set->f[set->n].name, sizeof(set->f[set->n].name), "%s", name);
	set->n++;
	return 0;
}

int apf_debugfs_set_open(const char *dir, bool all, struct apf_debugfs_set **out)
{
	char path[APF_PATH_MAX];
	struct open_state st = { 0, 0 };
	struct apf_debugfs_set *set;
	int dfd, err;

	*out = NULL;
	err = apf_path(path, sizeof(path), KVM_DEBUGFS "%s%s", *dir ? "/" : "", dir);
	if (err)
		return err;
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;	/* -ENOENT: the VM exited since listing */
	set = calloc(1, sizeof(*set));
	if (!set) {
		close(dfd);
		return -ENOMEM;
	}
	if (all) {
		struct dirent *de;
		DIR *d = fdopendir(dup(dfd));

		if (!d)
			err = -errno;
		while (d && (de = readdir(d)) && !err)
			if (de->d_name[0] != '.')
				err = open_one(dfd, de->d_name, APF_RANK_UNKNOWN, set, &st);
		if (d)
			closedir(d);
	} else {
		/* Open the known names only, in display order: no readdir,
		 * and nothing to sort after reading. */
		size_t i;

		for (i = 0; i < apf_host_counter_count && !err; i++)
			err = open_one(dfd, apf_host_counter_names[i], (int)i, set, &st);
		for (i = 0; i < apf_context_counter_count && !err; i++)
			err = open_one(dfd, apf_context_counter_names[i],
				       (int)(apf_host_counter_count + i), set, &st);
	}
	close(dfd);
	if (!err && !set->n && st.first_err)
		err = st.nperm ? -EPERM : st.first_err;
	if (err) {
		apf_debugfs_set_close(set);
		return err;
	}
	*out = set;
	return (int)set->n;
}

int apf_debugfs_set_read(const struct apf_debugfs_set *set, struct apf_counters *c)
{
	int nread = 0, first_err = 0, err;
	size_t i;

	if (!set)
		return 0;
	err = apf_counters_reserve(c, set->n);
	if (err)
		return err;
	for (i = 0; i < set->n; i++) {
		const struct stat_file *f = &set->f[i];
		char buf[64];
		uint64_t v;
		/* Offset 0 each time: debugfs makes the value anew there. */
		ssize_t n = pread(f->fd, buf, sizeof(buf) - 1, 0);

		if (n < 0) {
			first_err = first_err ? first_err : -errno;
			continue;
		}
		buf[n] = '\0';
		/* A value that filled the buffer was truncated, and a
		 * histogram is no counter: both are left out. */
		if ((size_t)n == sizeof(buf) - 1 || apf_parse_u64(buf, &v))
			continue;
		err = apf_counters_append(c, f->name, v, f->rank);
		if (err)
			return err;
		nread++;
	}
	return nread || !first_err ? nread : first_err;
}

size_t apf_debugfs_set_files(const struct apf_debugfs_set *set)
{
	return set ? set->n : 0;
}

void apf_debugfs_set_close(struct apf_debugfs_set *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->n; i++)
		close(set->f[i].fd);
	free(set->f);
	free(set);
}

int apf_debugfs_read_stats(const char *dir, bool all, struct apf_counters *c)
{
	struct apf_debugfs_set *set = NULL;
	int n = apf_debugfs_set_open(dir, all, &set);

	if (n <= 0) {
		apf_debugfs_set_close(set);
		return n;
	}
	n = apf_debugfs_set_read(set, c);
	apf_debugfs_set_close(set);
	return n;
}

bool apf_debugfs_has_stat(const char *name)
{
	char path[APF_PATH_MAX];

	return !apf_path(path, sizeof(path), KVM_DEBUGFS "/%s", name) &&
	       apf_is_regular(path);
}
