// SPDX-License-Identifier: GPL-2.0-only
/* What the libvirt hook's input and output rest on: lib/whole_write.c (the
 * migrate/restore answer goes out whole or not at all: libvirt keeps its
 * XML when the hook prints nothing, and fails the migration on half of
 * one) and lib/shell_defaults.c (/etc/default/apf sourced in a child
 * shell under a time limit, since the file can run anything). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "shell_defaults.h"
#include "whole_write.h"

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

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/apf-hookio-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	static const char *const names[] = { "out", "defaults", "fifo" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(*names); i++)
		unlink(at(names[i]));
	return rmdir(dir);
}

static char *pattern(size_t len)
{
	char *b = malloc(len);
	size_t i;

	assert_non_null(b);
	for (i = 0; i < len; i++)
		b[i] = (char)('a' + i % 26);
	return b;
}

/* Up to cap bytes, until end of file: from a pipe still open for
 * writing, ask only for what is there already. */
static size_t drain(int fd, char *into, size_t cap)
{
	size_t got = 0;
	ssize_t r;

	while (got < cap && (r = read(fd, into + got, cap - got)) > 0)
		got += (size_t)r;
	return got;
}

static int64_t later(int ms)
{
	return apf_now_ms() + ms;
}

static long queued(int fd)
{
	int n = -1;

	assert_int_equal(ioctl(fd, FIONREAD, &n), 0);
	return n;
}

/* ---------------------------------------------------------------- whole write */

static void test_pipe_small_and_grown(void **state)
{
	/* 5 KiB (a typical domain XML) fits the default 64 KiB pipe; 256 KiB
	 * needs the pipe grown (allowed to anyone up to pipe-max-size, 1 MiB
	 * by default).  Nobody reads while it writes: it must not block. */
	static const size_t sizes[] = { 5000, 256 << 10 };
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		char *b = pattern(sizes[i]), *back = malloc(sizes[i] + 1);
		int p[2], flags;

		assert_non_null(back);
		assert_int_equal(pipe(p), 0);
		flags = fcntl(p[1], F_GETFL);
		assert_int_equal(apf_write_whole(p[1], b, sizes[i], later(1000)), 0);
		assert_int_equal(queued(p[0]), (long)sizes[i]);
		/* Its blocking mode is given back. */
		assert_int_equal(fcntl(p[1], F_GETFL), flags);
		close(p[1]);
		assert_int_equal(drain(p[0], back, sizes[i] + 1), sizes[i]);
		assert_memory_equal(b, back, sizes[i]);
		close(p[0]);
		free(b);
		free(back);
	}
}

static void test_pipe_beside_queued_bytes(void **state)
{
	char *b = pattern(40000), junk[30000];
	int p[2];

	(void)state;
	memset(junk, 'x', sizeof(junk));
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], junk, sizeof(junk)), (ssize_t)sizeof(junk));
	/* 30000 + 40000 bytes do not fit 64 KiB: it grows the pipe first. */
	assert_int_equal(apf_write_whole(p[1], b, 40000, later(1000)), 0);
	assert_int_equal(queued(p[0]), 70000);
	close(p[0]);
	close(p[1]);
	free(b);
}

/* A pipe that cannot grow enough (over pipe-max-size, without
 * CAP_SYS_RESOURCE): nothing is written, not even part.  As root, the
 * effective uid goes to nobody for the call (which drops the effective
 * capabilities; the saved uid brings them back). */
static void test_pipe_without_room_gets_nothing(void **state)
{
	long max = 0;
	FILE *f = fopen("/proc/sys/fs/pipe-max-size", "r");
	size_t len;
	char *b;
	int p[2], err;

	(void)state;
	if (f) {
		if (fscanf(f, "%ld", &max) != 1)
			max = 0;
		fclose(f);
	}
	if (max <= 0 || max > (64L << 20))
		skip();
	len = (size_t)max + 4096;
	b = pattern(len);
	assert_int_equal(pipe(p), 0);
	if (geteuid() == 0)
		assert_int_equal(seteuid(65534), 0);
	err = apf_write_whole(p[1], b, len, later(1000));
	if (getuid() == 0)
		assert_int_equal(seteuid(0), 0);
	assert_int_equal(err, -EAGAIN);
	assert_int_equal(queued(p[0]), 0);
	close(p[0]);
	close(p[1]);
	free(b);
}

static void test_regular_file_and_others(void **state)
{
	char *b = pattern(300000), *back = malloc(300001);
	int fd, s[2];

	(void)state;
	assert_non_null(back);
	fd = open(at("out"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(apf_write_whole(fd, b, 300000, later(1000)), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(drain(fd, back, 300001), 300000);
	assert_memory_equal(b, back, 300000);
	close(fd);
	/* Not a pipe or a file: a terminal, /dev/null, a socket. */
	fd = open("/dev/null", O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(apf_write_whole(fd, b, 10, later(1000)), -ENOTSUP);
	close(fd);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
	assert_int_equal(apf_write_whole(s[0], b, 10, later(1000)), -ENOTSUP);
	close(s[0]);
	close(s[1]);
	assert_int_equal(apf_write_whole(-1, b, 10, later(1000)), -EBADF);
	free(b);
	free(back);
}

struct reader {
	int fd;
	char *into;
	size_t cap, got;
};

static void *late_reader(void *arg)
{
	struct reader *rd = arg;

	usleep(50000);
	rd->got = drain(rd->fd, rd->into, rd->cap);
	return NULL;
}

/* The rest of a write that came back short (a pipe shrunk under us, no
 * memory for its pages): it follows as the reader makes room, and stops at
 * the deadline when nobody reads, with the count of what went out. */
static void test_rest_follows_until_the_deadline(void **state)
{
	const size_t len = 200000;
	char *b = pattern(len), *back = malloc(len + 1);
	struct reader rd;
	pthread_t t;
	int64_t t0;
	ssize_t w;
	int p[2];

	(void)state;
	assert_non_null(back);
	assert_int_equal(pipe(p), 0);
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 65536) >= 0);
	assert_int_equal(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	/* Nobody reads: what fits, then the deadline. */
	t0 = apf_now_ms();
	w = apf_write_until(p[1], b, len, t0 + 150);
	assert_true(apf_now_ms() - t0 >= 140);
	assert_true(w > 0 && w < (ssize_t)len);
	assert_int_equal(queued(p[0]), w);
	/* Full, nobody reads, deadline past: nothing, and no wait. */
	assert_int_equal(apf_write_until(p[1], b, 10, t0), -ETIMEDOUT);
	assert_int_equal(drain(p[0], back, (size_t)w), (size_t)w);
	assert_memory_equal(b, back, (size_t)w);
	/* A reader that comes after 50 ms and takes everything: all of it. */
	rd.fd = p[0];
	rd.into = back;
	rd.cap = len + 1;
	assert_int_equal(pthread_create(&t, NULL, late_reader, &rd), 0);
	assert_int_equal(apf_write_until(p[1], b, len, apf_now_ms() + 10000),
			 (ssize_t)len);
	close(p[1]);
	assert_int_equal(pthread_join(t, NULL), 0);
	close(p[0]);
	assert_int_equal(rd.got, len);
	assert_memory_equal(b, back, len);
	/* The reader gone: an error, not a wait for the deadline (SIGPIPE
	 * ignored, as a write to a closed pipe would otherwise end us). */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(apf_write_until(p[1], b, 10, apf_now_ms() + 10000), -EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
	free(b);
	free(back);
}

/* ---------------------------------------------------------------- defaults */

static const char *const apf_names[] = { "APF_*", "LIBVIRT_DEFAULT_URI", NULL };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_defaults_set_wanted_names_only(void **state)
{
	char why[200];
	int n = -1;

	(void)state;
	unsetenv("APF_T_A");
	unsetenv("APF_T_B");
	unsetenv("APF_T_NL");
	unsetenv("APF_T_OTHER_NOT");
	put("defaults",
	    "# /etc/default/apf\n"
	    "APF_T_A=/var/tmp/a\n"
	    "APF_T_B=\"$APF_T_A/with space\"\n"
	    "APF_T_NL='two\nlines'\n"
	    "NOT_APF_T=1\n"
	    "LIBVIRT_DEFAULT_URI=qemu:///session\n"
	    "echo noise; echo more noise >&2\n"
	    "false\n");
	assert_int_equal(apf_shell_defaults(at("defaults"), apf_names, 5000, &n, why,
					    sizeof(why)), 0);
	assert_true(n >= 3);
	assert_string_equal(getenv("APF_T_A"), "/var/tmp/a");
	assert_string_equal(getenv("APF_T_B"), "/var/tmp/a/with space");
	assert_string_equal(getenv("LIBVIRT_DEFAULT_URI"), "qemu:///session");
	assert_null(getenv("APF_T_NL"));
	assert_null(getenv("NOT_APF_T"));
	unsetenv("LIBVIRT_DEFAULT_URI");
}

static void test_defaults_missing_broken_exiting(void **state)
{
	char why[200];
	int n = -1;

	(void)state;
	unsetenv("APF_T_C");
	assert_int_equal(apf_shell_defaults(at("nonexistent"), apf_names, 5000, &n, why,
					    sizeof(why)), -ENOENT);
	assert_int_equal(n, 0);
	put("defaults", "APF_T_C=1\nAPF_T_D=(\n");
	assert_int_equal(apf_shell_defaults(at("defaults"), apf_names, 5000, &n, why,
					    sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "does not parse"));
	assert_null(getenv("APF_T_C"));
	put("defaults", "APF_T_C=1\nexit 3\n");
	assert_int_equal(apf_shell_defaults(at("defaults"), apf_names, 5000, &n, why,
					    sizeof(why)), -ECHILD);
	assert_non_null(strstr(why, "status 3"));
	assert_null(getenv("APF_T_C"));
}

static void test_defaults_that_hang_are_cut_off(void **state)
{
	char why[200];
	double t0;
	int fd;

	(void)state;
	unsetenv("APF_T_E");
	put("defaults", "APF_T_E=1\nsleep 30\n");
	t0 = now_s();
	assert_int_equal(apf_shell_defaults(at("defaults"), apf_names, 300, NULL, why,
					    sizeof(why)), -ETIMEDOUT);
	assert_true(now_s() - t0 < 2.0);
	assert_null(getenv("APF_T_E"));
	/* A FIFO where the file should be: the shell blocks opening it. */
	assert_int_equal(mkfifo(at("fifo"), 0600), 0);
	t0 = now_s();
	assert_int_equal(apf_shell_defaults(at("fifo"), apf_names, 300, NULL, why,
					    sizeof(why)), -ETIMEDOUT);
	assert_true(now_s() - t0 < 2.0);
	/* Let the shell left blocked on it go. */
	fd = open(at("fifo"), O_WRONLY | O_NONBLOCK);
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipe_small_and_grown),
		cmocka_unit_test(test_pipe_beside_queued_bytes),
		cmocka_unit_test(test_pipe_without_room_gets_nothing),
		cmocka_unit_test(test_regular_file_and_others),
		cmocka_unit_test(test_rest_follows_until_the_deadline),
		cmocka_unit_test(test_defaults_set_wanted_names_only),
		cmocka_unit_test(test_defaults_missing_broken_exiting),
		cmocka_unit_test(test_defaults_that_hang_are_cut_off),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
