/* SPDX-License-Identifier: GPL-2.0-only */
/* Which boot loader boots this machine, found from what is installed and
 * what is on disk, never assumed:
 *   grubby        the grubby command, and BLS entries in /boot/loader/entries
 *                 or /etc/sysconfig/kernel (Fedora, RHEL: their grub.cfg reads
 *                 the BLS entries, so grubby is what edits the default);
 *   grub          grub-editenv, and /boot/grub/grub.cfg (Debian);
 *   systemd-boot  bootctl, and loader entries in /boot, /efi or /boot/efi
 *                 (reported; apf-boot does not set its default);
 *   none          anything else: a machine booted with QEMU -kernel, a
 *                 container, Proxmox's proxmox-boot-tool (ESPs not mounted).
 * Paths are read under a root prefix ("" for the live system). */
#ifndef APF_BOOT_LOADER_H
#define APF_BOOT_LOADER_H

#include <stdbool.h>
#include <stddef.h>

enum apf_loader { APF_LOADER_NONE = 0, APF_LOADER_GRUB, APF_LOADER_GRUBBY, APF_LOADER_SDBOOT };

/* The commands found (a path or a name apf_run can start), NULL if absent. */
struct apf_loader_tools {
	const char *grub_editenv;
	const char *grubby;
	const char *bootctl;
};

struct apf_loader_info {
	enum apf_loader loader;
	bool managed;		/* apf-boot sets its default: grub, grubby */
	char why[600];		/* what it was found by, or why none is managed */
};

/* "grub", "grubby", "systemd-boot", "none". */
const char *apf_loader_name(enum apf_loader l);

/* Detect the boot loader under root.  Always succeeds: none, with the
 * reason in why, when nothing matches. */
void apf_loader_detect(const char *root, const struct apf_loader_tools *t,
		       struct apf_loader_info *out);

/* name, if it contains a '/', when it is an executable regular file; else
 * the first executable regular file name in the directories of path_env
 * (PATH; NULL or "" for the default /usr/local/sbin:...:/bin).  The full
 * path in out; false if none. */
bool apf_find_command(const char *name, const char *path_env, char *out, size_t cap);

#endif
