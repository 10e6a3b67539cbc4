// SPDX-License-Identifier: GPL-2.0-only
/* apfctl enable|disable: flip the host, guest or per-VM switch. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "apfctl.h"
#include "cli_opts.h"
#include "fileio.h"
#include "probe.h"
#include "qmp.h"
#include "usage.h"
#include "vms.h"

enum { OPT_HOST = 0x3000, OPT_GUEST, OPT_VM, OPT_QMP };

static const char host_alternatives[] =
	"alternatives: the APF Suite QEMU's '-accel kvm,async-pf=off' (needs the "
	"APF Suite host kernel), or " APF_OFF_AT_BOOT;

struct switch_result {
	const char *target, *what;
	bool before, after;
};

static int report(const struct switch_result *r)
{
	json_writer_t *w;

	if (!apf_g.json) {
		if (r->before == r->after)
			printf("%s: async PF already %s (%s)\n", apf_safe(r->target),
			       r->after ? "enabled" : "disabled", apf_safe(r->what));
		else
			printf("%s: async PF %s -> %s (%s)\n", apf_safe(r->target),
			       r->before ? "enabled" : "disabled",
			       r->after ? "enabled" : "disabled", apf_safe(r->what));
		return APF_EXIT_OK;
	}
	w = apf_json_open();
	if (!w)
		return apf_fail(APF_EXIT_RUNTIME, "out of memory");
	jsonw_start_object(w);
	jsonw_string_field(w, "target", r->target);
	jsonw_string_field(w, "switch", r->what);
	jsonw_bool_field(w, "before", r->before);
	jsonw_bool_field(w, "after", r->after);
	jsonw_bool_field(w, "changed", r->before != r->after);
	jsonw_end_object(w);
	jsonw_destroy(&w);
	return APF_EXIT_OK;
}

static int write_error(const char *target, int err)
{
	if (err == -EACCES || err == -EPERM)
		return apf_fail(APF_EXIT_PERM, "%s: permission denied: changing the "
				"switch needs root (try sudo)", target);
	return apf_fail(APF_EXIT_RUNTIME, "%s: %s", target, apf_strerror(-err));
}

/* A sysfs switch of DESIGN.md and what to say where the kernel lacks it. */
struct sysfs_switch {
	const char *target, *path;
	int (*get)(bool *on);
	int (*set)(bool on);
	const char *missing;
};

static const struct sysfs_switch host_switch = {
	"host", "/sys/module/kvm/parameters/async_pf",
	apf_host_switch_get, apf_host_switch_set,
	"this kernel has no kvm.async_pf switch "
	"(/sys/module/kvm/parameters/async_pf is missing: a stock kernel, or kvm "
	"is not loaded); the APF Suite host kernel adds it",
};

static const struct sysfs_switch guest_switch = {
	"guest", "/sys/kernel/kvm_async_pf/enabled",
	apf_guest_switch_get, apf_guest_switch_set,
	"this kernel has no /sys/kernel/kvm_async_pf/enabled (a stock guest "
	"kernel; the APF Suite guest kernel adds it); alternatives " APF_OFF_AT_BOOT,
};

static int flip_sysfs(const struct sysfs_switch *sw, bool on)
{
	struct switch_result r = { sw->target, sw->path, false, on };
	int err = sw->get(&r.before);

	if (err == -ENOENT)
		return apf_fail(APF_EXIT_UNSUPPORTED, "%s: %s%s%s", sw->target,
				sw->missing, sw == &host_switch ? "; " : "",
				sw == &host_switch ? host_alternatives : "");
	if (!err)
		err = sw->set(on);
	return err ? write_error(sw->target, err) : report(&r);
}

/* The VM's switch through its QMP socket: read it and set it with
 * query-async-pf and set-async-pf (the APF Suite QEMU from apf4 on), or
 * with qom-get and qom-set of the accelerator property where QEMU does not
 * know those commands (apf1 to apf3); the output names which. */
static int flip_vm(const char *sel, const char *qmp_path, bool on)
{
	struct switch_result r = { NULL, NULL, false, on };
	char target[160], path[APF_SOCK_MAX], qemu_said[256];
	struct apf_qmp_async_pf info;
	enum apf_qmp_iface iface;
	struct apf_vm_list vms;
	const struct apf_vm *vm;
	struct apf_qmp *q;
	bool libvirt;
	int err;

	err = apf_vms_discover(&vms);
	vm = err ? NULL : apf_vms_find(&vms, sel);
	if (!vm) {
		apf_vms_free(&vms);
		return apf_fail(APF_EXIT_RUNTIME, "vm: no running VM '%s'%s", sel,
				err == -EACCES ? " (listing VMs needs root)" : "");
	}
	snprintf(target, sizeof(target), "vm %s (pid %d)", vm->name, (int)vm->pid);
	libvirt = vm->qemu.libvirt;
	/* libvirtd holds a libvirt domain's monitor; a second client would
	 * only time out.  Such domains get their policy from the hook. */
	snprintf(path, sizeof(path), "%s",
		 qmp_path ? qmp_path : libvirt ? "" : vm->qemu.qmp);
	apf_vms_free(&vms);
	r.target = target;
	if (!path[0])
		return apf_fail(APF_EXIT_UNSUPPORTED,
				"%s: no QMP socket of its own%s; give --qmp PATH",
				target, libvirt ? " (a libvirt domain: set "
				"<apf:policy async-pf='on|off'/> in its metadata and let "
				"the APF libvirt hook apply it)" : "");
	q = apf_qmp_open(path, apf_g.qmp_timeout_ms ? apf_g.qmp_timeout_ms : 2000, &err);
	if (!q)
		return err == -EACCES ? write_error(target, err) :
		       apf_fail(APF_EXIT_RUNTIME, "%s: QMP %s: %s", target, path,
				apf_strerror(-err));
	err = apf_qmp_async_pf_get(apf_qmp_exec, q, false, &info);
	iface = info.iface;
	if (!err) {
		r.before = info.enabled;
		err = apf_qmp_async_pf_set(apf_qmp_exec, q, on, &iface);
		r.what = apf_qmp_iface_name(iface, true);
	} else {
		r.what = apf_qmp_iface_name(iface, false);	/* what failed */
	}
	snprintf(qemu_said, sizeof(qemu_said), "%s", apf_qmp_last_error(q));
	apf_qmp_close(q);
	if (err == -ENODEV)
		return apf_fail(APF_EXIT_UNSUPPORTED,
				"%s: the host kernel lacks KVM_CAP_DISABLE_ASYNC_PF, the "
				"per-VM switch (the APF Suite host kernel adds it), so "
				"QEMU cannot turn async PF off for this VM (%s: %s); "
				"alternatives " APF_OFF_AT_BOOT,
				target, r.what, qemu_said);
	if (err == -ENOENT)
		return apf_fail(APF_EXIT_UNSUPPORTED,
				"%s: this QEMU has no async-pf switch for this VM (the "
				"APF Suite QEMU adds it, for KVM; QEMU says: %s); %s",
				target, qemu_said, host_alternatives);
	if (err)
		return apf_fail(APF_EXIT_RUNTIME, "%s: %s: %s%s%s", target, r.what,
				apf_strerror(-err), qemu_said[0] ? ": " : "",
				qemu_said);
	return report(&r);
}

static const struct apf_opt_help switch_opts[] = {
	{ "--host", "kvm.async_pf module parameter (APF Suite host kernel)" },
	{ "--guest", "/sys/kernel/kvm_async_pf/enabled (APF Suite guest kernel)" },
	{ "--vm NAME|PID", "one VM, through QMP (APF Suite QEMU)" },
	{ "--qmp PATH", "QMP socket when the VM's command line has none" },
	{ NULL, NULL },
};

static int switch_usage(const char *cmd, int c)
{
	struct apf_usage u = {
		cmd, "[--host | --guest | --vm NAME|PID [--qmp PATH]] [-j]",
		strcmp(cmd, "enable") ? "Turn async page faults off.\n" :
		"Turn async page faults on.\n",
		switch_opts,
		"Without a target: the host switch on a host, the guest switch in a guest.\n"
		"Exit status 3: the switch does not exist here; 4: needs root.\n",
	};

	return apf_usage(&u, c);
}

static int cmd_switch(int argc, char **argv, bool on)
{
	static const struct option opts[] = {
		APF_GLOBAL_LONG_OPTS,
		{ "host", no_argument, NULL, OPT_HOST },
		{ "guest", no_argument, NULL, OPT_GUEST },
		{ "vm", required_argument, NULL, OPT_VM },
		{ "qmp", required_argument, NULL, OPT_QMP },
		{ NULL, 0, NULL, 0 },
	};
	const char *vm = NULL, *qmp = NULL, *cmd = argv[0];
	int c, targets = 0, target = 0;

	while ((c = getopt_long(argc, argv, "jph", opts, NULL)) != -1) {
		if (c == 'p')
			c = APF_OPT_PRETTY;
		if (apf_global_opt(c, optarg))
			continue;
		switch (c) {
		case OPT_HOST: case OPT_GUEST: targets++; target = c; break;
		case OPT_VM: targets++; target = c; vm = optarg; break;
		case OPT_QMP: qmp = optarg; break;
		default: return switch_usage(cmd, c);
		}
	}
	if (optind < argc)
		return apf_fail(APF_EXIT_USAGE, "%s: unexpected argument '%s'", cmd,
				argv[optind]);
	if (targets > 1)
		return apf_fail(APF_EXIT_USAGE, "%s: give one of --host, --guest, --vm",
				cmd);
	if (qmp && target != OPT_VM)
		return apf_fail(APF_EXIT_USAGE, "%s: --qmp goes with --vm", cmd);
	if (!targets) {
		struct apf_host_probe h;
		struct apf_guest_probe g;
		bool host, guest;

		if (apf_host_probe(&h) || apf_guest_probe(&g))
			return apf_fail(APF_EXIT_RUNTIME, "%s: cannot probe this machine", cmd);
		host = apf_is_host(&h);
		guest = apf_is_guest(&g);
		apf_host_probe_free(&h);
		apf_guest_probe_free(&g);
		if (host == guest)
			return apf_fail(APF_EXIT_USAGE, "%s: this machine is %s; say "
					"--host or --guest", cmd,
					host ? "both a KVM host and a KVM guest" :
					"neither a KVM host nor a KVM guest");
		target = host ? OPT_HOST : OPT_GUEST;
	}
	if (target == OPT_HOST)
		return flip_sysfs(&host_switch, on);
	if (target == OPT_GUEST)
		return flip_sysfs(&guest_switch, on);
	return flip_vm(vm, qmp, on);
}

int cmd_enable(int argc, char **argv)
{
	return cmd_switch(argc, argv, true);
}

int cmd_disable(int argc, char **argv)
{
	return cmd_switch(argc, argv, false);
}
