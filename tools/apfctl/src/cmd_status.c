// SPDX-License-Identifier: GPL-2.0-only
/* apfctl status: role, kernel support and current state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apfctl.h"
#include "cli_opts.h"
#include "fileio.h"
#include "probe.h"
#include "qmp.h"
#include "sysroot.h"
#include "usage.h"
#include "vms.h"

/* A VM's async-pf switch and where apfctl learned it. */
struct vm_switch {
	int on;			/* 1, 0, or -1 unknown */
	const char *source;	/* "qmp", "cmdline" or NULL */
	int switchable;		/* KVM_CAP_DISABLE_ASYNC_PF: 1, 0, -1 unknown */
	const char *qmp;	/* the QMP command that said so, or NULL */
};

struct status {
	struct apf_host_probe host;
	struct apf_guest_probe guest;
	struct apf_vm_list vms;
	struct vm_switch *vm_apf;	/* one per vms.v[], or NULL */
	bool is_host, is_guest;
	char kernel[128];
};

static const char *role_name(const struct status *s)
{
	if (s->is_host && s->is_guest)
		return "both";
	return s->is_host ? "host" : s->is_guest ? "guest" : "neither";
}

/* The switch as it is now: asked over the VM's own QMP socket (apfctl
 * disable --vm or set-async-pf changes it at run time) with query-async-pf,
 * or qom-get where QEMU predates it, else as the command line started it.
 * libvirt holds its domains' monitors: command line. */
static struct vm_switch vm_switch_of(const struct apf_vm *vm)
{
	struct vm_switch r = { vm->qemu.async_pf, vm->qemu.async_pf >= 0 ? "cmdline" : NULL,
			       -1, NULL };
	struct apf_qmp_async_pf info;
	struct apf_qmp *q;
	int err;

	if (vm->qemu.libvirt || !vm->qemu.qmp[0])
		return r;
	q = apf_qmp_open(vm->qemu.qmp, apf_g.qmp_timeout_ms ? apf_g.qmp_timeout_ms : 500, &err);
	if (!q)
		return r;
	if (!apf_qmp_async_pf_get(apf_qmp_exec, q, false, &info)) {
		r.on = info.enabled;
		r.source = "qmp";
		r.switchable = info.switchable;
		r.qmp = apf_qmp_iface_name(info.iface, false);
		apf_qmp_async_pf_free(&info);
	}
	apf_qmp_close(q);
	return r;
}

static void read_vm_switches(struct status *s)
{
	size_t i;

	s->vm_apf = s->vms.n ? calloc(s->vms.n, sizeof(*s->vm_apf)) : NULL;
	for (i = 0; s->vm_apf && i < s->vms.n; i++)
		s->vm_apf[i] = vm_switch_of(&s->vms.v[i]);
}

static struct vm_switch vm_switch_at(const struct status *s, size_t i)
{
	const struct vm_switch unknown = { -1, NULL, -1, NULL };

	return s->vm_apf ? s->vm_apf[i] : unknown;
}

/* Found by ptp_kvm only: a stock guest kernel that says nothing about
 * async PF, not even whether the host offers them. */
static bool guest_state_known(const struct apf_guest_probe *g)
{
	return g->id.evidence && strcmp(g->id.evidence, "ptp_kvm");
}

/* Whether this guest takes async PFs now, and why not.  Linux >= 5.8
 * x86 guests use APF only with the interrupt-based page-ready delivery;
 * arm64 guests only with the PPI the host names. */
static const char *guest_state(const struct apf_guest_probe *g, bool *on)
{
	const struct apf_guest_id *id = &g->id;

	*on = false;
	if (!guest_state_known(g))
		return "no /sys/kernel/kvm_async_pf: a stock guest kernel, or a "
		       "host without async PF";
	if (!id->async_pf)
		return "host does not offer ASYNC_PF";
	if (!id->async_pf_int && !strcmp(id->evidence, "cpuid"))
		return "host does not offer ASYNC_PF_INT (QEMU named CPU model without kvm-asyncpf-int)";
	if (!id->async_pf_int)
		return "no kvm-apf interrupt: the guest could not map the host's PPI";
	if (g->no_kvmapf)
		return "no-kvmapf on the kernel command line";
	if (g->sysfs_enabled_known && !g->enabled)
		return "disabled through /sys/kernel/kvm_async_pf/enabled";
	*on = true;
	return "";
}

static const char *lockdown_text(const struct apf_host_probe *h)
{
	return h->lockdown[0] ? apf_safe(h->lockdown) : "unknown (securityfs not mounted)";
}

static const char *counters_text(const struct apf_host_probe *h)
{
	return h->counters ? "present (APF Suite kernel)" : "absent (stock kernel)";
}

static void json_host(json_writer_t *w, const struct status *s)
{
	const struct apf_host_probe *h = &s->host;
	size_t i;

	jsonw_name(w, "host");
	jsonw_start_object(w);
	jsonw_bool_field(w, "dev_kvm", h->dev_kvm);
	jsonw_bool_field(w, "kvm_module", h->kvm_module);
	if (h->vendor_module[0])
		jsonw_string_field(w, "vendor_module", h->vendor_module);
	else
		jsonw_null_field(w, "vendor_module");
	jsonw_name(w, "parameters");
	jsonw_start_object(w);
	for (i = 0; i < h->nparams; i++) {
		if (!i || strcmp(h->params[i].module, h->params[i - 1].module)) {
			if (i)
				jsonw_end_object(w);
			jsonw_name(w, h->params[i].module);
			jsonw_start_object(w);
		}
		jsonw_string_field(w, h->params[i].name, h->params[i].value);
	}
	if (h->nparams)
		jsonw_end_object(w);
	jsonw_end_object(w);
	if (h->lockdown[0])
		jsonw_string_field(w, "lockdown", h->lockdown);
	else
		jsonw_null_field(w, "lockdown");
	jsonw_string_field(w, "debugfs", apf_debugfs_state_name(h->debugfs));
	if (h->debugfs == APF_DEBUGFS_STATS_UNREADABLE)
		jsonw_string_field(w, "debugfs_error", apf_strerror(h->debugfs_err));
	jsonw_bool_field(w, "tracefs", h->tracefs.found);
	jsonw_name(w, "tracepoints");
	jsonw_start_array(w);
	for (i = 0; i < h->tracefs.ntp; i++)
		jsonw_string(w, h->tracefs.tp[i].name);
	jsonw_end_array(w);
	jsonw_string_field(w, "counters", h->counters ? "present" : "absent");
	jsonw_string_field(w, "counters_note", counters_text(h));
	jsonw_name(w, "switch");
	jsonw_start_object(w);
	jsonw_bool_field(w, "present", h->switch_present);
	if (h->switch_present)
		jsonw_bool_field(w, "enabled", h->switch_on);
	else
		jsonw_null_field(w, "enabled");
	jsonw_end_object(w);
	/* Stock kernels always try async PF; ours may be switched off. */
	jsonw_bool_field(w, "async_pf", !h->switch_present || h->switch_on);
	jsonw_name(w, "vms");
	jsonw_start_array(w);
	for (i = 0; i < s->vms.n; i++) {
		const struct apf_vm *vm = &s->vms.v[i];

		jsonw_start_object(w);
		jsonw_int_field(w, "pid", vm->pid);
		jsonw_string_field(w, "name", vm->name);
		jsonw_uint_field(w, "vcpus", vm->nr_vcpus);
		jsonw_bool_field(w, "libvirt", vm->qemu.libvirt);
		if (vm->qemu.qmp[0])
			jsonw_string_field(w, "qmp", vm->qemu.qmp);
		else
			jsonw_null_field(w, "qmp");
		if (vm_switch_at(s, i).on >= 0)
			jsonw_bool_field(w, "async_pf", vm_switch_at(s, i).on);
		else
			jsonw_null_field(w, "async_pf");
		if (vm_switch_at(s, i).source)
			jsonw_string_field(w, "async_pf_source", vm_switch_at(s, i).source);
		else
			jsonw_null_field(w, "async_pf_source");
		if (vm_switch_at(s, i).qmp)
			jsonw_string_field(w, "async_pf_qmp", vm_switch_at(s, i).qmp);
		else
			jsonw_null_field(w, "async_pf_qmp");
		if (vm_switch_at(s, i).switchable >= 0)
			jsonw_bool_field(w, "async_pf_switchable",
					 vm_switch_at(s, i).switchable);
		else
			jsonw_null_field(w, "async_pf_switchable");
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
}

/* The /proc/interrupts row that counts this guest's notifications. */
static const char *irq_name(const struct apf_guest_probe *g)
{
	return g->id.irq ? g->id.irq : "HYP";
}

static void json_guest(json_writer_t *w, const struct status *s)
{
	const struct apf_guest_probe *g = &s->guest;
	char base[16];
	const char *why;
	bool on;
	size_t i;

	jsonw_name(w, "guest");
	jsonw_start_object(w);
	jsonw_bool_field(w, "hypervisor", g->cpuid.hypervisor || g->id.kvm);
	jsonw_bool_field(w, "kvm", g->id.kvm);
	if (g->id.arch)
		jsonw_string_field(w, "arch", g->id.arch);
	else
		jsonw_null_field(w, "arch");
	jsonw_string_field(w, "evidence", g->id.evidence ? g->id.evidence : "");
	jsonw_string_field(w, "signature", g->cpuid.signature);
	snprintf(base, sizeof(base), "%#x", g->cpuid.base);
	jsonw_string_field(w, "cpuid_base", base);
	jsonw_name(w, "features");
	jsonw_start_object(w);
	jsonw_bool_field(w, "async_pf", g->id.async_pf);
	jsonw_bool_field(w, "async_pf_int", g->id.async_pf_int);
	jsonw_bool_field(w, "async_pf_vmexit", g->id.async_pf_vmexit);
	jsonw_end_object(w);
	jsonw_bool_field(w, "no_kvmapf", g->no_kvmapf);
	/* x86: HYP (page ready); arm64: the kvm-apf PPI (both). */
	jsonw_string_field(w, "notification_irq", irq_name(g));
	if (g->hyp.found)
		jsonw_uint_field(w, "hyp_interrupts", g->hyp.total);
	else
		jsonw_null_field(w, "hyp_interrupts");
	jsonw_bool_field(w, "sysfs", g->sysfs);
	if (g->sysfs_enabled_known)
		jsonw_bool_field(w, "enabled", g->enabled);
	else
		jsonw_null_field(w, "enabled");
	jsonw_name(w, "counters");
	jsonw_start_object(w);
	for (i = 0; i < g->counters.n; i++)
		jsonw_uint_field(w, g->counters.v[i].name, g->counters.v[i].value);
	jsonw_end_object(w);
	why = guest_state(g, &on);
	if (guest_state_known(g))
		jsonw_bool_field(w, "async_pf", on);
	else
		jsonw_null_field(w, "async_pf");
	if (!on)
		jsonw_string_field(w, "reason", why);
	jsonw_end_object(w);
}

static void text_host(const struct status *s)
{
	const struct apf_host_probe *h = &s->host;
	size_t i, ntp = h->tracefs.ntp;

	printf("Host:\n");
	printf("  /dev/kvm:        %s\n", h->dev_kvm ? "present" : "absent");
	printf("  modules:         kvm%s%s%s\n", h->kvm_module ? "" : " (absent)",
	       h->vendor_module[0] ? ", " : "", apf_safe(h->vendor_module));
	printf("  lockdown:        %s\n", lockdown_text(h));
	printf("  debugfs:         %s", apf_debugfs_state_name(h->debugfs));
	if (h->debugfs == APF_DEBUGFS_STATS_EPERM)
		printf(" (KVM stat files refused; using QMP, libvirt and tracepoints)");
	if (h->debugfs == APF_DEBUGFS_STATS_UNREADABLE)
		printf(" (KVM stat files: %s)", apf_strerror(h->debugfs_err));
	putchar('\n');
	printf("  tracepoints:     ");
	if (!h->tracefs.found)
		printf("tracefs not found\n");
	for (i = 0; i < ntp; i++)
		printf("%s%s", apf_safe(h->tracefs.tp[i].name), i + 1 < ntp ? ", " : "\n");
	if (h->tracefs.found && !ntp)
		printf("none\n");
	printf("  counters:        %s\n", counters_text(h));
	if (h->switch_present)
		printf("  switch:          kvm.async_pf=%s\n", h->switch_on ? "Y" : "N");
	else
		printf("  switch:          absent (stock kernel; APF always on)\n");
	printf("  VMs:             %zu\n", s->vms.n);
	if (s->vms.n)
		printf("    %8s  %5s  %-8s %-9s %s\n", "PID", "VCPUS", "MANAGER", "ASYNC-PF", "NAME");
	for (i = 0; i < s->vms.n; i++) {
		const struct apf_vm *vm = &s->vms.v[i];
		int on = vm_switch_at(s, i).on;

		printf("    %8d  %5u  %-8s %-9s %s\n", (int)vm->pid, vm->nr_vcpus,
		       vm->qemu.libvirt ? "libvirt" : vm->qemu.is_qemu ? "qemu" : "-",
		       on < 0 ? "-" : on ? "on" : "off",
		       apf_safe(vm->name));
	}
}

static void text_guest(const struct status *s)
{
	const struct apf_guest_probe *g = &s->guest;
	const char *why;
	bool on;
	size_t i;

	printf("Guest:\n");
	if (g->id.evidence && !strcmp(g->id.evidence, "cpuid")) {
		printf("  hypervisor:      %s (CPUID %#x)\n",
		       g->cpuid.signature[0] ? apf_safe(g->cpuid.signature) : "none",
		       g->cpuid.base);
		printf("  CPUID features:  ASYNC_PF=%d ASYNC_PF_INT=%d ASYNC_PF_VMEXIT=%d\n",
		       g->id.async_pf, g->id.async_pf_int, g->id.async_pf_vmexit);
	} else if (g->id.evidence && !strcmp(g->id.evidence, "kvm_async_pf")) {
		/* arm64: the kernel's SMCCC discovery (lib/guest_id_arm64.c) */
		printf("  hypervisor:      KVM (SMCCC, /sys/kernel/kvm_async_pf)\n");
		printf("  SMCCC features:  ASYNC_PF=%d PPI=%s\n", g->id.async_pf,
		       g->id.async_pf_int ? "kvm-apf" : "not mapped");
	} else {
		printf("  hypervisor:      KVM (ptp_kvm clock)\n");
	}
	printf("  no-kvmapf:       %s\n", g->no_kvmapf ? "yes" : "no");
	if (g->hyp.found && g->id.irq && !strcmp(g->id.irq, "kvm-apf"))
		printf("  kvm-apf PPI:     %llu (page-not-present and page-ready notifications)\n",
		       (unsigned long long)g->hyp.total);
	else if (g->hyp.found)
		printf("  HYP interrupts:  %llu (page-ready notifications)\n",
		       (unsigned long long)g->hyp.total);
	else
		printf("  %s interrupts:  no %s row in /proc/interrupts\n",
		       irq_name(g), irq_name(g));
	printf("  sysfs:           %s\n", g->sysfs ?
	       "/sys/kernel/kvm_async_pf (APF Suite kernel)" : "absent (stock kernel)");
	for (i = 0; i < g->counters.n; i++)
		printf("    %-18s %llu\n", apf_safe(g->counters.v[i].name),
		       (unsigned long long)g->counters.v[i].value);
	why = guest_state(g, &on);
	printf("  async PF:        %s%s%s\n",
	       on ? "on" : guest_state_known(g) ? "off" : "unknown",
	       on ? "" : ": ", why);
}

static void read_kernel_release(struct status *s)
{
	char path[APF_PATH_MAX];

	s->kernel[0] = '\0';
	if (!apf_path(path, sizeof(path), "/proc/sys/kernel/osrelease") &&
	    apf_read_file(path, s->kernel, sizeof(s->kernel)) > 0)
		s->kernel[strcspn(s->kernel, "\n")] = '\0';
}

static const struct apf_usage status_usage = {
	"status", "[-j] [-p]",
	"Show whether this machine is a KVM host, a KVM guest or both, what\n"
	"its kernel supports for async page faults, and the VMs it runs.\n",
	NULL, NULL,
};

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = { APF_GLOBAL_LONG_OPTS, { NULL, 0, NULL, 0 } };
	struct status s;
	json_writer_t *w;
	size_t i;
	int c, err;

	while ((c = getopt_long(argc, argv, "jph", opts, NULL)) != -1) {
		if (c == 'p')
			c = APF_OPT_PRETTY;
		if (apf_global_opt(c, optarg))
			continue;
		return apf_usage(&status_usage, c);
	}
	if (optind < argc)
		return apf_fail(APF_EXIT_USAGE, "status: unexpected argument '%s'",
				argv[optind]);
	memset(&s, 0, sizeof(s));
	read_kernel_release(&s);
	err = apf_host_probe(&s.host);
	if (!err)
		err = apf_guest_probe(&s.guest);
	if (err) {
		apf_host_probe_free(&s.host);
		apf_guest_probe_free(&s.guest);
		return apf_fail(APF_EXIT_RUNTIME, "status: %s", apf_strerror(-err));
	}
	s.is_host = apf_is_host(&s.host);
	s.is_guest = apf_is_guest(&s.guest);
	/* -ENOTSUP: no CPUID here (arm64); the other probes answered. */
	if (s.guest.cpuid_err && s.guest.cpuid_err != -ENOTSUP && !s.is_guest)
		apf_warn("cannot read CPUID: %s; guest role not detected",
			 apf_strerror(-s.guest.cpuid_err));
	if (s.is_host && (err = apf_vms_discover(&s.vms)) &&
	    err != -ENOENT && err != -EACCES)
		apf_warn("cannot list VMs: %s", apf_strerror(-err));
	for (i = 0; s.is_host && i < s.vms.n; i++)
		if (s.vms.v[i].argv_err)
			apf_warn("VM %d (%s): /proc/%d/cmdline %s; shown by its process "
				 "name", (int)s.vms.v[i].pid, s.vms.v[i].name,
				 (int)s.vms.v[i].pid, apf_vm_argv_problem(&s.vms.v[i]));
	if (s.is_host)
		read_vm_switches(&s);
	if (apf_g.json) {
		w = apf_json_open();
		if (!w) {
			err = -ENOMEM;
			goto out;
		}
		jsonw_start_object(w);
		jsonw_string_field(w, "version", APFCTL_VERSION);
		if (s.kernel[0])
			jsonw_string_field(w, "kernel", s.kernel);
		else
			jsonw_null_field(w, "kernel");	/* text: "unknown" */
		jsonw_string_field(w, "role", role_name(&s));
		if (s.is_host)
			json_host(w, &s);
		else
			jsonw_null_field(w, "host");
		if (s.is_guest)
			json_guest(w, &s);
		else
			jsonw_null_field(w, "guest");
		jsonw_end_object(w);
		jsonw_destroy(&w);
	} else {
		printf("Role:    %s\nKernel:  %s\n", role_name(&s), s.kernel[0] ?
		       apf_safe(s.kernel) : "unknown");
		if (s.is_host)
			text_host(&s);
		if (s.is_guest)
			text_guest(&s);
		if (!s.is_host && !s.is_guest)
			printf("Neither a KVM host (no /dev/kvm, no kvm module) nor a KVM guest.\n");
	}
	err = 0;
out:
	free(s.vm_apf);
	apf_vms_free(&s.vms);
	apf_host_probe_free(&s.host);
	apf_guest_probe_free(&s.guest);
	return err ? apf_fail(APF_EXIT_RUNTIME, "status: %s", apf_strerror(-err)) : 0;
}
