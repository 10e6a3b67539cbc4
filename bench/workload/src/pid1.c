// SPDX-License-Identifier: GPL-2.0-only
/* PID 1 mode.  The initramfs holds only /init, so the console device comes
 * from devtmpfs, mounted here; errors are reported as records and end in a
 * power-off, never in PID 1 exiting. */
#include "pid1.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "args.h"
#include "guest_stats.h"
#include "jsonl.h"
#include "run.h"

struct mount_step {
	const char *source, *target, *fstype;
};

static const struct mount_step mounts[] = {
	{ "proc", "/proc", "proc" },
	{ "sysfs", "/sys", "sysfs" },
	{ "devtmpfs", "/dev", "devtmpfs" },
};

/* Errors from before the console was open, reported once it is. */
static char early_err[512];

static void mount_all(void)
{
	size_t i;

	for (i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		const struct mount_step *m = &mounts[i];

		if (mkdir(m->target, 0755) && errno != EEXIST) {
			snprintf(early_err, sizeof(early_err), "mkdir %s: %s",
				 m->target, strerror(errno));
			continue;
		}
		/* EBUSY: the kernel mounted it already (devtmpfs.mount=1). */
		if (mount(m->source, m->target, m->fstype,
			  MS_NOSUID | MS_NOEXEC, NULL) && errno != EBUSY)
			snprintf(early_err, sizeof(early_err),
				 "mount %s on %s: %s", m->fstype, m->target,
				 strerror(errno));
	}
}

/* APFWL_CONSOLE (an environment variable; the kernel passes unknown
 * name=value parameters to init that way) picks another device or file:
 * the native PID-namespace test uses it to capture the output. */
static void take_console(void)
{
	const char *ttys[] = { getenv("APFWL_CONSOLE"), "/dev/console",
			       "/dev/ttyS0" };
	size_t i;
	int fd = -1;

	for (i = 0; i < sizeof(ttys) / sizeof(ttys[0]) && fd < 0; i++)
		if (ttys[i] && *ttys[i])
			fd = open(ttys[i], O_RDWR | O_NOCTTY | O_APPEND);
	if (fd < 0)
		return;  /* nowhere to report; the run still powers off */
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

/* "MemTotal:       2030612 kB" */
static int parse_mem_total(const char *meminfo, uint64_t *kb)
{
	const char *p = strstr(meminfo, "MemTotal:");
	char *end;
	unsigned long long v;

	if (!p || (p != meminfo && p[-1] != '\n'))
		return -1;
	errno = 0;
	v = strtoull(p + sizeof("MemTotal:") - 1, &end, 10);
	if (errno || end == p + sizeof("MemTotal:") - 1)
		return -1;
	*kb = v;
	return 0;
}

static void emit_boot(const char *cmdline)
{
	struct jl *j = malloc(sizeof(*j));
	struct utsname u;
	uint64_t mem_kb;
	char *meminfo = gs_read_file("/proc/meminfo");
	long nproc = sysconf(_SC_NPROCESSORS_ONLN);

	if (!j) {
		free(meminfo);
		return;
	}
	jl_begin(j, "boot");
	jl_u64(j, "version", WL_VERSION);
	if (!uname(&u)) {
		jl_str(j, "sysname", u.sysname);
		jl_str(j, "release", u.release);
		jl_str(j, "kernel_version", u.version);
		jl_str(j, "machine", u.machine);
	}
	if (nproc > 0)
		jl_i64(j, "nproc", nproc);
	if (meminfo && !parse_mem_total(meminfo, &mem_kb))
		jl_u64(j, "mem_total_kb", mem_kb);
	if (cmdline)
		jl_str(j, "cmdline", cmdline);
	jl_emit(j, STDOUT_FILENO);
	free(meminfo);
	free(j);
}

static _Noreturn void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	/* Without a power-off driver the kernel halts and we never get here;
	 * if it refused, reboot (QEMU -no-reboot exits), else wait forever. */
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

/* apfwl= wins; without it, init's own arguments (the kernel passes what
 * follows "--" on its command line). */
static int run_from_cmdline(const char *cmdline, int argc, char **argv)
{
	struct wl_cmdline_argv a;
	int rc, found = wl_cmdline_argv(cmdline, &a);

	if (found < 0) {
		jl_emit_error(STDOUT_FILENO, "out of memory splitting apfwl=");
		jl_emit_done(STDOUT_FILENO, WL_EXIT_RUNTIME);
		return WL_EXIT_RUNTIME;
	}
	rc = found ? wl_main(a.argc, a.argv, STDOUT_FILENO)
		   : wl_main(argc, argv, STDOUT_FILENO);
	wl_cmdline_free(&a);
	return rc;
}

_Noreturn void wl_pid1_main(int argc, char **argv)
{
	char *cmdline;

	mount_all();
	take_console();
	cmdline = gs_read_file("/proc/cmdline");
	if (cmdline)
		cmdline[strcspn(cmdline, "\n")] = '\0';
	emit_boot(cmdline);
	if (early_err[0]) {
		fprintf(stderr, "apf-workload: %s\n", early_err);
		jl_emit_error(STDOUT_FILENO, early_err);
	}
	if (!cmdline) {
		jl_emit_error(STDOUT_FILENO,
			      "cannot read /proc/cmdline for apfwl=; is CONFIG_PROC_FS on?");
		jl_emit_done(STDOUT_FILENO, WL_EXIT_RUNTIME);
	} else {
		run_from_cmdline(cmdline, argc, argv);
	}
	free(cmdline);
	power_off();
}
