// SPDX-License-Identifier: GPL-2.0-only
/* libapf against the fixture sysroots in tests/fixtures/ (see its README):
 * probes, VM discovery and debugfs stats on stock, patched, guest, nested
 * and hostile trees, plus temporary trees for what git cannot store
 * (unreadable files, a VM that vanishes mid-run).
 *
 * Fixtures are found through $APF_FIXTURES, else next to this source file
 * (the Makefile builds and runs the tests from tools/apfctl). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "bounded.h"
#include "clock.h"
#include "counters.h"
#include "fileio.h"
#include "kvm_debugfs.h"
#include "probe.h"
#include "procfs.h"
#include "sysroot.h"
#include "tracefs.h"
#include "vms.h"

static char fixtures[PATH_MAX];

static void use(const char *tree)
{
	char dir[PATH_MAX];
	int n = snprintf(dir, sizeof(dir), "%s/%s", fixtures, tree);

	assert_true(n > 0 && (size_t)n < sizeof(dir));
	assert_true(apf_is_dir(dir));
	apf_sysroot_set(dir);
}

static int reset_sysroot(void **state)
{
	(void)state;
	apf_sysroot_set(NULL);
	return 0;
}

static const char *param(const struct apf_host_probe *h, const char *module,
			 const char *name)
{
	size_t i;

	for (i = 0; i < h->nparams; i++)
		if (!strcmp(h->params[i].module, module) &&
		    !strcmp(h->params[i].name, name))
			return h->params[i].value;
	return NULL;
}

static bool has(const struct apf_counters *c, const char *name)
{
	return apf_counters_find(c, name) != NULL;
}

static uint64_t get(const struct apf_counters *c, const char *name)
{
	const struct apf_counter *k = apf_counters_find(c, name);

	assert_non_null(k);
	return k->value;
}

/* Stats of one debugfs dir; the counters are freed by the caller. */
static int stats(const char *dir, bool all, struct apf_counters *c)
{
	memset(c, 0, sizeof(*c));
	return apf_debugfs_read_stats(dir, all, c);
}

/* ---- stock host: bare-metal AMD, upstream 6.12 KVM, two VMs ------------- */

static void test_stock_host_probe(void **state)
{
	struct apf_host_probe h;

	(void)state;
	use("stock-host");
	assert_int_equal(apf_host_probe(&h), 0);
	assert_true(h.dev_kvm);
	assert_true(h.kvm_module);
	assert_true(apf_is_host(&h));
	assert_string_equal(h.vendor_module, "kvm_amd");
	assert_string_equal(param(&h, "kvm", "halt_poll_ns"), "200000");
	assert_string_equal(param(&h, "kvm_amd", "npt"), "Y");
	assert_null(param(&h, "kvm", "async_pf"));
	assert_int_equal(h.debugfs, APF_DEBUGFS_READABLE);
	assert_string_equal(h.lockdown, "integrity");
	assert_false(h.counters);
	assert_false(h.switch_present);
	apf_host_probe_free(&h);
	assert_null(h.params);
}

static void test_stock_host_tracefs(void **state)
{
	const struct apf_tracepoint *tp;
	const struct apf_tp_field *f;
	struct apf_host_probe h;

	(void)state;
	use("stock-host");
	assert_int_equal(apf_host_probe(&h), 0);
	assert_true(h.tracefs.found);
	/* Four kvm_async_pf_* events and kvm_try_async_get_page; not kvm_exit. */
	assert_int_equal(h.tracefs.ntp, 5);
	assert_null(apf_tracefs_find(&h.tracefs, "kvm_exit"));
	tp = apf_tracefs_find(&h.tracefs, "kvm_async_pf_not_present");
	assert_non_null(tp);
	assert_true(tp->id_readable);
	assert_int_equal(tp->id, 34);
	f = apf_tp_field(tp, "token");
	assert_non_null(f);
	assert_int_equal(f->offset, 8);
	assert_int_equal(f->size, 8);
	assert_non_null(apf_tracefs_find(&h.tracefs, "kvm_try_async_get_page"));
	apf_host_probe_free(&h);
}

static void test_stock_host_vms(void **state)
{
	const struct apf_vm *vm;
	struct apf_vm_list l;

	(void)state;
	use("stock-host");
	assert_int_equal(apf_vms_discover(&l), 0);
	assert_int_equal(l.n, 2);
	/* Sorted by pid. */
	vm = &l.v[0];
	assert_int_equal(vm->pid, 4242);
	assert_int_equal(vm->kvm_fd, 11);
	assert_int_equal(vm->nr_vcpus, 2);
	assert_string_equal(vm->comm, "qemu-system-x86");
	assert_string_equal(vm->name, "web01");
	assert_true(vm->qemu.is_qemu);
	assert_true(vm->qemu.libvirt);
	assert_true(vm->qemu.kvm);
	assert_int_equal(vm->qemu.smp, 2);
	assert_string_equal(vm->qemu.qmp,
			    "/var/lib/libvirt/qemu/domain-1-web01/monitor.sock");
	vm = &l.v[1];
	assert_int_equal(vm->pid, 5151);
	assert_int_equal(vm->kvm_fd, 12);
	assert_int_equal(vm->nr_vcpus, 1);
	assert_string_equal(vm->name, "testvm");
	assert_false(vm->qemu.libvirt);
	assert_string_equal(vm->qemu.qmp, "/run/apf/testvm.qmp");
	assert_int_equal(vm->qemu.async_pf, -1);

	assert_ptr_equal(apf_vms_find(&l, "web01"), &l.v[0]);
	assert_ptr_equal(apf_vms_find(&l, "5151"), &l.v[1]);
	assert_null(apf_vms_find(&l, "nope"));
	assert_null(apf_vms_find(&l, "1"));
	assert_null(apf_vms_find(&l, ""));
	apf_vms_free(&l);
	assert_int_equal(l.n, 0);
}

static void test_stock_host_stats(void **state)
{
	struct apf_counters top, a, b, v;
	size_t i;
	int n;

	(void)state;
	use("stock-host");
	n = stats("", false, &top);
	/* The context counters only: this kernel has no async_pf_*. */
	assert_int_equal(n, (int)apf_context_counter_count);
	assert_false(has(&top, "async_pf_queued"));
	assert_true(stats("4242-11", false, &a) > 0);
	assert_true(stats("5151-12", false, &b) > 0);
	/* debugfs' top level sums the VMs. */
	for (i = 0; i < apf_context_counter_count; i++) {
		const char *name = apf_context_counter_names[i];

		assert_true(get(&top, name) == get(&a, name) + get(&b, name));
	}
	assert_true(get(&top, "exits") > 0);
	apf_counters_free(&top);
	apf_counters_free(&a);
	apf_counters_free(&b);

	/* all: every numeric file; the mmu_rmaps_stat table and the vcpuN
	 * directories are skipped. */
	n = stats("4242-11", true, &a);
	assert_int_equal(n, 60);
	assert_false(has(&a, "mmu_rmaps_stat"));
	assert_false(has(&a, "vcpu0"));
	assert_true(has(&a, "tlb_flush"));
	apf_counters_free(&a);

	/* A stock vCPU directory has no statistics of ours. */
	assert_int_equal(stats("4242-11/vcpu0", false, &v), 0);
	assert_int_equal(v.n, 0);
	apf_counters_free(&v);
	/* pid, guest_mode, lapic_timer_advance_ns; tsc-offset is negative. */
	assert_int_equal(stats("4242-11/vcpu0", true, &v), 3);
	assert_int_equal(get(&v, "pid"), 4251);
	apf_counters_free(&v);

	assert_int_equal(stats("9999-1", false, &v), -ENOENT);
	apf_counters_free(&v);
}

static void test_stock_host_not_guest(void **state)
{
	struct apf_guest_probe g;

	(void)state;
	use("stock-host");
	assert_int_equal(apf_guest_probe(&g), 0);
	assert_false(g.cpuid.hypervisor);
	assert_false(apf_is_guest(&g));
	assert_false(g.hyp.found);	/* bare metal: no HYP row */
	assert_false(g.no_kvmapf);
	assert_false(g.sysfs);
	apf_guest_probe_free(&g);
}

/* ---- patched host: our counters and switch ----------------------------- */

static void test_patched_host_probe(void **state)
{
	struct apf_host_probe h;

	(void)state;
	use("patched-host");
	assert_int_equal(apf_host_probe(&h), 0);
	assert_true(h.counters);
	assert_true(h.switch_present);
	assert_true(h.switch_on);
	assert_string_equal(h.lockdown, "none");
	assert_string_equal(param(&h, "kvm", "async_pf"), "Y");
	assert_int_equal(h.debugfs, APF_DEBUGFS_READABLE);
	assert_true(apf_debugfs_has_stat("async_pf_queued"));
	assert_false(apf_debugfs_has_stat("async_pf_nonesuch"));
	apf_host_probe_free(&h);
}

static void test_patched_host_sums(void **state)
{
	static const char *const vms[] = { "4242-11", "5151-12" };
	static const unsigned int nvcpu[] = { 2, 1 };
	struct apf_counters top, vm, vc;
	size_t i, k;
	unsigned int j;

	(void)state;
	use("patched-host");
	assert_true(stats("", false, &top) > 0);
	for (k = 0; k < apf_host_counter_count; k++) {
		const char *name = apf_host_counter_names[k];
		uint64_t sum_vms = 0;

		for (i = 0; i < 2; i++) {
			uint64_t sum_vcpus = 0;

			assert_true(stats(vms[i], false, &vm) > 0);
			for (j = 0; j < nvcpu[i]; j++) {
				char dir[64];

				snprintf(dir, sizeof(dir), "%s/vcpu%u", vms[i], j);
				assert_int_equal(stats(dir, false, &vc),
						 (int)apf_host_counter_count);
				sum_vcpus += get(&vc, name);
				apf_counters_free(&vc);
			}
			assert_true(get(&vm, name) == sum_vcpus);
			sum_vms += get(&vm, name);
			apf_counters_free(&vm);
		}
		assert_true(get(&top, name) == sum_vms);
	}
	/* Plausible: every queued fault was handled or is outstanding. */
	assert_true(get(&top, "async_pf_completed") <= get(&top, "async_pf_queued"));
	assert_true(get(&top, "async_pf_queued") > 0);
	apf_counters_free(&top);

	/* testvm runs with -accel kvm,async-pf=off: all synchronous. */
	assert_true(stats("5151-12", false, &vm) > 0);
	assert_int_equal(get(&vm, "async_pf_queued"), 0);
	assert_true(get(&vm, "async_pf_sync") > 0);
	apf_counters_free(&vm);
}

static void test_patched_host_vms(void **state)
{
	const struct apf_vm *vm;
	struct apf_vm_list l;

	(void)state;
	use("patched-host");
	assert_int_equal(apf_vms_discover(&l), 0);
	assert_int_equal(l.n, 2);
	vm = apf_vms_find(&l, "testvm");
	assert_non_null(vm);
	assert_true(vm->qemu.kvm);
	assert_int_equal(vm->qemu.async_pf, 0);
	vm = apf_vms_find(&l, "web01");
	assert_non_null(vm);
	assert_int_equal(vm->qemu.async_pf, -1);
	apf_vms_free(&l);
}

/* ---- stock host without debugfs: the /proc fallback --------------------- */

static void test_nodebugfs_host(void **state)
{
	struct apf_host_probe h;
	struct apf_counters c;
	struct apf_vm_list l;

	(void)state;
	use("stock-host-nodebugfs");
	assert_int_equal(apf_host_probe(&h), 0);
	assert_true(apf_is_host(&h));
	assert_int_equal(h.debugfs, APF_DEBUGFS_NOT_MOUNTED);
	assert_false(h.counters);
	assert_true(h.tracefs.found);
	apf_host_probe_free(&h);

	assert_int_equal(stats("", false, &c), -ENOENT);
	apf_counters_free(&c);

	/* VMs from their anon_inode:kvm-vm descriptors. */
	assert_int_equal(apf_vms_discover(&l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[0].pid, 4242);
	assert_int_equal(l.v[0].kvm_fd, 11);
	assert_int_equal(l.v[0].nr_vcpus, 2);	/* from -smp */
	assert_string_equal(l.v[0].name, "web01");
	assert_int_equal(l.v[1].pid, 5151);
	assert_int_equal(l.v[1].kvm_fd, 12);
	assert_int_equal(l.v[1].nr_vcpus, 0);	/* no -smp, no debugfs */
	apf_vms_free(&l);
}

/* ---- guests ------------------------------------------------------------- */

static void test_stock_guest(void **state)
{
	struct apf_guest_probe g;
	struct apf_host_probe h;
	struct apf_vm_list l;

	(void)state;
	use("stock-guest");
	assert_int_equal(apf_guest_probe(&g), 0);
	assert_true(apf_is_guest(&g));
	assert_string_equal(g.id.arch, "x86");
	assert_string_equal(g.id.evidence, "cpuid");
	assert_string_equal(g.id.irq, "HYP");
	assert_true(g.id.async_pf && g.id.async_pf_int && g.id.async_pf_vmexit);
	assert_true(g.cpuid.hypervisor);
	assert_string_equal(g.cpuid.signature, "KVMKVMKVM");
	assert_true(g.cpuid.features & (1u << APF_KVM_FEATURE_ASYNC_PF));
	assert_true(g.cpuid.features & (1u << APF_KVM_FEATURE_ASYNC_PF_INT));
	assert_true(g.cpuid.features & (1u << APF_KVM_FEATURE_ASYNC_PF_VMEXIT));
	assert_false(g.no_kvmapf);
	assert_true(g.hyp.found);
	assert_int_equal(g.hyp.total, 1043 + 987);
	assert_int_equal(g.hyp.ncpus, 2);
	assert_false(g.sysfs);
	assert_int_equal(g.counters.n, 0);
	apf_guest_probe_free(&g);

	assert_int_equal(apf_host_probe(&h), 0);
	assert_false(apf_is_host(&h));
	assert_false(h.dev_kvm);
	assert_int_equal(h.debugfs, APF_DEBUGFS_NOT_MOUNTED);
	assert_false(h.tracefs.found);
	apf_host_probe_free(&h);

	/* No /proc/PID at all: no VMs, and no error. */
	assert_int_equal(apf_vms_discover(&l), 0);
	assert_int_equal(l.n, 0);
	apf_vms_free(&l);
}

static void test_stock_guest_nokvmapf(void **state)
{
	struct apf_guest_probe g;

	(void)state;
	use("stock-guest-nokvmapf");
	assert_int_equal(apf_guest_probe(&g), 0);
	assert_true(apf_is_guest(&g));
	assert_true(g.no_kvmapf);
	assert_true(g.hyp.found);
	assert_int_equal(g.hyp.total, 0);
	assert_false(g.sysfs);
	apf_guest_probe_free(&g);
}

static void test_patched_guest(void **state)
{
	struct apf_guest_probe g;
	bool on = false;

	(void)state;
	use("patched-guest");
	assert_int_equal(apf_guest_probe(&g), 0);
	assert_true(apf_is_guest(&g));
	/* CPUID and the sysfs directory both say KVM: CPUID decides (it has
	 * the feature bits), and the notification row stays HYP. */
	assert_string_equal(g.id.evidence, "cpuid");
	assert_string_equal(g.id.irq, "HYP");
	assert_true(g.hyp.found);
	assert_true(g.sysfs);
	assert_true(g.sysfs_enabled_known);
	assert_true(g.enabled);
	/* The five of every patched guest, not arm64's orphaned. */
	assert_int_equal(g.counters.n, apf_guest_counter_count);
	assert_null(apf_counters_find(&g.counters, "orphaned"));
	assert_int_equal(get(&g.counters, "page_not_present"), 1532);
	assert_int_equal(get(&g.counters, "page_ready"), 1529);
	assert_int_equal(get(&g.counters, "wake_before_wait"), 17);
	assert_int_equal(get(&g.counters, "wait_ns_total"), 4123456789u);
	assert_int_equal(get(&g.counters, "wait_ns_max"), 48211337);
	apf_guest_probe_free(&g);
	assert_int_equal(apf_guest_switch_get(&on), 0);
	assert_true(on);
	assert_int_equal(apf_host_switch_get(&on), -ENOENT);
}

/* ---- arm64 guests: no CPUID (lib/guest_id_arm64.c) ---------------------- */

static void test_arm64_patched_guest(void **state)
{
	struct apf_guest_probe g;
	struct apf_host_probe h;

	(void)state;
	use("arm64-patched-guest");
	assert_int_equal(apf_guest_probe(&g), 0);
	assert_true(apf_is_guest(&g));
	assert_string_equal(g.id.arch, "arm64");
	assert_string_equal(g.id.evidence, "kvm_async_pf");
	assert_true(g.id.async_pf);
	assert_true(g.id.async_pf_int);
	assert_false(g.id.async_pf_vmexit);
	assert_false(g.cpuid.kvm);
	assert_int_equal(g.cpuid_err, 0);	/* no cpuid file: no CPUID */
	/* The notifications: the kvm-apf PPI's row, not its look-alike. */
	assert_string_equal(g.id.irq, "kvm-apf");
	assert_true(g.hyp.found);
	assert_int_equal(g.hyp.total, 16394 + 15120);
	assert_int_equal(g.hyp.ncpus, 2);
	assert_false(g.no_kvmapf);
	assert_true(g.sysfs);
	assert_true(g.sysfs_enabled_known);
	assert_true(g.enabled);
	/* The five and the optional orphaned (arm64 0004). */
	assert_int_equal(g.counters.n, apf_guest_counter_count + 1);
	assert_int_equal(get(&g.counters, "page_not_present"), 2113);
	assert_int_equal(get(&g.counters, "wake_before_wait"), 7740);
	assert_int_equal(get(&g.counters, "orphaned"), 18);
	assert_int_equal(get(&g.counters, "page_ready"), 9871);
	apf_guest_probe_free(&g);

	assert_int_equal(apf_host_probe(&h), 0);
	assert_false(apf_is_host(&h));
	apf_host_probe_free(&h);
}

static void test_arm64_patched_guest_nokvmapf(void **state)
{
	struct apf_guest_probe g;
	bool on = true;

	(void)state;
	use("arm64-patched-guest-nokvmapf");
	assert_int_equal(apf_guest_probe(&g), 0);
	/* Still a guest: the directory exists with APF off. */
	assert_true(apf_is_guest(&g));
	assert_string_equal(g.id.evidence, "kvm_async_pf");
	assert_true(g.no_kvmapf);
	assert_true(g.sysfs_enabled_known);
	assert_false(g.enabled);
	assert_true(g.hyp.found);
	assert_int_equal(g.hyp.total, 0);
	assert_int_equal(get(&g.counters, "page_not_present"), 0);
	apf_guest_probe_free(&g);
	assert_int_equal(apf_guest_switch_get(&on), 0);
	assert_false(on);
}

static void test_arm64_stock_guest_ptp(void **state)
{
	struct apf_guest_probe g;

	(void)state;
	use("arm64-stock-guest-ptp");
	assert_int_equal(apf_guest_probe(&g), 0);
	assert_true(apf_is_guest(&g));
	assert_null(g.id.arch);			/* any architecture */
	assert_string_equal(g.id.evidence, "ptp_kvm");
	/* ptp_kvm says nothing about async PF. */
	assert_false(g.id.async_pf);
	assert_false(g.id.async_pf_int);
	assert_null(g.id.irq);
	assert_false(g.hyp.found);		/* no HYP row on arm64 */
	assert_false(g.sysfs);
	assert_int_equal(g.counters.n, 0);
	apf_guest_probe_free(&g);
}

static void test_arm64_tcg_not_guest(void **state)
{
	struct apf_guest_probe g;

	(void)state;
	/* DMI "KVM Virtual Machine", linux,dummy-virt, a NIC's PTP clock,
	 * a clock whose name only starts like ptp_kvm's, an empty
	 * kvm_async_pf directory: none of it is KVM. */
	use("arm64-tcg");
	assert_int_equal(apf_guest_probe(&g), 0);
	assert_false(apf_is_guest(&g));
	assert_null(g.id.evidence);
	assert_true(g.sysfs);
	assert_false(g.sysfs_enabled_known);
	assert_false(g.hyp.found);
	apf_guest_probe_free(&g);
}

/* ---- both: this machine, a KVM host inside a KVM guest ------------------ */

static void test_both(void **state)
{
	struct apf_guest_probe g;
	struct apf_host_probe h;
	struct apf_vm_list l;
	const struct apf_vm *vm;

	(void)state;
	use("both");
	assert_int_equal(apf_host_probe(&h), 0);
	assert_int_equal(apf_guest_probe(&g), 0);
	assert_true(apf_is_host(&h));
	assert_true(apf_is_guest(&g));
	assert_string_equal(h.vendor_module, "kvm_pvm");
	assert_string_equal(param(&h, "kvm_pvm", "pvm_native"), "Y");
	assert_string_equal(h.lockdown, "integrity");
	assert_false(h.counters);
	assert_true(g.hyp.found);
	assert_int_equal(g.hyp.total, 43 + 73);
	assert_false(g.no_kvmapf);
	apf_host_probe_free(&h);
	apf_guest_probe_free(&g);

	assert_int_equal(apf_vms_discover(&l), 0);
	assert_int_equal(l.n, 2);
	vm = apf_vms_find(&l, "apftest1");
	assert_non_null(vm);
	assert_int_equal(vm->pid, 5728);
	assert_int_equal(vm->nr_vcpus, 2);
	assert_true(vm->qemu.libvirt);
	/* libvirt >= 8 passes the monitor socket as fd=N: no path. */
	assert_string_equal(vm->qemu.qmp, "");
	vm = apf_vms_find(&l, "3805");
	assert_non_null(vm);
	assert_string_equal(vm->name, "testvm");
	assert_string_equal(vm->qemu.qmp, "/tmp/q.sock");
	apf_vms_free(&l);
}

/* ---- neither: bare metal without KVM ------------------------------------ */

static void test_neither(void **state)
{
	struct apf_guest_probe g;
	struct apf_host_probe h;
	struct apf_vm_list l;

	(void)state;
	use("neither");
	assert_int_equal(apf_host_probe(&h), 0);
	assert_int_equal(apf_guest_probe(&g), 0);
	assert_false(apf_is_host(&h));
	assert_false(apf_is_guest(&g));
	assert_int_equal(h.nparams, 0);
	assert_string_equal(h.vendor_module, "");
	assert_string_equal(h.lockdown, "");
	assert_false(h.switch_present);
	assert_false(g.hyp.found);
	assert_false(g.sysfs);
	apf_host_probe_free(&h);
	apf_guest_probe_free(&g);
	assert_int_equal(apf_vms_discover(&l), 0);
	assert_int_equal(l.n, 0);
	apf_vms_free(&l);
}

/* ---- hostile trees ------------------------------------------------------ */

static void test_hostile_truncated(void **state)
{
	const struct apf_tracepoint *tp;
	struct apf_guest_probe g;
	struct apf_host_probe h;
	struct apf_counters c;
	struct apf_vm_list l;

	(void)state;
	use("hostile-truncated");
	assert_int_equal(apf_host_probe(&h), 0);
	assert_true(h.dev_kvm);
	assert_false(h.switch_present);		/* empty async_pf file */
	assert_string_equal(h.lockdown, "");	/* "none [integ" */
	assert_true(h.counters);		/* the file exists, empty */
	assert_int_equal(h.debugfs, APF_DEBUGFS_READABLE);
	/* Cut-off tracepoint files: listed, nothing trusted from them. */
	assert_true(h.tracefs.found);
	tp = apf_tracefs_find(&h.tracefs, "kvm_async_pf_ready");
	assert_non_null(tp);
	assert_false(tp->id_readable);
	assert_int_equal(tp->nfields, 0);
	tp = apf_tracefs_find(&h.tracefs, "kvm_async_pf_not_present");
	assert_non_null(tp);
	assert_int_equal(tp->id, 34);
	apf_host_probe_free(&h);

	/* Empty stat files are skipped, not read as 0. */
	assert_int_equal(stats("", false, &c), 0);
	assert_int_equal(c.n, 0);
	apf_counters_free(&c);
	assert_int_equal(stats("3000-10", true, &c), 0);
	apf_counters_free(&c);

	assert_int_equal(apf_guest_probe(&g), 0);
	assert_false(apf_is_guest(&g));
	assert_true(g.hyp.found);		/* "HYP:         12" */
	assert_int_equal(g.hyp.total, 12);
	assert_int_equal(g.hyp.ncpus, 1);
	assert_false(g.no_kvmapf);		/* empty /proc/cmdline */
	assert_true(g.sysfs);
	assert_false(g.sysfs_enabled_known);
	assert_int_equal(g.counters.n, 1);
	assert_int_equal(get(&g.counters, "page_ready"), 15);
	apf_guest_probe_free(&g);

	/* Empty cmdline and comm (a zombie): kept, named "?". */
	assert_int_equal(apf_vms_discover(&l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].pid, 3000);
	assert_int_equal(l.v[0].nr_vcpus, 1);
	assert_false(l.v[0].qemu.is_qemu);
	assert_string_equal(l.v[0].name, "?");
	apf_vms_free(&l);
}

static void test_hostile_values_stats(void **state)
{
	struct apf_counters c;

	(void)state;
	use("hostile-values");
	/* Only the four well-formed values of the default set are read. */
	assert_int_equal(stats("", false, &c), 4);
	assert_false(has(&c, "exits"));			/* 2^64 */
	assert_true(get(&c, "halt_exits") == UINT64_MAX);
	assert_false(has(&c, "halt_wakeup"));		/* 38 digits */
	assert_false(has(&c, "pf_taken"));		/* "abc" */
	assert_false(has(&c, "pf_fixed"));		/* "-1" */
	assert_false(has(&c, "pf_guest"));		/* "0x10" */
	assert_false(has(&c, "insn_emulation"));	/* not in the default set */
	assert_false(has(&c, "irq_injections"));	/* "12 34" */
	assert_false(has(&c, "hypercalls"));		/* "1e3" */
	assert_true(get(&c, "async_pf_queued") == UINT64_MAX);
	assert_false(has(&c, "async_pf_not_present"));	/* 2^64 */
	assert_int_equal(get(&c, "async_pf_halted"), 7);
	assert_false(has(&c, "async_pf_ready"));	/* "+5" */
	assert_false(has(&c, "async_pf_completed"));	/* binary */
	assert_int_equal(get(&c, "async_pf_sync"), 9);
	apf_counters_free(&c);

	assert_int_equal(stats("", true, &c), 5);
	apf_counters_free(&c);

	assert_int_equal(stats("4000-9", false, &c), 1);
	assert_false(has(&c, "exits"));
	assert_int_equal(get(&c, "async_pf_queued"), 3);
	apf_counters_free(&c);
	/* vcpu0/pid is garbage: the reader does not care, it is not a stat. */
	assert_int_equal(stats("4000-9/vcpu0", false, &c), 1);
	apf_counters_free(&c);
	/* -a reads every file: the well-formed ones outside the set too. */
	assert_true(stats("", true, &c) > 4);
	assert_int_equal(get(&c, "insn_emulation"), 42);
	assert_false(has(&c, "irq_injections"));
	apf_counters_free(&c);
}

static void test_hostile_values_probes(void **state)
{
	const struct apf_tracepoint *tp;
	struct apf_guest_probe g;
	struct apf_host_probe h;
	struct apf_vm_list l;

	(void)state;
	use("hostile-values");
	assert_int_equal(apf_host_probe(&h), 0);
	assert_false(h.switch_present);		/* async_pf = "maybe" */
	assert_string_equal(h.lockdown, "");	/* no closing bracket */
	assert_true(h.counters);
	/* Garbage id and format: no id, no fields. */
	tp = apf_tracefs_find(&h.tracefs, "kvm_async_pf_not_present");
	assert_non_null(tp);
	assert_false(tp->id_readable);
	assert_int_equal(tp->id, 0);
	assert_int_equal(tp->nfields, 0);
	/* id 2^64 refused; the format file's own "ID: 33" stands in. */
	tp = apf_tracefs_find(&h.tracefs, "kvm_async_pf_ready");
	assert_non_null(tp);
	assert_true(tp->id_readable);
	assert_int_equal(tp->id, 33);
	apf_host_probe_free(&h);

	assert_int_equal(apf_guest_probe(&g), 0);
	assert_true(apf_is_guest(&g));
	assert_false(g.no_kvmapf);	/* only look-alikes on the cmdline */
	assert_false(g.hyp.found);	/* HYP overflows: dropped */
	assert_true(g.sysfs);
	assert_false(g.sysfs_enabled_known);	/* enabled = "2" */
	assert_int_equal(g.counters.n, 2);
	assert_true(get(&g.counters, "page_not_present") == UINT64_MAX);
	assert_int_equal(get(&g.counters, "wait_ns_total"), 5);
	assert_false(has(&g.counters, "page_ready"));	/* 2^64 */
	assert_false(has(&g.counters, "wait_ns_max"));	/* "-7" */
	apf_guest_probe_free(&g);

	assert_int_equal(apf_vms_discover(&l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].qemu.smp, 0);		/* -smp -3 */
	assert_string_equal(l.v[0].qemu.name, "");	/* -name "" */
	assert_string_equal(l.v[0].name, "qemu-system-x86");
	assert_string_equal(l.v[0].qemu.qmp, "");	/* tcp: */
	assert_true(l.v[0].qemu.kvm);
	assert_int_equal(l.v[0].qemu.async_pf, -1);	/* async-pf=maybe */
	apf_vms_free(&l);
}

static void test_hostile_vms(void **state)
{
	const struct apf_vm *vm;
	struct apf_vm_list l;
	size_t i;

	(void)state;
	use("hostile-vms");
	assert_int_equal(apf_vms_discover(&l), 0);
	/* Garbage names refused, 77-3 (process gone) dropped, and 4242-20
	 * folded into 4242-11: VMs are tracked per process. */
	assert_int_equal(l.n, 5);
	for (i = 0; i < l.n; i++)
		assert_int_not_equal(l.v[i].pid, 77);
	assert_int_equal(l.v[0].pid, 4242);
	assert_int_equal(l.v[0].kvm_fd, 11);
	assert_int_equal(l.v[1].pid, 5151);
	vm = &l.v[0];
	assert_int_equal(vm->nr_vcpus, 2);	/* vcpuX, vcpu, vcpu-1... ignored */
	assert_int_equal(vm->qemu.smp, 0);	/* -smp 999999 */
	assert_true(vm->qemu.kvm);
	assert_int_equal(strlen(vm->name), APF_NAME_MAX - 1);
	assert_true(strlen(vm->qemu.qmp) < APF_SOCK_MAX);
	assert_ptr_equal(apf_vms_find(&l, "4242"), &l.v[0]);

	vm = apf_vms_find(&l, "5151");
	assert_non_null(vm);
	assert_false(vm->qemu.is_qemu);
	assert_string_equal(vm->name, "crosvm");
	assert_non_null(apf_vms_find(&l, "crosvm"));

	/* A regular file where a VM directory should be. */
	vm = apf_vms_find(&l, "6100");
	assert_non_null(vm);
	assert_int_equal(vm->nr_vcpus, 3);	/* no vcpuN dirs: -smp cpus=3 */
	assert_string_equal(vm->name, "odd,name");
	assert_true(vm->qemu.libvirt);

	/* Process with no cmdline and no comm. */
	vm = apf_vms_find(&l, "8000");
	assert_non_null(vm);
	assert_false(vm->qemu.is_qemu);
	assert_string_equal(vm->name, "?");

	/* Control characters pass through the library untouched: quoting
	 * them is each output format's job. */
	vm = apf_vms_find(&l, "9000");
	assert_non_null(vm);
	assert_string_equal(vm->name, "ev\"il\\\n\x1b[2J\x1b]0;pwned\x07");
	apf_vms_free(&l);
}

static void test_hostile_vms_list(void **state)
{
	struct apf_debugfs_vm *v;
	struct apf_counters c;
	size_t n;

	(void)state;
	use("hostile-vms");
	assert_int_equal(apf_debugfs_list_vms(&v, &n), 0);
	assert_int_equal(n, 7);		/* 77-3 is still listed here */
	free(v);
	assert_true(stats("6100-7", false, &c) < 0);	/* a file: ENOTDIR */
	apf_counters_free(&c);
	assert_int_equal(stats("4242-11", false, &c), 2);
	assert_int_equal(get(&c, "async_pf_queued"), 10);
	apf_counters_free(&c);
	/* Names that try to leave the tree still resolve under the sysroot. */
	assert_int_equal(stats("../../../../proc", false, &c), 0);
	apf_counters_free(&c);
}

static void test_hostile_missing(void **state)
{
	struct apf_guest_probe g;
	struct apf_host_probe h;
	struct apf_vm_list l;
	bool on;

	(void)state;
	use("hostile-missing");
	assert_int_equal(apf_host_probe(&h), 0);
	assert_false(h.dev_kvm);		/* a directory, not the device */
	assert_true(h.kvm_module);
	assert_int_equal(h.nparams, 0);
	assert_string_equal(h.vendor_module, "");
	assert_int_equal(h.debugfs, APF_DEBUGFS_NO_KVM);
	assert_false(h.counters);
	assert_false(h.switch_present);
	assert_string_equal(h.lockdown, "");
	assert_true(h.tracefs.found);
	assert_int_equal(h.tracefs.ntp, 0);
	apf_host_probe_free(&h);

	assert_int_equal(apf_guest_probe(&g), 0);
	assert_false(apf_is_guest(&g));
	assert_false(g.hyp.found);
	assert_true(g.sysfs);
	assert_false(g.sysfs_enabled_known);
	assert_int_equal(g.counters.n, 0);
	apf_guest_probe_free(&g);

	assert_int_equal(apf_guest_switch_get(&on), -ENOENT);
	assert_int_equal(apf_guest_switch_set(true), -ENOENT);
	assert_int_equal(apf_host_switch_set(false), -ENOENT);

	assert_int_equal(apf_vms_discover(&l), 0);
	assert_int_equal(l.n, 0);
	apf_vms_free(&l);
}

static void test_hostile_cpuid(void **state)
{
	struct apf_kvm_cpuid c;
	struct apf_guest_probe g;

	(void)state;
	use("hostile-cpuid");
	assert_int_equal(apf_kvm_cpuid_read(&c), -EINVAL);
	assert_false(c.kvm);
	/* A bad CPUID source is reported, and the rest still probed. */
	assert_int_equal(apf_guest_probe(&g), 0);
	assert_int_equal(g.cpuid_err, -EINVAL);
	assert_false(apf_is_guest(&g));
	assert_true(g.hyp.found);
	assert_int_equal(g.hyp.total, 11);
	apf_guest_probe_free(&g);
}

/* ---- temporary trees: what git cannot store ----------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write root/rel (creating directories) with content and mode. */
static void mk(const char *root, const char *rel, const char *content,
	       mode_t mode)
{
	char path[PATH_MAX], *p;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)),
			 (ssize_t)strlen(content));
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static void tmp_tree(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/apf-fixture-XXXXXX");
	assert_non_null(mkdtemp(dir));
	/* Traversable by the unprivileged child of test_unreadable. */
	assert_int_equal(chmod(dir, 0755), 0);
}

/* Runs without privilege; returns a bit per failed check. */
static int unreadable_checks(const char *locked, const char *closed)
{
	struct apf_counters c = { 0 };
	struct apf_host_probe h;
	struct apf_vm_list l;
	int fail = 0;

	apf_sysroot_set(locked);
	/* Lockdown look-alike: listing works, every stat file refused. */
	if (apf_debugfs_read_stats("", false, &c) != -EPERM)
		fail |= 1;
	apf_counters_free(&c);
	if (apf_debugfs_read_stats("100-1", true, &c) != -EPERM)
		fail |= 2;
	apf_counters_free(&c);
	if (apf_host_probe(&h))
		fail |= 4;
	else if (h.debugfs != APF_DEBUGFS_STATS_EPERM || !h.counters)
		fail |= 8;
	apf_host_probe_free(&h);

	apf_sysroot_set(closed);
	/* debugfs' kvm/ not listable (0700 root): fall back to /proc. */
	if (apf_host_probe(&h))
		fail |= 16;
	else if (h.debugfs != APF_DEBUGFS_UNLISTABLE)
		fail |= 32;
	apf_host_probe_free(&h);
	if (apf_vms_discover(&l) || l.n != 0)
		fail |= 64;
	apf_vms_free(&l);
	return fail;
}

static void test_unreadable(void **state)
{
	char locked[64], closed[64], path[PATH_MAX];
	bool root, dropped;
	int fail;

	(void)state;
	tmp_tree(locked, sizeof(locked));
	mk(locked, "dev/kvm", "", 0644);
	mk(locked, "sys/module/kvm/parameters/halt_poll_ns", "200000\n", 0644);
	mk(locked, "sys/kernel/debug/kvm/exits", "5\n", 0);
	mk(locked, "sys/kernel/debug/kvm/pf_taken", "5\n", 0);
	mk(locked, "sys/kernel/debug/kvm/async_pf_queued", "5\n", 0);
	mk(locked, "sys/kernel/debug/kvm/100-1/exits", "5\n", 0);
	mk(locked, "sys/kernel/debug/kvm/100-1/vcpu0/pid", "101\n", 0644);
	tmp_tree(closed, sizeof(closed));
	mk(closed, "dev/kvm", "", 0644);
	mk(closed, "sys/kernel/debug/kvm/exits", "5\n", 0644);
	mk(closed, "proc/cmdline", "quiet\n", 0644);
	snprintf(path, sizeof(path), "%s/sys/kernel/debug/kvm", closed);
	assert_int_equal(chmod(path, 0700), 0);

	/* Root reads through any mode bits: check as nobody.  Only the
	 * effective ids change (no fork, so valgrind sees one process), and
	 * nothing may longjmp out before they are restored. */
	root = geteuid() == 0;
	dropped = !root || (setegid(65534) == 0 && seteuid(65534) == 0);
	fail = dropped ? unreadable_checks(locked, closed) : 0;
	if (root) {
		assert_int_equal(seteuid(0), 0);
		assert_int_equal(setegid(0), 0);
	}
	rm_tree(locked);
	rm_tree(closed);
	if (!dropped)
		skip();		/* no privilege to drop in this sandbox */
	assert_int_equal(fail, 0);
}

static void test_vanished_vm(void **state)
{
	struct apf_debugfs_vm *v;
	struct apf_counters c;
	struct apf_vm_list l;
	char root[64], path[PATH_MAX];
	size_t n;

	(void)state;
	tmp_tree(root, sizeof(root));
	mk(root, "sys/kernel/debug/kvm/100-1/exits", "5\n", 0644);
	mk(root, "sys/kernel/debug/kvm/100-1/vcpu0/pid", "101\n", 0644);
	mk(root, "proc/100/comm", "qemu-system-x86\n", 0644);
	mk(root, "proc/100/cmdline", "qemu-system-x86_64", 0644);
	apf_sysroot_set(root);
	assert_int_equal(apf_vms_discover(&l), 0);
	assert_int_equal(l.n, 1);
	apf_vms_free(&l);

	/* The process exits: the debugfs entry may linger a moment. */
	snprintf(path, sizeof(path), "%s/proc/100", root);
	rm_tree(path);
	assert_int_equal(apf_debugfs_list_vms(&v, &n), 0);
	assert_int_equal(n, 1);
	free(v);
	assert_int_equal(apf_vms_discover(&l), 0);
	assert_int_equal(l.n, 0);
	apf_vms_free(&l);

	/* Then the directory goes, between listing and reading. */
	snprintf(path, sizeof(path), "%s/sys/kernel/debug/kvm/100-1", root);
	rm_tree(path);
	memset(&c, 0, sizeof(c));
	assert_int_equal(apf_debugfs_read_stats("100-1", false, &c), -ENOENT);
	assert_int_equal(apf_debugfs_read_stats("100-1/vcpu0", false, &c), -ENOENT);
	apf_counters_free(&c);
	apf_sysroot_set(NULL);
	rm_tree(root);
}

static atomic_bool argv_held;

/* A /proc/PID/cmdline read that stalls (its VMM holds its mmap_lock)
 * while argv_held, then reads the file. */
static ssize_t stalling_reader(const char *path, size_t limit, char **out)
{
	while (atomic_load(&argv_held))
		usleep(5000);
	return apf_slurp(path, limit, out);
}

/* A VM whose argv read stalled past the deadline is named by its comm,
 * with the reason; it is not cached that way: the next discovery after
 * its backoff (1 s, then 2 s ...) reads it again and finds its name. */
static void test_vm_argv_stall_retried(void **state)
{
	static const char cmdline[] = "qemu-system-x86_64\0-name\0guest=vm1\0";
	struct apf_vm_list l, l2, l3;
	char root[64], path[PATH_MAX];
	int64_t until;
	FILE *f;

	(void)state;
	tmp_tree(root, sizeof(root));
	mk(root, "sys/kernel/debug/kvm/100-11/exits", "5\n", 0644);
	mk(root, "proc/100/comm", "qemu-kvm\n", 0644);
	snprintf(path, sizeof(path), "%s/proc/100/cmdline", root);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(cmdline, 1, sizeof(cmdline) - 1, f), sizeof(cmdline) - 1);
	fclose(f);
	apf_sysroot_set(root);

	atomic_store(&argv_held, true);
	apf_proc_argv_reader = stalling_reader;
	assert_int_equal(apf_vms_discover(&l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].argv_err, -ETIMEDOUT);
	assert_int_equal(l.v[0].argv_fails, 1);
	assert_string_equal(l.v[0].name, "qemu-kvm");
	assert_non_null(strstr(apf_vm_argv_problem(&l.v[0]), "within 500 ms"));
	atomic_store(&argv_held, false);
	until = apf_now_ms() + 5000;
	while (apf_bounded_stuck() && apf_now_ms() < until)
		usleep(5000);
	assert_int_equal(apf_bounded_stuck(), 0);

	/* Within its backoff: as it was (no read). */
	apf_proc_argv_reader = NULL;	/* a read would crash */
	assert_int_equal(apf_vms_discover_cached(&l2, &l), 0);
	assert_int_equal(l2.n, 1);
	assert_int_equal(l2.v[0].argv_err, -ETIMEDOUT);
	assert_string_equal(l2.v[0].name, "qemu-kvm");
	/* Past it: read again, named. */
	apf_proc_argv_reader = apf_slurp;
	l2.v[0].argv_retry_at = apf_now_s() - 1;
	assert_int_equal(apf_vms_discover_cached(&l3, &l2), 0);
	assert_int_equal(l3.n, 1);
	assert_int_equal(l3.v[0].argv_err, 0);
	assert_int_equal(l3.v[0].argv_fails, 0);
	assert_string_equal(l3.v[0].name, "vm1");
	assert_string_equal(apf_vm_argv_problem(&l3.v[0]), "");
	apf_vms_free(&l3);
	apf_vms_free(&l2);
	apf_vms_free(&l);
	apf_sysroot_set(NULL);
	rm_tree(root);
}

static void test_sysroot_paths(void **state)
{
	char buf[APF_PATH_MAX], big[APF_PATH_MAX + 16];

	(void)state;
	apf_sysroot_set("/x/y//");
	assert_string_equal(apf_sysroot(), "/x/y");
	assert_false(apf_sysroot_is_live());
	assert_int_equal(apf_path(buf, sizeof(buf), "/proc/%d/cmdline", 7), 0);
	assert_string_equal(buf, "/x/y/proc/7/cmdline");
	assert_int_equal(apf_path(buf, 8, "/proc/cmdline"), -ENAMETOOLONG);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(apf_path(buf, sizeof(buf), "/%s", big), -ENAMETOOLONG);
	apf_sysroot_set("/");
	assert_true(apf_sysroot_is_live());
	assert_string_equal(apf_sysroot(), "/");
	apf_sysroot_set(NULL);
	assert_true(apf_sysroot_is_live());
	/* Slashes only are "/": the live system, not a tree at "/" that
	 * would read "//proc/..." (and turn off what only the live system
	 * has), whatever the host's role. */
	apf_sysroot_set("/x/y");
	assert_int_equal(apf_sysroot_set("//"), 0);
	assert_true(apf_sysroot_is_live());
	assert_string_equal(apf_sysroot(), "/");
	assert_int_equal(apf_path(buf, sizeof(buf), "/proc/cmdline"), 0);
	assert_string_equal(buf, "/proc/cmdline");
	apf_sysroot_set("/x/y");
	assert_int_equal(apf_sysroot_set("////"), 0);
	assert_true(apf_sysroot_is_live());
	apf_sysroot_set(NULL);
}

static void find_fixtures(void)
{
	const char *env = getenv("APF_FIXTURES");
	const char *self = __FILE__;
	const char *cut = strstr(self, "unit/test_fixtures.c");

	if (env && *env)
		snprintf(fixtures, sizeof(fixtures), "%s", env);
	else if (cut)
		snprintf(fixtures, sizeof(fixtures), "%.*sfixtures",
			 (int)(cut - self), self);
	else
		snprintf(fixtures, sizeof(fixtures), "tests/fixtures");
}

#define T(f) cmocka_unit_test_teardown(f, reset_sysroot)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_stock_host_probe),
		T(test_stock_host_tracefs),
		T(test_stock_host_vms),
		T(test_stock_host_stats),
		T(test_stock_host_not_guest),
		T(test_patched_host_probe),
		T(test_patched_host_sums),
		T(test_patched_host_vms),
		T(test_nodebugfs_host),
		T(test_stock_guest),
		T(test_stock_guest_nokvmapf),
		T(test_patched_guest),
		T(test_arm64_patched_guest),
		T(test_arm64_patched_guest_nokvmapf),
		T(test_arm64_stock_guest_ptp),
		T(test_arm64_tcg_not_guest),
		T(test_both),
		T(test_neither),
		T(test_hostile_truncated),
		T(test_hostile_values_stats),
		T(test_hostile_values_probes),
		T(test_hostile_vms),
		T(test_hostile_vms_list),
		T(test_hostile_missing),
		T(test_hostile_cpuid),
		T(test_unreadable),
		T(test_vanished_vm),
		T(test_vm_argv_stall_retried),
		T(test_sysroot_paths),
	};

	find_fixtures();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
