// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/qmp.c: apf_qmp_parse_stats() on real QEMU 10.0 replies and hostile
 * ones, and the client against a scripted fake QMP server (events between
 * replies, stale ids, silence, floods, hang-ups), since a real QEMU never
 * misbehaves on cue.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "qmp.h"

/* Captured from QEMU 10.0.2 (Debian bookworm-backports), KVM. */
static const char reply_vm[] =
	"{\"return\": [{\"provider\": \"kvm\", \"stats\": [{\"name\": \"max_mmu_page_hash_collisions\", \"value\": 0}, {"
	"\"name\": \"max_mmu_rmap_size\", \"value\": 0}, {"
	"\"name\": \"nx_lpage_splits\", \"value\": 0}, {"
	"\"name\": \"pages_1g\", \"value\": 0}, {"
	"\"name\": \"pages_2m\", \"value\": 0}, {"
	"\"name\": \"pages_4k\", \"value\": 0}, {"
	"\"name\": \"mmu_unsync\", \"value\": 0}, {"
	"\"name\": \"mmu_cache_miss\", \"value\": 20}, {"
	"\"name\": \"mmu_recycled\", \"value\": 0}, {"
	"\"name\": \"mmu_flooded\", \"value\": 0}, {"
	"\"name\": \"mmu_pde_zapped\", \"value\": 0}, {"
	"\"name\": \"mmu_pte_write\", \"value\": 0}, {"
	"\"name\": \"mmu_shadow_zapped\", \"value\": 32}, {"
	"\"name\": \"remote_tlb_flush_requests\", \"value\": 4}, {"
	"\"name\": \"remote_tlb_flush\", \"value\": 0}]}]}";

/* Captured from QEMU 10.0.2 (Debian bookworm-backports), KVM. */
static const char reply_vcpu2[] =
	"{\"return\": [{\"provider\": \"kvm\", \"stats\": [{\"name\": \"notify_window_exits\", \"value\": 0}, {"
	"\"name\": \"guest_mode\", \"value\": false}, {"
	"\"name\": \"preemption_other\", \"value\": 0}, {"
	"\"name\": \"preemption_reported\", \"value\": 0}, {"
	"\"name\": \"directed_yield_successful\", \"value\": 0}, {"
	"\"name\": \"directed_yield_attempted\", \"value\": 0}, {"
	"\"name\": \"nested_run\", \"value\": 0}, {"
	"\"name\": \"req_event\", \"value\": 1}, {"
	"\"name\": \"nmi_injections\", \"value\": 0}, {"
	"\"name\": \"irq_injections\", \"value\": 0}, {"
	"\"name\": \"hypercalls\", \"value\": 0}, {"
	"\"name\": \"insn_emulation_fail\", \"value\": 0}, {"
	"\"name\": \"insn_emulation\", \"value\": 939}, {"
	"\"name\": \"fpu_reload\", \"value\": 6}, {"
	"\"name\": \"host_state_reload\", \"value\": 0}, {"
	"\"name\": \"irq_exits\", \"value\": 0}, {"
	"\"name\": \"request_irq_exits\", \"value\": 0}, {"
	"\"name\": \"halt_exits\", \"value\": 1}, {"
	"\"name\": \"l1d_flush\", \"value\": 0}, {"
	"\"name\": \"nmi_window_exits\", \"value\": 0}, {"
	"\"name\": \"irq_window_exits\", \"value\": 0}, {"
	"\"name\": \"signal_exits\", \"value\": 4}, {"
	"\"name\": \"mmio_exits\", \"value\": 0}, {"
	"\"name\": \"io_exits\", \"value\": 0}, {"
	"\"name\": \"exits\", \"value\": 1}, {"
	"\"name\": \"invlpg\", \"value\": 0}, {"
	"\"name\": \"tlb_flush\", \"value\": 2}, {"
	"\"name\": \"pf_guest\", \"value\": 0}, {"
	"\"name\": \"pf_mmio_spte_created\", \"value\": 0}, {"
	"\"name\": \"pf_fast\", \"value\": 0}, {"
	"\"name\": \"pf_spurious\", \"value\": 0}, {"
	"\"name\": \"pf_emulate\", \"value\": 0}, {"
	"\"name\": \"pf_fixed\", \"value\": 0}, {"
	"\"name\": \"pf_taken\", \"value\": 0}, {"
	"\"name\": \"blocking\", \"value\": true}, {"
	"\"name\": \"halt_wait_hist\", \"value\": [0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}, {"
	"\"name\": \"halt_poll_fail_hist\", \"value\": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}, {"
	"\"name\": \"halt_poll_success_hist\", \"value\": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}, {"
	"\"name\": \"halt_wait_ns\", \"value\": 1150883940}, {"
	"\"name\": \"halt_poll_fail_ns\", \"value\": 0}, {"
	"\"name\": \"halt_poll_success_ns\", \"value\": 0}, {"
	"\"name\": \"halt_wakeup\", \"value\": 3}, {"
	"\"name\": \"halt_poll_invalid\", \"value\": 0}, {"
	"\"name\": \"halt_attempted_poll\", \"value\": 0}, {"
	"\"name\": \"halt_successful_poll\", \"value\": 0}], \"qom-path\": \"/machine/unattached/device[2]\"}, {"
	"\"provider\": \"kvm\", \"stats\": [{\"name\": \"notify_window_exits\", \"value\": 0}, {"
	"\"name\": \"guest_mode\", \"value\": false}, {"
	"\"name\": \"preemption_other\", \"value\": 32}, {"
	"\"name\": \"preemption_reported\", \"value\": 0}, {"
	"\"name\": \"directed_yield_successful\", \"value\": 0}, {"
	"\"name\": \"directed_yield_attempted\", \"value\": 0}, {"
	"\"name\": \"nested_run\", \"value\": 0}, {"
	"\"name\": \"req_event\", \"value\": 127}, {"
	"\"name\": \"nmi_injections\", \"value\": 0}, {"
	"\"name\": \"irq_injections\", \"value\": 2}, {"
	"\"name\": \"hypercalls\", \"value\": 0}, {"
	"\"name\": \"insn_emulation_fail\", \"value\": 0}, {"
	"\"name\": \"insn_emulation\", \"value\": 4173707}, {"
	"\"name\": \"fpu_reload\", \"value\": 1264}, {"
	"\"name\": \"host_state_reload\", \"value\": 0}, {"
	"\"name\": \"irq_exits\", \"value\": 0}, {"
	"\"name\": \"request_irq_exits\", \"value\": 0}, {"
	"\"name\": \"halt_exits\", \"value\": 0}, {"
	"\"name\": \"l1d_flush\", \"value\": 0}, {"
	"\"name\": \"nmi_window_exits\", \"value\": 0}, {"
	"\"name\": \"irq_window_exits\", \"value\": 1}, {"
	"\"name\": \"signal_exits\", \"value\": 0}, {"
	"\"name\": \"mmio_exits\", \"value\": 0}, {"
	"\"name\": \"io_exits\", \"value\": 0}, {"
	"\"name\": \"exits\", \"value\": 5281}, {"
	"\"name\": \"invlpg\", \"value\": 0}, {"
	"\"name\": \"tlb_flush\", \"value\": 3}, {"
	"\"name\": \"pf_guest\", \"value\": 0}, {"
	"\"name\": \"pf_mmio_spte_created\", \"value\": 0}, {"
	"\"name\": \"pf_fast\", \"value\": 0}, {"
	"\"name\": \"pf_spurious\", \"value\": 0}, {"
	"\"name\": \"pf_emulate\", \"value\": 0}, {"
	"\"name\": \"pf_fixed\", \"value\": 0}, {"
	"\"name\": \"pf_taken\", \"value\": 0}, {"
	"\"name\": \"blocking\", \"value\": false}, {"
	"\"name\": \"halt_wait_hist\", \"value\": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}, {"
	"\"name\": \"halt_poll_fail_hist\", \"value\": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}, {"
	"\"name\": \"halt_poll_success_hist\", \"value\": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}, {"
	"\"name\": \"halt_wait_ns\", \"value\": 0}, {"
	"\"name\": \"halt_poll_fail_ns\", \"value\": 0}, {"
	"\"name\": \"halt_poll_success_ns\", \"value\": 0}, {"
	"\"name\": \"halt_wakeup\", \"value\": 0}, {"
	"\"name\": \"halt_poll_invalid\", \"value\": 0}, {"
	"\"name\": \"halt_attempted_poll\", \"value\": 0}, {"
	"\"name\": \"halt_successful_poll\", \"value\": 0}], \"qom-path\": \"/machine/unattached/device[0]\"}]}";

static uint64_t get(const struct apf_counters *c, const char *name)
{
	const struct apf_counter *k = apf_counters_find(c, name);

	assert_non_null(k);
	return k->value;
}

struct parsed {
	struct apf_counters vm;
	struct apf_qmp_vcpu_stats *v;
	size_t n;
};

static int parse(struct parsed *p, const char *json, bool all)
{
	return apf_qmp_parse_stats(json, all, &p->vm, &p->v, &p->n);
}

static void parsed_free(struct parsed *p)
{
	apf_qmp_vcpu_stats_free(p->v, p->n);
	apf_counters_free(&p->vm);
	memset(p, 0, sizeof(*p));
}

static void test_real_vm(void **state)
{
	struct parsed p = { 0 };

	(void)state;
	/* No APF or context counter is a VM-wide stat. */
	assert_int_equal(parse(&p, reply_vm, false), 0);
	assert_int_equal(p.vm.n, 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(parse(&p, reply_vm, true), 0);
	assert_int_equal(p.vm.n, 15);
	assert_int_equal(get(&p.vm, "mmu_cache_miss"), 20);
	assert_int_equal(get(&p.vm, "remote_tlb_flush_requests"), 4);
	parsed_free(&p);
}

/* How many of the reply's integer stats the default filter keeps: the
 * context list is counters.c's to choose. */
static size_t shown_of(const struct apf_counters *all)
{
	size_t i, n = 0;

	for (i = 0; i < all->n; i++)
		n += apf_counter_is_shown(all->v[i].name, false);
	return n;
}

static void test_real_vcpu(void **state)
{
	struct parsed p = { 0 }, a = { 0 };
	size_t i;

	(void)state;
	assert_int_equal(parse(&a, reply_vcpu2, true), 0);
	assert_int_equal(parse(&p, reply_vcpu2, false), 0);
	assert_int_equal(p.vm.n, 0);
	assert_int_equal(p.n, 2);
	/* Reply order: device[2] (cpu 1) came first. */
	assert_int_equal(p.v[0].index, 0);
	assert_int_equal(p.v[1].index, 1);
	assert_int_equal(get(&p.v[0].counters, "exits"), 1);
	assert_int_equal(get(&p.v[1].counters, "exits"), 5281);
	assert_int_equal(p.v[1].counters.n, shown_of(&a.v[1].counters));
	for (i = 0; i < p.v[1].counters.n; i++)
		assert_true(apf_counter_is_shown(p.v[1].counters.v[i].name,
						 false));
	assert_null(apf_counters_find(&p.v[1].counters, "l1d_flush"));
	parsed_free(&p);
	parsed_free(&a);

	/* all: the 40 integer stats; 2 booleans and 3 histograms skipped. */
	assert_int_equal(parse(&p, reply_vcpu2, true), 0);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.v[0].counters.n, 40);
	assert_null(apf_counters_find(&p.v[0].counters, "guest_mode"));
	assert_null(apf_counters_find(&p.v[0].counters, "blocking"));
	assert_null(apf_counters_find(&p.v[0].counters, "halt_wait_hist"));
	assert_int_equal(get(&p.v[0].counters, "l1d_flush"), 0);
	parsed_free(&p);
}

static void test_appends(void **state)
{
	struct parsed p = { 0 };

	(void)state;
	/* The vm and vcpu replies of one query land in one result. */
	assert_int_equal(parse(&p, reply_vm, true), 0);
	assert_int_equal(parse(&p, reply_vcpu2, true), 0);
	assert_int_equal(parse(&p, reply_vcpu2, false), 0);
	assert_int_equal(p.vm.n, 15);
	assert_int_equal(p.n, 4);
	assert_int_equal(p.v[3].index, 3);
	assert_int_equal(p.v[3].counters.n, shown_of(&p.v[1].counters));
	parsed_free(&p);
}

static void test_apf_counters(void **state)
{
	struct parsed p = { 0 };
	static const char r[] =
		"{\"return\":[{\"provider\":\"kvm\",\"qom-path\":\"/c0\","
		"\"stats\":[{\"name\":\"async_pf_queued\",\"value\":5},"
		"{\"name\":\"async_pf_ready\",\"value\":18446744073709551615},"
		"{\"name\":\"async_pf_sync\",\"value\":1},"
		"{\"name\":\"async_pf_sync\",\"value\":2},"
		"{\"name\":\"unrelated\",\"value\":9}]}]}\r\n";

	(void)state;
	assert_int_equal(parse(&p, r, false), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.v[0].counters.n, 3);
	assert_int_equal(get(&p.v[0].counters, "async_pf_queued"), 5);
	assert_true(get(&p.v[0].counters, "async_pf_ready") == UINT64_MAX);
	assert_int_equal(get(&p.v[0].counters, "async_pf_sync"), 2);
	parsed_free(&p);
}

static void test_skipped_values(void **state)
{
	struct parsed p = { 0 };
	static const char r[] =
		"[{\"provider\":\"kvm\",\"stats\":["
		"{\"name\":\"a1\",\"value\":-1},"
		"{\"name\":\"a2\",\"value\":1.5},"
		"{\"name\":\"a3\",\"value\":\"7\"},"
		"{\"name\":\"a4\",\"value\":null},"
		"{\"name\":\"a5\",\"value\":true},"
		"{\"name\":\"a6\",\"value\":[1,2]},"
		"{\"name\":\"a7\",\"value\":{}},"
		"{\"name\":\"a\\u0000b\",\"value\":1},"
		"{\"name\":\"a123456789012345678901234567890123456789012345678901234"
		"567890123\",\"value\":1},"
		"{\"name\":\"ok\",\"value\":3}]},"
		"{\"provider\":\"cryptodev\",\"stats\":[{\"name\":\"x\",\"value\":1}]},"
		"{\"stats\":[{\"name\":\"noprov\",\"value\":4}]}]";

	(void)state;
	assert_int_equal(parse(&p, r, true), 0);
	assert_int_equal(p.vm.n, 2);
	assert_int_equal(get(&p.vm, "ok"), 3);
	assert_int_equal(get(&p.vm, "noprov"), 4);
	parsed_free(&p);
}

static void test_errors(void **state)
{
	static const struct {
		const char *json;
		int err;
	} t[] = {
		{ "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
		  "\"The command query-stats has not been found\"}}", -ENOTSUP },
		{ "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Property "
		  "'kvm-accel.async-pf' not found\"}}", -ENOENT },
		{ "{\"error\":{\"class\":\"GenericError\",\"desc\":\"x\"}}", -EIO },
		{ "{\"error\":7}", -EIO },
		{ "", -EPROTO },
		{ "   ", -EPROTO },
		{ "{\"return\": [", -EPROTO },
		{ "{\"return\": []} {", -EPROTO },
		{ "{\"return\": []}x", -EPROTO },
		{ "{\"return\": {}}", -EPROTO },
		{ "{\"return\": [7]}", -EPROTO },
		{ "{\"return\": [{\"provider\":\"kvm\"}]}", -EPROTO },
		{ "{\"return\": [{\"stats\":{}}]}", -EPROTO },
		{ "{\"return\": [{\"stats\":[7]}]}", -EPROTO },
		{ "{\"return\": [{\"stats\":[{\"value\":1}]}]}", -EPROTO },
		{ "{\"return\": [{\"stats\":[{\"name\":1,\"value\":1}]}]}",
		  -EPROTO },
		{ "{\"return\": [{\"stats\":[{\"name\":\"x\"}]}]}", -EPROTO },
		{ "{\"greeting\": 1}", -EPROTO },
		{ "null", -EPROTO },
		{ "42", -EPROTO },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct parsed p = { 0 };

		if (parse(&p, t[i].json, true) != t[i].err)
			fail_msg("case %zu: %s", i, t[i].json);
		parsed_free(&p);
	}
	assert_int_equal(apf_qmp_parse_stats(NULL, true, &(struct apf_counters){ 0 },
					     &(struct apf_qmp_vcpu_stats *){ NULL },
					     &(size_t){ 0 }), -EINVAL);
}

static char *repeat(const char *head, const char *unit, size_t n,
		    const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail), i;
	char *s = malloc(hl + ul * n + tl + 1), *p = s;

	assert_non_null(s);
	memcpy(p, head, hl);
	p += hl;
	for (i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl + 1);
	return s;
}

static void test_deep_nesting(void **state)
{
	struct parsed p = { 0 };
	char *s = repeat("", "[", 100000, "");

	(void)state;
	assert_int_equal(parse(&p, s, true), -EPROTO);
	parsed_free(&p);
	free(s);
}

static void test_many_names(void **state)
{
	struct parsed p = { 0 };
	size_t n = 3000, i, len;
	char *s = malloc(n * 64 + 64), *q;

	(void)state;
	assert_non_null(s);
	q = s + sprintf(s, "[{\"stats\":[");
	for (i = 0; i < n; i++)
		q += sprintf(q, "%s{\"name\":\"async_pf_x%zu\",\"value\":%zu}",
			     i ? "," : "", i, i);
	memcpy(q, "]}]", 4);
	len = strlen(s);
	assert_true(len < n * 64);
	/* Capped, not failed: the first APF_QMP_MAX_STATS names are kept. */
	assert_int_equal(parse(&p, s, false), 0);
	assert_int_equal(p.vm.n, APF_QMP_MAX_STATS);
	assert_int_equal(get(&p.vm, "async_pf_x0"), 0);
	parsed_free(&p);
	free(s);
}

static void test_many_vcpus(void **state)
{
	struct parsed p = { 0 };
	char *s = repeat("[", "{\"qom-path\":\"c\",\"stats\":[]},",
			 APF_QMP_MAX_VCPUS + 1, "{\"stats\":[]}]");

	(void)state;
	assert_int_equal(parse(&p, s, false), -E2BIG);
	assert_int_equal(p.n, APF_QMP_MAX_VCPUS);
	parsed_free(&p);
	free(s);
}

/* ---- query-async-pf replies and the QMP error classes ---- */

/* The two examples of query-async-pf in qapi/misc-target.json
 * (qemu/patches/0010). */
static const char reply_async_pf[] =
	"{ \"return\": {\n"
	"       \"enabled\": true,\n"
	"       \"switchable\": true,\n"
	"       \"vcpus\": [\n"
	"         { \"cpu-index\": 0,\n"
	"           \"qom-path\": \"/machine/unattached/device[0]\",\n"
	"           \"queued\": 1048, \"not-present\": 1021, \"halted\": 27,\n"
	"           \"ready\": 1021, \"completed\": 1048, \"sync\": 3 } ] } }";
static const char reply_async_pf_stock_kernel[] =
	"{ \"return\": {\n"
	"       \"enabled\": true,\n"
	"       \"switchable\": false,\n"
	"       \"vcpus\": [\n"
	"         { \"cpu-index\": 0,\n"
	"           \"qom-path\": \"/machine/unattached/device[0]\" } ] } }";

static void test_async_pf_parse(void **state)
{
	struct apf_qmp_async_pf info;
	static const char *const names[] = {
		"async_pf_queued", "async_pf_not_present", "async_pf_halted",
		"async_pf_ready", "async_pf_completed", "async_pf_sync",
	};
	static const uint64_t values[] = { 1048, 1021, 27, 1021, 1048, 3 };
	size_t i;

	(void)state;
	assert_int_equal(apf_qmp_parse_async_pf(reply_async_pf, true, &info), 0);
	assert_true(info.enabled);
	assert_int_equal(info.switchable, 1);
	assert_int_equal(info.iface, APF_QMP_IFACE_QAPI);
	assert_int_equal(info.nvcpus, 1);
	assert_int_equal(info.vcpus[0].index, 0);
	/* KVM's names, as query-stats has them, in KVM's order. */
	assert_int_equal(info.vcpus[0].counters.n, 6);
	for (i = 0; i < 6; i++) {
		assert_string_equal(info.vcpus[0].counters.v[i].name, names[i]);
		assert_int_equal(info.vcpus[0].counters.v[i].value, values[i]);
	}
	apf_qmp_async_pf_free(&info);
	assert_null(info.vcpus);
	/* Without stats: the switch only, no vCPUs. */
	assert_int_equal(apf_qmp_parse_async_pf(reply_async_pf, false, &info), 0);
	assert_true(info.enabled);
	assert_null(info.vcpus);
	assert_int_equal(info.nvcpus, 0);
	/* A host kernel without the statistics or the capability. */
	assert_int_equal(apf_qmp_parse_async_pf(reply_async_pf_stock_kernel, true,
						&info), 0);
	assert_int_equal(info.switchable, 0);
	assert_int_equal(info.nvcpus, 1);
	assert_int_equal(info.vcpus[0].counters.n, 0);
	apf_qmp_async_pf_free(&info);
	/* The bare object, switched off, vCPUs out of order, members the
	 * schema may grow ignored. */
	assert_int_equal(apf_qmp_parse_async_pf(
		"{\"enabled\":false,\"switchable\":true,\"later\":[1],\"vcpus\":["
		"{\"cpu-index\":3,\"qom-path\":\"/c3\",\"sync\":18446744073709551615},"
		"{\"cpu-index\":1,\"qom-path\":\"/c1\",\"halted\":0,\"x\":\"y\"}]}",
		true, &info), 0);
	assert_false(info.enabled);
	assert_int_equal(info.nvcpus, 2);
	assert_int_equal(info.vcpus[0].index, 1);
	assert_string_equal(info.vcpus[0].counters.v[0].name, "async_pf_halted");
	assert_int_equal(info.vcpus[0].counters.n, 1);
	assert_int_equal(info.vcpus[1].index, 3);
	assert_true(info.vcpus[1].counters.v[0].value == UINT64_MAX);
	apf_qmp_async_pf_free(&info);
}

static void test_async_pf_parse_errors(void **state)
{
	static const struct {
		const char *json;
		int err;
	} t[] = {
		{ "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
		  "\"The command query-async-pf has not been found\"}}", -ENOTSUP },
		{ "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Asynchronous "
		  "page faults are a KVM feature; this VM uses the tcg "
		  "accelerator\"}}", -ENOENT },
		{ "{\"error\": {\"class\": \"KVMMissingCap\", \"desc\": \"x\"}}", -ENODEV },
		{ "{\"error\": []}", -EIO },
		{ "{\"return\": {\"switchable\":true,\"vcpus\":[]}}", -EPROTO },
		{ "{\"return\": {\"enabled\":1,\"switchable\":true,\"vcpus\":[]}}", -EPROTO },
		{ "{\"return\": {\"enabled\":true,\"vcpus\":[]}}", -EPROTO },
		{ "{\"return\": {\"enabled\":true,\"switchable\":true}}", -EPROTO },
		{ "{\"return\": {\"enabled\":true,\"switchable\":true,\"vcpus\":{}}}", -EPROTO },
		{ "{\"return\": {\"enabled\":true,\"switchable\":true,\"vcpus\":[7]}}", -EPROTO },
		{ "{\"return\": {\"enabled\":true,\"switchable\":true,\"vcpus\":"
		  "[{\"qom-path\":\"/c\"}]}}", -EPROTO },
		{ "{\"return\": {\"enabled\":true,\"switchable\":true,\"vcpus\":"
		  "[{\"cpu-index\":-1}]}}", -EPROTO },
		{ "{\"return\": {\"enabled\":true,\"switchable\":true,\"vcpus\":"
		  "[{\"cpu-index\":2147483648}]}}", -EPROTO },
		{ "{\"return\": {\"enabled\":true,\"switchable\":true,\"vcpus\":"
		  "[{\"cpu-index\":0,\"queued\":-1}]}}", -EPROTO },
		{ "{\"return\": {\"enabled\":true,\"switchable\":true,\"vcpus\":"
		  "[{\"cpu-index\":0,\"ready\":\"7\"}]}}", -EPROTO },
		{ "{\"return\": {\"enabled\":true,\"switchable\":true,\"vcpus\":"
		  "[{\"cpu-index\":0,\"sync\":1.5}]}}", -EPROTO },
		{ "{\"return\": []}", -EPROTO },
		{ "{\"return\": {}} x", -EPROTO },
		{ "", -EPROTO },
		{ "true", -EPROTO },
	};
	struct apf_qmp_async_pf info;
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = apf_qmp_parse_async_pf(t[i].json, true, &info);

		if (r != t[i].err)
			fail_msg("case %zu: %d: %s", i, r, t[i].json);
		/* Nothing to free after an error. */
		assert_null(info.vcpus);
		assert_int_equal(info.nvcpus, 0);
	}
	assert_int_equal(apf_qmp_parse_async_pf(NULL, true, &info), -EINVAL);
	/* One vCPU too many: refused before any is parsed. */
	s = repeat("{\"enabled\":true,\"switchable\":true,\"vcpus\":[",
		   "{\"cpu-index\":0},", APF_QMP_MAX_VCPUS, "{\"cpu-index\":0}]}");
	assert_int_equal(apf_qmp_parse_async_pf(s, true, &info), -E2BIG);
	assert_null(info.vcpus);
	free(s);
}

/* One mapping of QMP errors for every monitor apfctl talks to. */
static void test_error_codes(void **state)
{
	static const struct {
		const char *cls, *desc;
		int err;
	} t[] = {
		{ "CommandNotFound", "The command set-async-pf has not been found",
		  -ENOTSUP },
		/* qemu/patches/0010: set-async-pf, and qom-set from then on. */
		{ "KVMMissingCap", "async-pf=off needs KVM_CAP_DISABLE_ASYNC_PF, "
		  "which this host kernel does not support", -ENODEV },
		/* apf1 to apf3: qom-set's GenericError. */
		{ "GenericError", "async-pf=off needs KVM_CAP_DISABLE_ASYNC_PF, "
		  "which this host kernel does not support", -ENODEV },
		/* The capability is there, the ioctl failed: an error. */
		{ "GenericError", "KVM_CAP_DISABLE_ASYNC_PF: failed to disable "
		  "asynchronous page faults: Invalid argument", -EIO },
		{ "DeviceNotFound", "Device '/machine/accel' not found", -ENOENT },
		{ "GenericError", "Property 'kvm-accel.async-pf' not found", -ENOENT },
		{ "GenericError", "Asynchronous page faults are a KVM feature; this "
		  "VM uses the tcg accelerator", -ENOENT },
		{ "GenericError", "the thing was not found", -EIO },
		{ "GenericError", "", -EIO },
		{ NULL, NULL, -EIO },
		{ "KVMMissingCap", NULL, -ENODEV },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (apf_qmp_error_code(t[i].cls, t[i].desc) != t[i].err)
			fail_msg("case %zu: %s: %s", i, t[i].cls ? t[i].cls : "(null)",
				 t[i].desc ? t[i].desc : "(null)");
}

/* ---- The client against a scripted fake QMP server ---- */

enum script {
	S_GOOD,		/* events and a stale id before each real reply */
	S_SILENT,	/* accepts, never greets */
	S_FLOOD,	/* greets with an endless line */
	S_HANGUP,	/* greets, then closes */
	S_OLD,		/* no query-stats (QEMU < 7.1) */
	S_SLOW,		/* answers query-stats after the deadline */
	S_APF4,		/* query-async-pf and set-async-pf (qemu/patches/0010) */
	S_APF3,		/* apf1 to apf3: CommandNotFound to those, qom-get/-set */
	S_NOCAP4,	/* S_APF4 on a host kernel without the capability */
	S_NOCAP3,	/* S_APF3 on a host kernel without the capability */
	S_STOCK,	/* stock QEMU 10.0: CommandNotFound, then DeviceNotFound */
};

struct server {
	char dir[40];
	char path[64];
	int lfd;
	enum script script;
	bool apf;		/* the switch, for the S_APF* scripts */
	char cmds[512];		/* the commands asked, space-separated */
	pthread_t thread;
};

/* The fake server is a thread, not a child process, so that valgrind's
 * leak check sees one process that frees everything. */
static bool write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

static bool say(int fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static bool say(int fd, const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return false;
	return write_all(fd, buf, (size_t)n);
}

/* The last request line (one server thread at a time). */
static char line[4096];

/* Read one request line; return its "execute" and "id" (crudely: the fake
 * server trusts its one client). */
static int request(int fd, char *cmd, size_t cmdsz, long *id)
{
	char *p;
	size_t n = 0;

	while (n < sizeof(line) - 1) {
		if (read(fd, line + n, 1) != 1)
			return -1;
		if (line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	p = strstr(line, "\"execute\": \"");
	if (!p)
		p = strstr(line, "\"execute\":\"");
	if (!p)
		return -1;
	p = strchr(p + 10, '"') + 1;
	snprintf(cmd, cmdsz, "%.*s", (int)strcspn(p, "\""), p);
	p = strstr(line, "\"id\":");
	*id = p ? strtol(p + 5, NULL, 10) : -1;
	return 0;
}

static const char greeting[] =
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 2, \"minor\": 0, "
	"\"major\": 10}, \"package\": \"\"}, \"capabilities\": "
	"[\"oob\"]}}\r\n";
static const char event[] =
	"{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
	"\"event\": \"RTC_CHANGE\", \"data\": {\"offset\": 0}}\r\n";

/* The S_APF* scripts: the async-pf switch by one interface or the other;
 * 0 if cmd is not theirs. */
static int answer_apf(int fd, struct server *sv, const char *cmd, long id)
{
	bool qapi = sv->script == S_APF4 || sv->script == S_NOCAP4;
	bool nocap = sv->script == S_NOCAP4 || sv->script == S_NOCAP3;
	bool off = strstr(line, "false") != NULL;
	const char *req = line;

	if (strlen(sv->cmds) + strlen(cmd) + 2 < sizeof(sv->cmds)) {
		strcat(sv->cmds, cmd);
		strcat(sv->cmds, " ");
	}
	if (!qapi && strstr(cmd, "async-pf"))
		return say(fd, "{\"error\": {\"class\": \"CommandNotFound\", "
			   "\"desc\": \"The command %s has not been found\"}, "
			   "\"id\": %ld}\r\n", cmd, id) ? 1 : -1;
	if (sv->script == S_STOCK)
		return strncmp(cmd, "qom-", 4) ? 0 :
		       say(fd, "{\"error\": {\"class\": \"DeviceNotFound\", "
			   "\"desc\": \"Device '/machine/accel' not found\"}, "
			   "\"id\": %ld}\r\n", id) ? 1 : -1;
	if ((qapi && !strcmp(cmd, "set-async-pf")) ||
	    (!qapi && !strcmp(cmd, "qom-set"))) {
		if (nocap && off)
			return say(fd, "{\"error\": {\"class\": \"%s\", \"desc\": "
				   "\"async-pf=off needs KVM_CAP_DISABLE_ASYNC_PF, "
				   "which this host kernel does not support\"}, "
				   "\"id\": %ld}\r\n", qapi ? "KVMMissingCap" :
				   "GenericError", id) ? 1 : -1;
		sv->apf = !off;
		return say(fd, "{\"return\": {}, \"id\": %ld}\r\n", id) ? 1 : -1;
	}
	if (qapi && !strcmp(cmd, "query-async-pf"))
		return say(fd, "{\"return\": {\"enabled\": %s, \"switchable\": "
			   "%s, \"vcpus\": [{\"cpu-index\": 1, \"qom-path\": "
			   "\"/m/d[2]\", \"queued\": 7}, {\"cpu-index\": 0, "
			   "\"qom-path\": \"/m/d[0]\", \"queued\": 9, \"sync\": "
			   "2}]}, \"id\": %ld}\r\n", sv->apf ? "true" : "false",
			   nocap ? "false" : "true", id) ? 1 : -1;
	if (!qapi && !strcmp(cmd, "qom-get"))
		return say(fd, "{\"return\": %s, \"id\": %ld}\r\n",
			   sv->apf ? "true" : "false", id) ? 1 : -1;
	/* The counters' fallback asks for the six names only. */
	if (!qapi && !strcmp(cmd, "query-stats"))
		return say(fd, strstr(req, "\"names\"") &&
			   strstr(req, "\"async_pf_not_present\"") &&
			   strstr(req, "\"vcpu\"") ?
			   "{\"return\": [{\"provider\": \"kvm\", \"qom-path\": "
			   "\"/m/d[2]\", \"stats\": [{\"name\": \"async_pf_queued\", "
			   "\"value\": 7}]}, {\"provider\": \"kvm\", \"qom-path\": "
			   "\"/m/d[0]\", \"stats\": [{\"name\": \"async_pf_queued\", "
			   "\"value\": 9}, {\"name\": \"async_pf_sync\", \"value\": "
			   "2}]}], \"id\": %ld}\r\n" :
			   "{\"error\": {\"class\": \"GenericError\", \"desc\": "
			   "\"unexpected query-stats\"}, \"id\": %ld}\r\n", id) ? 1 : -1;
	return 0;
}

static bool answer(int fd, struct server *sv, const char *cmd, long id)
{
	enum script s = sv->script;

	/* An event and a reply to someone else's id come first. */
	if (!say(fd, "%s", event) ||
	    !say(fd, "{\"return\": {}, \"id\": %ld}\r\n", id + 1000))
		return false;
	if (!strcmp(cmd, "qmp_capabilities"))
		return say(fd, "{\"return\": {}, \"id\": %ld}\r\n", id);
	if (s >= S_APF4) {
		int r = answer_apf(fd, sv, cmd, id);

		if (r)
			return r > 0;
	}
	if (!strcmp(cmd, "query-stats")) {
		if (s == S_OLD)
			return say(fd, "{\"error\": {\"class\": "
				   "\"CommandNotFound\", \"desc\": \"The command "
				   "query-stats has not been found\"}, \"id\": "
				   "%ld}\r\n", id);
		if (s == S_SLOW)
			sleep(1);
		/* apf_qmp_query_stats asks for vm (id 2) before vcpu. */
		if (id == 2)
			return say(fd, "{\"return\": [{\"provider\": \"kvm\", "
				   "\"stats\": [{\"name\": \"exits\", \"value\": "
				   "1}]}], \"id\": %ld}\r\n", id);
		return say(fd, "{\"return\": [{\"provider\": \"kvm\", "
			   "\"stats\": [{\"name\": \"exits\", \"value\": 7}], "
			   "\"qom-path\": \"/m/d[2]\"}, {\"provider\": \"kvm\", "
			   "\"stats\": [{\"name\": \"exits\", \"value\": 9}], "
			   "\"qom-path\": \"/m/d[0]\"}], \"id\": %ld}\r\n", id);
	}
	if (!strcmp(cmd, "query-cpus-fast"))
		return say(fd, "{\"return\": [{\"qom-path\": \"/m/d[0]\", "
			   "\"cpu-index\": 0}, {\"qom-path\": \"/m/d[2]\", "
			   "\"cpu-index\": 1}], \"id\": %ld}\r\n", id);
	if (!strcmp(cmd, "qom-get"))
		return say(fd, "{\"return\": true, \"id\": %ld}\r\n", id);
	return say(fd, "{\"error\": {\"class\": \"DeviceNotFound\", "
		   "\"desc\": \"Device '/machine/accel' not found\"}, "
		   "\"id\": %ld}\r\n", id);
}

static void *serve(void *arg)
{
	struct server *sv = arg;
	char cmd[64], *big, c;
	long id;
	int fd = accept(sv->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	switch (sv->script) {
	case S_SILENT:
		/* Until the client gives up and closes. */
		while (read(fd, &c, 1) > 0)
			;
		break;
	case S_FLOOD:
		big = malloc(1 << 20);
		if (!big)
			break;
		memset(big, ' ', 1 << 20);
		if (write_all(fd, "{\"QMP\": ", 8))
			while (write_all(fd, big, 1 << 20))
				;
		free(big);
		break;
	case S_HANGUP:
		if (say(fd, "%s", greeting) &&
		    request(fd, cmd, sizeof(cmd), &id) == 0 &&
		    say(fd, "{\"return\": {}, \"id\": %ld}\r\n", id))
			request(fd, cmd, sizeof(cmd), &id);
		break;
	default:
		if (!say(fd, "%s", greeting))
			break;
		while (request(fd, cmd, sizeof(cmd), &id) == 0 &&
		       answer(fd, sv, cmd, id))
			;
		/* Until the client closes: a late reply must not race it. */
		while (read(fd, &c, 1) > 0)
			;
		break;
	}
	close(fd);
	return NULL;
}

static void server_start(struct server *sv, enum script s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	strcpy(sv->dir, "/tmp/apf-qmp-test.XXXXXX");
	assert_non_null(mkdtemp(sv->dir));
	snprintf(sv->path, sizeof(sv->path), "%s/qmp.sock", sv->dir);
	memcpy(sa.sun_path, sv->path, strlen(sv->path) + 1);
	sv->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(sv->lfd >= 0);
	assert_int_equal(bind(sv->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(sv->lfd, 1), 0);
	sv->script = s;
	sv->apf = true;
	sv->cmds[0] = '\0';
	assert_int_equal(pthread_create(&sv->thread, NULL, serve, sv), 0);
}

/* After the client closed its end. */
static void server_stop(struct server *sv)
{
	pthread_join(sv->thread, NULL);
	close(sv->lfd);
	unlink(sv->path);
	rmdir(sv->dir);
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void test_client_good(void **state)
{
	struct server sv;
	struct apf_counters vm = { 0 };
	struct apf_qmp_vcpu_stats *v = NULL;
	struct apf_qmp *q;
	size_t n = 0;
	bool b = false;
	int err;

	(void)state;
	server_start(&sv, S_GOOD);
	q = apf_qmp_open(sv.path, 2000, &err);
	assert_non_null(q);
	assert_int_equal(err, 0);
	assert_int_equal(apf_qmp_query_stats(q, false, &vm, &v, &n), 0);
	assert_int_equal(get(&vm, "exits"), 1);
	/* Sorted by cpu-index from query-cpus-fast, not reply order. */
	assert_int_equal(n, 2);
	assert_int_equal(v[0].index, 0);
	assert_int_equal(get(&v[0].counters, "exits"), 9);
	assert_int_equal(v[1].index, 1);
	assert_int_equal(get(&v[1].counters, "exits"), 7);
	apf_qmp_vcpu_stats_free(v, n);
	apf_counters_free(&vm);
	assert_int_equal(apf_qmp_qom_get_bool(q, "/machine", "hpet", &b), 0);
	assert_true(b);
	assert_int_equal(apf_qmp_qom_set_bool(q, APF_QMP_ACCEL_PATH,
					      APF_QMP_ASYNC_PF_PROP, false),
			 -ENOENT);
	assert_non_null(strstr(apf_qmp_last_error(q), "not found"));
	apf_qmp_close(q);
	server_stop(&sv);
}

static void test_client_old_qemu(void **state)
{
	struct server sv;
	struct apf_counters vm = { 0 };
	struct apf_qmp_vcpu_stats *v = NULL;
	struct apf_qmp *q;
	size_t n = 0;
	int err;

	(void)state;
	server_start(&sv, S_OLD);
	q = apf_qmp_open(sv.path, 2000, &err);
	assert_non_null(q);
	assert_int_equal(apf_qmp_query_stats(q, true, &vm, &v, &n), -ENOTSUP);
	assert_null(v);
	assert_int_equal(n, 0);
	assert_int_equal(vm.n, 0);
	apf_qmp_close(q);
	server_stop(&sv);
}

static void test_client_silent(void **state)
{
	struct server sv;
	struct timespec t0;
	int err = 0;

	(void)state;
	server_start(&sv, S_SILENT);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_null(apf_qmp_open(sv.path, 300, &err));
	assert_int_equal(err, -ETIMEDOUT);
	assert_true(elapsed_ms(&t0) < 2000);
	server_stop(&sv);
}

static void test_client_flood(void **state)
{
	struct server sv;
	int err = 0;

	(void)state;
	server_start(&sv, S_FLOOD);
	assert_null(apf_qmp_open(sv.path, 20000, &err));
	assert_int_equal(err, -EMSGSIZE);
	server_stop(&sv);
}

static void test_client_hangup(void **state)
{
	struct server sv;
	struct apf_counters vm = { 0 };
	struct apf_qmp_vcpu_stats *v = NULL;
	struct apf_qmp *q;
	size_t n = 0;
	int err;

	(void)state;
	server_start(&sv, S_HANGUP);
	q = apf_qmp_open(sv.path, 2000, &err);
	assert_non_null(q);
	err = apf_qmp_query_stats(q, true, &vm, &v, &n);
	assert_true(err == -ECONNRESET || err == -EPIPE);
	/* Out of step now: every later command fails at once. */
	assert_int_equal(apf_qmp_query_stats(q, true, &vm, &v, &n), -EPIPE);
	apf_qmp_close(q);
	server_stop(&sv);
}

static void test_client_slow(void **state)
{
	struct server sv;
	struct apf_counters vm = { 0 };
	struct apf_qmp_vcpu_stats *v = NULL;
	struct apf_qmp *q;
	size_t n = 0;
	bool b;
	int err;

	(void)state;
	server_start(&sv, S_SLOW);
	q = apf_qmp_open(sv.path, 500, &err);
	assert_non_null(q);
	assert_int_equal(apf_qmp_query_stats(q, true, &vm, &v, &n),
			 -ETIMEDOUT);
	/* The late reply must not be taken for the next command's. */
	assert_int_equal(apf_qmp_qom_get_bool(q, "/machine", "hpet", &b),
			 -EPIPE);
	apf_qmp_close(q);
	server_stop(&sv);
}

static void test_client_no_socket(void **state)
{
	char path[200];
	int err = 0;

	(void)state;
	assert_null(apf_qmp_open("/nonexistent/apf/qmp.sock", 100, &err));
	assert_int_equal(err, -ENOENT);
	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_null(apf_qmp_open(path, 100, &err));
	assert_int_equal(err, -ENAMETOOLONG);
	assert_null(apf_qmp_open("/dev/null", 100, &err));
	assert_int_equal(err, -ECONNREFUSED);
}

/* A session over a connected socket (apf_qmp_open_fd): what the monitor
 * said is all there before the client reads, as in the fuzzer; and a
 * deadline in the past ends the next command at once. */
static void test_client_over_fd(void **state)
{
	static const char said[] =
		"{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n"
		"{\"return\": {}, \"id\": 1}\r\n"
		"{\"event\": \"RESUME\"}\r\n"
		"{\"return\": [{\"provider\": \"kvm\", \"stats\": "
		"[{\"name\": \"exits\", \"value\": 5}]}], \"id\": 2}\r\n"
		"{\"return\": [{\"qom-path\": \"/c0\", \"cpu-index\": 3}], \"id\": 3}\r\n"
		"{\"return\": [{\"provider\": \"kvm\", \"qom-path\": \"/c0\", "
		"\"stats\": [{\"name\": \"async_pf_queued\", \"value\": 7}]}], \"id\": 4}\r\n";
	struct apf_counters vm = { 0 };
	struct apf_qmp_vcpu_stats *v = NULL;
	struct apf_qmp *q;
	size_t n = 0;
	int sv[2], err;
	bool b;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
				    0, sv), 0);
	assert_int_equal(write(sv[1], said, sizeof(said) - 1), (ssize_t)sizeof(said) - 1);
	q = apf_qmp_open_fd(sv[0], 1000, &err);
	assert_non_null(q);
	assert_int_equal(apf_qmp_query_stats(q, false, &vm, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].index, 3);
	assert_int_equal(apf_counters_find(&v[0].counters, "async_pf_queued")->value, 7);
	/* The VM's counters are the VM's own (the sum is the sampler's). */
	assert_int_equal(apf_counters_find(&vm, "exits")->value, 5);
	apf_qmp_vcpu_stats_free(v, n);
	apf_counters_free(&vm);
	/* Nothing more said, and no time left: at once, not in a second. */
	apf_qmp_set_deadline(q, apf_now_ms() - 1);
	assert_int_equal(apf_qmp_qom_get_bool(q, "/machine", "x", &b), -ETIMEDOUT);
	apf_qmp_close(q);
	close(sv[1]);
	/* A monitor that hung up before greeting. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	close(sv[1]);
	assert_null(apf_qmp_open_fd(sv[0], 1000, &err));
	assert_int_equal(err, -ECONNRESET);
}

/* The async-pf switch: query-async-pf and set-async-pf where QEMU has
 * them, and not a qom command asked; qom-get and qom-set (and query-stats
 * for the counters) where it answers CommandNotFound. */
static void test_client_async_pf(void **state)
{
	static const struct {
		enum script script;
		enum apf_qmp_iface iface;
		int switchable;
		const char *cmds;
	} t[] = {
		{ S_APF4, APF_QMP_IFACE_QAPI, 1,
		  "query-async-pf set-async-pf query-async-pf set-async-pf " },
		{ S_APF3, APF_QMP_IFACE_QOM, -1,
		  "query-async-pf qom-get query-cpus-fast query-stats qom-set "
		  "query-async-pf qom-get set-async-pf qom-set " },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct apf_qmp_async_pf info;
		enum apf_qmp_iface iface;
		struct server sv;
		struct apf_qmp *q;
		int err;

		server_start(&sv, t[i].script);
		q = apf_qmp_open(sv.path, 2000, &err);
		assert_non_null(q);
		assert_int_equal(apf_qmp_async_pf_get(apf_qmp_exec, q, true, &info), 0);
		assert_true(info.enabled);
		assert_int_equal(info.iface, t[i].iface);
		assert_int_equal(info.switchable, t[i].switchable);
		/* Either way the same counters, vCPUs in cpu-index order. */
		assert_int_equal(info.nvcpus, 2);
		assert_int_equal(info.vcpus[0].index, 0);
		assert_int_equal(get(&info.vcpus[0].counters, "async_pf_queued"), 9);
		assert_int_equal(get(&info.vcpus[0].counters, "async_pf_sync"), 2);
		assert_int_equal(info.vcpus[1].index, 1);
		assert_int_equal(get(&info.vcpus[1].counters, "async_pf_queued"), 7);
		assert_int_equal(info.vcpus[1].counters.n, 1);
		apf_qmp_async_pf_free(&info);
		/* Set from what the read found: */
		iface = info.iface;
		assert_int_equal(apf_qmp_async_pf_set(apf_qmp_exec, q, false, &iface), 0);
		assert_int_equal(iface, t[i].iface);
		/* and without a read first: the new command, then the old. */
		assert_int_equal(apf_qmp_async_pf_get(apf_qmp_exec, q, false, &info), 0);
		assert_false(info.enabled);
		assert_null(info.vcpus);
		iface = APF_QMP_IFACE_QAPI;
		assert_int_equal(apf_qmp_async_pf_set(apf_qmp_exec, q, true, &iface), 0);
		assert_int_equal(iface, t[i].iface);
		apf_qmp_close(q);
		server_stop(&sv);
		assert_true(sv.apf);
		assert_string_equal(sv.cmds, t[i].cmds);
	}
}

/* No KVM_CAP_DISABLE_ASYNC_PF in the host kernel: -ENODEV by either
 * interface when turning it off (QEMU's text kept), nothing when turning it
 * on; a stock QEMU (no command, no property) and TCG: -ENOENT. */
static void test_client_async_pf_unsupported(void **state)
{
	static const enum script nocap[] = { S_NOCAP4, S_NOCAP3 };
	struct apf_qmp_async_pf info;
	enum apf_qmp_iface iface;
	struct server sv;
	struct apf_qmp *q;
	size_t i;
	int err;

	(void)state;
	for (i = 0; i < 2; i++) {
		server_start(&sv, nocap[i]);
		q = apf_qmp_open(sv.path, 2000, &err);
		assert_non_null(q);
		assert_int_equal(apf_qmp_async_pf_get(apf_qmp_exec, q, false, &info), 0);
		assert_int_equal(info.switchable, i ? -1 : 0);
		iface = info.iface;
		assert_int_equal(apf_qmp_async_pf_set(apf_qmp_exec, q, false, &iface),
				 -ENODEV);
		assert_non_null(strstr(apf_qmp_last_error(q),
				       "needs KVM_CAP_DISABLE_ASYNC_PF"));
		assert_int_equal(apf_qmp_async_pf_set(apf_qmp_exec, q, true, &iface), 0);
		apf_qmp_close(q);
		server_stop(&sv);
		assert_true(sv.apf);
	}
	server_start(&sv, S_STOCK);
	q = apf_qmp_open(sv.path, 2000, &err);
	assert_non_null(q);
	assert_int_equal(apf_qmp_async_pf_get(apf_qmp_exec, q, true, &info), -ENOENT);
	assert_null(info.vcpus);
	iface = APF_QMP_IFACE_QAPI;
	assert_int_equal(apf_qmp_async_pf_set(apf_qmp_exec, q, false, &iface), -ENOENT);
	assert_int_equal(iface, APF_QMP_IFACE_QOM);
	assert_non_null(strstr(apf_qmp_last_error(q), "not found"));
	apf_qmp_close(q);
	server_stop(&sv);
	assert_string_equal(sv.cmds, "query-async-pf qom-get set-async-pf qom-set ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_over_fd),
		cmocka_unit_test(test_real_vm),
		cmocka_unit_test(test_real_vcpu),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_apf_counters),
		cmocka_unit_test(test_skipped_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_many_names),
		cmocka_unit_test(test_many_vcpus),
		cmocka_unit_test(test_client_good),
		cmocka_unit_test(test_client_old_qemu),
		cmocka_unit_test(test_client_silent),
		cmocka_unit_test(test_client_flood),
		cmocka_unit_test(test_client_hangup),
		cmocka_unit_test(test_client_slow),
		cmocka_unit_test(test_client_no_socket),
		cmocka_unit_test(test_async_pf_parse),
		cmocka_unit_test(test_async_pf_parse_errors),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_client_async_pf),
		cmocka_unit_test(test_client_async_pf_unsupported),
	};

	/* Either end of the fake conversation may vanish mid-write. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
