// SPDX-License-Identifier: GPL-2.0-only
/* modprobe.d text from apf.conf, parsed by apfctl's own parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "modconf.h"

static void render(const char *conf, char *out, size_t cap)
{
	struct apf_conf c;
	char err[256];

	assert_int_equal(apf_conf_parse(conf, &c, err, sizeof(err)), 0);
	assert_int_equal(apf_modconf_render(&c, "/etc/apf/apf.conf", out, cap), 0);
}

static void test_render(void **state)
{
	char out[1024];

	(void)state;
	render("host_async_pf=off\n", out, sizeof(out));
	assert_true(apf_modconf_ours(out));
	assert_non_null(strstr(out, "\noptions kvm async_pf=N\n"));
	assert_non_null(strstr(out, "(host_async_pf=off)"));
	render("host_async_pf=\"on\"  # quoted, commented\nguest_async_pf=off\n", out, sizeof(out));
	assert_non_null(strstr(out, "\noptions kvm async_pf=Y\n"));
	/* keep: no module option at all (the file goes). */
	render("host_async_pf=keep\nguest_async_pf=on\n", out, sizeof(out));
	assert_string_equal(out, "");
	render("# nothing set\n", out, sizeof(out));
	assert_string_equal(out, "");
}

static void test_small_buffer(void **state)
{
	struct apf_conf c = { .host = APF_CONF_OFF };
	char out[40];

	(void)state;
	assert_int_equal(apf_modconf_render(&c, "/etc/apf/apf.conf", out, sizeof(out)), -ENOSPC);
	assert_string_equal(out, "");
	assert_int_equal(apf_modconf_render(&c, "x", out, 0), -ENOSPC);
}

static void test_ours(void **state)
{
	(void)state;
	assert_false(apf_modconf_ours("options kvm async_pf=N\n"));
	assert_false(apf_modconf_ours(""));
	assert_false(apf_modconf_ours("# Written by apf"));
	assert_true(apf_modconf_ours(APF_MODCONF_MARKER " from /x\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_ours),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
