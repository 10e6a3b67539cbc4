// SPDX-License-Identifier: GPL-2.0-only
/* Which kernels are APF Suite kernels, and which one the next boot runs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "kernels.h"

static void test_classify(void **state)
{
	static const struct {
		const char *v;
		enum apf_flavour f;
		unsigned long build;
	} cases[] = {
		{ "6.12.118-apf-host", APF_FLAVOUR_HOST, 0 },
		{ "6.12.118-apf-guest", APF_FLAVOUR_GUEST, 0 },
		{ "6.12.118-apf2-host", APF_FLAVOUR_HOST, 2 },
		{ "6.12.118-apf12-guest", APF_FLAVOUR_GUEST, 12 },
		{ "6.13.0-rc1-apf3-host", APF_FLAVOUR_HOST, 3 },
		/* Distribution kernels and near misses. */
		{ "6.1.0-28-amd64", APF_FLAVOUR_NONE, 0 },
		{ "6.12.9+bpo-cloud-amd64", APF_FLAVOUR_NONE, 0 },
		{ "6.12.118-apf-hosts", APF_FLAVOUR_NONE, 0 },
		{ "6.12.118-apf-host-dbg", APF_FLAVOUR_NONE, 0 },
		{ "6.12.118-apf0-host", APF_FLAVOUR_NONE, 0 },
		{ "6.12.118-apfx-host", APF_FLAVOUR_NONE, 0 },
		{ "6.12.118-apf-", APF_FLAVOUR_NONE, 0 },
		{ "-apf-host", APF_FLAVOUR_NONE, 0 },
		{ "x-apf-host", APF_FLAVOUR_NONE, 0 },
		{ "6.12-apf999999999999-host", APF_FLAVOUR_NONE, 0 },
		{ "", APF_FLAVOUR_NONE, 0 },
		/* The last -apf is the marker. */
		{ "6.12-apf-x-apf4-guest", APF_FLAVOUR_GUEST, 4 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned long b = 99;

		assert_int_equal(apf_kernel_classify(cases[i].v, &b), cases[i].f);
		assert_int_equal(b, cases[i].build);
	}
	assert_string_equal(apf_flavour_name(APF_FLAVOUR_GUEST), "guest");
}

static char dir[64];

static void touch(const char *name)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("x", f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/apf-boot-test-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void test_scan_and_target(void **state)
{
	struct apf_kernel *k;
	struct apf_target_req req = { 0 };
	const struct apf_kernel *t;
	enum apf_flavour f;
	const char *why;
	char err[256], p[256];
	size_t n;

	(void)state;
	/* A Debian kernel newer than every APF kernel, and APF builds whose
	 * string order differs from their numeric order. */
	touch("vmlinuz-6.1.0-28-amd64");
	touch("vmlinuz-6.12.118-apf-host");
	touch("vmlinuz-6.12.118-apf2-host");
	touch("vmlinuz-6.12.118-apf10-host");
	touch("vmlinuz-6.12.120-1-amd64");
	touch("vmlinuz-6.12.118-apf9-guest");
	touch("vmlinuz-6.12.118-apf11-host.dpkg-tmp");
	touch("vmlinuz-0-rescue-abc");
	touch("initrd.img-6.12.118-apf2-host");
	snprintf(p, sizeof(p), "%s/vmlinuz-7.0-apf99-host", dir);
	assert_int_equal(mkdir(p, 0755), 0);	/* not a regular file */

	assert_int_equal(apf_kernels_scan(dir, &k, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 6);
	assert_string_equal(k[0].version, "6.1.0-28-amd64");
	assert_string_equal(k[1].version, "6.12.118-apf-host");
	assert_string_equal(k[2].version, "6.12.118-apf2-host");
	assert_string_equal(k[3].version, "6.12.118-apf9-guest");
	assert_string_equal(k[4].version, "6.12.118-apf10-host");
	assert_string_equal(k[5].version, "6.12.120-1-amd64");

	/* Both flavours, running kernel a Debian one: the caller must say. */
	assert_int_equal(apf_flavour_default(k, n, "6.12.120-1-amd64", &f, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "--flavour"));
	/* Running an APF guest kernel: follow the guest flavour. */
	assert_int_equal(apf_flavour_default(k, n, "6.12.118-apf1-guest", &f, err, sizeof(err)), 0);
	assert_int_equal(f, APF_FLAVOUR_GUEST);

	req.flavour = APF_FLAVOUR_HOST;
	t = apf_target(k, n, &req, &why);
	assert_non_null(t);
	assert_string_equal(t->version, "6.12.118-apf10-host");
	assert_string_equal(why, "newest APF kernel");
	req.flavour = APF_FLAVOUR_GUEST;
	assert_string_equal(apf_target(k, n, &req, &why)->version, "6.12.118-apf9-guest");
	req.flavour = APF_FLAVOUR_NONE;
	assert_string_equal(apf_target(k, n, &req, &why)->version, "6.12.118-apf10-host");
	req.any_kernel = true;
	assert_string_equal(apf_target(k, n, &req, &why)->version, "6.12.120-1-amd64");
	assert_string_equal(why, "newest kernel");

	/* A pin wins while installed, whatever kernel it names. */
	req.any_kernel = false;
	req.flavour = APF_FLAVOUR_HOST;
	req.pin = "6.12.118-apf2-host";
	assert_string_equal(apf_target(k, n, &req, &why)->version, "6.12.118-apf2-host");
	assert_string_equal(why, "pinned");
	req.pin = "6.1.0-28-amd64";
	assert_string_equal(apf_target(k, n, &req, &why)->version, "6.1.0-28-amd64");
	req.pin = "6.12.118-apf3-host";	/* removed since */
	assert_string_equal(apf_target(k, n, &req, &why)->version, "6.12.118-apf10-host");
	assert_non_null(strstr(why, "not installed"));
	free(k);

	/* Only distribution kernels: no target unless any kernel is asked for. */
	assert_int_equal(apf_kernels_scan("/nonexistent-apf", &k, &n, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent-apf"));
}

static void test_only_debian(void **state)
{
	struct apf_kernel k[2] = { { "6.1.0-28-amd64", APF_FLAVOUR_NONE, 0 },
				   { "6.12.120-1-amd64", APF_FLAVOUR_NONE, 0 } };
	struct apf_target_req req = { 0 };
	enum apf_flavour f;
	const char *why;
	char err[128];

	(void)state;
	assert_int_equal(apf_flavour_default(k, 2, NULL, &f, err, sizeof(err)), 0);
	assert_int_equal(f, APF_FLAVOUR_NONE);
	assert_null(apf_target(k, 2, &req, &why));
	assert_null(apf_target(k, 0, &req, &why));
	req.any_kernel = true;
	assert_string_equal(apf_target(k, 2, &req, &why)->version, "6.12.120-1-amd64");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test_setup_teardown(test_scan_and_target, setup, teardown),
		cmocka_unit_test(test_only_debian),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
