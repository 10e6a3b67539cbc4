// SPDX-License-Identifier: GPL-2.0-only
#include "loader.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const char *apf_loader_name(enum apf_loader l)
{
	switch (l) {
	case APF_LOADER_GRUB: return "grub";
	case APF_LOADER_GRUBBY: return "grubby";
	case APF_LOADER_SDBOOT: return "systemd-boot";
	case APF_LOADER_NONE: break;
	}
	return "none";
}

static bool executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

bool apf_find_command(const char *name, const char *path_env, char *out, size_t cap)
{
	const char *p, *end;

	if (!name || !*name || !cap)
		return false;
	if (strchr(name, '/')) {
		int n = snprintf(out, cap, "%s", name);

		return n > 0 && (size_t)n < cap && executable(out);
	}
	if (!path_env || !*path_env)
		path_env = DEFAULT_PATH;
	for (p = path_env; ; p = end + 1) {
		size_t len;
		int n;

		end = strchr(p, ':');
		len = end ? (size_t)(end - p) : strlen(p);
		/* An empty element is the current directory: not for root. */
		if (len) {
			n = snprintf(out, cap, "%.*s/%s", (int)len, p, name);
			if (n > 0 && (size_t)n < cap && executable(out))
				return true;
		}
		if (!end)
			break;
	}
	out[0] = '\0';
	return false;
}

/* root + rel is a directory with a regular file whose name ends in suffix. */
static bool has_file(const char *root, const char *rel, const char *suffix)
{
	char dir[1024], path[1536];
	struct dirent *de;
	bool found = false;
	DIR *d;

	if ((size_t)snprintf(dir, sizeof(dir), "%s%s", root, rel) >= sizeof(dir))
		return false;
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		size_t n = strlen(de->d_name), s = strlen(suffix);

		if (de->d_name[0] == '.' || n <= s || strcmp(de->d_name + n - s, suffix))
			continue;
		found = (size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) <
			sizeof(path) && apf_is_regular(path);
	}
	closedir(d);
	return found;
}

static bool is_regular_at(const char *root, const char *rel)
{
	char path[1024];

	return (size_t)snprintf(path, sizeof(path), "%s%s", root, rel) < sizeof(path) &&
	       apf_is_regular(path);
}

/* systemd-boot's entries: in the ESP (/efi, /boot/efi) or XBOOTLDR (/boot). */
static const char *sdboot_entries(const char *root)
{
	static const char *const dirs[] = { "/boot", "/efi", "/boot/efi" };
	static char found[64];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "%s/loader/entries", dirs[i]);
		if (has_file(root, rel, ".conf")) {
			snprintf(found, sizeof(found), "%s", rel);
			return found;
		}
		snprintf(rel, sizeof(rel), "%s/EFI/Linux", dirs[i]);
		if (has_file(root, rel, ".efi")) {
			snprintf(found, sizeof(found), "%s", rel);
			return found;
		}
	}
	return NULL;
}

void apf_loader_detect(const char *root, const struct apf_loader_tools *t,
		       struct apf_loader_info *out)
{
	bool bls = has_file(root, "/boot/loader/entries", ".conf");
	bool sysconfig = is_regular_at(root, "/etc/sysconfig/kernel");
	bool grub_cfg = is_regular_at(root, "/boot/grub/grub.cfg");
	const char *sd = sdboot_entries(root);
	size_t o = 0;

	memset(out, 0, sizeof(*out));
	if (t->grubby && (bls || sysconfig)) {
		out->loader = APF_LOADER_GRUBBY;
		out->managed = true;
		snprintf(out->why, sizeof(out->why), "grubby (%s) and %s", t->grubby,
			 bls ? "BLS entries in /boot/loader/entries" : "/etc/sysconfig/kernel");
		return;
	}
	if (t->grub_editenv && grub_cfg) {
		out->loader = APF_LOADER_GRUB;
		out->managed = true;
		snprintf(out->why, sizeof(out->why), "grub-editenv (%s) and /boot/grub/grub.cfg",
			 t->grub_editenv);
		return;
	}
	if (t->bootctl && sd) {
		out->loader = APF_LOADER_SDBOOT;
		snprintf(out->why, sizeof(out->why), "systemd-boot (bootctl, entries in %s): "
			 "apf-boot does not set its default (an EFI variable it cannot test); "
			 "set it with `bootctl set-default ENTRY`", sd);
		return;
	}
	out->loader = APF_LOADER_NONE;
#define WHY(...) do { \
		if (o < sizeof(out->why)) { \
			int n_ = snprintf(out->why + o, sizeof(out->why) - o, __VA_ARGS__); \
			o += n_ > 0 ? (size_t)n_ : 0; \
		} \
	} while (0)
	WHY("no boot loader apf-boot manages: ");
	if (grub_cfg)
		WHY("/boot/grub/grub.cfg exists but grub-editenv is not installed (grub-common); ");
	if (bls || sysconfig || sd)
		WHY("BLS entries in %s but %s; ", bls ? "/boot/loader/entries" : sd ? sd :
		    "/etc/sysconfig/kernel", sd ? "neither grubby nor bootctl is installed" :
		    "grubby is not installed");
	if (is_regular_at(root, "/etc/kernel/proxmox-boot-uuids"))
		WHY("proxmox-boot-tool writes the boot partitions here: pin the kernel with "
		    "`proxmox-boot-tool kernel pin VERSION`");
	else if (!grub_cfg && !bls && !sysconfig && !sd)
		WHY("no /boot/grub/grub.cfg, no BLS or systemd-boot entries (booted by QEMU "
		    "-kernel, a container, or a loader apf-boot does not know)");
	else
		WHY("apf-boot leaves the boot default alone");
#undef WHY
}
