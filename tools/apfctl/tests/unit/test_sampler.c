// SPDX-License-Identifier: GPL-2.0-only
/* lib/stats_sampler.c keeps each VM's debugfs stat files open between
 * samples (one pread a counter): values must still follow the files, a
 * VM's files must be closed when its VMM exits (an open per-VM stat file
 * holds the VM in KVM), the descriptor budget must hold, and a VM that
 * comes back under the same pid with another VM fd gets its own files.
 * The VMM here is a child process of the test, its pid in the tree. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "counters.h"
#include "stats_sampler.h"
#include "sysroot.h"

static char root[256];
static pid_t child;

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX + 256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void mkdirs(const char *rel)
{
	char path[PATH_MAX + 256], *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

/* /proc/PID/fd/KFD, a link to target (NULL: none, the fd closed). */
static void vm_fd_link(pid_t pid, int kfd, const char *target)
{
	char rel[100], path[PATH_MAX + 256];

	snprintf(rel, sizeof(rel), "proc/%d/fd", (int)pid);
	mkdirs(rel);
	snprintf(path, sizeof(path), "%s/%s/%d", root, rel, kfd);
	unlink(path);
	if (target)
		assert_int_equal(symlink(target, path), 0);
}

/* A VM of pid with VM fd kfd: its debugfs directory (the seven APF stats
 * and exits, value base+i; vcpu0 and vcpu1 with half each) and its
 * /proc entry. */
static void add_vm(pid_t pid, int kfd, unsigned int base)
{
	static const char *const names[] = {
		"async_pf_queued", "async_pf_not_present", "async_pf_halted",
		"async_pf_ready", "async_pf_completed", "async_pf_cancelled",
		"async_pf_sync", "exits",
	};
	char rel[200], v[32];
	size_t i;
	int c;

	for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
		snprintf(rel, sizeof(rel), "sys/kernel/debug/kvm/%d-%d", (int)pid, kfd);
		mkdirs(rel);
		snprintf(rel, sizeof(rel), "sys/kernel/debug/kvm/%d-%d/%s", (int)pid,
			 kfd, names[i]);
		snprintf(v, sizeof(v), "%u\n", 2 * (base + (unsigned int)i));
		put(rel, v);
		for (c = 0; c < 2; c++) {
			snprintf(rel, sizeof(rel), "sys/kernel/debug/kvm/%d-%d/vcpu%d",
				 (int)pid, kfd, c);
			mkdirs(rel);
			snprintf(rel, sizeof(rel), "sys/kernel/debug/kvm/%d-%d/vcpu%d/%s",
				 (int)pid, kfd, c, names[i]);
			snprintf(v, sizeof(v), "%u\n", base + (unsigned int)i);
			put(rel, v);
		}
	}
	snprintf(rel, sizeof(rel), "proc/%d", (int)pid);
	mkdirs(rel);
	snprintf(rel, sizeof(rel), "proc/%d/cmdline", (int)pid);
	put(rel, "qemu-system-x86_64");
	snprintf(rel, sizeof(rel), "proc/%d/comm", (int)pid);
	put(rel, "qemu-system-x86\n");
	vm_fd_link(pid, kfd, "anon_inode:kvm-vm");
}

/* pidfd_open(2) works here (valgrind does not know it: then nothing is
 * kept open for a watched VMM, and its files are read the old way). */
static bool have_pidfd(void)
{
	long fd = syscall(SYS_pidfd_open, getpid(), 0);

	if (fd < 0)
		return false;
	close((int)fd);
	return true;
}

static size_t open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	size_t n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/apf-sampler-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	mkdirs("sys/kernel/debug/kvm");
	put("sys/kernel/debug/kvm/exits", "77\n");
	child = fork();
	if (child < 0)
		return -1;
	if (!child) {
		pause();
		_exit(0);
	}
	add_vm(child, 11, 100);
	add_vm(2000000000, 12, 300);	/* no such process here: not watched */
	apf_sysroot_set(root);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	apf_sysroot_set(NULL);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static uint64_t value(const struct apf_sample *smp, pid_t pid, const char *name)
{
	const struct apf_vm_row *v = apf_sample_vm(smp, pid);
	const struct apf_counter *c;

	assert_non_null(v);
	c = apf_counters_find(&v->counters, name);
	assert_non_null(c);
	return c->value;
}

static void test_kept_open_and_following_the_files(void **state)
{
	struct apf_sampler_cfg cfg = { .vcpus = true, .watch_vmm = true };
	struct apf_sampler *s;
	struct apf_sample smp;
	size_t before = open_fds(), held;
	char rel[200];
	int err;

	(void)state;
	s = apf_sampler_open(&cfg, &err);
	assert_non_null(s);
	assert_int_equal(apf_sampler_take(s, &smp, NULL), 0);
	assert_int_equal(smp.nvms, 2);
	assert_int_equal(value(&smp, child, "async_pf_queued"), 200);
	assert_int_equal(smp.vms[0].source, APF_SRC_DEBUGFS);
	assert_int_equal(apf_sample_vm(&smp, child)->nvcpus, 2);
	assert_int_equal(apf_counters_find(&apf_sample_vm(&smp, child)->vcpus[1].counters,
					   "exits")->value, 107);
	/* In display order without sorting: APF first, then exits. */
	assert_string_equal(smp.vms[0].counters.v[0].name, "async_pf_queued");
	assert_string_equal(smp.vms[0].counters.v[7].name, "exits");
	assert_int_equal(smp.total_source, APF_SRC_DEBUGFS);
	apf_sample_free(&smp);
	/* The child's stat files kept (8 + 2 x 8), the total's 1, and a
	 * pidfd on the child; the other VM has no process to watch, so its
	 * files are read the old way (opened and closed each time). */
	held = open_fds() - before;
	assert_int_equal(held, have_pidfd() ? 24 + 1 + 1 : 1);
	/* A value rewritten in place is read anew (pread at offset 0). */
	snprintf(rel, sizeof(rel), "sys/kernel/debug/kvm/%d-11/async_pf_queued",
		 (int)child);
	put(rel, "12345\n");
	assert_int_equal(apf_sampler_take(s, &smp, NULL), 0);
	assert_int_equal(value(&smp, child, "async_pf_queued"), 12345);
	assert_int_equal(open_fds() - before, held);
	apf_sample_free(&smp);
	/* The VMM exits: its files are closed during the wait, at once. */
	assert_int_equal(kill(child, SIGTERM), 0);
	assert_int_equal(apf_sampler_wait(s, 300), 0);
	if (have_pidfd()) {
		assert_int_equal(open_fds() - before, held - 24 - 1);
		/* ... and the VM is not in the next sample (KVM removes its
		 * directory once the files are closed; the fixture keeps it). */
		assert_int_equal(apf_sampler_take(s, &smp, NULL), 0);
		assert_int_equal(smp.nvms, 1);
		assert_null(apf_sample_vm(&smp, child));
		apf_sample_free(&smp);
	}
	apf_sampler_close(s);
	assert_int_equal(open_fds(), before);
	waitpid(child, NULL, 0);
	child = -1;
}

static void test_reused_pid_new_vm_fd(void **state)
{
	struct apf_sampler_cfg cfg = { 0 };
	struct apf_sampler *s;
	struct apf_sample smp;
	char cmd[360];
	int err, i;

	(void)state;
	s = apf_sampler_open(&cfg, &err);
	assert_non_null(s);
	assert_int_equal(apf_sampler_take(s, &smp, NULL), 0);
	assert_int_equal(value(&smp, 2000000000, "async_pf_queued"), 600);
	apf_sample_free(&smp);
	/* The same pid, another VM fd, other values. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/sys/kernel/debug/kvm/2000000000-12'", root);
	assert_int_equal(system(cmd), 0);
	add_vm(2000000000, 13, 500);
	/* A VM seen before is re-read from /proc every 32 samples; its files
	 * follow its directory at once. */
	for (i = 0; i < 2; i++) {
		assert_int_equal(apf_sampler_take(s, &smp, NULL), 0);
		if (apf_sample_vm(&smp, 2000000000))
			break;
		apf_sample_free(&smp);
	}
	assert_int_equal(value(&smp, 2000000000, "async_pf_queued"), 1000);
	assert_string_equal(apf_sample_vm(&smp, 2000000000)->detail,
			    "/sys/kernel/debug/kvm/2000000000-13");
	apf_sample_free(&smp);
	apf_sampler_close(s);
}

/* A VMM that closes its VM fd and runs on: the files kept open (each a
 * reference on the VM) are closed at the next sample and the VM is not
 * reported, though its directory is still listed (KVM removes it only
 * once our references are gone; the fixture keeps it).  A VM on that fd
 * number again is read again. */
static void test_vm_fd_closed_under_us(void **state)
{
	struct apf_sampler_cfg cfg = { .vcpus = true, .hold_max_ms = 50 };
	struct apf_sampler *s;
	struct apf_sample smp;
	size_t before = open_fds(), held;
	int err, i;

	(void)state;
	s = apf_sampler_open(&cfg, &err);
	assert_non_null(s);
	assert_int_equal(apf_sampler_take(s, &smp, NULL), 0);
	assert_int_equal(value(&smp, 2000000000, "async_pf_queued"), 1000);
	apf_sample_free(&smp);
	held = open_fds() - before;
	assert_true(held >= 24);	/* its 8 + 2 x 8 stat files kept */
	for (i = 0; i < 2; i++) {
		/* Closed, then the number reused for something else. */
		vm_fd_link(2000000000, 13, i ? "/dev/null" : NULL);
		assert_int_equal(apf_sampler_take(s, &smp, NULL), 0);
		assert_null(apf_sample_vm(&smp, 2000000000));
		assert_int_equal(open_fds() - before, held - 24);
		apf_sample_free(&smp);
	}
	vm_fd_link(2000000000, 13, "anon_inode:kvm-vm");
	assert_int_equal(apf_sampler_take(s, &smp, NULL), 0);
	assert_int_equal(value(&smp, 2000000000, "async_pf_queued"), 1000);
	assert_int_equal(open_fds() - before, held);
	apf_sample_free(&smp);
	/* A long wait closes what is kept (a VM is not held between samples
	 * minutes apart); the next sample opens them again. */
	assert_int_equal(apf_sampler_wait(s, 40), 0);
	assert_int_equal(open_fds() - before, held);
	assert_int_equal(apf_sampler_wait(s, 60), 0);
	assert_int_equal(open_fds() - before, 1);	/* the total's file */
	apf_sampler_close(s);
	assert_int_equal(open_fds(), before);
}

/* A caller that waits by its own means (the hook's watcher polls its
 * VMM's pidfd) lets the kept files go before a long wait, not a short one. */
static void test_release_before_long_wait(void **state)
{
	struct apf_sampler_cfg cfg = { .vcpus = true, .hold_max_ms = 50 };
	struct apf_sampler *s;
	struct apf_sample smp;
	size_t before = open_fds(), held;
	int err;

	(void)state;
	s = apf_sampler_open(&cfg, &err);
	assert_non_null(s);
	assert_int_equal(apf_sampler_take(s, &smp, NULL), 0);
	apf_sample_free(&smp);
	held = open_fds() - before;
	assert_true(held >= 24);
	apf_sampler_release(s, 50);
	assert_int_equal(open_fds() - before, held);
	apf_sampler_release(s, 3600L * 1000);
	assert_int_equal(open_fds() - before, 1);	/* the total's file */
	assert_int_equal(apf_sampler_take(s, &smp, NULL), 0);
	assert_int_equal(value(&smp, 2000000000, "async_pf_queued"), 1000);
	apf_sample_free(&smp);
	assert_int_equal(open_fds() - before, held);
	apf_sampler_close(s);
	assert_int_equal(open_fds(), before);
}

/* After a failed QMP exchange: 1, 2, 4 ... 64 s, from the first. */
static void test_qmp_backoff(void **state)
{
	static const double want[] = { 1, 2, 4, 8, 16, 32, 64, 64, 64 };
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(*want); i++)
		assert_true(apf_qmp_backoff_s(i + 1) == want[i]);
	assert_true(apf_qmp_backoff_s(1000) == 64);
}

/* A VM read over QMP, then from debugfs while QMP backs off: two series
 * (QMP counts since QEMU started, debugfs since KVM made the VM, and the
 * sets differ), so no rate across them, and the host sum skips it. */
static void test_no_rate_across_sources(void **state)
{
	struct apf_vm_row pv = { .pid = 7, .source = APF_SRC_QMP, .time = 1.0 };
	struct apf_vm_row v = { .pid = 7, .source = APF_SRC_DEBUGFS, .time = 2.0 };
	struct apf_vm_row pw = { .pid = 8, .source = APF_SRC_QMP, .time = 1.0 };
	struct apf_vm_row w = { .pid = 8, .source = APF_SRC_QMP, .time = 3.0 };
	struct apf_vm_row prows[2], crows[2];
	struct apf_sample prev = { .vms = prows, .nvms = 2, .total_source = APF_SRC_SUM };
	struct apf_sample cur = { .vms = crows, .nvms = 2, .total_source = APF_SRC_SUM };
	double r = -1;

	(void)state;
	apf_counters_set(&pv.counters, "async_pf_queued", 100);
	apf_counters_set(&v.counters, "async_pf_queued", 5);
	apf_counters_set(&pw.counters, "async_pf_queued", 10);
	apf_counters_set(&w.counters, "async_pf_queued", 30);
	assert_true(apf_vm_dt(&v, &pv) == 0);
	assert_false(apf_rate(&pv.counters, &v.counters.v[0], apf_vm_dt(&v, &pv), &r));
	v.source = APF_SRC_QMP;
	assert_true(apf_vm_dt(&v, &pv) == 1.0);
	v.source = APF_SRC_DEBUGFS;
	prows[0] = pv;
	prows[1] = pw;
	crows[0] = v;
	crows[1] = w;
	/* The sum over the VM of one series only: (30 - 10) / 2 s. */
	assert_true(apf_total_rate(&cur, &prev, &v.counters.v[0], &r));
	assert_true(r == 10.0);
	apf_counters_free(&pv.counters);
	apf_counters_free(&v.counters);
	apf_counters_free(&pw.counters);
	apf_counters_free(&w.counters);
}

/* With few descriptors allowed, VMs past the budget are read the old way:
 * the same values, nothing held. */
static void test_fd_budget(void **state)
{
	struct apf_sampler_cfg cfg = { .vcpus = true };
	struct rlimit old, low;
	struct apf_sampler *s;
	struct apf_sample smp;
	size_t before = open_fds();
	int err;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	if (old.rlim_max != RLIM_INFINITY && old.rlim_max < 100)
		skip();
	low = old;
	low.rlim_cur = low.rlim_max = 100;	/* a budget of 50: one VM of 36 */
	if (setrlimit(RLIMIT_NOFILE, &low))
		skip();		/* valgrind keeps the limit to itself */
	s = apf_sampler_open(&cfg, &err);
	assert_non_null(s);
	assert_int_equal(apf_sampler_take(s, &smp, NULL), 0);
	assert_int_equal(value(&smp, 2000000000, "async_pf_queued"), 1000);
	assert_int_equal(apf_sample_vm(&smp, 2000000000)->nvcpus, 2);
	assert_true(open_fds() - before <= 50);
	apf_sample_free(&smp);
	apf_sampler_close(s);
	assert_int_equal(open_fds(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kept_open_and_following_the_files),
		cmocka_unit_test(test_reused_pid_new_vm_fd),
		cmocka_unit_test(test_vm_fd_closed_under_us),
		cmocka_unit_test(test_release_before_long_wait),
		cmocka_unit_test(test_qmp_backoff),
		cmocka_unit_test(test_no_rate_across_sources),
		cmocka_unit_test(test_fd_budget),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
