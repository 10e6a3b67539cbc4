// SPDX-License-Identifier: GPL-2.0-only
/* Guest counter sources: /proc/interrupts HYP, /proc/vmstat, the kernel
 * command line, the patched kernel's counter files, and the "guest" object
 * built from two samples of a sysroot written here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_stats.h"
#include "jsonl.h"

/* From a 2-vCPU KVM guest (6.1), trimmed. */
static const char interrupts_2cpu[] =
	"           CPU0       CPU1       \n"
	"  0:         38          0   IO-APIC   2-edge      timer\n"
	"  1:          0          9   IO-APIC   1-edge      i8042\n"
	"NMI:          0          0   Non-maskable interrupts\n"
	"LOC:     178810     162551   Local timer interrupts\n"
	"HYP:         43         73   Hypervisor callback interrupts\n"
	"HRE:          0          0   Hyper-V reenlightenment interrupts\n"
	"ERR:          0\n"
	"MIS:          0\n";

static const char interrupts_1cpu_indented[] =
	"           CPU0       \n"
	" 24:       1234   PCI-MSI 49152-edge      virtio0-config\n"
	" HYP:   18446744073709551615   Hypervisor callback interrupts\n";

static void test_hyp(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(gs_parse_hyp(interrupts_2cpu, &v), 0);
	assert_int_equal(v, 116);
	assert_int_equal(gs_parse_hyp(interrupts_1cpu_indented, &v), 0);
	assert_true(v == UINT64_MAX);
}

static void test_hyp_bad(void **state)
{
	uint64_t v = 7;

	(void)state;
	/* No HYP line (arm64, or a kernel without the vector). */
	assert_int_equal(gs_parse_hyp("           CPU0\nLOC:  5  Local\n", &v), -1);
	assert_int_equal(gs_parse_hyp("", &v), -1);
	/* Truncated: fewer columns than CPUs, or none. */
	assert_int_equal(gs_parse_hyp("   CPU0   CPU1\nHYP:   4\n", &v), -1);
	assert_int_equal(gs_parse_hyp("   CPU0\nHYP:   Hypervisor\n", &v), -1);
	/* The sum overflows. */
	assert_int_equal(gs_parse_hyp("  CPU0 CPU1\nHYP: 18446744073709551615 1 x\n",
				      &v), -1);
	/* A number too big for 64 bits. */
	assert_int_equal(gs_parse_hyp("  CPU0\nHYP: 18446744073709551616 x\n",
				      &v), -1);
	/* "XHYP:" is not HYP. */
	assert_int_equal(gs_parse_hyp("  CPU0\nXHYP: 1 x\n", &v), -1);
	assert_int_equal(v, 7);
	/* No header: every number before the text counts. */
	assert_int_equal(gs_parse_hyp("HYP: 1 2 3 Hypervisor\n", &v), 0);
	assert_int_equal(v, 6);
}

static const char vmstat[] =
	"nr_free_pages 3809\n"
	"pgmajfault_extra 1\n"
	"pgfault 4470117\n"
	"pgmajfault 41532\n"
	"pswpin 0\n";

static void test_vmstat(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(gs_parse_vmstat(vmstat, "pgmajfault", &v), 0);
	assert_int_equal(v, 41532);
	assert_int_equal(gs_parse_vmstat(vmstat, "pswpin", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(gs_parse_vmstat(vmstat, "pgmaj", &v), -1);
	assert_int_equal(gs_parse_vmstat(vmstat, "missing", &v), -1);
	assert_int_equal(gs_parse_vmstat("pgmajfault x\n", "pgmajfault", &v), -1);
	assert_int_equal(gs_parse_vmstat("pgmajfault 12x\n", "pgmajfault", &v), -1);
	assert_int_equal(gs_parse_vmstat("pgmajfault 99999999999999999999\n",
					 "pgmajfault", &v), -1);
	/* Last line without a newline. */
	assert_int_equal(gs_parse_vmstat("a 1\npgmajfault 5", "pgmajfault", &v), 0);
	assert_int_equal(v, 5);
}

static void test_u64_and_cmdline(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(gs_parse_u64("123\n", &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(gs_parse_u64("-1\n", &v), -1);
	assert_int_equal(gs_parse_u64("", &v), -1);
	assert_int_equal(gs_parse_u64("1 2\n", &v), -1);
	assert_int_equal(gs_parse_u64("18446744073709551616", &v), -1);
	assert_int_equal(v, 123);
	assert_true(gs_cmdline_has("console=ttyS0 no-kvmapf quiet\n", "no-kvmapf"));
	assert_true(gs_cmdline_has("no-kvmapf", "no-kvmapf"));
	assert_true(gs_cmdline_has("a no-kvmapf\n", "no-kvmapf"));
	assert_false(gs_cmdline_has("no-kvmapfx no-kvmapf=1 xno-kvmapf",
				    "no-kvmapf"));
	assert_false(gs_cmdline_has("", "no-kvmapf"));
}

/* ---- gs_sample and gs_emit against a sysroot in a temp dir ------------- */

static void write_file(const char *root, const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void make_dirs(const char *root)
{
	static const char *const dirs[] = { "/proc", "/sys", "/sys/kernel",
					    "/sys/kernel/kvm_async_pf" };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", root, dirs[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
}

static void write_apf(const char *root, int base)
{
	static const char *const names[] = { "page_not_present", "page_ready",
		"wake_before_wait", "wait_ns_total", "wait_ns_max", "enabled" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char rel[128], val[32];

		snprintf(rel, sizeof(rel), "/sys/kernel/kvm_async_pf/%s", names[i]);
		snprintf(val, sizeof(val), "%d\n",
			 i == 5 ? 1 : base * (int)(i + 1));
		write_file(root, rel, val);
	}
}

static void rm_rf(const char *root)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static void test_sample_and_emit(void **state)
{
	char root[] = "/tmp/apfwl-gs-XXXXXX";
	struct guest_stats a, b;
	struct jl *j = malloc(sizeof(*j));

	(void)state;
	assert_non_null(j);
	assert_non_null(mkdtemp(root));
	make_dirs(root);
	write_file(root, "/proc/interrupts", "  CPU0 CPU1\nHYP: 1 2 Hyp\n");
	write_file(root, "/proc/vmstat", "pgmajfault 10\n");
	write_file(root, "/proc/cmdline", "ro no-kvmapf\n");
	write_apf(root, 10);
	gs_sample(root, &b);
	write_file(root, "/proc/interrupts", "  CPU0 CPU1\nHYP: 5 9 Hyp\n");
	write_file(root, "/proc/vmstat", "pgmajfault 25\n");
	write_apf(root, 100);
	gs_sample(root, &a);
	jl_begin(j, "result");
	gs_emit(j, &b, &a);
	assert_string_equal(jl_finish(j),
		"{\"type\":\"result\",\"guest\":{\"page_not_present\":90,"
		"\"page_ready\":180,\"wake_before_wait\":270,"
		"\"wait_ns_total\":360,\"wait_ns_max\":500,\"apf_enabled\":1,"
		"\"hyp_interrupts\":11,\"pgmajfault\":15,\"kvmapf\":false}}");
	/* A counter that went backwards is left out, not wrapped. */
	jl_begin(j, "result");
	gs_emit(j, &a, &b);
	assert_null(strstr(jl_finish(j), "page_ready"));
	rm_rf(root);
	free(j);
}

static void test_sample_missing(void **state)
{
	char root[] = "/tmp/apfwl-gs-XXXXXX";
	struct guest_stats a;
	struct jl *j = malloc(sizeof(*j));

	(void)state;
	assert_non_null(j);
	assert_non_null(mkdtemp(root));
	/* Nothing there at all: an empty object, no failure. */
	gs_sample(root, &a);
	jl_begin(j, "r");
	gs_emit(j, &a, &a);
	assert_string_equal(jl_finish(j), "{\"type\":\"r\",\"guest\":{}}");
	/* Garbage in the sources: left out, stock cmdline gives kvmapf true. */
	make_dirs(root);
	write_file(root, "/proc/interrupts", "garbage\n");
	write_file(root, "/proc/vmstat", "pgmajfault lots\n");
	write_file(root, "/proc/cmdline", "ro quiet\n");
	write_file(root, "/sys/kernel/kvm_async_pf/page_ready", "x\n");
	gs_sample(root, &a);
	jl_begin(j, "r");
	gs_emit(j, &a, &a);
	assert_string_equal(jl_finish(j),
			    "{\"type\":\"r\",\"guest\":{\"kvmapf\":true}}");
	rm_rf(root);
	free(j);
}

static void test_read_file(void **state)
{
	char path[] = "/tmp/apfwl-rf-XXXXXX";
	int fd = mkstemp(path);
	char *big = malloc(100000), *got;

	(void)state;
	assert_true(fd >= 0);
	assert_non_null(big);
	memset(big, 'x', 99999);
	big[99999] = '\0';
	assert_int_equal(write(fd, big, 99999), 99999);
	close(fd);
	got = gs_read_file(path);
	assert_non_null(got);
	assert_string_equal(got, big);
	free(got);
	unlink(path);
	assert_null(gs_read_file(path));
	assert_null(gs_read_file("/"));   /* EISDIR on read */
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hyp),
		cmocka_unit_test(test_hyp_bad),
		cmocka_unit_test(test_vmstat),
		cmocka_unit_test(test_u64_and_cmdline),
		cmocka_unit_test(test_sample_and_emit),
		cmocka_unit_test(test_sample_missing),
		cmocka_unit_test(test_read_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
