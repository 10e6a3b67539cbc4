// SPDX-License-Identifier: GPL-2.0-only
#include "preflight.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "sysroot.h"
#include "units.h"

#define DISK_SWAP_HOWTO \
	"add swap on a disk: fallocate -l 8G /swapfile && chmod 600 /swapfile && " \
	"mkswap /swapfile && swapon -p 100 /swapfile (or mkswap/swapon a partition or LV)"

static void fail(struct bench_env *e, int code)
{
	if (!e->code)
		e->code = code;
}

static void check_root(struct bench_env *e, FILE *out)
{
	e->root = geteuid() == 0;
	fprintf(out, "%-14s %s\n", "root", e->root ? "yes" : "no");
	if (!e->root) {
		bench_err("apf-bench needs root: it creates cgroups, counts kvm tracepoints and may switch kvm.async_pf (run it with sudo)");
		fail(e, BENCH_EXIT_PERM);
	}
}

static void check_file(const char *what, const char *path, struct bench_env *e, FILE *out)
{
	if (!path)
		return;
	if (apf_is_file(path) && !access(path, R_OK)) {
		fprintf(out, "%-14s %s\n", what, path);
		return;
	}
	fprintf(out, "%-14s %s (missing)\n", what, path);
	bench_err("%s %s is not a readable file%s", what, path,
		  !strcmp(what, "initrd") ? " (build it: make -C bench/workload all initrd)" : "");
	fail(e, BENCH_EXIT_USAGE);
}

static void check_kvm(struct bench_env *e, FILE *out)
{
	char path[APF_PATH_MAX];
	int fd;

	apf_path(path, sizeof(path), "/sys/module/kvm_pvm");
	e->pvm = apf_is_dir(path);
	apf_path(path, sizeof(path), "/dev/kvm");
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		fprintf(out, "%-14s %s\n", "/dev/kvm", strerror(err));
		if (err == ENOENT)
			bench_err("no /dev/kvm: load kvm_intel or kvm_amd and enable VT-x/AMD-V in the firmware (or run the benchmark in the VM lab: make bench-lab)");
		else
			bench_err("cannot open /dev/kvm: %s", strerror(err));
		fail(e, err == EACCES || err == EPERM ? BENCH_EXIT_PERM : BENCH_EXIT_UNSUPPORTED);
		return;
	}
	close(fd);
	if (e->pvm) {
		fprintf(out, "%-14s PVM (kvm_pvm is loaded)\n", "/dev/kvm");
		bench_err("this /dev/kvm is PVM (kvm_pvm is loaded): it cannot boot ordinary guest kernels; use make bench-lab, which runs the benchmark in the VM lab");
		fail(e, BENCH_EXIT_UNSUPPORTED);
		return;
	}
	e->kvm_ok = true;
	fprintf(out, "%-14s ok\n", "/dev/kvm");
}

static void check_cgroup(struct bench_env *e, FILE *out)
{
	char why[512];

	bench_cgroup_probe(&e->cg, why, sizeof(why));
	if (!e->cg.memory) {
		fprintf(out, "%-14s %s\n", "cgroup v2", e->cg.v2 ? "no memory controller" : "no");
		bench_err("%s", why);
		fail(e, BENCH_EXIT_UNSUPPORTED);
		return;
	}
	fprintf(out, "%-14s " BENCH_CGROUP_ROOT ", memory controller %s\n", "cgroup v2",
		e->cg.memory_enabled ? "enabled" : "available (run enables it in cgroup.subtree_control)");
}

static void print_swaps(const struct bench_env *e, FILE *out)
{
	if (!e->swaps.n)
		fprintf(out, "%-14s none\n", "swap");
	for (size_t i = 0; i < e->swaps.n; i++) {
		const struct bench_swap *s = &e->swaps.dev[i];

		fprintf(out, "%-14s %s %s %" PRIu64 " MiB, priority %ld%s\n", i ? "" : "swap",
			s->name, s->type, s->size_kb / 1024, s->prio, s->zram ? " (zram)" : "");
	}
}

static void check_swap(struct bench_env *e, FILE *out)
{
	const struct bench_swap *disk, *zram;
	char path[APF_PATH_MAX];

	e->swaps_err = bench_swaps_read(&e->swaps);
	if (e->swaps_err) {
		fprintf(out, "%-14s cannot read /proc/swaps: %s\n", "swap", strerror(-e->swaps_err));
		bench_err("cannot read /proc/swaps: %s", strerror(-e->swaps_err));
		fail(e, BENCH_EXIT_UNSUPPORTED);
		return;
	}
	print_swaps(e, out);
	e->swap_verdict = bench_swaps_verdict(&e->swaps, &disk, &zram);
	switch (e->swap_verdict) {
	case BENCH_SWAP_OK:
		break;
	case BENCH_SWAP_NONE:
		bench_err("no swap is active: the guest's memory cannot leave the memory.max cgroup, so there are no host faults for APF to overlap; " DISK_SWAP_HOWTO);
		break;
	case BENCH_SWAP_ZRAM_ONLY:
		bench_err("only zram swap is active (%s): zram swaps in synchronously, inside the fault, so it produces no async page faults; " DISK_SWAP_HOWTO,
			  zram->name);
		break;
	case BENCH_SWAP_ZRAM_FIRST:
		bench_err("zram swap %s (priority %ld) is used before the disk swap %s (priority %ld): zram swaps in synchronously and produces no async page faults; give the disk swap a higher priority (swapoff %s && swapon -p %ld %s) or swapoff %s",
			  zram->name, zram->prio, disk->name, disk->prio, disk->name,
			  zram->prio + 1, disk->name, zram->name);
		break;
	}
	if (e->swap_verdict != BENCH_SWAP_OK)
		fail(e, BENCH_EXIT_SWAP);
	apf_path(path, sizeof(path), "/sys/module/zswap/parameters/enabled");
	if (apf_read_file(path, e->zswap, sizeof(e->zswap)) < 0)
		e->zswap[0] = '\0';
	e->zswap[strcspn(e->zswap, "\n")] = '\0';
	if (e->zswap[0]) {
		fprintf(out, "%-14s %s\n", "zswap", e->zswap);
		if (!strcmp(e->zswap, "Y"))
			bench_warn("zswap is on: pages it holds come back synchronously (no APF), which understates APF; for the benchmark: echo N > /sys/module/zswap/parameters/enabled");
	}
}

static void check_qemu(const struct bench_opts *o, struct bench_env *e, FILE *out)
{
	e->qemu_found = !bench_which(o->qemu, e->qemu_path, sizeof(e->qemu_path));
	if (!e->qemu_found) {
		fprintf(out, "%-14s %s not found\n", "QEMU", o->qemu);
		bench_err("QEMU %s not found or not executable (apt-get install qemu-system-x86, or give --qemu)",
			  o->qemu);
		fail(e, BENCH_EXIT_UNSUPPORTED);
		return;
	}
	bench_qemu_version(e->qemu_path, e->qemu_version, sizeof(e->qemu_version));
	fprintf(out, "%-14s %s: %s\n", "QEMU", e->qemu_path,
		e->qemu_version[0] ? e->qemu_version : "(no --version answer)");
}

static bool wants(const struct bench_opts *o, enum bench_mode m)
{
	for (size_t i = 0; i < o->nmodes; i++)
		if (o->modes[i] == m)
			return true;
	return false;
}

static void check_switch(const struct bench_opts *o, struct bench_env *e, FILE *out)
{
	bool param_ok;

	bench_param_probe(&e->param);
	param_ok = e->param.present && e->param.writable;
	if (e->param.present)
		fprintf(out, "%-14s %s (%s)\n", "kvm.async_pf", e->param.original,
			e->param.writable ? "writable" : "read-only");
	else
		fprintf(out, "%-14s %s\n", "kvm.async_pf", "absent (not an APF Suite host kernel)");
	/* APF must be on for pv and halt: a host left at N would void them. */
	if (e->param.present && strcmp(e->param.original, "Y") && !e->param.writable &&
	    (wants(o, BENCH_MODE_PV) || wants(o, BENCH_MODE_HALT))) {
		bench_err("kvm.async_pf is %s and cannot be switched on: pv and halt would run without APF",
			  e->param.original);
		fail(e, BENCH_EXIT_UNSUPPORTED);
	}
	e->off_wanted = wants(o, BENCH_MODE_OFF);
	if (!e->off_wanted)
		return;
	if (o->off_method == BENCH_OFF_AUTO && param_ok) {
		fprintf(out, "%-14s host kvm.async_pf=N during its runs\n", "mode off");
		return;
	}
	if (o->off_method == BENCH_OFF_PARAM) {
		if (param_ok) {
			fprintf(out, "%-14s host kvm.async_pf=N during its runs\n", "mode off");
			return;
		}
		fprintf(out, "%-14s --off-method param: unavailable\n", "mode off");
		bench_err("--off-method param: /sys/module/kvm/parameters/async_pf is %s (it needs the APF Suite host kernel)",
			  e->param.present ? "not writable" : "missing");
		fail(e, BENCH_EXIT_UNSUPPORTED);
		return;
	}
	if (e->qemu_found) {
		e->qemu_probed = true;
		e->qemu_async_pf = bench_qemu_has_async_pf(e->qemu_path, e->qemu_probe_how,
							   sizeof(e->qemu_probe_how));
	}
	if (e->qemu_async_pf) {
		e->off_via_qemu = true;
		fprintf(out, "%-14s -accel kvm,async-pf=off (%s)\n", "mode off", e->qemu_probe_how);
		return;
	}
	if (o->off_method == BENCH_OFF_QEMU) {
		fprintf(out, "%-14s --off-method qemu: unavailable\n", "mode off");
		bench_err("--off-method qemu: %s has no -accel kvm,async-pf property (it needs the APF Suite QEMU)",
			  o->qemu);
		fail(e, BENCH_EXIT_UNSUPPORTED);
		return;
	}
	e->off_skipped = true;
	snprintf(e->off_skip, sizeof(e->off_skip),
		 "no way to switch APF off: the host kernel has no writable kvm.async_pf parameter and %s has no -accel kvm,async-pf property (install the APF Suite host kernel or QEMU)",
		 o->qemu);
	fprintf(out, "%-14s skipped: %s\n", "mode off", e->off_skip);
}

static void print_plan(const struct bench_opts *o, FILE *out)
{
	char mm[32];

	bench_format_size(o->memory_max, mm, sizeof(mm));
	fprintf(out, "%-14s memory.max %s for a %ld MB buffer; guest %ld MB, %ld vCPUs, -cpu %s\n",
		"plan", mm, o->buffer_mb, o->guest_mem_mb, o->smp, o->cpu);
	fprintf(out, "%-14s workload \"%s\", %ld reps; timeouts boot %ld s, run %ld s, silence %ld s\n",
		"", o->workload, o->reps, o->boot_timeout_s, o->timeout_s, o->silence_timeout_s);
}

void bench_preflight(const struct bench_opts *o, struct bench_env *e, FILE *out)
{
	memset(e, 0, sizeof(*e));
	check_root(e, out);
	check_file("kernel", o->kernel, e, out);
	check_file("initrd", o->initrd, e, out);
	check_kvm(e, out);
	check_cgroup(e, out);
	check_swap(e, out);
	check_qemu(o, e, out);
	check_switch(o, e, out);
	print_plan(o, out);
}
