// SPDX-License-Identifier: GPL-2.0-only
/* apfctl kexec (the apf-kexec helper): load the newest installed kernel (or
 * the one asked for) with its initrd and the running kernel's command line,
 * so that `systemctl kexec` reboots without firmware and boot loader. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apfctl.h"
#include "cli_opts.h"
#include "fileio.h"
#include "kexec_pick.h"
#include "spawn.h"
#include "sysroot.h"
#include "usage.h"

#define KEXEC_TIMEOUT_MS 120000
#define KEXEC_RECORD "/run/apf/kexec-loaded"
#define SECUREBOOT_VAR "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

enum { OPT_KERNEL = 0x5000, OPT_INITRD, OPT_APPEND, OPT_CMDLINE, OPT_DRY,
       OPT_REBOOT, OPT_FALLBACK };

static bool secure_boot_on(void)
{
	unsigned char b[5];
	char path[APF_PATH_MAX];
	ssize_t n;
	int fd;

	/* efivarfs: 4 bytes of attributes, then the value (1 = on). */
	if (apf_path(path, sizeof(path), SECUREBOOT_VAR))
		return false;
	fd = apf_open_regular_at(AT_FDCWD, path, 0);
	if (fd < 0)
		return false;
	n = read(fd, b, sizeof(b));
	close(fd);
	return n == 5 && b[4] == 1;
}

static int read_sys(const char *rel, char *buf, size_t cap)
{
	char path[APF_PATH_MAX];
	ssize_t n;

	buf[0] = '\0';
	if (apf_path(path, sizeof(path), "%s", rel))
		return -ENAMETOOLONG;
	n = apf_read_file(path, buf, cap);
	return n < 0 ? (int)n : 0;
}

/* What was loaded, for the hooks that must know whether the loaded image
 * went stale (the initramfs post-update hook): /run/apf/kexec-loaded,
 * gone with the next boot as the image is.  Best effort: a warning. */
static void record_loaded(const struct apf_kexec_choice *c, const char *cmdline)
{
	char run[APF_PATH_MAX], dir[APF_PATH_MAX], path[APF_PATH_MAX], text[6000];
	int n, err;

	if (apf_path(run, sizeof(run), "/run") || apf_path(dir, sizeof(dir), "/run/apf") ||
	    apf_path(path, sizeof(path), "%s", KEXEC_RECORD))
		return;
	n = snprintf(text, sizeof(text), "version=%s\nkernel=%s\ninitrd=%s\ncmdline=%s\n",
		     c->version, c->kernel, c->initrd, cmdline);
	if (n < 0 || (size_t)n >= sizeof(text))
		return;
	err = (mkdir(run, 0755) && errno != EEXIST) || (mkdir(dir, 0755) && errno != EEXIST) ?
	      -errno : apf_write_atomic(path, text, (size_t)n, 0644);
	if (err)
		apf_warn("kexec: recording the loaded kernel in %s: %s", path,
			 apf_strerror(-err));
}

static const struct apf_opt_help kexec_opts[] = {
	{ "--kernel VERSION|PATH", "the kernel (default: the newest in /boot)" },
	{ "--initrd PATH", "its initrd (default: found next to it)" },
	{ "--append ARGS", "add to the running kernel's command line" },
	{ "--command-line ARGS", "use ARGS instead of the running command line" },
	{ "--dry-run", "show what would be loaded, load nothing" },
	{ "--reboot", "after loading, run `systemctl kexec`" },
	{ "--fallback-reboot", "if loading fails, run `systemctl reboot`" },
	{ NULL, NULL },
};

static const struct apf_usage kexec_usage = {
	"kexec", "[OPTIONS]   (installed as apf-kexec)",
	"Load a kernel for a fast reboot with `systemctl kexec`.\n",
	kexec_opts,
	"kexec -s (kexec_file_load, signature checked) is used under lockdown\n"
	"or Secure Boot, kexec -l otherwise (and -s if -l fails).\n"
	"Exit status: 0 loaded (or rebooting), 1 failed, 3 no kexec in this\n"
	"kernel, 4 not root.\n",
};

struct kexec_opts {
	const char *kernel, *initrd, *append, *cmdline;
	bool dry, reboot, fallback;
};

static void report(const struct kexec_opts *ko, const struct apf_kexec_choice *c,
		   const char *cmdline, bool is_signed, const char *why,
		   const char *action, bool loaded, const char *error)
{
	json_writer_t *w;

	if (!apf_g.json) {
		if (c->version[0])
			printf("kernel:  %s (%s)\ninitrd:  %s\ncmdline: %s\nmode:    %s (%s)\n",
			       apf_safe(c->version), apf_safe(c->kernel),
			       c->initrd[0] ? apf_safe(c->initrd) : "none",
			       cmdline, is_signed ? "kexec -s (kexec_file_load)" :
			       "kexec -l (kexec_load)", why);
		if (!error)
			printf("%s\n", action);
		return;
	}
	w = apf_json_open();
	if (!w)
		return;
	jsonw_start_object(w);
	jsonw_string_field(w, "version", c->version);
	jsonw_string_field(w, "kernel", c->kernel);
	if (c->initrd[0])
		jsonw_string_field(w, "initrd", c->initrd);
	else
		jsonw_null_field(w, "initrd");
	jsonw_string_field(w, "cmdline", cmdline);
	jsonw_string_field(w, "mode", is_signed ? "kexec_file_load" : "kexec_load");
	jsonw_string_field(w, "mode_reason", why);
	jsonw_bool_field(w, "dry_run", ko->dry);
	jsonw_bool_field(w, "loaded", loaded);
	jsonw_string_field(w, "action", action);
	if (error)
		jsonw_string_field(w, "error", error);
	jsonw_end_object(w);
	jsonw_destroy(&w);
	putchar('\n');
}

/* Loading failed: say why, and reboot the slow way only if asked. */
static int load_failed(const struct kexec_opts *ko, const struct apf_kexec_choice *c,
		       const char *cmdline, bool is_signed, const char *why,
		       int code, const char *msg)
{
	const char *systemctl = getenv("APF_SYSTEMCTL") ? getenv("APF_SYSTEMCTL") :
				"systemctl";
	const char *argv[] = { systemctl, "reboot", NULL };
	char err[400];

	if (!ko->fallback || ko->dry) {
		report(ko, c, cmdline, is_signed, why, "failed", false, msg);
		return apf_fail(code, "kexec: %s", msg);
	}
	apf_warn("kexec: %s; falling back to a full reboot (--fallback-reboot)", msg);
	report(ko, c, cmdline, is_signed, why, "reboot", false, msg);
	if (apf_run_tool(argv, 30000, NULL, err, sizeof(err)))
		return apf_fail(APF_EXIT_RUNTIME, "kexec: fallback failed: %s", err);
	return APF_EXIT_OK;
}

int cmd_kexec(int argc, char **argv)
{
	static const struct option opts[] = {
		APF_GLOBAL_LONG_OPTS,
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "initrd", required_argument, NULL, OPT_INITRD },
		{ "append", required_argument, NULL, OPT_APPEND },
		{ "command-line", required_argument, NULL, OPT_CMDLINE },
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "reboot", no_argument, NULL, OPT_REBOOT },
		{ "fallback-reboot", no_argument, NULL, OPT_FALLBACK },
		{ NULL, 0, NULL, 0 },
	};
	char bootdir[APF_PATH_MAX], kernel[APF_PATH_MAX], lockdown[128], buf[16];
	char proc[4096], cmdline[4096], err[600] = "", initrd_arg[600], cmd_arg[4200];
	const char *kexec = getenv("APF_KEXEC") ? getenv("APF_KEXEC") : "kexec";
	const char *systemctl = getenv("APF_SYSTEMCTL") ? getenv("APF_SYSTEMCTL") :
				"systemctl";
	struct kexec_opts ko = { 0 };
	struct apf_kexec_choice c;
	const char *why, *kargv[8];
	bool is_signed;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "jph", opts, NULL)) != -1) {
		if (ch == 'p')
			ch = APF_OPT_PRETTY;
		if (apf_global_opt(ch, optarg))
			continue;
		switch (ch) {
		case OPT_KERNEL: ko.kernel = optarg; break;
		case OPT_INITRD: ko.initrd = optarg; break;
		case OPT_APPEND: ko.append = optarg; break;
		case OPT_CMDLINE: ko.cmdline = optarg; break;
		case OPT_DRY: ko.dry = true; break;
		case OPT_REBOOT: ko.reboot = true; break;
		case OPT_FALLBACK: ko.fallback = true; break;
		default: return apf_usage(&kexec_usage, ch);
		}
	}
	if (optind < argc)
		return apf_fail(APF_EXIT_USAGE, "kexec: unexpected argument '%s'", argv[optind]);
	if (ko.append && ko.cmdline)
		return apf_fail(APF_EXIT_USAGE, "kexec: --append or --command-line, not both");
	memset(&c, 0, sizeof(c));
	cmdline[0] = '\0';
	if (read_sys("/sys/kernel/kexec_loaded", buf, sizeof(buf)) == -ENOENT)
		return load_failed(&ko, &c, "", false, "", APF_EXIT_UNSUPPORTED,
				   "this kernel has no kexec (no /sys/kernel/kexec_loaded)");
	if (!read_sys("/proc/sys/kernel/kexec_load_disabled", buf, sizeof(buf)) &&
	    buf[0] == '1')
		return load_failed(&ko, &c, "", false, "", APF_EXIT_RUNTIME,
				   "kexec loading is disabled until the next boot "
				   "(kernel.kexec_load_disabled=1)");
	/* A path given by the user is taken as is; versions are looked up
	 * in /boot under --sysroot. */
	if (ko.kernel && strchr(ko.kernel, '/'))
		snprintf(kernel, sizeof(kernel), "%s", ko.kernel);
	if (apf_path(bootdir, sizeof(bootdir), "/boot") ||
	    apf_kexec_find(bootdir, ko.kernel && strchr(ko.kernel, '/') ? kernel : ko.kernel,
			   &c, err, sizeof(err)))
		return load_failed(&ko, &c, "", false, "", APF_EXIT_RUNTIME,
				   err[0] ? err : "path too long");
	if (ko.initrd)
		snprintf(c.initrd, sizeof(c.initrd), "%s", ko.initrd);
	if (ko.cmdline) {
		snprintf(proc, sizeof(proc), "%s", ko.cmdline);
	} else if (read_sys("/proc/cmdline", proc, sizeof(proc))) {
		return load_failed(&ko, &c, "", false, "", APF_EXIT_RUNTIME,
				   "cannot read /proc/cmdline");
	}
	if (apf_kexec_cmdline(proc, ko.append, cmdline, sizeof(cmdline)))
		return load_failed(&ko, &c, "", false, "", APF_EXIT_RUNTIME,
				   "command line too long");
	read_sys("/sys/kernel/security/lockdown", lockdown, sizeof(lockdown));
	is_signed = apf_kexec_need_signed(lockdown, secure_boot_on(), &why);
	if (ko.dry) {
		report(&ko, &c, cmdline, is_signed, why, "dry run: nothing loaded", false,
		       NULL);
		return APF_EXIT_OK;
	}
	if (geteuid() != 0 && apf_sysroot_is_live())
		return apf_fail(APF_EXIT_PERM, "kexec: loading a kernel needs root");
	snprintf(initrd_arg, sizeof(initrd_arg), "--initrd=%s", c.initrd);
	snprintf(cmd_arg, sizeof(cmd_arg), "--command-line=%s", cmdline);
	for (int attempt = 0; attempt < 2; attempt++) {
		size_t a = 0;

		kargv[a++] = kexec;
		kargv[a++] = is_signed ? "-s" : "-l";
		kargv[a++] = c.kernel;
		if (c.initrd[0])
			kargv[a++] = initrd_arg;
		kargv[a++] = cmd_arg;
		kargv[a] = NULL;
		rc = apf_run_tool(kargv, KEXEC_TIMEOUT_MS, "not installed (kexec-tools)", err,
				  sizeof(err));
		if (!rc || is_signed)
			break;
		/* kexec_load can be compiled out where kexec_file_load is not. */
		apf_warn("kexec: %s; trying kexec -s", err);
		is_signed = true;
		why = "kexec -l failed";
	}
	if (rc)
		return load_failed(&ko, &c, cmdline, is_signed, why, APF_EXIT_RUNTIME, err);
	if (read_sys("/sys/kernel/kexec_loaded", buf, sizeof(buf)) || buf[0] != '1')
		return load_failed(&ko, &c, cmdline, is_signed, why, APF_EXIT_RUNTIME,
				   "kexec reported success but /sys/kernel/kexec_loaded is not 1");
	record_loaded(&c, cmdline);
	if (!ko.reboot) {
		report(&ko, &c, cmdline, is_signed, why,
		       "loaded; `systemctl kexec` boots it", true, NULL);
		return APF_EXIT_OK;
	}
	report(&ko, &c, cmdline, is_signed, why, "loaded; running `systemctl kexec`",
	       true, NULL);
	fflush(stdout);
	{
		const char *sargv[] = { systemctl, "kexec", NULL };

		if (apf_run_tool(sargv, 30000, NULL, err, sizeof(err)))
			return load_failed(&ko, &c, cmdline, is_signed, why,
					   APF_EXIT_RUNTIME, err);
	}
	return APF_EXIT_OK;
}
