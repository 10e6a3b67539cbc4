/* SPDX-License-Identifier: GPL-2.0-only */
/* Choosing what apf-kexec loads: the newest installed kernel (or the one
 * asked for), its initrd, and the running kernel's command line. */
#ifndef APF_KEXEC_PICK_H
#define APF_KEXEC_PICK_H

#include <stdbool.h>
#include <stddef.h>

struct apf_kexec_choice {
	char version[128];
	char kernel[512];
	char initrd[512];	/* "" if none found */
};

/* Is vmlinuz-VERSION not a bootable kernel of its own: empty, hidden,
 * a rescue image, a path, or a backup or package manager leftover (.old,
 * .bak, .dpkg-*, .rpmnew, .rpmsave, .sig, .hmac, .efi.signed)?  The one
 * rule for apfctl kexec and apf-boot (tools/apf-boot/lib/kernels.c). */
bool apf_kernel_version_skipped(const char *version);

/* Look in bootdir (a real path) for vmlinuz-VERSION files and their
 * initrds (Debian initrd.img-V, Fedora initramfs-V.img, SUSE initrd-V).
 * want: NULL for the newest (version order, strverscmp), a version, or a
 * path to a kernel image.  Rescue images, backups (.old, .bak, dpkg files)
 * and hidden files are skipped.  0, or -ENOENT with a reason in err. */
int apf_kexec_find(const char *bootdir, const char *want,
		   struct apf_kexec_choice *c, char *err, size_t errcap);

/* The command line for the new kernel: proc_cmdline without the tokens
 * that name the old boot (BOOT_IMAGE=, initrd=), then append.  Quoted
 * values ("a b") stay one token.  -ENOSPC if it does not fit. */
int apf_kexec_cmdline(const char *proc_cmdline, const char *append,
		      char *out, size_t cap);

/* Does loading need kexec_file_load (kexec -s, signature checked)?  Yes
 * under lockdown (lockdown_text is /sys/kernel/security/lockdown, e.g.
 * "none [integrity] confidentiality", or NULL) or with UEFI Secure Boot on.
 * why gets a short reason. */
bool apf_kexec_need_signed(const char *lockdown_text, bool secure_boot,
			   const char **why);

#endif
