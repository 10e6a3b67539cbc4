// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the operations parsers: the domain-XML APF policy (libvirt
 * hook), /etc/apf/apf.conf (apply-config) and the kexec choices. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apf_conf.h"
#include "domain_policy.h"
#include "kexec_pick.h"
#include "spawn.h"

#define NS "https://apf-suite.invalid/xmlns/apf/1"

static void parse(const char *xml, struct apf_domain_policy *p)
{
	apf_domain_policy_parse(xml, strlen(xml), p);
}

/* ---- domain policy ------------------------------------------------------ */

static void test_policy_valid(void **state)
{
	struct apf_domain_policy p;

	(void)state;
	parse("<domain type='kvm' id='12'><name>web1</name>"
	      "<uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid><metadata>"
	      "<other:x xmlns:other='urn:x' a='b'/>"
	      "<apf:policy xmlns:apf='" NS "' async-pf='off'/></metadata></domain>", &p);
	assert_int_equal(p.status, APF_POLICY_OK);
	assert_int_equal(p.async_pf, APF_POLICY_OFF);
	assert_string_equal(p.name, "web1");
	assert_string_equal(p.type, "kvm");
	assert_string_equal(p.uuid, "c7a5fdbd-cdaf-9455-926a-d65c16db1809");
	assert_int_equal(p.id, 12);
	/* Any prefix, whitespace and comments inside. */
	parse("<domain><metadata><x:policy xmlns:x='" NS "' async-pf=\"on\">\n "
	      "<!-- c --> </x:policy></metadata></domain>", &p);
	assert_int_equal(p.status, APF_POLICY_OK);
	assert_int_equal(p.async_pf, APF_POLICY_ON);
	assert_int_equal(p.id, -1);
	/* A default namespace works too. */
	parse("<domain><metadata><policy xmlns='" NS "' async-pf='on'/></metadata>"
	      "</domain>", &p);
	assert_int_equal(p.async_pf, APF_POLICY_ON);
}

static void test_policy_absent(void **state)
{
	struct apf_domain_policy p;

	(void)state;
	parse("<domain type='qemu'><name>a</name></domain>", &p);
	assert_int_equal(p.status, APF_POLICY_OK);
	assert_int_equal(p.async_pf, APF_POLICY_NONE);
	/* Not in <metadata>, or no namespace: not ours. */
	parse("<domain><devices><apf:policy xmlns:apf='" NS "' async-pf='x'/>"
	      "</devices><metadata><policy async-pf='x'/></metadata></domain>", &p);
	assert_int_equal(p.status, APF_POLICY_OK);
	assert_int_equal(p.async_pf, APF_POLICY_NONE);
}

static void expect_invalid(const char *metadata, const char *needle)
{
	char xml[2048];
	struct apf_domain_policy p;

	snprintf(xml, sizeof(xml), "<domain><name>d</name><metadata>%s</metadata>"
		 "</domain>", metadata);
	parse(xml, &p);
	if (p.status != APF_POLICY_INVALID || !strstr(p.error, needle))
		fail_msg("%s: status %d error '%s', wanted '%s'", metadata, p.status,
			 p.error, needle);
	assert_int_equal(p.async_pf, APF_POLICY_NONE);
}

static void test_policy_invalid(void **state)
{
	(void)state;
	expect_invalid("<apf:policy xmlns:apf='" NS "' async-pf='maybe'/>",
		       "async-pf='maybe'");
	expect_invalid("<apf:policy xmlns:apf='" NS "' async-pf='ON'/>", "'ON'");
	expect_invalid("<apf:policy xmlns:apf='" NS "' async-pf=''/>", "async-pf=''");
	expect_invalid("<apf:policy xmlns:apf='" NS "' async-pf=' on'/>", "' on'");
	expect_invalid("<apf:policy xmlns:apf='" NS "'/>", "without async-pf");
	expect_invalid("<apf:policy xmlns:apf='" NS "' async-pf='on' halt='1'/>",
		       "unknown attribute 'halt'");
	expect_invalid("<apf:policy xmlns:apf='" NS "' xmlns:o='urn:o' o:x='1' "
		       "async-pf='on'/>", "namespaced x");
	expect_invalid("<apf:policy xmlns:apf='" NS "' async-pf='on'/>"
		       "<apf:policy xmlns:apf='" NS "' async-pf='on'/>", "duplicate");
	expect_invalid("<apf:polcy xmlns:apf='" NS "' async-pf='on'/>",
		       "unknown element <apf:polcy>");
	expect_invalid("<apf:policy xmlns:apf='" NS "' async-pf='on'><x/></apf:policy>",
		       "has element <x>");
	expect_invalid("<apf:policy xmlns:apf='" NS "' async-pf='on'>off</apf:policy>",
		       "has text");
	expect_invalid("<apf:policy xmlns:apf='https://apf-suite.invalid/xmlns/apf/2' "
		       "async-pf='on'/>", "unknown APF namespace");
	/* Hostile bytes are shown, not copied. */
	expect_invalid("<apf:policy xmlns:apf='" NS "' async-pf='a&#10;b&#9;c'/>",
		       "'a\\x0ab\\x09c'");
}

static void test_policy_bad_xml(void **state)
{
	struct apf_domain_policy p;
	char *big;

	(void)state;
	parse("", &p);
	assert_int_equal(p.status, APF_POLICY_BAD_XML);
	parse("<domain><metadata>", &p);
	assert_int_equal(p.status, APF_POLICY_BAD_XML);
	assert_non_null(strstr(p.error, "does not parse"));
	parse("<network><name>n</name></network>", &p);
	assert_int_equal(p.status, APF_POLICY_BAD_XML);
	parse("\x01\x02\xff garbage", &p);
	assert_int_equal(p.status, APF_POLICY_BAD_XML);
	/* An external entity is neither fetched nor expanded. */
	parse("<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
	      "<domain><name>&x;</name></domain>", &p);
	assert_null(strstr(p.name, "root:"));
	/* Over the size limit: refused unparsed. */
	big = malloc(APF_DOMAIN_XML_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', APF_DOMAIN_XML_MAX + 1);
	big[APF_DOMAIN_XML_MAX + 1] = '\0';
	parse(big, &p);
	assert_int_equal(p.status, APF_POLICY_BAD_XML);
	assert_non_null(strstr(p.error, "limit"));
	free(big);
	apf_xml_cleanup();
}

/* Names quoted in the policy's messages go through lib/sanitize.c: XML 1.0
 * has no C0 controls, but C1 controls (U+009B, a CSI) and bidi overrides
 * (U+202E) are characters it allows.  The domain name itself is kept
 * exactly (JSON gives it as it is; text output encodes it once). */
static void test_names_encoded(void **state)
{
	struct apf_domain_policy p;

	(void)state;
	parse("<domain type='kvm\xe2\x80\xaeqemu'><name>web\xc2\x9b" "1</name>"
	      "<metadata><apf:policy xmlns:apf='" APF_XMLNS "' "
	      "async-pf='o\xc2\x9b" "2Jn'/></metadata></domain>", &p);
	assert_int_equal(p.status, APF_POLICY_INVALID);
	assert_string_equal(p.name, "web\xc2\x9b" "1");
	assert_string_equal(p.type, "kvm\\xe2\\x80...");
	assert_non_null(strstr(p.error, "async-pf='o\\xc2\\x9b2Jn'"));
	apf_xml_cleanup();
}

/* ---- apf.conf ----------------------------------------------------------- */

static void test_conf_valid(void **state)
{
	struct apf_conf c;
	char err[256];

	(void)state;
	assert_int_equal(apf_conf_parse("", &c, err, sizeof(err)), 0);
	assert_int_equal(c.host, APF_CONF_KEEP);
	assert_int_equal(c.guest, APF_CONF_KEEP);
	assert_false(c.fail_unsupported);
	assert_int_equal(apf_conf_parse(
		"# comment\n\n  host_async_pf = off  # why\r\n"
		"guest_async_pf=\"on\"\non_unsupported='fail'", &c, err, sizeof(err)), 0);
	assert_int_equal(c.host, APF_CONF_OFF);
	assert_int_equal(c.guest, APF_CONF_ON);
	assert_true(c.fail_unsupported);
	assert_int_equal(apf_conf_parse("host_async_pf=keep\n", &c, err, sizeof(err)), 0);
	assert_int_equal(c.host, APF_CONF_KEEP);
}

static void expect_conf_error(const char *text, const char *needle)
{
	struct apf_conf c;
	char err[256];

	if (apf_conf_parse(text, &c, err, sizeof(err)) != -EINVAL || !strstr(err, needle))
		fail_msg("'%s': error '%s', wanted '%s'", text, err, needle);
}

static void test_conf_invalid(void **state)
{
	char *long_line;

	(void)state;
	expect_conf_error("host_async_pf=of", "line 1: host_async_pf='of'");
	expect_conf_error("\nhost-async-pf=off", "line 2: unknown key 'host-async-pf'");
	expect_conf_error("host_async_pf=on\nhost_async_pf=off", "already set on line 1");
	expect_conf_error("host_async_pf", "expected KEY=VALUE");
	expect_conf_error("host_async_pf=\"on", "unterminated quote");
	expect_conf_error("host_async_pf=on off", "unexpected 'off'");
	expect_conf_error("host_async_pf=on#x", "needs a blank");
	expect_conf_error("on_unsupported=ignore", "expected warn or fail");
	expect_conf_error("guest_async_pf=ON", "expected on, off or keep");
	expect_conf_error("=on", "unknown key ''");
	long_line = malloc(3000);
	assert_non_null(long_line);
	memset(long_line, 'a', 2999);
	long_line[2999] = '\0';
	expect_conf_error(long_line, "longer than");
	free(long_line);
}

/* ---- kexec -------------------------------------------------------------- */

static void touch(const char *dir, const char *name)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
}

static void test_kexec_find(void **state)
{
	char dir[] = "/tmp/apf-kexec-test-XXXXXX", err[256];
	struct apf_kexec_choice c;
	const char *files[] = {
		"vmlinuz-6.1.0-37-amd64", "initrd.img-6.1.0-37-amd64",
		"vmlinuz-6.12.9+bpo-amd64", "initrd.img-6.12.9+bpo-amd64",
		"vmlinuz-6.12.38+deb12-amd64", "initrd.img-6.12.38+deb12-amd64",
		"vmlinuz-9.9.9-rescue-abc", "vmlinuz-7.0.0.old", "vmlinuz-7.1.dpkg-new",
		"vmlinuz-6.5.0-fc", "initramfs-6.5.0-fc.img", "vmlinuz", "config-9.9",
	};
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		touch(dir, files[i]);
	assert_int_equal(apf_kexec_find(dir, NULL, &c, err, sizeof(err)), 0);
	assert_string_equal(c.version, "6.12.38+deb12-amd64");
	assert_non_null(strstr(c.initrd, "initrd.img-6.12.38+deb12-amd64"));
	assert_int_equal(apf_kexec_find(dir, "6.1.0-37-amd64", &c, err, sizeof(err)), 0);
	assert_non_null(strstr(c.kernel, "/vmlinuz-6.1.0-37-amd64"));
	assert_int_equal(apf_kexec_find(dir, "6.5.0-fc", &c, err, sizeof(err)), 0);
	assert_non_null(strstr(c.initrd, "initramfs-6.5.0-fc.img"));
	assert_int_equal(apf_kexec_find(dir, "5.10", &c, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no kernel 5.10"));
	/* The old kernel and backups are never chosen as "newest". */
	assert_int_equal(apf_kexec_find(dir, "9.9.9-rescue-abc", &c, err, sizeof(err)),
			 -ENOENT);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char p[512];

		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	assert_int_equal(apf_kexec_find(dir, NULL, &c, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no kernel installed"));
	rmdir(dir);
	assert_int_equal(apf_kexec_find(dir, NULL, &c, err, sizeof(err)), -ENOENT);
}

/* The one skip rule apfctl kexec and apf-boot share. */
static void test_kernel_version_skipped(void **state)
{
	static const char *const skipped[] = {
		"", ".hidden", "0-rescue-abc", "6.1/x", "6.1.old", "6.1.bak", "6.1.dpkg-new",
		"6.1.dpkg-old", "6.1.dpkg-tmp", "6.1.dpkg-bak", "6.1.dpkg-dist", "6.1.rpmnew",
		"6.1.rpmsave", "6.1.sig", "6.1.hmac", "6.1.efi.signed",
	};
	static const char *const kept[] = {
		"6.1.0-28-amd64", "6.12.118-apf2-host", "5.14.0-427.el9.x86_64", "6.1.older",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
		assert_true(apf_kernel_version_skipped(skipped[i]));
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		assert_false(apf_kernel_version_skipped(kept[i]));
}

/* apf_run_tool's reasons: the last line of stderr, else stdout; missing. */
static void test_run_tool(void **state)
{
	const char *fails[] = { "sh", "-c", "echo out; echo first >&2; echo last >&2; exit 3",
				NULL };
	const char *quiet[] = { "sh", "-c", "echo only stdout; exit 1", NULL };
	const char *ok[] = { "true", NULL };
	const char *absent[] = { "apf-no-such-tool", NULL };
	const char *exits127[] = { "sh", "-c", "exit 127", NULL };
	char why[200] = "";

	(void)state;
	assert_int_equal(apf_run_tool(ok, 10000, NULL, why, sizeof(why)), 0);
	assert_int_equal(apf_run_tool(fails, 10000, NULL, why, sizeof(why)), -EIO);
	assert_string_equal(why, "sh exited with 3: last");
	assert_int_equal(apf_run_tool(quiet, 10000, NULL, why, sizeof(why)), -EIO);
	assert_string_equal(why, "sh exited with 1: only stdout");
	assert_int_equal(apf_run_tool(absent, 10000, "not installed (x)", why, sizeof(why)),
			 -ENOENT);
	assert_string_equal(why, "apf-no-such-tool: not installed (x)");
	assert_int_equal(apf_run_tool(absent, 10000, NULL, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "apf-no-such-tool: "));
	/* A program that ran and exited 127 is not a missing one. */
	assert_int_equal(apf_run_tool(exits127, 10000, "not installed", why, sizeof(why)), -EIO);
	assert_string_equal(why, "sh exited with 127");
}

static void test_kexec_cmdline(void **state)
{
	char out[128];

	(void)state;
	assert_int_equal(apf_kexec_cmdline("BOOT_IMAGE=/boot/vmlinuz-6.1 root=UUID=x ro "
					   "quiet\n", NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "root=UUID=x ro quiet");
	assert_int_equal(apf_kexec_cmdline("initrd=\\initrd.img a=\"x y\"  b",
					   "kvm.async_pf=0", out, sizeof(out)), 0);
	assert_string_equal(out, "a=\"x y\" b kvm.async_pf=0");
	assert_int_equal(apf_kexec_cmdline("", NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(apf_kexec_cmdline("aaaaaaaaaa", "bbbbbbbbbb", out, 15), -ENOSPC);
}

static void test_kexec_signed(void **state)
{
	const char *why;

	(void)state;
	assert_false(apf_kexec_need_signed("[none] integrity confidentiality\n", false, &why));
	assert_true(apf_kexec_need_signed("none [integrity] confidentiality\n", false, &why));
	assert_non_null(strstr(why, "lockdown"));
	assert_true(apf_kexec_need_signed("none integrity [confidentiality]", false, &why));
	assert_true(apf_kexec_need_signed(NULL, true, &why));
	assert_non_null(strstr(why, "Secure Boot"));
	assert_false(apf_kexec_need_signed(NULL, false, &why));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_valid),
		cmocka_unit_test(test_policy_absent),
		cmocka_unit_test(test_policy_invalid),
		cmocka_unit_test(test_policy_bad_xml),
		cmocka_unit_test(test_names_encoded),
		cmocka_unit_test(test_conf_valid),
		cmocka_unit_test(test_conf_invalid),
		cmocka_unit_test(test_kexec_find),
		cmocka_unit_test(test_kernel_version_skipped),
		cmocka_unit_test(test_run_tool),
		cmocka_unit_test(test_kexec_cmdline),
		cmocka_unit_test(test_kexec_signed),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	apf_xml_cleanup();
	return rc;
}
