// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the pure parsers of libapf: no files, no sysroot.  Inputs
 * are real texts from a KVM host where we have them, plus every edge a
 * hostile or truncated kernel file can show. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "fileio.h"
#include "kvm_cpuid.h"
#include "kvm_debugfs.h"
#include "procfs.h"
#include "qemu_cmdline.h"

/* ---- apf_parse_u64 ------------------------------------------------------ */

static void test_u64_valid(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(apf_parse_u64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(apf_parse_u64("42\n", &v), 0);	/* sysfs/debugfs style */
	assert_int_equal(v, 42);
	assert_int_equal(apf_parse_u64("  7", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(apf_parse_u64("\t9 \n", &v), 0);
	assert_int_equal(v, 9);
	assert_int_equal(apf_parse_u64("0007", &v), 0);
	assert_int_equal(v, 7);
}

static void test_u64_limits(void **state)
{
	uint64_t v = 123;

	(void)state;
	assert_int_equal(apf_parse_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	v = 123;
	assert_int_equal(apf_parse_u64("18446744073709551616", &v), -ERANGE);
	assert_int_equal(apf_parse_u64("18446744073709551620\n", &v), -ERANGE);
	assert_int_equal(apf_parse_u64("99999999999999999999999999999999", &v),
			 -ERANGE);
	assert_int_equal(v, 123);	/* untouched on error */
}

static void test_u64_invalid(void **state)
{
	static const char *const bad[] = {
		"12abc", "", " ", "\n", "-1", "+5", "0x10", "1 2", "abc",
		"1e3", "12\n3", "\xd9\xa1",
	};
	uint64_t v = 77;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(apf_parse_u64(bad[i], &v), -EINVAL);
	assert_int_equal(v, 77);
}

/* ---- apf_parse_int / apf_parse_bool ------------------------------------ */

static void test_int(void **state)
{
	long v = 99;

	(void)state;
	assert_int_equal(apf_parse_int("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(apf_parse_int("+3\n", -10, 10, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(apf_parse_int(" 10", -10, 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(apf_parse_int("11", -10, 10, &v), -ERANGE);
	assert_int_equal(apf_parse_int("-11", -10, 10, &v), -ERANGE);
	assert_int_equal(apf_parse_int("-9223372036854775808", LONG_MIN,
				       LONG_MAX, &v), 0);
	assert_true(v == LONG_MIN);
	assert_int_equal(apf_parse_int("9223372036854775807", LONG_MIN,
				       LONG_MAX, &v), 0);
	assert_true(v == LONG_MAX);
	assert_int_equal(apf_parse_int("9223372036854775808", LONG_MIN,
				       LONG_MAX, &v), -ERANGE);
	assert_int_equal(apf_parse_int("-9223372036854775809", LONG_MIN,
				       LONG_MAX, &v), -ERANGE);
	assert_int_equal(apf_parse_int("18446744073709551616", LONG_MIN,
				       LONG_MAX, &v), -ERANGE);
	assert_int_equal(apf_parse_int("-0", 0, 0, &v), 0);
	assert_int_equal(v, 0);
}

static void test_int_invalid(void **state)
{
	static const char *const bad[] = {
		"", "-", "+", "--1", "+-1", "3x", "x3", "0x1", "- 1", "1 2",
	};
	long v = 5;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(apf_parse_int(bad[i], -100, 100, &v), -EINVAL);
	assert_int_equal(v, 5);
}

static void test_bool(void **state)
{
	static const char *const yes[] = { "Y", "y", "1", "Y\n", "1\n", "Y \n" };
	static const char *const no[] = { "N", "n", "0", "N\n", "0\n" };
	static const char *const bad[] = {
		"", "\n", "YES", "no", "2", "Y N", " Y", "true", "-1", "YY",
	};
	bool b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
		b = false;
		assert_int_equal(apf_parse_bool(yes[i], &b), 0);
		assert_true(b);
	}
	for (i = 0; i < sizeof(no) / sizeof(*no); i++) {
		b = true;
		assert_int_equal(apf_parse_bool(no[i], &b), 0);
		assert_false(b);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(apf_parse_bool(bad[i], &b), -EINVAL);
}

/* ---- apf_parse_interrupts ---------------------------------------------- */

/* /proc/interrupts of a 2-vCPU KVM guest (the development machine). */
static const char real_interrupts[] =
	"           CPU0       CPU1       \n"
	" 24:          1          0  IO-APIC   5-edge      ACPI:Ged\n"
	" 26:          0         15  IO-APIC   4-edge      ttyS0\n"
	" 36:          0      48987 PCI-MSIX-0000:00:02.0   1-edge      virtio1-req.0\n"
	" 43:          1          0 PCI-MSIX-0000:00:04.0   3-edge      virtio3-event\n"
	"NMI:          0          0   Non-maskable interrupts\n"
	"LOC:      23034      22868   Local timer interrupts\n"
	"SPU:          0          0   Spurious interrupts\n"
	"RES:       7800       4567   Rescheduling interrupts\n"
	"CAL:      32207      28438   Function call interrupts\n"
	"TLB:       2248       1836   TLB shootdowns\n"
	"TRM:          0          0   Thermal event interrupts\n"
	"HYP:         43         73   Hypervisor callback interrupts\n"
	"ERR:          0\n"
	"MIS:          0\n"
	"PIN:          0          0   Posted-interrupt notification event\n"
	"PIW:          0          0   Posted-interrupt wakeup event\n";

static void test_irq_real(void **state)
{
	struct apf_irq_row r;

	(void)state;
	assert_int_equal(apf_parse_interrupts(real_interrupts, "HYP", &r), 0);
	assert_true(r.found);
	assert_int_equal(r.total, 116);
	assert_int_equal(r.ncpus, 2);
	assert_string_equal(r.desc, "Hypervisor callback interrupts");

	assert_int_equal(apf_parse_interrupts(real_interrupts, "LOC", &r), 0);
	assert_true(r.found);
	assert_int_equal(r.total, 23034 + 22868);

	/* A numbered IRQ row: the label is the number. */
	assert_int_equal(apf_parse_interrupts(real_interrupts, "36", &r), 0);
	assert_true(r.found);
	assert_int_equal(r.total, 48987);

	/* ERR has one column and no description. */
	assert_int_equal(apf_parse_interrupts(real_interrupts, "ERR", &r), 0);
	assert_true(r.found);
	assert_int_equal(r.total, 0);
	assert_int_equal(r.ncpus, 1);
	assert_string_equal(r.desc, "");
}

static void test_irq_label_missing(void **state)
{
	static const char bare_metal[] =
		"            CPU0       CPU1       CPU2       CPU3       \n"
		" NMI:        212        198        205        201   Non-maskable interrupts\n"
		" LOC:   91823412   90012734   89123011   88721993   Local timer interrupts\n";
	struct apf_irq_row r;

	(void)state;
	assert_int_equal(apf_parse_interrupts(bare_metal, "HYP", &r), 0);
	assert_false(r.found);
	assert_int_equal(r.total, 0);
	/* Prefixes and substrings of a label are not the label. */
	assert_int_equal(apf_parse_interrupts(real_interrupts, "HY", &r), 0);
	assert_false(r.found);
	assert_int_equal(apf_parse_interrupts(real_interrupts, "HYPX", &r), 0);
	assert_false(r.found);
	assert_int_equal(apf_parse_interrupts(real_interrupts, "interrupts", &r), 0);
	assert_false(r.found);
	/* The four-CPU header counts four columns. */
	assert_int_equal(apf_parse_interrupts(bare_metal, "NMI", &r), 0);
	assert_int_equal(r.ncpus, 4);
	assert_int_equal(r.total, 212 + 198 + 205 + 201);
}

static void test_irq_truncated(void **state)
{
	struct apf_irq_row r;

	(void)state;
	/* Half a row, no newline: the columns that are there count. */
	assert_int_equal(apf_parse_interrupts(
		"           CPU0       CPU1       \nHYP:         12", "HYP", &r), 0);
	assert_true(r.found);
	assert_int_equal(r.total, 12);
	assert_int_equal(r.ncpus, 1);
	/* The label and nothing else is not a row. */
	assert_int_equal(apf_parse_interrupts(
		"           CPU0       CPU1       \nHYP:", "HYP", &r), -EINVAL);
	assert_int_equal(apf_parse_interrupts(
		"           CPU0\nHYP:   Hypervisor callback interrupts\n", "HYP", &r),
		-EINVAL);
	/* No header, empty text, header only. */
	assert_int_equal(apf_parse_interrupts("", "HYP", &r), -EINVAL);
	assert_int_equal(apf_parse_interrupts("HYP: 1 2\n", "HYP", &r), -EINVAL);
	assert_int_equal(apf_parse_interrupts("  CPU0  CPU1\n", "HYP", &r), 0);
	assert_false(r.found);
	/* More numbers than CPUs: the rest is description. */
	assert_int_equal(apf_parse_interrupts("  CPU0\nHYP: 1 2 3\n", "HYP", &r), 0);
	assert_int_equal(r.total, 1);
	assert_string_equal(r.desc, "2 3");
}

/* ---- apf_parse_interrupts_action: arm64's kvm-apf PPI ------------------ */

/* /proc/interrupts of the aarch64 lab's L2 (our arm64 guest kernel). */
static const char arm64_interrupts[] =
	"           CPU0       \n"
	" 11:      13474     GICv3  27 Level     arch_timer\n"
	" 13:      16394     GICv3  19 Edge      kvm-apf\n"
	" 14:          0     GICv3  33 Level     uart-pl011\n"
	"IPI0:         0       Rescheduling interrupts\n"
	"IPI1:         0       Function call interrupts\n"
	"Err:          0\n";

static void test_irq_action_real(void **state)
{
	struct apf_irq_row r;

	(void)state;
	assert_int_equal(apf_parse_interrupts_action(arm64_interrupts, "kvm-apf", &r), 0);
	assert_true(r.found);
	/* One CPU column: the 19 after GICv3 is the hwirq, not a count. */
	assert_int_equal(r.total, 16394);
	assert_int_equal(r.ncpus, 1);
	assert_string_equal(r.desc, "GICv3  19 Edge      kvm-apf");
	assert_int_equal(apf_parse_interrupts_action(arm64_interrupts, "arch_timer", &r), 0);
	assert_int_equal(r.total, 13474);
	/* x86 device rows too. */
	assert_int_equal(apf_parse_interrupts_action(real_interrupts, "virtio1-req.0", &r), 0);
	assert_int_equal(r.total, 48987);
	assert_int_equal(r.ncpus, 2);
}

static void test_irq_action_words(void **state)
{
	static const char two[] =
		"           CPU0       CPU1       \n"
		" 12:          5          6     GICv3  40 Edge      virtio-kvm-apf\n"
		" 15:          7          8     GICv3  41 Edge      kvm-apf2\n"
		" 16:          9         10     GICv3  42 Edge      kvm-apf\t \r\n"
		" 13:          1          2     GICv3  19 Edge      kvm-apf\n";
	struct apf_irq_row r;

	(void)state;
	/* The whole last word: not a suffix, not a prefix; trailing blanks
	 * and a CR are not part of it; the first such row counts. */
	assert_int_equal(apf_parse_interrupts_action(two, "kvm-apf", &r), 0);
	assert_true(r.found);
	assert_int_equal(r.total, 9 + 10);
	assert_int_equal(apf_parse_interrupts_action(two, "apf", &r), 0);
	assert_false(r.found);
	assert_int_equal(apf_parse_interrupts_action(two, "Edge", &r), 0);
	assert_false(r.found);
	assert_int_equal(apf_parse_interrupts_action(arm64_interrupts, "HYP", &r), 0);
	assert_false(r.found);
	/* A row that is only the word, or has no colon, is no row. */
	assert_int_equal(apf_parse_interrupts_action(
		"  CPU0\nkvm-apf\n 13 5 kvm-apf\n", "kvm-apf", &r), 0);
	assert_false(r.found);
	/* A row without counts is malformed; no header, no action: -EINVAL. */
	assert_int_equal(apf_parse_interrupts_action(
		"  CPU0\n 13: GICv3 kvm-apf\n", "kvm-apf", &r), -EINVAL);
	assert_int_equal(apf_parse_interrupts_action(
		" 13: 5 GICv3 kvm-apf\n", "kvm-apf", &r), -EINVAL);
	assert_int_equal(apf_parse_interrupts_action(arm64_interrupts, "", &r), -EINVAL);
	assert_int_equal(apf_parse_interrupts_action("", "kvm-apf", &r), -EINVAL);
	/* Overflowing counts. */
	assert_int_equal(apf_parse_interrupts_action(
		"  CPU0  CPU1\n 13: 18446744073709551615 1 GICv3 kvm-apf\n",
		"kvm-apf", &r), -ERANGE);
}

static void test_irq_overflow(void **state)
{
	struct apf_irq_row r;

	(void)state;
	assert_int_equal(apf_parse_interrupts(
		"  CPU0  CPU1\nHYP: 18446744073709551616 1 x\n", "HYP", &r), -ERANGE);
	/* Each fits, the sum does not. */
	assert_int_equal(apf_parse_interrupts(
		"  CPU0  CPU1\nHYP: 18446744073709551615 1 x\n", "HYP", &r), -ERANGE);
	assert_int_equal(apf_parse_interrupts(
		"  CPU0  CPU1\nHYP: 18446744073709551615 0 x\n", "HYP", &r), 0);
	assert_true(r.total == UINT64_MAX);
}

static void test_irq_long_desc(void **state)
{
	char text[512];
	struct apf_irq_row r;

	(void)state;
	memset(text, 0, sizeof(text));
	strcpy(text, "  CPU0\nHYP: 5 ");
	memset(text + strlen(text), 'd', 300);
	assert_int_equal(apf_parse_interrupts(text, "HYP", &r), 0);
	assert_int_equal(r.total, 5);
	assert_int_equal(strlen(r.desc), sizeof(r.desc) - 1);
}

/* ---- apf_cmdline_has_word ---------------------------------------------- */

static void test_cmdline_word(void **state)
{
	(void)state;
	assert_true(apf_cmdline_has_word("quiet no-kvmapf", "no-kvmapf"));
	assert_true(apf_cmdline_has_word("no-kvmapf", "no-kvmapf"));
	assert_true(apf_cmdline_has_word("ro no-kvmapf quiet\n", "no-kvmapf"));
	assert_true(apf_cmdline_has_word("a\tno-kvmapf\n", "no-kvmapf"));
	/* A near miss first must not hide a real match later. */
	assert_true(apf_cmdline_has_word("no-kvmapfx no-kvmapf", "no-kvmapf"));
	assert_false(apf_cmdline_has_word("no-kvmapfX", "no-kvmapf"));
	assert_false(apf_cmdline_has_word("xno-kvmapf", "no-kvmapf"));
	assert_false(apf_cmdline_has_word("no-kvmapf=1", "no-kvmapf"));
	assert_false(apf_cmdline_has_word("quiet", "no-kvmapf"));
	assert_false(apf_cmdline_has_word("", "no-kvmapf"));
	assert_false(apf_cmdline_has_word("quiet", ""));
}

/* ---- apf_split_argv ----------------------------------------------------- */

static void test_split_argv(void **state)
{
	static const char buf[] = "qemu\0-name\0vm1\0";
	char **argv;
	int argc;

	(void)state;
	assert_int_equal(apf_split_argv(buf, sizeof(buf) - 1, &argv, &argc), 0);
	assert_int_equal(argc, 3);
	assert_string_equal(argv[0], "qemu");
	assert_string_equal(argv[1], "-name");
	assert_string_equal(argv[2], "vm1");
	assert_null(argv[3]);
	free(argv);

	/* Empty arguments in the middle are kept. */
	assert_int_equal(apf_split_argv("a\0\0b\0", 5, &argv, &argc), 0);
	assert_int_equal(argc, 3);
	assert_string_equal(argv[1], "");
	assert_string_equal(argv[2], "b");
	free(argv);
}

static void test_split_argv_edges(void **state)
{
	char **argv;
	int argc;

	(void)state;
	/* Truncated read: the last argument has no NUL. */
	assert_int_equal(apf_split_argv("a\0bc", 4, &argv, &argc), 0);
	assert_int_equal(argc, 2);
	assert_string_equal(argv[1], "bc");
	assert_null(argv[2]);
	free(argv);

	/* Empty /proc/PID/cmdline (zombie, kernel thread). */
	assert_int_equal(apf_split_argv("", 0, &argv, &argc), 0);
	assert_int_equal(argc, 0);
	assert_non_null(argv);
	assert_null(argv[0]);
	free(argv);

	assert_int_equal(apf_split_argv("\0", 1, &argv, &argc), 0);
	assert_int_equal(argc, 1);
	assert_string_equal(argv[0], "");
	free(argv);

	/* No NUL at all: one argument (a process that rewrote its argv). */
	assert_int_equal(apf_split_argv("hello world", 11, &argv, &argc), 0);
	assert_int_equal(argc, 1);
	assert_string_equal(argv[0], "hello world");
	free(argv);
}

/* ---- apf_qemu_parse ----------------------------------------------------- */

#define QPARSE(q, ...)                                                  \
	do {                                                            \
		char *const a_[] = { __VA_ARGS__, NULL };               \
		apf_qemu_parse((int)(sizeof(a_) / sizeof(*a_)) - 1, a_, (q)); \
	} while (0)

static void test_qemu_libvirt_name(void **state)
{
	struct apf_qemu_info q;

	(void)state;
	QPARSE(&q, "/usr/bin/qemu-system-x86_64", "-name",
	       "guest=foo,debug-threads=on", "-S");
	assert_true(q.is_qemu);
	assert_true(q.libvirt);
	assert_string_equal(q.name, "foo");
	assert_string_equal(q.qmp, "");
	assert_int_equal(q.smp, 0);
	assert_false(q.kvm);
	assert_int_equal(q.async_pf, -1);

	QPARSE(&q, "qemu-system-x86_64", "-name", "plain");
	assert_false(q.libvirt);
	assert_string_equal(q.name, "plain");
}

static void test_qemu_name_commas(void **state)
{
	struct apf_qemu_info q;

	(void)state;
	QPARSE(&q, "qemu-system-x86_64", "-name", "guest=odd,,name,debug-threads=on");
	assert_string_equal(q.name, "odd,name");
	QPARSE(&q, "qemu-system-x86_64", "-name", "a,,b,,c");
	assert_string_equal(q.name, "a,b,c");
	QPARSE(&q, "qemu-system-x86_64", "-name", "x,,");
	assert_string_equal(q.name, "x,");
	QPARSE(&q, "qemu-system-x86_64", "-name", ",debug-threads=on");
	assert_string_equal(q.name, "");
	QPARSE(&q, "qemu-system-x86_64", "-name", "guest=");
	assert_string_equal(q.name, "");
}

static void test_qemu_qmp(void **state)
{
	struct apf_qemu_info q;

	(void)state;
	QPARSE(&q, "qemu-system-x86_64", "-qmp", "unix:/p,server=on,wait=off");
	assert_string_equal(q.qmp, "/p");
	QPARSE(&q, "qemu-system-x86_64", "--qmp", "unix:/run/x.sock");
	assert_string_equal(q.qmp, "/run/x.sock");
	QPARSE(&q, "qemu-system-x86_64", "-qmp", "tcp:localhost:4444,server=on");
	assert_string_equal(q.qmp, "");
}

static void test_qemu_mon_chardev(void **state)
{
	struct apf_qemu_info q;

	(void)state;
	QPARSE(&q, "qemu-system-x86_64", "-chardev", "socket,id=m,path=/p",
	       "-mon", "chardev=m,mode=control");
	assert_string_equal(q.qmp, "/p");
	/* -chardev after -mon, libvirt-style options around them. */
	QPARSE(&q, "qemu-system-x86_64", "-mon",
	       "chardev=charmonitor,id=monitor,mode=control", "-chardev",
	       "socket,id=charmonitor,path=/var/lib/libvirt/qemu/domain-1-web01/monitor.sock,server=on,wait=off");
	assert_string_equal(q.qmp, "/var/lib/libvirt/qemu/domain-1-web01/monitor.sock");
	/* Modern libvirt passes the socket as an fd: nothing to connect to. */
	QPARSE(&q, "qemu-system-x86_64", "-chardev",
	       "socket,id=charmonitor,fd=27,server=on,wait=off", "-mon",
	       "chardev=charmonitor,id=monitor,mode=control");
	assert_string_equal(q.qmp, "");
	/* An HMP monitor is not QMP; an id that does not match is not it. */
	QPARSE(&q, "qemu-system-x86_64", "-chardev", "socket,id=m,path=/p",
	       "-mon", "chardev=m,mode=readline");
	assert_string_equal(q.qmp, "");
	QPARSE(&q, "qemu-system-x86_64", "-chardev", "socket,id=mm,path=/p",
	       "-mon", "chardev=m,mode=control");
	assert_string_equal(q.qmp, "");
	/* -qmp wins over a -mon chardev. */
	QPARSE(&q, "qemu-system-x86_64", "-qmp", "unix:/a", "-chardev",
	       "socket,id=m,path=/b", "-mon", "chardev=m,mode=control");
	assert_string_equal(q.qmp, "/a");
}

static void test_qemu_smp(void **state)
{
	struct apf_qemu_info q;

	(void)state;
	QPARSE(&q, "qemu-system-x86_64", "-smp", "4");
	assert_int_equal(q.smp, 4);
	QPARSE(&q, "qemu-system-x86_64", "-smp", "cpus=8");
	assert_int_equal(q.smp, 8);
	QPARSE(&q, "qemu-system-x86_64", "-smp", "2,sockets=2,cores=1,threads=1");
	assert_int_equal(q.smp, 2);
	QPARSE(&q, "qemu-system-x86_64", "-smp", "sockets=2,cpus=6,maxcpus=8");
	assert_int_equal(q.smp, 6);
	/* Absurd or malformed counts are ignored, not trusted. */
	QPARSE(&q, "qemu-system-x86_64", "-smp", "999999");
	assert_int_equal(q.smp, 0);
	QPARSE(&q, "qemu-system-x86_64", "-smp", "0");
	assert_int_equal(q.smp, 0);
	QPARSE(&q, "qemu-system-x86_64", "-smp", "-3");
	assert_int_equal(q.smp, 0);
	QPARSE(&q, "qemu-system-x86_64", "-smp", "abc");
	assert_int_equal(q.smp, 0);
	QPARSE(&q, "qemu-system-x86_64", "-smp", "99999999999999999999999");
	assert_int_equal(q.smp, 0);
	QPARSE(&q, "qemu-system-x86_64", "-smp", "");
	assert_int_equal(q.smp, 0);
}

static void test_qemu_accel(void **state)
{
	struct apf_qemu_info q;

	(void)state;
	QPARSE(&q, "qemu-system-x86_64", "-accel", "kvm,async-pf=off");
	assert_true(q.kvm);
	assert_int_equal(q.async_pf, 0);
	QPARSE(&q, "qemu-system-x86_64", "-accel", "kvm,async-pf=on");
	assert_int_equal(q.async_pf, 1);
	QPARSE(&q, "qemu-system-x86_64", "-accel", "kvm,async-pf=maybe");
	assert_true(q.kvm);
	assert_int_equal(q.async_pf, -1);
	QPARSE(&q, "qemu-system-x86_64", "-accel", "kvm");
	assert_true(q.kvm);
	assert_int_equal(q.async_pf, -1);
	QPARSE(&q, "qemu-system-x86_64", "-accel", "tcg");
	assert_false(q.kvm);
	QPARSE(&q, "qemu-system-x86_64", "-accel", "kvmx,async-pf=off");
	assert_false(q.kvm);
	assert_int_equal(q.async_pf, -1);
	QPARSE(&q, "qemu-system-x86_64", "-enable-kvm");
	assert_true(q.kvm);
	QPARSE(&q, "qemu-system-x86_64", "-machine", "q35,accel=kvm");
	assert_true(q.kvm);
	QPARSE(&q, "qemu-system-x86_64", "-M", "pc,accel=tcg");
	assert_false(q.kvm);
}

static void test_qemu_not_qemu(void **state)
{
	struct apf_qemu_info q;
	char *const none[] = { NULL };

	(void)state;
	QPARSE(&q, "/usr/bin/crosvm", "run", "-name", "x");
	assert_false(q.is_qemu);
	QPARSE(&q, "/usr/libexec/qemu-kvm", "-name", "rhel");
	assert_true(q.is_qemu);
	assert_string_equal(q.name, "rhel");
	QPARSE(&q, "kvm", "-enable-kvm");
	assert_true(q.is_qemu);
	QPARSE(&q, "qemu-img", "info");
	assert_false(q.is_qemu);

	apf_qemu_parse(0, none, &q);
	assert_false(q.is_qemu);
	assert_int_equal(q.async_pf, -1);
	apf_qemu_parse(0, NULL, &q);
	assert_false(q.is_qemu);
	apf_qemu_parse(1, none, &q);	/* argv[0] NULL */
	assert_false(q.is_qemu);
}

/* Flags without a value must not shift the parse: libvirt puts -S right
 * after -name, and everything after it was once read off by one. */
static void test_qemu_flags(void **state)
{
	struct apf_qemu_info q;

	(void)state;
	QPARSE(&q, "/usr/bin/qemu-system-x86_64", "-name",
	       "guest=apftest1,debug-threads=on", "-S", "-object",
	       "{\"qom-type\":\"secret\",\"id\":\"masterKey0\"}", "-machine",
	       "pc-i440fx-10.0,usb=off,acpi=on", "-accel", "kvm", "-cpu", "qemu64",
	       "-m", "size=65536k", "-overcommit", "mem-lock=off", "-smp",
	       "2,sockets=2,cores=1,threads=1", "-no-user-config", "-nodefaults",
	       "-chardev", "socket,id=charmonitor,path=/run/m.sock,server=on,wait=off",
	       "-mon", "chardev=charmonitor,id=monitor,mode=control", "-rtc",
	       "base=utc", "-no-shutdown", "-boot", "strict=on");
	assert_string_equal(q.name, "apftest1");
	assert_true(q.libvirt);
	assert_true(q.kvm);
	assert_int_equal(q.smp, 2);
	assert_string_equal(q.qmp, "/run/m.sock");

	/* Odd and even numbers of flags before each option. */
	QPARSE(&q, "qemu-system-x86_64", "-nographic", "-nodefaults", "-S",
	       "-smp", "3", "-daemonize", "-qmp", "unix:/q", "-snapshot",
	       "-no-reboot", "-name", "n", "-accel", "kvm,async-pf=off");
	assert_int_equal(q.smp, 3);
	assert_string_equal(q.qmp, "/q");
	assert_string_equal(q.name, "n");
	assert_int_equal(q.async_pf, 0);
}

static void test_qemu_truncation(void **state)
{
	char name[300], qmp[300];
	struct apf_qemu_info q;

	(void)state;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	strcpy(qmp, "unix:/");
	memset(qmp + 6, 's', 250);
	qmp[256] = '\0';
	/* Option without its value at the end: nothing read past argv. */
	QPARSE(&q, "qemu-system-x86_64", "-name", name, "-qmp", qmp, "-name");
	assert_int_equal(strlen(q.name), sizeof(q.name) - 1);
	assert_true(strlen(q.qmp) < sizeof(q.qmp));
	QPARSE(&q, "qemu-system-x86_64", "-qmp");
	assert_string_equal(q.qmp, "");
}

/* ---- apf_debugfs_parse_vm_dir ------------------------------------------- */

static void test_vm_dir_valid(void **state)
{
	pid_t pid;
	int fd;

	(void)state;
	assert_int_equal(apf_debugfs_parse_vm_dir("5728-9", &pid, &fd), 0);
	assert_int_equal(pid, 5728);
	assert_int_equal(fd, 9);
	assert_int_equal(apf_debugfs_parse_vm_dir("1-0", &pid, &fd), 0);
	assert_int_equal(fd, 0);
	assert_int_equal(apf_debugfs_parse_vm_dir("2147483647-2147483647", &pid,
						  &fd), 0);
	assert_int_equal(pid, 2147483647);
}

static void test_vm_dir_invalid(void **state)
{
	static const char *const bad[] = {
		"", "12", "abc-1", "12-", "-5", "7-x", "12-3-4", "+12-3",
		"12--3", "528--000", "12--0", "1-+0", " 12-3", "12- 3", "12-3\n", "0-3", "99999999999-1",
		"1-99999999999", "2147483648-1", "exits", "vcpu0",
		"12345678901234567-1",
	};
	pid_t pid = 42;
	int fd = 43;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(apf_debugfs_parse_vm_dir(bad[i], &pid, &fd), -EINVAL);
	assert_int_equal(pid, 42);
	assert_int_equal(fd, 43);
}

/* ---- apf_kvm_cpuid_parse ------------------------------------------------ */

/* Leaves read with CPUID on the development machine (a KVM guest). */
static const char real_cpuid[] =
	"# leaf eax ebx ecx edx\n"
	"0 0000001c 68747541 444d4163 69746e65\n"
	"1 00a10f11 01020800 fffa3203 178bfbff\n"
	"\n"
	"40000000 40000001 4b4d564b 564b4d56 0000004d\n"
	"40000001 01007efb 00000000 00000000 00000000\n";

static void test_cpuid_kvm(void **state)
{
	struct apf_kvm_cpuid c;

	(void)state;
	assert_int_equal(apf_kvm_cpuid_parse(real_cpuid, &c), 0);
	assert_true(c.hypervisor);
	assert_true(c.kvm);
	assert_int_equal(c.base, 0x40000000);
	assert_int_equal(c.features, 0x01007efb);
	assert_string_equal(c.signature, "KVMKVMKVM");
	assert_true(c.features & (1u << APF_KVM_FEATURE_ASYNC_PF));
	assert_true(c.features & (1u << APF_KVM_FEATURE_ASYNC_PF_VMEXIT));
	assert_true(c.features & (1u << APF_KVM_FEATURE_ASYNC_PF_INT));
}

static void test_cpuid_not_kvm(void **state)
{
	struct apf_kvm_cpuid c;

	(void)state;
	/* Bare metal: hypervisor bit clear, leaves beyond it ignored. */
	assert_int_equal(apf_kvm_cpuid_parse(
		"1 00a10f11 01020800 7ffa3203 178bfbff\n"
		"40000000 40000001 4b4d564b 564b4d56 0000004d\n", &c), 0);
	assert_false(c.hypervisor);
	assert_false(c.kvm);
	/* Nothing at all. */
	assert_int_equal(apf_kvm_cpuid_parse("", &c), 0);
	assert_false(c.hypervisor);
	assert_false(c.kvm);
	/* Another hypervisor only ("Microsoft Hv"). */
	assert_int_equal(apf_kvm_cpuid_parse(
		"1 0 0 80000000 0\n"
		"40000000 40000006 7263694d 666f736f 76482074\n", &c), 0);
	assert_true(c.hypervisor);
	assert_false(c.kvm);
	assert_string_equal(c.signature, "Microsoft Hv");
	/* KVM signature without the features leaf. */
	assert_int_equal(apf_kvm_cpuid_parse(
		"1 0 0 80000000 0\n"
		"40000000 40000001 4b4d564b 564b4d56 0000004d\n", &c), 0);
	assert_true(c.kvm);
	assert_int_equal(c.features, 0);
}

static void test_cpuid_kvm_behind_hyperv(void **state)
{
	struct apf_kvm_cpuid c;

	(void)state;
	/* KVM with Hyper-V enlightenments moves its leaves to 0x40000100. */
	assert_int_equal(apf_kvm_cpuid_parse(
		"1 0 0 80000000 0\n"
		"40000000 4000000b 7263694d 666f736f 76482074\n"
		"40000100 40000101 4b4d564b 564b4d56 0000004d\n"
		"40000101 00000010 0 0 0\n", &c), 0);
	assert_true(c.kvm);
	assert_int_equal(c.base, 0x40000100);
	assert_int_equal(c.features, 0x10);
	assert_string_equal(c.signature, "KVMKVMKVM");
}

static void test_cpuid_garbage(void **state)
{
	static const char *const bad[] = {
		"40000000 KVMKVMKVM\n",
		"40000001 1ffffffff 0 0 0\n",		/* over 32 bits */
		"1 0 0 0\n",				/* four fields */
		"1 0 0 0 0 0\n",			/* six fields */
		"1 0 0 0 0 junk\n",
		"1 -1 0 0 0\n",
		"zz 0 0 0 0\n",
		"1 0 0 0 99999999999999999999999\n",
	};
	char big[8192], line[200];
	struct apf_kvm_cpuid c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(apf_kvm_cpuid_parse(bad[i], &c), -EINVAL);
	/* A line longer than any real one. */
	memset(line, '0', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(apf_kvm_cpuid_parse(line, &c), -EINVAL);
	/* More leaves than the table holds. */
	big[0] = '\0';
	for (i = 0; i < 70; i++) {
		snprintf(line, sizeof(line), "%zx 0 0 0 0\n", i + 2);
		strcat(big, line);
	}
	assert_int_equal(apf_kvm_cpuid_parse(big, &c), -EINVAL);
}

/* ---- apf_parse_digits / apf_parse_milli ---------------------------------- */

static void test_digits(void **state)
{
	const char *s;
	uint64_t v = 7;

	(void)state;
	s = "00a10f11 x";
	assert_int_equal(apf_parse_digits(&s, 16, UINT32_MAX, &v), 0);
	assert_int_equal(v, 0xa10f11);
	assert_string_equal(s, " x");
	s = "FFFFFFFF";
	assert_int_equal(apf_parse_digits(&s, 16, UINT32_MAX, &v), 0);
	assert_int_equal(v, 0xffffffffu);
	/* Past max: -ERANGE, and the digits are consumed all the same. */
	s = "1ffffffff,";
	assert_int_equal(apf_parse_digits(&s, 16, UINT32_MAX, &v), -ERANGE);
	assert_string_equal(s, ",");
	s = "65536-2";
	assert_int_equal(apf_parse_digits(&s, 10, 65535, &v), -ERANGE);
	s = "12-34";
	assert_int_equal(apf_parse_digits(&s, 10, 65535, &v), 0);
	assert_int_equal(v, 12);
	assert_string_equal(s, "-34");
	/* No digit, a sign, a blank, "0x", a base we do not take. */
	v = 7;
	for (const char *const *b = (const char *const[]){ "", "-1", " 1", "x1",
							     "+1", NULL }; *b; b++) {
		s = *b;
		assert_int_equal(apf_parse_digits(&s, 10, 100, &v), -EINVAL);
		assert_ptr_equal(s, *b);
	}
	s = "0x10";
	assert_int_equal(apf_parse_digits(&s, 16, 100, &v), 0);
	assert_int_equal(v, 0);
	assert_string_equal(s, "x10");
	s = "1";
	assert_int_equal(apf_parse_digits(&s, 8, 100, &v), -EINVAL);
	s = "18446744073709551615";
	assert_int_equal(apf_parse_digits(&s, 10, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	s = "18446744073709551616";
	assert_int_equal(apf_parse_digits(&s, 10, UINT64_MAX, &v), -ERANGE);
}

static void test_milli(void **state)
{
	static const char *const bad[] = { "", "abc", "-1", "1e3", "0x1",
					   ".5", "5.", "1.2.3", "inf", "nan",
					   "1,5", "1 s" };
	uint64_t v;
	size_t i;

	(void)state;
	assert_int_equal(apf_parse_milli("2", 86400000, &v), 0);
	assert_int_equal(v, 2000);
	assert_int_equal(apf_parse_milli("0.5", 86400000, &v), 0);
	assert_int_equal(v, 500);
	assert_int_equal(apf_parse_milli(" 0.05\n", 86400000, &v), 0);
	assert_int_equal(v, 50);
	assert_int_equal(apf_parse_milli("1.001", 86400000, &v), 0);
	assert_int_equal(v, 1001);
	assert_int_equal(apf_parse_milli("0.0010", 86400000, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(apf_parse_milli("86400", 86400000, &v), 0);
	assert_int_equal(v, 86400000);
	/* Zero, finer than a millisecond, past the bound. */
	assert_int_equal(apf_parse_milli("0", 86400000, &v), -ERANGE);
	assert_int_equal(apf_parse_milli("0.000", 86400000, &v), -ERANGE);
	assert_int_equal(apf_parse_milli("0.0004", 86400000, &v), -ERANGE);
	assert_int_equal(apf_parse_milli("86400.001", 86400000, &v), -ERANGE);
	assert_int_equal(apf_parse_milli("99999999999999999999", 86400000, &v), -ERANGE);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(apf_parse_milli(bad[i], 86400000, &v), -EINVAL);
}

/* ---- counters ----------------------------------------------------------- */

static void test_counters(void **state)
{
	struct apf_counters c = { 0 };
	char longname[APF_COUNTER_NAME_MAX + 8];
	char name[32];
	int i;

	(void)state;
	assert_int_equal(apf_counters_set(&c, "exits", 5), 0);
	assert_int_equal(apf_counters_add(&c, "exits", 7, APF_COUNTER_CUMULATIVE), 0);
	assert_int_equal(apf_counters_find(&c, "exits")->value, 12);
	assert_null(apf_counters_find(&c, "nope"));
	/* Window counts stay marked; a sum with one in it is a window. */
	assert_false(apf_counters_have_window(&c));
	assert_int_equal(apf_counters_set_window(&c, "kvm_async_pf_ready", 3), 0);
	assert_int_equal(apf_counters_find(&c, "kvm_async_pf_ready")->kind,
			 APF_COUNTER_WINDOW);
	assert_int_equal(apf_counters_find(&c, "exits")->kind, APF_COUNTER_CUMULATIVE);
	assert_true(apf_counters_have_window(&c));
	assert_int_equal(apf_counters_add(&c, "exits", 1, APF_COUNTER_WINDOW), 0);
	assert_int_equal(apf_counters_find(&c, "exits")->kind, APF_COUNTER_WINDOW);
	assert_int_equal(apf_counters_set(&c, "exits", 12), 0);
	assert_int_equal(apf_counters_find(&c, "exits")->kind, APF_COUNTER_CUMULATIVE);
	/* Growth past the first allocation keeps every entry. */
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		assert_int_equal(apf_counters_set(&c, name, (uint64_t)i), 0);
	}
	assert_int_equal(c.n, 102);
	assert_int_equal(apf_counters_find(&c, "c99")->value, 99);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(apf_counters_set(&c, longname, 1), -ENAMETOOLONG);
	assert_true(apf_counter_is_shown("async_pf_queued", false));
	assert_true(apf_counter_is_shown("exits", false));
	assert_false(apf_counter_is_shown("tlb_flush", false));
	assert_true(apf_counter_is_shown("tlb_flush", true));
	apf_counters_free(&c);
	assert_null(c.v);
}

/* A guest counter is either in every patched guest or optional, never
 * both (it would be read twice), and each name fits a counter. */
static void test_guest_counter_lists(void **state)
{
	size_t i, j;

	(void)state;
	assert_true(apf_guest_optional_counter_count > 0);
	for (i = 0; i < apf_guest_optional_counter_count; i++) {
		const char *o = apf_guest_optional_counter_names[i];

		assert_true(strlen(o) < APF_COUNTER_NAME_MAX);
		for (j = 0; j < apf_guest_counter_count; j++)
			assert_string_not_equal(o, apf_guest_counter_names[j]);
		for (j = i + 1; j < apf_guest_optional_counter_count; j++)
			assert_string_not_equal(o, apf_guest_optional_counter_names[j]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64_valid),
		cmocka_unit_test(test_u64_limits),
		cmocka_unit_test(test_u64_invalid),
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_int_invalid),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_irq_real),
		cmocka_unit_test(test_irq_label_missing),
		cmocka_unit_test(test_irq_truncated),
		cmocka_unit_test(test_irq_overflow),
		cmocka_unit_test(test_irq_action_real),
		cmocka_unit_test(test_irq_action_words),
		cmocka_unit_test(test_irq_long_desc),
		cmocka_unit_test(test_cmdline_word),
		cmocka_unit_test(test_split_argv),
		cmocka_unit_test(test_split_argv_edges),
		cmocka_unit_test(test_qemu_libvirt_name),
		cmocka_unit_test(test_qemu_name_commas),
		cmocka_unit_test(test_qemu_qmp),
		cmocka_unit_test(test_qemu_mon_chardev),
		cmocka_unit_test(test_qemu_smp),
		cmocka_unit_test(test_qemu_accel),
		cmocka_unit_test(test_qemu_not_qemu),
		cmocka_unit_test(test_qemu_flags),
		cmocka_unit_test(test_qemu_truncation),
		cmocka_unit_test(test_vm_dir_valid),
		cmocka_unit_test(test_vm_dir_invalid),
		cmocka_unit_test(test_cpuid_kvm),
		cmocka_unit_test(test_cpuid_not_kvm),
		cmocka_unit_test(test_cpuid_kvm_behind_hyperv),
		cmocka_unit_test(test_cpuid_garbage),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_guest_counter_lists),
		cmocka_unit_test(test_digits),
		cmocka_unit_test(test_milli),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
