// SPDX-License-Identifier: GPL-2.0-only
/* lib/fileio.c readers against what is not a regular file: each must fail
 * at once with a named error, never block (a FIFO without a writer blocks
 * a blocking open or read forever; this test would hang, not fail). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bounded.h"
#include "clock.h"
#include "counters.h"
#include "fileio.h"
#include "kvm_debugfs.h"
#include "sysroot.h"

static char dir[PATH_MAX];

static const char *at(const char *name)
{
	static char path[PATH_MAX];

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) <
		    sizeof(path));
	return path;
}

static void put(const char *name, const char *text)
{
	FILE *f = fopen(at(name), "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void make_socket(const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(s >= 0);
	assert_true(strlen(at(name)) < sizeof(a.sun_path));
	strcpy(a.sun_path, at(name));
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	close(s);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/apf-fileio-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	put("regular", "42\n");
	if (mkfifo(at("fifo"), 0600) || mkdir(at("dir"), 0700) ||
	    symlink("/dev/null", at("devnull")) ||
	    symlink("/dev/zero", at("devzero")) ||
	    symlink("gone", at("vanished")))
		return -1;
	make_socket("socket");
	return 0;
}

static int teardown(void **state)
{
	static const char *const names[] = {
		"regular", "fifo", "devnull", "devzero", "vanished", "socket",
		"big", "out", "fifo2",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(*names); i++)
		unlink(at(names[i]));
	rmdir(at("dir"));
	rmdir(dir);
	return 0;
}

/* Each reader on each kind of non-file. */
static void expect_all(const char *name, int want)
{
	char buf[32], *text = (char *)"unchanged";
	uint64_t v;

	assert_int_equal(apf_read_file(at(name), buf, sizeof(buf)), want);
	assert_int_equal(apf_slurp(at(name), 1 << 16, &text), want);
	assert_null(text);
	assert_int_equal(apf_read_u64(at(name), &v), want);
	assert_int_equal(apf_open_regular_at(AT_FDCWD, at(name), 0), want);
}

static void test_regular(void **state)
{
	char buf[32], *text;
	uint64_t v;

	(void)state;
	assert_int_equal(apf_read_file(at("regular"), buf, sizeof(buf)), 3);
	assert_string_equal(buf, "42\n");
	assert_int_equal(apf_slurp(at("regular"), 64, &text), 3);
	assert_string_equal(text, "42\n");
	free(text);
	assert_int_equal(apf_read_u64(at("regular"), &v), 0);
	assert_int_equal(v, 42);
	assert_true(apf_is_regular(at("regular")));
}

static void test_fifo(void **state)
{
	(void)state;
	expect_all("fifo", -APF_EFTYPE);
	assert_false(apf_is_regular(at("fifo")));
	/* No reader: a blocking open for writing would wait forever. */
	assert_int_equal(apf_write_file(at("fifo"), "1"), -ENXIO);
}

static void test_socket(void **state)
{
	(void)state;
	expect_all("socket", -APF_EFTYPE);
}

static void test_devices(void **state)
{
	(void)state;
	expect_all("devnull", -APF_EFTYPE);
	/* /dev/zero would fill every buffer up to its limit. */
	expect_all("devzero", -APF_EFTYPE);
	assert_int_equal(apf_write_file(at("devnull"), "1"), -APF_EFTYPE);
}

static void test_directory_and_vanished(void **state)
{
	(void)state;
	expect_all("dir", -EISDIR);
	expect_all("vanished", -ENOENT);
}

static void test_size_bound(void **state)
{
	char *text = NULL;
	char big[200];

	(void)state;
	memset(big, '7', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put("big", big);
	assert_int_equal(apf_slurp(at("big"), 100, &text), -EFBIG);
	assert_null(text);
	assert_int_equal(apf_open_regular_at(AT_FDCWD, at("big"), 100), -EFBIG);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(apf_strerror(-APF_EFTYPE), "Not a regular file");
	assert_string_equal(apf_strerror(APF_EFTYPE), "Not a regular file");
	assert_string_equal(apf_strerror(-ENOENT), strerror(ENOENT));
}

/* Nothing but the written files is left in the directory. */
static size_t entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.' || strstr(de->d_name, ".tmp") != NULL;
	closedir(d);
	return n;
}

static void test_read_fd_and_write_all(void **state)
{
	char *text = NULL;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(apf_write_all(p[1], "abc\n", 4), 0);
	close(p[1]);
	assert_int_equal(apf_read_fd(p[0], 64, &text), 4);
	assert_string_equal(text, "abc\n");
	free(text);
	close(p[0]);
	/* Over the limit: refused, nothing returned. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(apf_write_all(p[1], "0123456789", 10), 0);
	close(p[1]);
	assert_int_equal(apf_read_fd(p[0], 8, &text), -EFBIG);
	assert_null(text);
	close(p[0]);
	/* A reader that went away: EPIPE (SIGPIPE ignored here). */
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	assert_int_equal(apf_write_all(p[1], "x", 1), -EPIPE);
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);
}

static void test_write_atomic(void **state)
{
	char buf[32];
	size_t before = entries();

	(void)state;
	assert_int_equal(apf_write_atomic(at("out"), "one\n", 4, 0600), 0);
	assert_int_equal(apf_read_file(at("out"), buf, sizeof(buf)), 4);
	assert_string_equal(buf, "one\n");
	assert_int_equal(apf_write_atomic(at("out"), "two\n", 4, 0600), 0);
	assert_int_equal(apf_read_file(at("out"), buf, sizeof(buf)), 4);
	assert_string_equal(buf, "two\n");
	/* A FIFO at the target is replaced, never opened (it would block). */
	assert_int_equal(mkfifo(at("fifo2"), 0600), 0);
	assert_int_equal(apf_write_atomic(at("fifo2"), "3\n", 2, 0600), 0);
	assert_true(apf_is_regular(at("fifo2")));
	/* A directory at the target: an error, and no temporary left. */
	assert_int_equal(apf_write_atomic(at("dir"), "x", 1, 0600), -EISDIR);
	assert_int_equal(apf_write_atomic("/nonexistent-apf/x", "x", 1, 0600), -ENOENT);
	assert_int_equal(entries(), before + 2);
}

/* debugfs: a FIFO among the stat files is an error of that file only; the
 * others still read, and a directory where all are FIFOs names why. */
#define KVM "sys/kernel/debug/kvm"
static void test_debugfs_fifo(void **state)
{
	static const char *const dirs[] = {
		"sys", "sys/kernel", "sys/kernel/debug", KVM,
	};
	struct apf_counters c = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dirs) / sizeof(*dirs); i++)
		assert_int_equal(mkdir(at(dirs[i]), 0700), 0);
	assert_int_equal(mkfifo(at(KVM "/async_pf_ready"), 0600), 0);
	apf_sysroot_set(dir);
	assert_int_equal(apf_debugfs_read_stats("", false, &c), -APF_EFTYPE);
	apf_counters_free(&c);
	put(KVM "/async_pf_queued", "5\n");
	put(KVM "/exits", "7\n");
	assert_int_equal(apf_debugfs_read_stats("", false, &c), 2);
	assert_non_null(apf_counters_find(&c, "async_pf_queued"));
	assert_null(apf_counters_find(&c, "async_pf_ready"));
	apf_counters_free(&c);
	assert_int_equal(apf_debugfs_read_stats("", true, &c), 2);
	apf_counters_free(&c);
	assert_false(apf_debugfs_has_stat("async_pf_ready"));
	assert_true(apf_debugfs_has_stat("async_pf_queued"));
	apf_sysroot_set(NULL);
	unlink(at(KVM "/async_pf_ready"));
	unlink(at(KVM "/async_pf_queued"));
	unlink(at(KVM "/exits"));
	for (i = sizeof(dirs) / sizeof(*dirs); i > 0; i--)
		rmdir(at(dirs[i - 1]));
}

/* A reader that blocks as a read of /proc/PID/cmdline does while the
 * process holds its mmap_lock: a FIFO opened in blocking mode waits for
 * a writer that only the test brings. */
static ssize_t blocking_reader(const char *path, size_t limit, char **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = apf_read_fd(fd, limit, out);
	close(fd);
	return n;
}

/* Let the stuck workers go: a writer opens (each blocked open returns)
 * and closes (each read sees EOF); then they free their jobs. */
static void release_stuck(const char *fifo)
{
	int64_t until = apf_now_ms() + 5000;

	while (apf_bounded_stuck() && apf_now_ms() < until) {
		int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

		if (fd >= 0)
			close(fd);
		usleep(10000);
	}
	assert_int_equal(apf_bounded_stuck(), 0);
}

static atomic_int worker_sigint_blocked = -1;

/* Records whether SIGINT is blocked in the worker thread. */
static ssize_t mask_reader(const char *path, size_t limit, char **out)
{
	sigset_t cur;

	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	atomic_store(&worker_sigint_blocked, sigismember(&cur, SIGINT));
	return apf_slurp(path, limit, out);
}

/* A negative timeout is none (not an endless wait on EINVAL); signals
 * are left to the caller's thread. */
static void test_read_within_edges(void **state)
{
	char *buf = NULL;
	int64_t t0;
	ssize_t n;

	(void)state;
	t0 = apf_now_ms();
	n = apf_read_within(blocking_reader, at("fifo"), 100, -999, &buf);
	assert_int_equal(n, -ETIMEDOUT);
	assert_true(apf_now_ms() - t0 < 1000);
	release_stuck(at("fifo"));
	n = apf_read_within(mask_reader, at("regular"), 100, 2000, &buf);
	assert_int_equal(n, 3);
	free(buf);
	assert_int_equal(atomic_load(&worker_sigint_blocked), 1);
}

static void test_read_within_deadline(void **state)
{
	int64_t t0;
	char *buf = NULL;
	ssize_t n;
	int i;

	(void)state;
	/* In time: the reader's own result. */
	n = apf_read_within(apf_slurp, at("regular"), 100, 2000, &buf);
	assert_int_equal(n, 3);
	assert_string_equal(buf, "42\n");
	free(buf);
	assert_int_equal(apf_read_within(apf_slurp, at("fifo"), 100, 2000, &buf),
			 -APF_EFTYPE);
	/* A reader that never returns by itself: -ETIMEDOUT at the
	 * deadline, not a hang. */
	t0 = apf_now_ms();
	n = apf_read_within(blocking_reader, at("fifo"), 100, 150, &buf);
	assert_int_equal(n, -ETIMEDOUT);
	assert_null(buf);
	assert_true(apf_now_ms() - t0 >= 140 && apf_now_ms() - t0 < 3000);
	assert_int_equal(apf_bounded_stuck(), 1);
	/* Up to APF_BOUNDED_STUCK_MAX stuck; then no more threads, at once. */
	for (i = 1; i < APF_BOUNDED_STUCK_MAX; i++)
		assert_int_equal(apf_read_within(blocking_reader, at("fifo"), 100, 20,
						 &buf), -ETIMEDOUT);
	t0 = apf_now_ms();
	assert_int_equal(apf_read_within(apf_slurp, at("regular"), 100, 2000, &buf),
			 -EBUSY);
	assert_true(apf_now_ms() - t0 < 100);
	release_stuck(at("fifo"));
	/* Once they ended, reads run again. */
	n = apf_read_within(apf_slurp, at("regular"), 100, 2000, &buf);
	assert_int_equal(n, 3);
	free(buf);
}

/* A burst of calls shares one worker (a thread each cost ~45 us against
 * ~1 us for the read), also in a child forked while a worker idles. */
static void test_read_within_reuses_worker(void **state)
{
	unsigned int before;
	char *buf = NULL, answer = 0;
	int i, status, fds[2];
	struct pollfd pfd;
	pid_t pid;

	(void)state;
	before = apf_bounded_threads_created();
	for (i = 0; i < 100; i++) {
		assert_int_equal(apf_read_within(apf_slurp, at("regular"), 100, 2000, &buf), 3);
		free(buf);
	}
	assert_true(apf_bounded_threads_created() - before <= 2);
	/* The child answers over a pipe and is killed: a checker's report at
	 * its exit (the parent's thread copied in) is not the test's. */
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		char ok = 1;

		/* Several hand-offs, each well within the worker's idle second:
		 * a lost wake-up would show as a timeout, a stuck one as no
		 * answer. */
		for (i = 0; i < 8; i++) {
			ok &= apf_read_within(apf_slurp, at("regular"), 100, 400, &buf) == 3;
			free(buf);
			usleep(20000);
		}
		if (write(fds[1], &ok, 1) != 1)
			_exit(1);
		pause();
		_exit(1);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	assert_int_equal(read(fds[0], &answer, 1), 1);
	close(fds[0]);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(answer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular),
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_socket),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_directory_and_vanished),
		cmocka_unit_test(test_size_bound),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_debugfs_fifo),
		cmocka_unit_test(test_read_fd_and_write_all),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_read_within_deadline),
		cmocka_unit_test(test_read_within_edges),
		cmocka_unit_test(test_read_within_reuses_worker),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
