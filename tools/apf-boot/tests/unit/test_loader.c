// SPDX-License-Identifier: GPL-2.0-only
/* Which boot loader: found from the commands installed and the files on
 * disk, in an order that puts grubby before GRUB (RPM grub.cfg reads BLS
 * entries) and never assumes one. */
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

#include "loader.h"

static char root[64];

static void mk(const char *rel, bool file, mode_t mode)
{
	char p[200], cmd[600];

	snprintf(p, sizeof(p), "%s%s", root, rel);
	if (!file) {
		snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", p);
		assert_int_equal(system(cmd), 0);
		return;
	}
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\" && echo x > '%s'", p, p);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(chmod(p, mode), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/apf-boot-loader-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(apf_loader_name(APF_LOADER_NONE), "none");
	assert_string_equal(apf_loader_name(APF_LOADER_GRUB), "grub");
	assert_string_equal(apf_loader_name(APF_LOADER_GRUBBY), "grubby");
	assert_string_equal(apf_loader_name(APF_LOADER_SDBOOT), "systemd-boot");
}

static void test_detect(void **state)
{
	struct apf_loader_tools none = { 0 };
	struct apf_loader_tools all = { "/x/grub-editenv", "/x/grubby", "/x/bootctl" };
	struct apf_loader_tools grub_only = { "/x/grub-editenv", NULL, NULL };
	struct apf_loader_info li;

	(void)state;
	/* Nothing at all: QEMU -kernel.  Every tool present changes nothing. */
	apf_loader_detect(root, &all, &li);
	assert_int_equal(li.loader, APF_LOADER_NONE);
	assert_false(li.managed);
	assert_non_null(strstr(li.why, "QEMU -kernel"));

	/* grub.cfg: GRUB only with grub-editenv. */
	mk("/boot/grub/grub.cfg", true, 0644);
	apf_loader_detect(root, &none, &li);
	assert_int_equal(li.loader, APF_LOADER_NONE);
	assert_non_null(strstr(li.why, "grub-editenv is not installed"));
	apf_loader_detect(root, &grub_only, &li);
	assert_int_equal(li.loader, APF_LOADER_GRUB);
	assert_true(li.managed);
	assert_string_equal(li.why, "grub-editenv (/x/grub-editenv) and /boot/grub/grub.cfg");

	/* An empty entries directory, or one without *.conf: not BLS. */
	mk("/boot/loader/entries", false, 0);
	mk("/boot/loader/entries/README", true, 0644);
	mk("/boot/loader/entries/.hidden.conf", true, 0644);
	apf_loader_detect(root, &all, &li);
	assert_int_equal(li.loader, APF_LOADER_GRUB);

	/* BLS entries and grubby: grubby, before GRUB. */
	mk("/boot/loader/entries/abc-6.12.118-apf2-host.conf", true, 0644);
	apf_loader_detect(root, &all, &li);
	assert_int_equal(li.loader, APF_LOADER_GRUBBY);
	assert_true(li.managed);
	/* Without grubby: GRUB (grub-editenv), else systemd-boot (bootctl). */
	apf_loader_detect(root, &grub_only, &li);
	assert_int_equal(li.loader, APF_LOADER_GRUB);
	{
		struct apf_loader_tools sd = { NULL, NULL, "/x/bootctl" };

		apf_loader_detect(root, &sd, &li);
		assert_int_equal(li.loader, APF_LOADER_SDBOOT);
		assert_non_null(strstr(li.why, "/boot/loader/entries"));
	}
}

static void test_detect_sdboot_and_proxmox(void **state)
{
	struct apf_loader_tools bootctl = { NULL, NULL, "/x/bootctl" };
	struct apf_loader_tools none = { 0 };
	struct apf_loader_info li;

	(void)state;
	assert_int_equal(teardown(NULL), 0);
	assert_int_equal(setup(NULL), 0);
	mk("/efi/EFI/Linux/apf-6.12.118-apf2-host.efi", true, 0644);
	apf_loader_detect(root, &bootctl, &li);
	assert_int_equal(li.loader, APF_LOADER_SDBOOT);
	assert_false(li.managed);
	assert_non_null(strstr(li.why, "/efi/EFI/Linux"));
	assert_non_null(strstr(li.why, "bootctl set-default"));
	apf_loader_detect(root, &none, &li);
	assert_int_equal(li.loader, APF_LOADER_NONE);
	assert_non_null(strstr(li.why, "neither grubby nor bootctl"));

	mk("/etc/kernel/proxmox-boot-uuids", true, 0644);
	apf_loader_detect(root, &none, &li);
	assert_int_equal(li.loader, APF_LOADER_NONE);
	assert_non_null(strstr(li.why, "proxmox-boot-tool kernel pin"));
}

static void test_find_command(void **state)
{
	char out[256], path[256], dirs[300];

	(void)state;
	mk("/bin1/tool", true, 0644);		/* not executable */
	mk("/bin2/tool", true, 0755);
	mk("/bin2/dir/x", true, 0755);
	snprintf(dirs, sizeof(dirs), "::%s/bin1:%s/bin2", root, root);
	assert_true(apf_find_command("tool", dirs, out, sizeof(out)));
	snprintf(path, sizeof(path), "%s/bin2/tool", root);
	assert_string_equal(out, path);
	assert_false(apf_find_command("dir", dirs, out, sizeof(out)));
	assert_false(apf_find_command("nonexistent-apf-tool", dirs, out, sizeof(out)));
	assert_false(apf_find_command("", dirs, out, sizeof(out)));
	/* A path: taken as is, if executable. */
	assert_true(apf_find_command(path, NULL, out, sizeof(out)));
	snprintf(path, sizeof(path), "%s/bin1/tool", root);
	assert_false(apf_find_command(path, NULL, out, sizeof(out)));
	/* Too long for out: not found rather than cut. */
	assert_false(apf_find_command("tool", dirs, out, 8));
	/* The default PATH has sh. */
	assert_true(apf_find_command("sh", NULL, out, sizeof(out)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_detect_sdboot_and_proxmox),
		cmocka_unit_test(test_find_command),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
