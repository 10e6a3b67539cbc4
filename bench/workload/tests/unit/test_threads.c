// SPDX-License-Identifier: GPL-2.0-only
/* The work itself: the compute unit is deterministic and not folded away,
 * the PRNG streams are distinct and never stick at zero, and the workers
 * count, finish and stop as promised. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "threads.h"

static void test_unit_deterministic(void **state)
{
	(void)state;
	assert_true(wl_unit(1, 1000) == wl_unit(1, 1000));
	assert_true(wl_unit(1, 1000) != wl_unit(2, 1000));
	assert_true(wl_unit(1, 1000) != wl_unit(1, 1001));
	assert_true(wl_unit(5, 0) == 5);
	/* Zero input does not stay zero (x += i breaks the fixed point). */
	assert_true(wl_unit(0, 2) != 0);
}

static void test_prng(void **state)
{
	uint64_t s0 = wl_seed_for(1, 0), s1 = wl_seed_for(1, 1), x;
	int i;

	(void)state;
	assert_true(s0 != s1);
	assert_true(wl_seed_for(2, 0) != s0);
	assert_true(wl_seed_for(1, 0) == s0);
	for (i = 0; i < 100000; i++)
		assert_true(wl_xorshift64(&s0) != 0);
	/* A zero state would stick: seeding never gives one. */
	x = 0;
	assert_true(wl_xorshift64(&x) == 0);
	for (i = 0; i < 1000; i++)
		assert_true(wl_seed_for((uint64_t)i, (unsigned)i) != 0);
}

/* Finish mode: every fault thread does exactly its share of steps. */
static void test_workers_finish(void **state)
{
	struct wl_config c;
	enum { PAGES = 64, PS = 64 };
	unsigned char *buf = calloc(PAGES, PS);
	uint64_t counts[3];
	struct timespec t0;
	struct wl_workers *w;
	char err[128];
	unsigned i;
	int touched = 0;

	(void)state;
	assert_non_null(buf);
	wl_config_defaults(&c);
	c.fault_threads = 3;
	c.compute_threads = 0;
	w = wl_workers_create(&c, buf, PAGES, PS, 1000, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(wl_workers_count(w), 3);
	wl_workers_go(w, &t0);
	assert_true(wl_workers_wait(w, NULL));
	wl_workers_snapshot(w, counts);
	for (i = 0; i < 3; i++) {
		assert_int_equal(counts[i], 1000);
		assert_true(wl_workers_end_s(w, i, &t0) >= 0);
	}
	wl_workers_stop(w);
	/* Writes landed at page starts only. */
	for (i = 0; i < PAGES * PS; i++) {
		if (buf[i] && i % PS)
			fail_msg("byte %u written, not a page start", i);
		touched += buf[i] != 0;
	}
	assert_true(touched > PAGES / 2);
	free(buf);
}

/* Throughput mode: runs until stopped; a deadline wait times out. */
static void test_workers_throughput(void **state)
{
	struct wl_config c;
	unsigned char *buf = calloc(16, 4096);
	uint64_t counts[2];
	struct timespec t0, dl;
	struct wl_workers *w;
	char err[128];

	(void)state;
	assert_non_null(buf);
	wl_config_defaults(&c);
	c.fault_threads = 1;
	c.compute_threads = 1;
	c.unit_iters = 1000;
	c.access = WL_ACCESS_READ;
	w = wl_workers_create(&c, buf, 16, 4096, 0, err, sizeof(err));
	assert_non_null(w);
	wl_workers_go(w, &t0);
	dl = t0;
	dl.tv_nsec += 200 * 1000 * 1000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	assert_false(wl_workers_wait(w, &dl));
	wl_workers_snapshot(w, counts);
	assert_true(counts[0] > 0);
	assert_true(counts[1] > 0);
	wl_workers_stop(w);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unit_deterministic),
		cmocka_unit_test(test_prng),
		cmocka_unit_test(test_workers_finish),
		cmocka_unit_test(test_workers_throughput),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
