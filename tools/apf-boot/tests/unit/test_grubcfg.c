// SPDX-License-Identifier: GPL-2.0-only
/* grub.cfg as grub-mkconfig writes it (tests/fixtures, real output), the
 * saved_entry that selects a kernel, and grubenv blocks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "grubcfg.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures"
#endif

static char *slurp(const char *name)
{
	char path[256];
	long n;
	char *buf;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void parse_fixture(const char *name, struct grub_cfg *c)
{
	char *text = slurp(name), err[256];

	assert_int_equal(grub_cfg_parse(text, c, err, sizeof(err)), 0);
	free(text);
}

static void test_default0(void **state)
{
	struct grub_cfg c;
	const struct grub_node *nd;
	char path[512];

	(void)state;
	parse_fixture("grub-default0.cfg", &c);
	assert_false(c.saved_default);
	assert_string_equal(c.fixed_default, "0");
	/* The top entry boots the newest kernel: the Debian one. */
	nd = grub_cfg_resolve(&c, c.fixed_default);
	assert_non_null(nd);
	assert_string_equal(nd->kernel, "vmlinuz-6.12.120-1-amd64");
	assert_string_equal(nd->id, "gnulinux-simple-/dev/vda");
	/* The APF kernel's own entry in the submenu, not its recovery one. */
	nd = grub_cfg_entry_for(&c, "6.12.118-apf2-host");
	assert_non_null(nd);
	assert_false(nd->recovery);
	assert_string_equal(nd->id, "gnulinux-6.12.118-apf2-host-advanced-/dev/vda");
	assert_int_equal(grub_cfg_path(&c, nd, path, sizeof(path)), 0);
	assert_string_equal(path, "gnulinux-advanced-/dev/vda>"
			    "gnulinux-6.12.118-apf2-host-advanced-/dev/vda");
	assert_ptr_equal(grub_cfg_resolve(&c, path), nd);
	/* "6.12.118-apf-host" must not match the apf2 entry, nor the reverse. */
	nd = grub_cfg_entry_for(&c, "6.12.118-apf-host");
	assert_string_equal(nd->kernel, "vmlinuz-6.12.118-apf-host");
	assert_null(grub_cfg_entry_for(&c, "6.12.118"));
	assert_null(grub_cfg_entry_for(&c, "6.12.118-apf3-host"));
	/* GRUB's other ways to name an entry: titles and positions. */
	nd = grub_cfg_resolve(&c, "Advanced options for Debian GNU/Linux>"
			      "Debian GNU/Linux, with Linux 6.1.0-28-amd64");
	assert_non_null(nd);
	assert_string_equal(nd->kernel, "vmlinuz-6.1.0-28-amd64");
	nd = grub_cfg_resolve(&c, "1>3");	/* the submenu's 4th: 6.12.118-apf2-host recovery */
	assert_non_null(nd);
	assert_true(nd->recovery);
	assert_string_equal(nd->kernel, "vmlinuz-6.12.118-apf2-host");
	assert_null(grub_cfg_resolve(&c, "1"));		/* a submenu is not bootable */
	assert_null(grub_cfg_resolve(&c, "1>99"));
	assert_null(grub_cfg_resolve(&c, "0>0"));	/* an entry has no children */
	assert_null(grub_cfg_resolve(&c, "gnulinux-6.12.118-apf2-host-advanced-/dev/vda"));
	assert_string_equal(grub_cfg_resolve(&c, "")->id, "gnulinux-simple-/dev/vda");
	grub_cfg_free(&c);
}

static void test_saved(void **state)
{
	struct grub_cfg c;
	const struct grub_node *nd;
	char path[512];

	(void)state;
	parse_fixture("grub-saved.cfg", &c);
	assert_true(c.saved_default);
	assert_string_equal(c.fixed_default, "");
	grub_cfg_free(&c);
	parse_fixture("grub-saved-nosubmenu.cfg", &c);
	assert_true(c.saved_default);
	nd = grub_cfg_entry_for(&c, "6.12.118-apf-host");
	assert_non_null(nd);
	assert_int_equal(nd->parent, -1);
	assert_int_equal(grub_cfg_path(&c, nd, path, sizeof(path)), 0);
	assert_string_equal(path, "gnulinux-6.12.118-apf-host-advanced-/dev/vda");
	assert_int_equal(grub_cfg_path(&c, nd, path, 10), -ENOSPC);
	grub_cfg_free(&c);
}

static void test_syntax(void **state)
{
	static const char quoted[] =
		"function f {\n  echo '}'\n}\n"
		"menuentry 'It'\\''s \"A\"' --id=a\\ b {\n"
		"  linux /vmlinuz-1.0-apf1-host root=x\n}\n"
		"menuentry \"Two\" --class x --id two {\n  linux16 /boot/vmlinuz-2\n}\n"
		"submenu 'S' {\n  menuentry 'In' {\n    linux /vmlinuz-3 single\n  }\n}\n";
	static const char *const bad[] = {
		"menuentry 'x' {\n",			/* unterminated */
		"}\n",					/* nothing open */
		"menuentry 'x'\n}\n",			/* no brace */
		"menuentry 'unterminated {\n}\n",
	};
	struct grub_cfg c;
	const struct grub_node *nd;
	char err[256], path[64];

	(void)state;
	assert_int_equal(grub_cfg_parse(quoted, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.node[0].title, "It's \"A\"");
	assert_string_equal(c.node[0].id, "a b");
	assert_string_equal(c.node[0].kernel, "vmlinuz-1.0-apf1-host");
	assert_string_equal(c.node[1].id, "two");
	assert_string_equal(c.node[1].kernel, "vmlinuz-2");
	assert_true(c.node[3].recovery);
	nd = grub_cfg_resolve(&c, "S>In");
	assert_ptr_equal(nd, &c.node[3]);
	assert_int_equal(grub_cfg_path(&c, nd, path, sizeof(path)), 0);
	assert_string_equal(path, "S>In");	/* titles where there is no id */
	assert_null(grub_cfg_entry_for(&c, "3"));	/* only a recovery entry */
	assert_ptr_equal(grub_cfg_entry_for(&c, "1.0-apf1-host"), &c.node[0]);
	grub_cfg_free(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(grub_cfg_parse(bad[i], &c, err, sizeof(err)), -EINVAL);
		assert_non_null(c.node == NULL ? err : NULL);
		assert_true(err[0] != '\0');
	}
	/* Deep nesting is refused, not overflowed. */
	{
		size_t n = 200 * 12 + 1;
		char *deep = malloc(n);

		assert_non_null(deep);
		deep[0] = '\0';
		for (int i = 0; i < 200; i++)
			strcat(deep, "submenu x {\n");
		assert_int_equal(grub_cfg_parse(deep, &c, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "deep"));
		free(deep);
	}
}

static void test_grubenv(void **state)
{
	static const char env[] =
		"# GRUB Environment Block\n"
		"# WARNING: Do not edit this file by tools other than grub-editenv!!!\n"
		"next_entry=1>2\n"
		"saved_entry=gnulinux-advanced-x>gnulinux-6.12-apf2-host-advanced-x\n"
		"odd=a\\\\b\\nc\n"
		"#####################################\n";
	char v[128];

	(void)state;
	assert_int_equal(grubenv_get(env, "saved_entry", v, sizeof(v)), 0);
	assert_string_equal(v, "gnulinux-advanced-x>gnulinux-6.12-apf2-host-advanced-x");
	assert_int_equal(grubenv_get(env, "next_entry", v, sizeof(v)), 0);
	assert_string_equal(v, "1>2");
	assert_int_equal(grubenv_get(env, "odd", v, sizeof(v)), 0);
	assert_string_equal(v, "a\\b\nc");
	assert_int_equal(grubenv_get(env, "saved", v, sizeof(v)), -ENOENT);
	assert_int_equal(grubenv_get(env, "saved_entry", v, 8), -ENOSPC);
	assert_int_equal(grubenv_get("saved_entry=x\n", "saved_entry", v, sizeof(v)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default0),
		cmocka_unit_test(test_saved),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_grubenv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
