/* SPDX-License-Identifier: GPL-2.0-only */
/* The kernels installed in /boot, which of them are APF Suite kernels, and
 * which one the next boot should run.
 *
 * APF Suite kernels carry the flavour in their release (`uname -r`):
 *   6.12.118-apf-host, 6.12.118-apf-guest      (builds before issue 14)
 *   6.12.118-apf2-host, 6.12.118-apf2-guest    (the suite build in the name)
 * Anything else (6.1.0-28-amd64, 6.12.9+bpo-cloud-amd64) is a distribution
 * kernel and never chosen unless the caller asks for any kernel. */
#ifndef APF_BOOT_KERNELS_H
#define APF_BOOT_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

enum apf_flavour { APF_FLAVOUR_NONE = 0, APF_FLAVOUR_HOST, APF_FLAVOUR_GUEST };

struct apf_kernel {
	char version[128];
	enum apf_flavour flavour;	/* NONE: not an APF Suite kernel */
	unsigned long build;		/* the N of -apfN-; 0 for -apf- */
};

/* The flavour of a kernel release string, and its suite build. */
enum apf_flavour apf_kernel_classify(const char *version, unsigned long *build);
const char *apf_flavour_name(enum apf_flavour f);	/* "host", "guest", "none" */
/* "host"/"guest" -> flavour; -EINVAL otherwise. */
int apf_flavour_parse(const char *s, enum apf_flavour *f);

/* Kernels in bootdir (vmlinuz-VERSION regular files; rescue images,
 * backups and package manager leftovers skipped), sorted oldest first
 * (strverscmp).  *out is malloc'd (NULL when none).  0, or -errno with a
 * reason in err. */
int apf_kernels_scan(const char *bootdir, struct apf_kernel **out, size_t *n,
		     char *err, size_t errcap);

/* Which APF flavour to follow when the caller did not say: the running
 * kernel's if it is an APF kernel, else the only flavour installed.
 * 0 (NONE when no APF kernel is installed), or -EINVAL with a reason in err
 * when both flavours are installed and the running kernel is neither. */
int apf_flavour_default(const struct apf_kernel *k, size_t n, const char *running,
			enum apf_flavour *f, char *err, size_t errcap);

struct apf_target_req {
	enum apf_flavour flavour;	/* NONE: any APF flavour */
	bool any_kernel;		/* distribution kernels count too */
	const char *pin;		/* a version, or NULL */
};

/* The kernel the next boot should run: the pin when it is installed (an
 * explicit choice: any kernel), else the newest matching kernel.  *note gets
 * a reason for the choice ("pinned", "newest APF kernel", "pinned X is not
 * installed; newest APF kernel").  NULL when nothing matches. */
const struct apf_kernel *apf_target(const struct apf_kernel *k, size_t n,
				    const struct apf_target_req *req, const char **note);

#endif
