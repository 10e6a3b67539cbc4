// SPDX-License-Identifier: GPL-2.0-only
/* not_present -> ready matching behind apfctl trace, fed synthetic samples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "fault_match.h"
#include "sysroot.h"

enum { NP = 3, READY = 5, OTHER = 7 };

static void feed(struct apf_fault_matcher *m, size_t tp, pid_t pid,
		 uint64_t t, uint64_t token)
{
	struct apf_tp_sample s = { .tp_index = tp, .pid = pid, .tid = pid + 1,
				   .time_ns = t, .token = token };

	apf_fault_match_sample(&s, m);
}

static struct apf_fault_matcher *new_matcher(void)
{
	struct apf_fault_matcher *m = malloc(sizeof(*m));

	assert_non_null(m);
	apf_fault_matcher_init(m, NP, READY);
	return m;
}

static void drop(struct apf_fault_matcher *m)
{
	apf_fault_matcher_free(m);
	free(m);
}

static int setup(void **state)
{
	(void)state;
	/* Names come from /proc: an empty fixture gives "?" for every pid. */
	apf_sysroot_set("tests/fixtures/neither");
	return 0;
}

static void test_in_order(void **state)
{
	struct apf_fault_matcher *m = new_matcher();

	(void)state;
	feed(m, NP, 100, 1000, 0x1001);
	feed(m, READY, 100, 4000, 0x1001);
	feed(m, NP, 100, 5000, 0x2001);
	feed(m, READY, 100, 5500, 0x2001);
	apf_fault_match_finish(m);
	assert_int_equal(m->nvm, 1);
	assert_int_equal(m->vm[0].hist.count, 2);
	assert_int_equal(m->vm[0].hist.max, 3000);
	assert_int_equal(m->vm[0].hist.min, 500);
	assert_int_equal(m->vm[0].unmatched_np, 0);
	assert_int_equal(m->total.count, 2);
	drop(m);
}

static void test_ready_read_before_not_present(void **state)
{
	struct apf_fault_matcher *m = new_matcher();

	(void)state;
	/* Rings of two CPUs: the ready is read first, stamped later. */
	feed(m, READY, 100, 9000, 0x3001);
	feed(m, NP, 100, 2000, 0x3001);
	apf_fault_match_finish(m);
	assert_int_equal(m->vm[0].hist.count, 1);
	assert_int_equal(m->vm[0].hist.max, 7000);
	assert_int_equal(m->vm[0].unmatched_ready, 0);
	drop(m);
}

static void test_same_token_in_two_vms(void **state)
{
	struct apf_fault_matcher *m = new_matcher();

	(void)state;
	feed(m, NP, 200, 100, 0x1001);
	feed(m, NP, 100, 100, 0x1001);
	feed(m, READY, 100, 150, 0x1001);
	feed(m, READY, 200, 400, 0x1001);
	apf_fault_match_finish(m);
	assert_int_equal(m->nvm, 2);
	assert_int_equal(m->vm[0].pid, 100);	/* sorted by pid */
	assert_int_equal(m->vm[0].hist.max, 50);
	assert_int_equal(m->vm[1].pid, 200);
	assert_int_equal(m->vm[1].hist.max, 300);
	drop(m);
}

static void test_broadcast_and_other_events(void **state)
{
	struct apf_fault_matcher *m = new_matcher();

	(void)state;
	feed(m, READY, 100, 10, UINT32_MAX);	/* x86 wake-all */
	feed(m, READY, 100, 20, UINT64_MAX);
	feed(m, OTHER, 100, 30, 0x1001);	/* not one of ours */
	apf_fault_match_finish(m);
	assert_int_equal(m->ready_broadcast, 2);
	assert_int_equal(m->vm[0].ready_broadcast, 2);
	assert_int_equal(m->vm[0].ready, 0);
	assert_int_equal(m->total.count, 0);
	drop(m);
}

static void test_unmatched_and_repeated(void **state)
{
	struct apf_fault_matcher *m = new_matcher();

	(void)state;
	feed(m, NP, 100, 100, 0x1001);
	feed(m, NP, 100, 200, 0x1001);		/* again: the first is lost */
	feed(m, READY, 100, 260, 0x1001);	/* matches the second */
	feed(m, NP, 100, 300, 0x2001);		/* never ready */
	feed(m, READY, 100, 50, 0x4001);	/* ready without a fault */
	apf_fault_match_finish(m);
	assert_int_equal(m->vm[0].hist.count, 1);
	assert_int_equal(m->vm[0].hist.max, 60);
	assert_int_equal(m->vm[0].unmatched_np, 2);
	assert_int_equal(m->vm[0].unmatched_ready, 1);
	drop(m);
}

static void test_stale_partner_is_not_matched(void **state)
{
	struct apf_fault_matcher *m = new_matcher();

	(void)state;
	/* A ready from before the fault belongs to an earlier use of the
	 * token; it must not give a negative latency. */
	feed(m, READY, 100, 100, 0x1001);
	feed(m, NP, 100, 500, 0x1001);
	apf_fault_match_finish(m);
	assert_int_equal(m->vm[0].hist.count, 0);
	assert_int_equal(m->vm[0].unmatched_np, 1);
	assert_int_equal(m->vm[0].unmatched_ready, 1);
	drop(m);
}

static void test_only_pid(void **state)
{
	struct apf_fault_matcher *m = new_matcher();

	(void)state;
	m->only_pid = 200;
	feed(m, NP, 100, 1, 0x1001);
	feed(m, NP, 200, 1, 0x1001);
	feed(m, READY, 200, 9, 0x1001);
	apf_fault_match_finish(m);
	assert_int_equal(m->nvm, 1);
	assert_int_equal(m->vm[0].pid, 200);
	drop(m);
}

/* Many faults in flight, completed in a scrambled order: exercises table
 * growth and backward-shift deletion; every fault must match exactly. */
static void test_many_in_flight(void **state)
{
	enum { N = 50000 };
	struct apf_fault_matcher *m = new_matcher();
	uint64_t i;

	(void)state;
	for (i = 0; i < N; i++)
		feed(m, NP, 100 + (pid_t)(i % 3), i, (i << 12) | (i % 4));
	assert_int_equal(m->np.n, N);
	for (i = 0; i < N; i++) {
		uint64_t k = (i * 7919) % N;	/* 7919 is prime to N */

		feed(m, READY, 100 + (pid_t)(k % 3), N + k, (k << 12) | (k % 4));
	}
	apf_fault_match_finish(m);
	assert_int_equal(m->np.n, 0);
	assert_int_equal(m->ready.n, 0);
	assert_int_equal(m->total.count, N);
	assert_int_equal(m->total.min, N);
	assert_int_equal(m->total.max, N);
	for (i = 0; i < m->nvm; i++) {
		assert_int_equal(m->vm[i].unmatched_np, 0);
		assert_int_equal(m->vm[i].unmatched_ready, 0);
	}
	drop(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_ready_read_before_not_present),
		cmocka_unit_test(test_same_token_in_two_vms),
		cmocka_unit_test(test_broadcast_and_other_events),
		cmocka_unit_test(test_unmatched_and_repeated),
		cmocka_unit_test(test_stale_partner_is_not_matched),
		cmocka_unit_test(test_only_pid),
		cmocka_unit_test(test_many_in_flight),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
