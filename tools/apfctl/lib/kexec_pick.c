// SPDX-License-Identifier: GPL-2.0-only
#include "kexec_pick.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

bool apf_kernel_version_skipped(const char *v)
{
	static const char *const bad_suffix[] = {
		".old", ".bak", ".dpkg-new", ".dpkg-old", ".dpkg-tmp", ".dpkg-bak",
		".dpkg-dist", ".rpmnew", ".rpmsave", ".sig", ".hmac", ".efi.signed",
	};
	size_t i;

	if (!*v || *v == '.' || strstr(v, "rescue") || strchr(v, '/'))
		return true;
	for (i = 0; i < sizeof(bad_suffix) / sizeof(bad_suffix[0]); i++)
		if (ends_with(v, bad_suffix[i]))
			return true;
	return false;
}

static void find_initrd(const char *dir, const char *version, char *out, size_t cap)
{
	/* prefix VERSION suffix, per distribution */
	static const char *const name[][2] = {
		{ "initrd.img-", "" }, { "initramfs-", ".img" }, { "initrd-", "" },
		{ "initrd-", ".img" },
	};
	size_t i;

	for (i = 0; i < sizeof(name) / sizeof(name[0]); i++) {
		int n = snprintf(out, cap, "%s/%s%s%s", dir, name[i][0], version,
				 name[i][1]);

		if (n > 0 && (size_t)n < cap && apf_is_regular(out))
			return;
	}
	out[0] = '\0';
}

int apf_kexec_find(const char *bootdir, const char *want,
		   struct apf_kexec_choice *c, char *err, size_t errcap)
{
	struct dirent *de;
	DIR *d;
	int n;

	memset(c, 0, sizeof(*c));
	err[0] = '\0';
	if (want && strchr(want, '/')) {
		const char *base = strrchr(want, '/') + 1;
		char dir[512];

		/* kexec(8) reads it: a FIFO or device there would hang it. */
		if (!apf_is_regular(want)) {
			snprintf(err, errcap, "%s: %s", want, apf_is_file(want) ?
				 "not a regular file" : "no such kernel image");
			return -ENOENT;
		}
		snprintf(c->kernel, sizeof(c->kernel), "%s", want);
		snprintf(c->version, sizeof(c->version), "%s",
			 strncmp(base, "vmlinuz-", 8) ? base : base + 8);
		snprintf(dir, sizeof(dir), "%.*s", (int)(base - want - 1), want);
		find_initrd(dir[0] ? dir : "/", c->version, c->initrd, sizeof(c->initrd));
		return 0;
	}
	d = opendir(bootdir);
	if (!d) {
		snprintf(err, errcap, "%s: %s", bootdir, apf_strerror(errno));
		return -ENOENT;
	}
	while ((de = readdir(d))) {
		const char *v = de->d_name + 8;
		char path[512];

		if (strncmp(de->d_name, "vmlinuz-", 8) || apf_kernel_version_skipped(v))
			continue;
		if (want && strcmp(v, want))
			continue;
		n = snprintf(path, sizeof(path), "%s/%s", bootdir, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(path) || !apf_is_regular(path) ||
		    strlen(v) >= sizeof(c->version))
			continue;
		if (c->version[0] && strverscmp(v, c->version) <= 0)
			continue;
		snprintf(c->version, sizeof(c->version), "%s", v);
		snprintf(c->kernel, sizeof(c->kernel), "%s", path);
	}
	closedir(d);
	if (!c->version[0]) {
		if (want)
			snprintf(err, errcap, "no kernel %s in %s (no %s/vmlinuz-%s)",
				 want, bootdir, bootdir, want);
		else
			snprintf(err, errcap, "no kernel installed in %s (no vmlinuz-*)",
				 bootdir);
		return -ENOENT;
	}
	find_initrd(bootdir, c->version, c->initrd, sizeof(c->initrd));
	return 0;
}

static bool dropped(const char *tok, size_t len)
{
	static const char *const drop[] = { "BOOT_IMAGE=", "initrd=" };
	size_t i;

	for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		if (len >= strlen(drop[i]) && !strncmp(tok, drop[i], strlen(drop[i])))
			return true;
	return false;
}

static int add_tokens(const char *s, bool filter, char *out, size_t cap, size_t *o)
{
	while (*s) {
		const char *t;
		bool q = false;
		size_t len;

		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			break;
		for (t = s; *s && (q || (*s != ' ' && *s != '\t' && *s != '\n')); s++)
			if (*s == '"')
				q = !q;
		len = (size_t)(s - t);
		if (filter && dropped(t, len))
			continue;
		if (*o + len + 2 > cap)
			return -ENOSPC;
		if (*o)
			out[(*o)++] = ' ';
		memcpy(out + *o, t, len);
		*o += len;
		out[*o] = '\0';
	}
	return 0;
}

int apf_kexec_cmdline(const char *proc_cmdline, const char *append,
		      char *out, size_t cap)
{
	size_t o = 0;
	int err;

	if (!cap)
		return -ENOSPC;
	out[0] = '\0';
	err = add_tokens(proc_cmdline ? proc_cmdline : "", true, out, cap, &o);
	if (!err && append)
		err = add_tokens(append, false, out, cap, &o);
	return err;
}

bool apf_kexec_need_signed(const char *lockdown_text, bool secure_boot,
			   const char **why)
{
	*why = "no lockdown, no Secure Boot";
	if (lockdown_text && (strstr(lockdown_text, "[integrity]") ||
			      strstr(lockdown_text, "[confidentiality]"))) {
		*why = "kernel lockdown is on: only signed kernels load";
		return true;
	}
	if (secure_boot) {
		*why = "UEFI Secure Boot is on";
		return true;
	}
	return false;
}
