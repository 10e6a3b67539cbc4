// SPDX-License-Identifier: GPL-2.0-only
/* lib/hook.h and lib/hook_log.h, the libvirt hook's library, without the
 * hook: its log lines, state documents, release record, virsh calls and
 * the watcher, against a scratch directory, a fake virsh and a child
 * process standing in for QEMU.  What libvirt sees of them (exit codes,
 * the deadline, stdin and stdout) is tests/cli/test_hook.py's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "clock.h"
#include "fileio.h"
#include "hook.h"
#include "hook_log.h"
#include "sanitize.h"

static char dir[PATH_MAX];
static struct apf_hook_cfg cfg;

static const char *at(const char *name)
{
	static char path[4][PATH_MAX];
	static unsigned int next;
	char *p = path[next++ % 4];

	assert_true((size_t)snprintf(p, PATH_MAX, "%s/%s", dir, name) < PATH_MAX);
	return p;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *path)
{
	char *text = NULL;
	ssize_t n = apf_slurp(path, 1 << 20, &text);

	assert_true(n >= 0);
	assert_non_null(text);
	return text;
}

/* virsh -c URI qemu-monitor-command --domain NAME --cmd JSON, as a stock
 * or an APF Suite QEMU would answer through libvirt: "patched" is apf1 to
 * apf3 (qom-get/qom-set only), "apf4" has query-async-pf/set-async-pf;
 * "nocap" and "nocap4" are those on a host kernel without
 * KVM_CAP_DISABLE_ASYNC_PF.  Every command line goes to virsh.log. */
static const char fake_virsh[] =
	"#!/bin/sh\n"
	"cmd=$7\n"
	"echo \"$cmd\" >> \"${FAKE_VIRSH_STATE%.state}.log\"\n"
	"nocmd='{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"x\"}}'\n"
	"case \"$FAKE_VIRSH_MODE\" in\n"
	"get) echo '{\"return\":true,\"id\":\"libvirt-1\"}';;\n"
	"patched|nocap) case \"$cmd\" in\n"
	"  *'-async-pf\"'*) echo \"$nocmd\";;\n"
	"  *qom-get*) echo \"{\\\"return\\\":$(cat \"$FAKE_VIRSH_STATE\")}\";;\n"
	"  *'\"value\":false'*) if [ $FAKE_VIRSH_MODE = nocap ]; then\n"
	"    echo '{\"error\":{\"class\":\"GenericError\",\"desc\":\"async-pf=off "
	"needs KVM_CAP_DISABLE_ASYNC_PF\"}}'; else\n"
	"    echo false > \"$FAKE_VIRSH_STATE\"; echo '{\"return\":{}}'; fi;;\n"
	"  *'\"value\":true'*) echo true > \"$FAKE_VIRSH_STATE\"; echo '{\"return\":{}}';;\n"
	"  esac;;\n"
	"apf4|nocap4) case \"$cmd\" in\n"
	"  *query-async-pf*) echo \"{\\\"return\\\":{\\\"enabled\\\":$(cat \"$FAKE_VIRSH_STATE\"),"
	"\\\"switchable\\\":$([ $FAKE_VIRSH_MODE = apf4 ] && echo true || echo false),\\\"vcpus\\\":[]}}\";;\n"
	"  *set-async-pf*false*) if [ $FAKE_VIRSH_MODE = nocap4 ]; then\n"
	"    echo '{\"error\":{\"class\":\"KVMMissingCap\",\"desc\":\"async-pf=off "
	"needs KVM_CAP_DISABLE_ASYNC_PF, which this host kernel does not support\"}}'; else\n"
	"    echo false > \"$FAKE_VIRSH_STATE\"; echo '{\"return\":{}}'; fi;;\n"
	"  *set-async-pf*true*) echo true > \"$FAKE_VIRSH_STATE\"; echo '{\"return\":{}}';;\n"
	"  *) echo '{\"error\":{\"class\":\"GenericError\",\"desc\":\"qom is not for apf4 here\"}}';;\n"
	"  esac;;\n"
	"stock) case \"$cmd\" in\n"
	"  *'-async-pf\"'*) echo \"$nocmd\";;\n"
	"  *) echo '{\"error\":{\"class\":\"DeviceNotFound\",\"desc\":\"no accel\"}}';;\n"
	"  esac;;\n"
	"nocmd) echo \"$nocmd\";;\n"
	"nocapcls) echo '{\"error\":{\"class\":\"KVMMissingCap\",\"desc\":\"y\"}}';;\n"
	"ioctl) echo '{\"error\":{\"class\":\"GenericError\",\"desc\":\"KVM_CAP_DISABLE_ASYNC_PF: "
	"failed to disable asynchronous page faults: Invalid argument\"}}';;\n"
	"generic) echo '{\"error\":{\"class\":\"GenericError\",\"desc\":\"busy\"}}';;\n"
	"noreturn) echo '{\"id\":\"libvirt-1\"}';;\n"
	"garbage) echo 'not json';;\n"
	"fail) echo \"error: failed to get domain '$5'\" >&2; exit 1;;\n"
	"esac\n";

static int setup(void **state)
{
	static const char *const env[] = {
		"APF_STATE_DIR", "APF_RUN_DIR", "APF_HOOK_LOG", "APF_HOOK_SPAWN",
		"APF_VIRSH", "APF_LIBVIRT_RUN_DIR", "APF_WATCH_INTERVAL",
		"APF_APPLY_TIMEOUT_MS",
	};
	size_t i;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/apf-hooklib-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	for (i = 0; i < sizeof(env) / sizeof(*env); i++)
		unsetenv(env[i]);
	setenv("APF_RUN_DIR", at("run"), 1);
	setenv("APF_STATE_DIR", at("state"), 1);
	setenv("APF_LIBVIRT_RUN_DIR", dir, 1);
	setenv("APF_VIRSH", at("virsh"), 1);
	setenv("APF_WATCH_INTERVAL", "1", 1);
	setenv("APF_APPLY_TIMEOUT_MS", "5000", 1);
	setenv("FAKE_VIRSH_STATE", at("virsh.state"), 1);
	put(at("virsh"), fake_virsh);
	put(at("virsh.state"), "true\n");
	chmod(at("virsh"), 0755);
	apf_hook_cfg_load(&cfg, "9.9.9");
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	apf_log_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- config */

static void test_cfg(void **state)
{
	struct apf_hook_cfg c;

	(void)state;
	setenv("APF_HOOK_DEADLINE_MS", "12", 1);	/* under 50: the default */
	setenv("APF_HOOK_SPAWN", "", 1);		/* empty: the default */
	apf_hook_cfg_load(&c, "1.2.3");
	assert_int_equal(c.deadline_ms, 800);
	assert_string_equal(c.spawn, "auto");
	assert_string_equal(c.run_dir, at("run"));
	assert_string_equal(c.version, "1.2.3");
	assert_int_equal(c.interval_s, 1);
	setenv("APF_HOOK_DEADLINE_MS", "20000", 1);
	apf_hook_cfg_load(&c, NULL);
	assert_int_equal(c.deadline_ms, 20000);
	unsetenv("APF_HOOK_DEADLINE_MS");
	unsetenv("APF_HOOK_SPAWN");
}

/* ---------------------------------------------------------------- log */

static void test_log_lines(void **state)
{
	char *text, *nl;
	char big[3000];

	(void)state;
	assert_int_equal(apf_log_open(at("hook.log"), false), 0);
	apf_log_context("web\x1b]0;x\x07" "1", "started");
	apf_log(LOG_INFO, "policy %s: %s", "async-pf=off", "line\nbreak\r\x9b");
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	apf_log(LOG_INFO, "%s", big);
	apf_log_close();
	text = slurp(at("hook.log"));
	/* "TIME apf-hook[PID]: DOMAIN OP: MESSAGE", one line per event,
	 * every control character encoded. */
	nl = strchr(text, '\n');
	assert_non_null(nl);
	*nl = '\0';
	assert_non_null(strstr(text, "Z apf-hook["));
	assert_non_null(strstr(text, "]: web\\x1b]0;x\\x071 started: policy "
			       "async-pf=off: line\\x0abreak\\x0d\\x9b"));
	assert_non_null(strchr(nl + 1, '\n'));
	assert_int_equal(strchr(nl + 1, '\n')[1], '\0');
	free(text);
}

static void make_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
}

/* A log file that is not a file: refused at once (a FIFO without a
 * reader would block a plain open(O_WRONLY) forever). */
static void test_log_file_hostile(void **state)
{
	(void)state;
	assert_int_equal(mkfifo(at("log.fifo"), 0600), 0);
	assert_int_equal(apf_log_open(at("log.fifo"), false), -APF_EFTYPE);
	assert_int_equal(apf_log_fd(), -1);
	assert_int_equal(mkdir(at("log.dir"), 0700), 0);
	assert_int_equal(apf_log_open(at("log.dir"), false), -EISDIR);
	assert_int_equal(symlink("/dev/null", at("log.null")), 0);
	assert_int_equal(apf_log_open(at("log.null"), false), -APF_EFTYPE);
	make_socket(at("log.sock"));
	assert_int_equal(apf_log_open(at("log.sock"), false), -APF_EFTYPE);
	/* Logging without a file still works (and writes nowhere here). */
	apf_log(LOG_INFO, "nowhere");
}

/* Not opened at all when it is not a file: a FIFO with a reader (where
 * a non-blocking open for writing succeeds) never sees a writer come
 * and go (POLLHUP on its read end would say one did). */
static void test_log_file_not_opened(void **state)
{
	struct pollfd p = { .events = POLLIN };

	(void)state;
	assert_int_equal(mkfifo(at("log.fifo2"), 0600), 0);
	p.fd = open(at("log.fifo2"), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(p.fd >= 0);
	assert_int_equal(apf_log_open(at("log.fifo2"), false), -APF_EFTYPE);
	assert_int_equal(poll(&p, 1, 0), 0);
	assert_false(p.revents & POLLHUP);
	close(p.fd);
}

/* ---------------------------------------------------------------- clock */

static char self_exe[PATH_MAX];	/* this test binary, for a fresh child */

static void iso_of(int64_t sec, char *want, size_t cap)
{
	time_t t = (time_t)sec;
	struct tm tm;

	assert_non_null(gmtime_r(&t, &tm));
	snprintf(want, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, 123);
}

/* apf_iso_time() does its own UTC arithmetic: the same text as gmtime_r()
 * on leap days, century years, before 1970 and far ahead. */
static void test_iso_time_matches_gmtime(void **state)
{
	static const int64_t edges[] = {
		0, -1, 59, 86399, 86400, -86400, -86401, 951782400 /* 2000-02-29 */,
		951868800, 4107542400 /* 2100-03-01 */, 4107455999, -2208988800,
		-2203891200 /* 1900-03-01 */, 1796083200 /* 2026-12-01 */,
		253402300799 /* 9999-12-31T23:59:59 */, -62135596800 /* 0001-01-01 */,
	};
	char got[APF_ISO_TIME_LEN], want[96];	/* room for any int in %04d */
	struct timespec ts = { .tv_nsec = 123456789 };
	int64_t s;

	(void)state;
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		ts.tv_sec = (time_t)edges[i];
		iso_of(edges[i], want, sizeof(want));
		assert_string_equal(apf_iso_time(got, sizeof(got), &ts, true), want);
	}
	/* Every day from 1600 to 2400, at a time of day that moves. */
	for (s = -11676096000LL; s < 13569465600LL; s += 86400 + 3607) {
		ts.tv_sec = (time_t)s;
		iso_of(s, want, sizeof(want));
		assert_string_equal(apf_iso_time(got, sizeof(got), &ts, true), want);
	}
	ts.tv_sec = 951782400 + 3661;
	assert_string_equal(apf_iso_time(got, sizeof(got), &ts, false),
			    "2000-02-29T01:01:01Z");
}

/* ... without ever loading a time zone: glibc's gmtime_r() opens TZ's file
 * on its first call, and the hook's deadline (_exit from a signal handler)
 * landing there leaves its FILE allocated.  A child whose TZ names a FIFO
 * nobody writes would hang in that open; this one must not. */
static void test_iso_time_loads_no_zone(void **state)
{
	char fifo[] = "/tmp/apf-tz-XXXXXX", path[64], tzv[80];
	int status;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(fifo));
	snprintf(path, sizeof(path), "%s/zone", fifo);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(tzv, sizeof(tzv), ":%s", path);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		/* A fresh image: no time zone loaded by anything before.
		 * make check-cross runs this binary under qemu-user without
		 * binfmt_misc; the kernel cannot exec it again by itself, so
		 * the emulator comes first (APF_TEST_EXEC_WRAPPER). */
		const char *wrap = getenv("APF_TEST_EXEC_WRAPPER");

		if (wrap && *wrap)
			execlp(wrap, wrap, self_exe, "--iso-time-child", tzv, (char *)NULL);
		else
			execl(self_exe, self_exe, "--iso-time-child", tzv, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(path);
	rmdir(fifo);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The child of test_iso_time_loads_no_zone: TZ set before anything runs,
 * 3 s to produce a time (SIGALRM's default action ends it otherwise). */
static int iso_time_child(const char *tz)
{
	char buf[APF_ISO_TIME_LEN];

	if (setenv("TZ", tz, 1))
		return 2;
	alarm(3);
	apf_iso_time(buf, sizeof(buf), NULL, true);
	return strlen(buf) == 24 && buf[23] == 'Z' ? 0 : 1;
}

/* ---------------------------------------------------------------- state */

static void test_names(void **state)
{
	char big[APF_LOG_NAME_MAX + 2];

	(void)state;
	assert_true(apf_hook_name_usable("web1"));
	assert_true(apf_hook_name_usable("web 1-\xc3\xa9.x"));
	assert_true(apf_hook_name_usable("...x"));
	assert_false(apf_hook_name_usable(""));
	assert_false(apf_hook_name_usable("."));
	assert_false(apf_hook_name_usable(".."));
	assert_false(apf_hook_name_usable("a/b"));
	assert_false(apf_hook_name_usable("a\nb"));
	assert_false(apf_hook_name_usable("a\x7f"));
	memset(big, 'n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_false(apf_hook_name_usable(big));
	big[APF_LOG_NAME_MAX] = '\0';
	assert_true(apf_hook_name_usable(big));
}

static void test_state_round_trip(void **state)
{
	char path[PATH_MAX], small[16];
	struct json_object *o, *back;
	int err;

	(void)state;
	assert_int_equal(apf_hook_state_path(path, sizeof(path), at("deep/er"), "web1"), 0);
	assert_string_equal(path, at("deep/er/domains/web1.json"));
	assert_int_equal(apf_hook_state_path(small, sizeof(small), dir, "web1"),
			 -ENAMETOOLONG);
	o = json_object_new_object();
	json_object_object_add(o, "domain", json_object_new_string("web1"));
	json_object_object_add(o, "watcher_pid", json_object_new_int64(42));
	json_object_object_add(o, "final", json_object_new_boolean(true));
	/* The directories are made as needed. */
	assert_int_equal(apf_hook_state_write(path, o), 0);
	back = apf_hook_state_read(path, &err);
	assert_non_null(back);
	assert_int_equal(err, 0);
	assert_string_equal(apf_json_str(back, "domain"), "web1");
	assert_int_equal(apf_json_int(back, "watcher_pid", -1), 42);
	assert_int_equal(apf_json_int(back, "domain", -1), -1);
	assert_true(apf_json_bool(back, "final"));
	assert_false(apf_json_bool(back, "absent"));
	assert_null(apf_json_str(back, "final"));
	json_object_put(back);
	json_object_put(o);
}

/* virsh's stderr cut by snprintf() mid-character, and bytes that are no
 * UTF-8: the state file is valid UTF-8 (U+FFFD for the bad byte, the cut
 * character dropped). */
static void test_state_write_repairs_utf8(void **state)
{
	char path[PATH_MAX], *text = NULL;
	struct json_object *o, *a, *arr;
	bool changed;
	char *fixed;

	(void)state;
	fixed = apf_utf8_repair("ok \xc3\xa9", 5, &changed);
	assert_string_equal(fixed, "ok \xc3\xa9");
	assert_false(changed);
	free(fixed);
	assert_int_equal(apf_hook_state_path(path, sizeof(path), at("utf8"), "web1"), 0);
	o = json_object_new_object();
	a = json_object_new_object();
	json_object_object_add(a, "detail", json_object_new_string("bad \xff byte; cut \xe2\x82"));
	json_object_object_add(o, "apply", a);
	arr = json_object_new_array();
	json_object_array_add(arr, json_object_new_string("\xc0\xafnote \xe2\x82\xac"));
	json_object_object_add(o, "notes", arr);
	assert_int_equal(apf_hook_state_write(path, o), 0);
	assert_true(apf_slurp(path, 1 << 16, &text) > 0);
	assert_non_null(strstr(text, "\"bad \xef\xbf\xbd byte; cut \""));
	assert_non_null(strstr(text, "\"\xef\xbf\xbd\xef\xbf\xbdnote \xe2\x82\xac\""));
	free(text);
	json_object_put(o);
}

static void test_state_read_refuses(void **state)
{
	struct json_object *o;
	char *big;
	int err;

	(void)state;
	put(at("garbage.json"), "{not json");
	assert_null(apf_hook_state_read(at("garbage.json"), &err));
	assert_int_equal(err, -EBADMSG);
	put(at("array.json"), "[1,2]");
	assert_null(apf_hook_state_read(at("array.json"), &err));
	assert_int_equal(err, -EBADMSG);
	assert_null(apf_hook_state_read(at("absent.json"), &err));
	assert_int_equal(err, -ENOENT);
	assert_int_equal(mkfifo(at("fifo.json"), 0600), 0);
	o = apf_hook_state_read(at("fifo.json"), &err);
	assert_null(o);
	assert_int_equal(err, -APF_EFTYPE);
	big = malloc((2u << 20) + 1);
	assert_non_null(big);
	memset(big, ' ', 2u << 20);
	big[2u << 20] = '\0';
	put(at("big.json"), big);
	free(big);
	assert_null(apf_hook_state_read(at("big.json"), &err));
	assert_int_equal(err, -EFBIG);
}

static void test_pid_alive(void **state)
{
	pid_t child;
	int st;

	(void)state;
	assert_true(apf_pid_alive(getpid()));
	assert_false(apf_pid_alive(0));
	assert_false(apf_pid_alive(-1));
	assert_false(apf_pid_alive((long)INT_MAX + 1));
	child = fork();
	assert_true(child >= 0);
	if (!child)
		_exit(0);
	/* Exited, not yet reaped: a zombie is not alive. */
	while (kill(child, 0) == 0 && apf_pid_alive(child))
		usleep(1000);
	assert_false(apf_pid_alive(child));
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_false(apf_pid_alive(child));
}

/* ---------------------------------------------------------------- release */

static struct apf_domain_policy policy_of(const char *xml)
{
	struct apf_domain_policy p;

	apf_domain_policy_parse(xml, strlen(xml), &p);
	apf_xml_cleanup();
	return p;
}

static const char xml_off[] =
	"<domain type='kvm' id='7'><name>web1</name>"
	"<uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid><metadata>"
	"<apf:policy xmlns:apf='" APF_XMLNS "' async-pf='off'/></metadata></domain>";

static void test_release_from_watcher_state(void **state)
{
	struct apf_domain_policy p = policy_of(xml_off);
	char spath[PATH_MAX], rpath[PATH_MAX], *log;
	struct json_object *rec;
	int err;

	(void)state;
	assert_int_equal(apf_log_open(at("release.log"), false), 0);
	apf_log_context("web1", "release");
	assert_int_equal(apf_hook_state_path(spath, sizeof(spath), cfg.run_dir, "web1"), 0);
	assert_int_equal(apf_hook_state_path(rpath, sizeof(rpath), cfg.state_dir, "web1"), 0);
	rec = json_tokener_parse("{\"domain\":\"web1\",\"policy\":\"off\",\"final\":true,"
		"\"watcher_pid\":1,\"started_at_epoch_ms\":1000,"
		"\"apply\":{\"result\":\"applied\"},"
		"\"tracepoints\":{\"counts\":{\"kvm_async_pf_not_present\":3,"
		"\"kvm_async_pf_ready\":3,\"kvm_exit\":99}}}");
	assert_int_equal(apf_hook_state_write(spath, rec), 0);
	json_object_put(rec);
	assert_int_equal(apf_hook_release(&cfg, "web1", &p, apf_now_ms() + 500), 0);
	/* The watcher's state became the record; the state file is gone. */
	assert_int_equal(access(spath, F_OK), -1);
	rec = apf_hook_state_read(rpath, &err);
	assert_non_null(rec);
	assert_string_equal(apf_json_str(rec, "apfctl_version"), "9.9.9");
	assert_non_null(apf_json_str(rec, "released_at"));
	assert_true(json_object_object_get_ex(rec, "runtime_s", NULL));
	assert_false(json_object_object_get_ex(rec, "watcher_pid", NULL));
	assert_false(json_object_object_get_ex(rec, "final", NULL));
	assert_false(json_object_object_get_ex(rec, "started_at_epoch_ms", NULL));
	json_object_put(rec);
	apf_log_close();
	log = slurp(at("release.log"));
	assert_non_null(strstr(log, "web1 release: released: policy off (applied); "
			       "async PF: async_pf_not_present=3 async_pf_ready=3; record "));
	assert_null(strstr(log, "kvm_exit"));
	free(log);
}

static void test_release_without_state(void **state)
{
	struct apf_domain_policy p = policy_of(xml_off);
	char rpath[PATH_MAX], spath[PATH_MAX];
	struct json_object *rec, *notes;
	int err;

	(void)state;
	assert_int_equal(apf_hook_release(&cfg, "nostate", &p, apf_now_ms() + 500), 0);
	assert_int_equal(apf_hook_state_path(rpath, sizeof(rpath), cfg.state_dir,
					     "nostate"), 0);
	rec = apf_hook_state_read(rpath, &err);
	assert_non_null(rec);
	/* What the XML says, and why there is no more. */
	assert_string_equal(apf_json_str(rec, "policy"), "off");
	assert_string_equal(apf_json_str(rec, "type"), "kvm");
	assert_string_equal(apf_json_str(rec, "uuid"),
			    "c7a5fdbd-cdaf-9455-926a-d65c16db1809");
	assert_true(json_object_object_get_ex(rec, "notes", &notes));
	assert_non_null(strstr(json_object_get_string(json_object_array_get_idx(notes, 0)),
			       "no state from the policy applier"));
	json_object_put(rec);
	/* A state file that is a FIFO: unreadable, said so, no hang. */
	assert_int_equal(apf_hook_state_path(spath, sizeof(spath), cfg.run_dir, "fifo"), 0);
	assert_int_equal(mkdir(cfg.run_dir, 0755) && errno != EEXIST, 0);
	assert_int_equal(mkdir(at("run/domains"), 0755) && errno != EEXIST, 0);
	assert_int_equal(mkfifo(spath, 0600), 0);
	assert_int_equal(apf_hook_release(&cfg, "fifo", &p, apf_now_ms() + 500), 0);
	assert_int_equal(apf_hook_state_path(rpath, sizeof(rpath), cfg.state_dir, "fifo"), 0);
	rec = apf_hook_state_read(rpath, &err);
	assert_non_null(rec);
	assert_true(json_object_object_get_ex(rec, "notes", &notes));
	assert_non_null(strstr(json_object_get_string(json_object_array_get_idx(notes, 0)),
			       "state was unreadable"));
	json_object_put(rec);
}

static void test_release_unwritable_keeps_state(void **state)
{
	struct apf_hook_cfg c = cfg;
	struct apf_domain_policy p = policy_of(xml_off);
	char spath[PATH_MAX];
	struct json_object *st;

	(void)state;
	put(at("notadir"), "x");
	c.state_dir = at("notadir");
	assert_int_equal(apf_hook_state_path(spath, sizeof(spath), c.run_dir, "keep"), 0);
	st = json_tokener_parse("{\"final\":true}");
	assert_int_equal(apf_hook_state_write(spath, st), 0);
	json_object_put(st);
	assert_int_equal(apf_hook_release(&c, "keep", &p, apf_now_ms() + 500), -ENOTDIR);
	/* Nothing lost: the state stays for a later look. */
	assert_int_equal(access(spath, F_OK), 0);
}

/* ---------------------------------------------------------------- virsh */

static int virsh(const char *mode, struct json_object **ret, char *err, size_t cap)
{
	setenv("FAKE_VIRSH_MODE", mode, 1);
	return apf_virsh_qmp(&cfg, "web1", "{\"execute\":\"qom-get\"}", ret, err, cap);
}

static void test_virsh_qmp(void **state)
{
	struct apf_hook_cfg c = cfg;
	struct json_object *ret;
	char err[200];

	(void)state;
	assert_int_equal(virsh("get", &ret, err, sizeof(err)), 0);
	assert_true(json_object_get_boolean(ret));
	json_object_put(ret);
	assert_int_equal(virsh("stock", &ret, err, sizeof(err)), -ENOENT);
	assert_null(ret);
	assert_string_equal(err, "DeviceNotFound: no accel");
	assert_int_equal(virsh("nocmd", &ret, err, sizeof(err)), -ENOTSUP);
	/* The host kernel lacks the capability: KVMMissingCap (apf4 on), or
	 * apf1 to apf3's GenericError naming it; an ioctl that failed is an
	 * error, not a missing capability. */
	setenv("FAKE_VIRSH_MODE", "nocap", 1);
	assert_int_equal(apf_virsh_qmp(&cfg, "web1", "{\"execute\":\"qom-set\","
				       "\"arguments\":{\"value\":false}}", &ret, err,
				       sizeof(err)), -ENODEV);
	assert_null(ret);
	assert_non_null(strstr(err, "GenericError: async-pf=off needs"));
	assert_int_equal(virsh("nocapcls", &ret, err, sizeof(err)), -ENODEV);
	assert_string_equal(err, "KVMMissingCap: y");
	assert_int_equal(virsh("ioctl", &ret, err, sizeof(err)), -EIO);
	assert_int_equal(virsh("generic", &ret, err, sizeof(err)), -EIO);
	assert_int_equal(virsh("noreturn", &ret, err, sizeof(err)), -EPROTO);
	assert_int_equal(virsh("garbage", &ret, err, sizeof(err)), -EPROTO);
	assert_int_equal(virsh("fail", &ret, err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "error: failed to get domain 'web1'"));
	c.virsh = at("no-such-virsh");
	/* Under valgrind a failed exec is not exit status 127 alone. */
	if (getenv("LD_PRELOAD") && strstr(getenv("LD_PRELOAD"), "vgpreload"))
		assert_true(apf_virsh_qmp(&c, "web1", "{}", &ret, err, sizeof(err)) < 0);
	else
		assert_int_equal(apf_virsh_qmp(&c, "web1", "{}", &ret, err, sizeof(err)),
				 -ENOENT);
}

/* ---------------------------------------------------------------- watcher */

static struct json_object *run_state(const char *name)
{
	char path[PATH_MAX];
	int err;

	assert_int_equal(apf_hook_state_path(path, sizeof(path), cfg.run_dir, name), 0);
	return apf_hook_state_read(path, &err);
}

/* A child that lives ms and exits: the domain's QEMU. */
static pid_t fake_qemu(int ms)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		usleep((useconds_t)ms * 1000);
		_exit(0);
	}
	return pid;
}

static void test_watch_applies_and_sees_exit(void **state)
{
	struct json_object *st, *apply;
	pid_t qemu = fake_qemu(300);
	int64_t t0 = apf_now_ms();
	int ws;

	(void)state;
	put(at("virsh.state"), "true\n");
	setenv("FAKE_VIRSH_MODE", "patched", 1);
	/* type "qemu" (TCG): no counters, no perf needed here. */
	assert_int_equal(apf_hook_watch(&cfg, "w1", 7, "off", "qemu", qemu), 0);
	/* The pidfd saw the exit: well within one interval of it. */
	assert_true(apf_now_ms() - t0 < 1000 + 300);
	st = run_state("w1");
	assert_non_null(st);
	assert_true(apf_json_bool(st, "final"));
	assert_non_null(apf_json_str(st, "exited_at"));
	assert_int_equal(apf_json_int(st, "qemu_pid", 0), qemu);
	assert_int_equal(apf_json_int(st, "id", 0), 7);
	assert_true(json_object_object_get_ex(st, "apply", &apply));
	assert_string_equal(apf_json_str(apply, "result"), "applied");
	assert_false(apf_json_bool(apply, "after"));
	json_object_put(st);
	assert_int_equal(waitpid(qemu, &ws, 0), qemu);
}

/* The watcher on one fake virsh mode: the commands it sent (one per line,
 * malloc'd) and the apply member of its state (a reference). */
static struct json_object *watch_mode(const char *mode, const char *name,
				      const char *policy, char **commands)
{
	struct json_object *st, *apply;
	pid_t qemu = fake_qemu(50);
	int ws;

	put(at("virsh.state"), "true\n");
	unlink(at("virsh.log"));
	setenv("FAKE_VIRSH_MODE", mode, 1);
	assert_int_equal(apf_hook_watch(&cfg, name, 1, policy, "qemu", qemu), 0);
	assert_int_equal(waitpid(qemu, &ws, 0), qemu);
	st = run_state(name);
	assert_non_null(st);
	assert_true(json_object_object_get_ex(st, "apply", &apply));
	json_object_get(apply);
	json_object_put(st);
	*commands = slurp(at("virsh.log"));
	return apply;
}

/* set-async-pf where QEMU has it (apf4), qom-set where it answers
 * CommandNotFound (apf1 to apf3); the record names which; the switch is
 * read before (query-async-pf, or qom-get) and not set twice. */
static void test_watch_interfaces(void **state)
{
	struct json_object *apply;
	char *cmds, *state_now;

	(void)state;
	apply = watch_mode("apf4", "i1", "off", &cmds);
	assert_string_equal(apf_json_str(apply, "result"), "applied");
	assert_string_equal(apf_json_str(apply, "interface"), "QMP set-async-pf");
	assert_non_null(strstr(apf_json_str(apply, "detail"), "set-async-pf through libvirt"));
	assert_string_equal(cmds, "{\"execute\":\"query-async-pf\"}\n"
			    "{\"execute\":\"set-async-pf\",\"arguments\":{\"enabled\":false}}\n");
	state_now = slurp(at("virsh.state"));
	assert_string_equal(state_now, "false\n");
	free(state_now);
	free(cmds);
	json_object_put(apply);

	apply = watch_mode("patched", "i2", "off", &cmds);
	assert_string_equal(apf_json_str(apply, "result"), "applied");
	assert_string_equal(apf_json_str(apply, "interface"),
			    "QMP qom-set /machine/accel async-pf");
	assert_string_equal(cmds, "{\"execute\":\"query-async-pf\"}\n"
			    "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/accel\","
			    "\"property\":\"async-pf\"}}\n"
			    "{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"/machine/accel\","
			    "\"property\":\"async-pf\",\"value\":false}}\n");
	free(cmds);
	json_object_put(apply);

	/* Already on: read, not set. */
	apply = watch_mode("apf4", "i3", "on", &cmds);
	assert_string_equal(apf_json_str(apply, "result"), "already");
	assert_string_equal(apf_json_str(apply, "interface"), "QMP query-async-pf");
	assert_string_equal(cmds, "{\"execute\":\"query-async-pf\"}\n");
	free(cmds);
	json_object_put(apply);
}

/* No KVM_CAP_DISABLE_ASYNC_PF in the host kernel: unsupported, by either
 * interface, and the switch stays on. */
static void test_watch_missing_cap(void **state)
{
	static const char *const modes[][2] = {
		{ "nocap4", "QMP set-async-pf" },
		{ "nocap", "QMP qom-set /machine/accel async-pf" },
	};
	struct json_object *apply;
	char *cmds, *state_now;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		apply = watch_mode(modes[i][0], "c1", "off", &cmds);
		assert_string_equal(apf_json_str(apply, "result"), "unsupported");
		assert_string_equal(apf_json_str(apply, "interface"), modes[i][1]);
		assert_non_null(strstr(apf_json_str(apply, "detail"),
				       "the host kernel lacks KVM_CAP_DISABLE_ASYNC_PF"));
		assert_non_null(strstr(apf_json_str(apply, "detail"),
				       i ? "GenericError: async-pf=off needs" :
				       "KVMMissingCap: async-pf=off needs"));
		state_now = slurp(at("virsh.state"));
		assert_string_equal(state_now, "true\n");
		free(state_now);
		free(cmds);
		json_object_put(apply);
	}
}

static void test_watch_unsupported_and_none(void **state)
{
	struct json_object *st, *apply;
	pid_t qemu = fake_qemu(100);
	int ws;

	(void)state;
	setenv("FAKE_VIRSH_MODE", "stock", 1);
	assert_int_equal(apf_hook_watch(&cfg, "w2", -1, "on", "qemu", qemu), 0);
	st = run_state("w2");
	assert_true(json_object_object_get_ex(st, "apply", &apply));
	assert_string_equal(apf_json_str(apply, "result"), "unsupported");
	assert_non_null(strstr(apf_json_str(apply, "detail"), "this QEMU has no"));
	json_object_put(st);
	assert_int_equal(waitpid(qemu, &ws, 0), qemu);
	qemu = fake_qemu(100);
	assert_int_equal(apf_hook_watch(&cfg, "w3", -1, "none", "qemu", qemu), 0);
	st = run_state("w3");
	assert_true(json_object_object_get_ex(st, "apply", &apply));
	assert_string_equal(apf_json_str(apply, "result"), "none");
	json_object_put(st);
	assert_int_equal(waitpid(qemu, &ws, 0), qemu);
}

/* NAME.pid that is not a file: no QEMU, said at once (not after the 5 s
 * a missing file is waited for). */
static void test_watch_hostile_pid_file(void **state)
{
	struct json_object *st, *notes;
	int64_t t0 = apf_now_ms();

	(void)state;
	assert_int_equal(mkfifo(at("w4.pid"), 0600), 0);
	setenv("FAKE_VIRSH_MODE", "stock", 1);
	assert_int_equal(apf_hook_watch(&cfg, "w4", -1, "none", "kvm", 0), 0);
	assert_true(apf_now_ms() - t0 < 2000);
	st = run_state("w4");
	assert_non_null(st);
	assert_true(json_object_object_get_ex(st, "notes", &notes));
	assert_non_null(strstr(json_object_get_string(json_object_array_get_idx(notes, 0)),
			       "Not a regular file"));
	assert_true(apf_json_bool(st, "final"));
	json_object_put(st);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg),
		cmocka_unit_test(test_log_lines),
		cmocka_unit_test(test_log_file_hostile),
		cmocka_unit_test(test_log_file_not_opened),
		cmocka_unit_test(test_iso_time_matches_gmtime),
		cmocka_unit_test(test_iso_time_loads_no_zone),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_state_write_repairs_utf8),
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_state_read_refuses),
		cmocka_unit_test(test_pid_alive),
		cmocka_unit_test(test_release_from_watcher_state),
		cmocka_unit_test(test_release_without_state),
		cmocka_unit_test(test_release_unwritable_keeps_state),
		cmocka_unit_test(test_virsh_qmp),
		cmocka_unit_test(test_watch_applies_and_sees_exit),
		cmocka_unit_test(test_watch_interfaces),
		cmocka_unit_test(test_watch_missing_cap),
		cmocka_unit_test(test_watch_unsupported_and_none),
		cmocka_unit_test(test_watch_hostile_pid_file),
	};

	if (argc == 3 && !strcmp(argv[1], "--iso-time-child"))
		return iso_time_child(argv[2]);
	if (!realpath(argv[0], self_exe))
		return 2;
	return cmocka_run_group_tests(tests, setup, teardown);
}
