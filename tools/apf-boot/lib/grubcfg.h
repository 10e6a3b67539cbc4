/* SPDX-License-Identifier: GPL-2.0-only */
/* GRUB's generated configuration (/boot/grub/grub.cfg) and environment
 * block (/boot/grub/grubenv), read as GRUB reads them, for one question:
 * which kernel does the default entry boot, and what saved_entry makes an
 * APF kernel the default.
 *
 * grub-mkconfig (Debian's 10_linux) writes one entry per kernel with a
 * stable id, `gnulinux-VERSION-advanced-UUID`, in the "Advanced options"
 * submenu (`gnulinux-advanced-UUID`); the top entry
 * (`gnulinux-simple-UUID`) always boots the newest kernel, whatever it is.
 * With GRUB_DEFAULT=saved, grub.cfg says `set default="${saved_entry}"` and
 * saved_entry "gnulinux-advanced-UUID>gnulinux-VERSION-advanced-UUID" keeps
 * naming the same kernel when other kernels come and go. */
#ifndef APF_BOOT_GRUBCFG_H
#define APF_BOOT_GRUBCFG_H

#include <stdbool.h>
#include <stddef.h>

struct grub_node {
	bool submenu;
	int parent;		/* index of the enclosing submenu, -1 at the top */
	int index;		/* position among its siblings (GRUB's numbering) */
	char id[256];		/* $menuentry_id_option / --id, "" if none */
	char title[256];
	char kernel[256];	/* basename of the `linux` image, "" if none */
	bool recovery;		/* `single` on the kernel command line */
};

struct grub_cfg {
	struct grub_node *node;
	size_t n;
	bool saved_default;	/* set default="${saved_entry}" */
	char fixed_default[128];	/* set default="X" outside next_entry, "" if none */
};

#define GRUB_CFG_MAX (4u << 20)

/* Parse grub.cfg text (NUL-terminated).  0, or -EINVAL/-ENOMEM with a
 * reason ("line N: ...") in err. */
int grub_cfg_parse(const char *text, struct grub_cfg *c, char *err, size_t errcap);
void grub_cfg_free(struct grub_cfg *c);

/* The entry that boots /boot/vmlinuz-VERSION (not a recovery entry),
 * preferring one whose id names the version (the submenu entry) over the
 * top "simple" entry, whose id stays while its kernel changes.  NULL if
 * grub.cfg has none. */
const struct grub_node *grub_cfg_entry_for(const struct grub_cfg *c, const char *version);

/* The saved_entry value that selects node: ids (or titles where an entry
 * has no id) from the top, joined by '>'.  -ENOSPC if it does not fit. */
int grub_cfg_path(const struct grub_cfg *c, const struct grub_node *node,
		  char *out, size_t cap);

/* The entry a default value selects, as GRUB does: '>'-separated
 * components, each a number (position), an id or a title, each looked up
 * among the children of the previous one; the final one must be a
 * menuentry.  "" and NULL select entry 0.  NULL if nothing matches. */
const struct grub_node *grub_cfg_resolve(const struct grub_cfg *c, const char *value);

/* The value of key in a grubenv block ("# GRUB Environment Block" then
 * key=value lines, '#' padding; grub-editenv escapes '\\' and newline).
 * 0, -ENOENT if the key is not set, -EINVAL if text is not an environment
 * block, -ENOSPC if the value does not fit. */
int grubenv_get(const char *text, const char *key, char *out, size_t cap);

#endif
