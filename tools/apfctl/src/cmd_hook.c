// SPDX-License-Identifier: GPL-2.0-only
/*
 * apfctl hook: the body of /etc/libvirt/hooks/qemu.d/50-apf.
 *
 * libvirt runs the hook as "50-apf DOMAIN OPERATION SUBOP EXTRA" with the
 * domain XML on stdin, synchronously, while it holds the domain's job (and
 * for some operations its driver locks).  So:
 *  - the hook never calls back into libvirt (that deadlocks);
 *  - it finishes in under a second whatever happens (a timer ends it);
 *  - only an invalid policy on "prepare" refuses a start (exit 1, message
 *    on stderr, which libvirt shows); any failure of our own is logged and
 *    the hook exits 0.
 *
 * "started" hands the policy to the watcher (`apfctl hook --watch`, a
 * transient systemd unit or a detached child), which applies it through
 * libvirt once the hook has returned and counts the domain's APF events;
 * "release" turns the watcher's state into the domain's record.  That work
 * is lib/hook.h's (state documents, release, watcher, virsh calls) and
 * lib/hook_log.h's (journal, syslog, log file); this file is the command
 * line, the deadline and the order of things.
 *
 * Settings come from the environment (lib/hook.h lists them).  libvirt
 * passes hooks almost no environment, so they come from /etc/default/apf
 * (--defaults FILE, which the 50-apf wrapper passes): sourced in a child
 * shell once the deadline is armed, with half of it to finish, so a file
 * that blocks cannot hold libvirt.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "apfctl.h"
#include "cli_opts.h"
#include "clock.h"
#include "domain_policy.h"
#include "fileio.h"
#include "hook.h"
#include "hook_log.h"
#include "sanitize.h"
#include "shell_defaults.h"
#include "usage.h"
#include "whole_write.h"

#define STDIN_MAX	(16u << 20)
/* migrate/restore: print nothing rather than start the XML this close to
 * the deadline. */
#define PASS_MIN_MS	50

static struct apf_hook_cfg cfg;

/* ---------------------------------------------------------------- deadline */

/* Set while part of the XML may be out and not all of it (pass_xml()). */
static volatile sig_atomic_t xml_cut;

/* Exit 0 whatever was cut short: a start goes ahead, and on migrate or
 * restore nothing has been printed yet (the XML goes out whole or not at
 * all), which leaves libvirt's XML as it is.  Only an XML already out in
 * part fails the hook: libvirt fails the migration on it either way, and
 * exit 1 makes it say why. */
static void on_deadline(int sig)
{
	static const char m[] = "apfctl: hook: deadline reached, giving up\n";
	static const char cut[] = "apfctl: hook: deadline reached with the domain "
				  "XML written in part\n";
	const char *msg = xml_cut ? cut : m;
	size_t len = xml_cut ? sizeof(cut) - 1 : sizeof(m) - 1;
	int fd = apf_log_fd(), rc = xml_cut ? APF_EXIT_RUNTIME : APF_EXIT_OK;

	(void)sig;
	/* Nothing to do if these fail: we are leaving either way. */
	if (fd >= 0 && write(fd, msg, len) < 0)
		_exit(rc);
	if (write(2, msg, len) < 0)
		_exit(rc);
	_exit(rc);
}

static int64_t t_start;		/* apf_now_ms() when the deadline was armed */

static int64_t deadline(void)
{
	return t_start + cfg.deadline_ms;
}

static void deadline_set_timer(int left)
{
	struct itimerval it = { { 0, 0 }, { left / 1000, (suseconds_t)(left % 1000) * 1000 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

static void deadline_arm(void)
{
	struct sigaction sa;

	t_start = apf_now_ms();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_deadline;	/* no SA_RESTART: blocked reads end */
	sigaction(SIGALRM, &sa, NULL);
	deadline_set_timer(cfg.deadline_ms);
}

/* Why the defaults file was skipped, logged once the domain is known. */
static char defaults_why[PATH_MAX + 200];

/* /etc/default/apf (FILE) into the environment, once the deadline is
 * armed: sourcing runs whatever the file says, so it gets half the time
 * left, in a child shell.  Then the settings are read again and the
 * deadline follows APF_HOOK_DEADLINE_MS from the file, counted from the
 * same start.  why gets the reason a file was skipped, for the log. */
static void hook_defaults(const char *file, char *why, size_t cap)
{
	static const char *const names[] = { "APF_*", "LIBVIRT_DEFAULT_URI", NULL };
	char reason[160];
	int err, left;

	*why = '\0';
	err = apf_shell_defaults(file, names, apf_ms_left(deadline()) / 2, NULL, reason,
				 sizeof(reason));
	if (err && err != -ENOENT)
		snprintf(why, cap, "%s skipped: %s", file, reason);
	if (err)
		return;
	apf_hook_cfg_load(&cfg, APFCTL_VERSION);
	left = apf_ms_left(deadline());
	if (left <= 0)
		raise(SIGALRM);
	else
		deadline_set_timer(left);
}

/* ---------------------------------------------------------------- --check */

/* The domain XML: a regular file, or stdin ("-" or none). */
static ssize_t read_xml(const char *file, char **xml)
{
	if (file && strcmp(file, "-"))
		return apf_slurp(file, STDIN_MAX, xml);
	return apf_read_fd(STDIN_FILENO, STDIN_MAX, xml);
}

static int hook_check(const char *file)
{
	struct apf_domain_policy p;
	char *xml = NULL, shown[120];
	ssize_t n;

	n = read_xml(file, &xml);
	if (n < 0)
		return apf_fail(APF_EXIT_RUNTIME, "hook: %s: %s", file ? file : "stdin",
				apf_strerror((int)-n));
	apf_domain_policy_parse(xml, (size_t)n, &p);
	free(xml);
	apf_xml_cleanup();
	apf_safe_cut(p.name, shown, sizeof(shown), 100, 0);
	if (apf_g.json) {
		json_writer_t *w = apf_json_open();

		if (!w)
			return apf_fail(APF_EXIT_RUNTIME, "out of memory");
		jsonw_start_object(w);
		jsonw_string_field(w, "domain", p.name);
		jsonw_bool_field(w, "valid", p.status == APF_POLICY_OK);
		if (p.status == APF_POLICY_OK && p.async_pf != APF_POLICY_NONE)
			jsonw_string_field(w, "async_pf", apf_policy_value_name(p.async_pf));
		else
			jsonw_null_field(w, "async_pf");
		if (p.status != APF_POLICY_OK)
			jsonw_string_field(w, "error", p.error);
		jsonw_end_object(w);
		jsonw_destroy(&w);
		putchar('\n');
	} else if (p.status == APF_POLICY_OK) {
		printf("domain '%s': %s%s\n", shown, p.async_pf == APF_POLICY_NONE ?
		       "no APF policy" : "async-pf=",
		       p.async_pf == APF_POLICY_NONE ? "" : apf_policy_value_name(p.async_pf));
	}
	if (p.status != APF_POLICY_OK)
		return apf_fail(APF_EXIT_RUNTIME, "hook: domain '%s': %s%s", shown,
				p.status == APF_POLICY_INVALID ? "invalid APF policy: " : "",
				p.error);
	return APF_EXIT_OK;
}

/* ---------------------------------------------------------------- the hook */

/* migrate/restore: the XML back unchanged, whole or not at all. */
static int pass_xml(const char *name, const char *xml, ssize_t n)
{
	sigset_t alrm, old;
	struct stat st;
	bool to_pipe;
	int werr;

	if (n < 0) {
		/* Printing nothing keeps libvirt's XML as it is. */
		apf_log(LOG_ERR, "cannot read the domain XML: %s", apf_strerror((int)-n));
		return APF_EXIT_OK;
	}
	/* Half an XML would fail the migration: the XML goes out whole (one
	 * write that cannot block) or not at all, and not in the deadline's
	 * last PASS_MIN_MS. */
	if (apf_ms_left(deadline()) < PASS_MIN_MS) {
		apf_log(LOG_WARNING, "too close to the deadline to pass the XML "
			"back: printing nothing (libvirt keeps its XML)");
		return APF_EXIT_OK;
	}
	/* The deadline's exit 0 must not land with part of the XML out.
	 * Into a pipe (libvirt's case) nothing below waits past the
	 * deadline, so the timer is held off until we know what went out;
	 * a regular file may hang (a dead mount) and keeps the timer, which
	 * then says the XML is cut. */
	to_pipe = !fstat(STDOUT_FILENO, &st) && S_ISFIFO(st.st_mode);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	if (to_pipe)
		sigprocmask(SIG_BLOCK, &alrm, &old);
	else
		xml_cut = 1;
	werr = apf_write_whole(STDOUT_FILENO, xml, (size_t)n, deadline());
	xml_cut = werr == -EIO;
	if (to_pipe)
		sigprocmask(SIG_SETMASK, &old, NULL);
	if (werr == -EIO) {
		/* Left: a pipe write that came back short (shrunk by another
		 * process, no memory for its pages) and whose rest the reader
		 * did not take by the deadline. */
		apf_log(LOG_ERR, "the XML went out cut short");
		fprintf(stderr, "apfctl: hook: domain '%s': the domain XML went out cut "
			"short\n", name);
		return APF_EXIT_RUNTIME;
	}
	if (werr) {
		apf_log(LOG_WARNING, "cannot pass the XML back whole (%s): printing "
			"nothing (libvirt keeps its XML)", apf_strerror(-werr));
		return APF_EXIT_OK;
	}
	apf_log(LOG_DEBUG, "XML passed through unchanged (%zd bytes)", n);
	return APF_EXIT_OK;
}

/* reconnect (libvirtd restarted): whether the domain's watcher still runs. */
static bool watcher_runs(const char *name)
{
	char spath[PATH_MAX];
	struct json_object *st;
	bool alive;
	int err;

	if (apf_hook_state_path(spath, sizeof(spath), cfg.run_dir, name) ||
	    !(st = apf_hook_state_read(spath, &err)))
		return false;
	alive = apf_pid_alive((long)apf_json_int(st, "watcher_pid", 0));
	json_object_put(st);
	return alive;
}

static int hook_main(const char *name, const char *op)
{
	struct apf_domain_policy p;
	char *xml = NULL, shown[120];
	ssize_t n;
	int rc;

	apf_log_context(name, op);
	apf_safe_cut(name, shown, sizeof(shown), 100, 0);
	if (defaults_why[0])
		apf_log(LOG_WARNING, "%s", defaults_why);
	/* Drain stdin for every operation: libvirt writes the XML to all of
	 * them and should not see EPIPE. */
	n = apf_read_fd(STDIN_FILENO, STDIN_MAX, &xml);
	if (!strcmp(op, "migrate") || !strcmp(op, "restore")) {
		rc = pass_xml(shown, xml, n);
		free(xml);
		return rc;
	}
	if (strcmp(op, "prepare") && strcmp(op, "started") && strcmp(op, "reconnect") &&
	    strcmp(op, "release")) {
		free(xml);
		apf_log(LOG_DEBUG, "nothing to do");
		return APF_EXIT_OK;
	}
	if (n < 0) {
		apf_log(LOG_ERR, "cannot read the domain XML: %s; ignoring the "
			"APF policy", apf_strerror((int)-n));
		return APF_EXIT_OK;
	}
	apf_domain_policy_parse(xml, (size_t)n, &p);
	free(xml);
	/* Done with libxml2: free its global state before any fork, so
	 * that no process we start inherits it (valgrind checks children). */
	apf_xml_cleanup();
	if (p.status == APF_POLICY_BAD_XML) {
		apf_log(LOG_ERR, "%s; ignoring the APF policy", p.error);
		p.async_pf = APF_POLICY_NONE;
	}
	if (!strcmp(op, "prepare")) {
		if (p.status == APF_POLICY_INVALID) {
			apf_log(LOG_ERR, "refusing to start: invalid APF policy: %s", p.error);
			fprintf(stderr, "apfctl: hook: domain '%s': invalid APF policy: %s\n",
				shown, p.error);
			return APF_EXIT_RUNTIME;
		}
		apf_log(LOG_INFO, "policy %s%s", p.async_pf == APF_POLICY_NONE ?
			"none" : "async-pf=", p.async_pf == APF_POLICY_NONE ? "" :
			apf_policy_value_name(p.async_pf));
		return APF_EXIT_OK;
	}
	if (!apf_hook_name_usable(name)) {
		apf_log(LOG_ERR, "domain name unusable as a file name; nothing recorded");
		return APF_EXIT_OK;
	}
	if (!strcmp(op, "release")) {
		apf_hook_release(&cfg, name, &p, deadline());
		return APF_EXIT_OK;
	}
	if (p.status == APF_POLICY_INVALID) {
		/* prepare refuses these; a domain started before the hook was
		 * installed can still have one. */
		apf_log(LOG_ERR, "invalid APF policy (%s); not applying it", p.error);
		p.async_pf = APF_POLICY_NONE;
		p.status = APF_POLICY_OK;
	}
	if (!strcmp(op, "reconnect") && watcher_runs(name)) {
		apf_log(LOG_INFO, "the applier still runs");
		return APF_EXIT_OK;
	}
	apf_hook_spawn_watcher(&cfg, name, &p, deadline());
	return APF_EXIT_OK;
}

/* ---------------------------------------------------------------- main */

static const struct apf_opt_help hook_opts[] = {
	{ "prepare", "validate it: an invalid policy refuses the start (exit 1)" },
	{ "started", "hand it to an applier (systemd-run, or a detached child)\n"
		     "that sets it through libvirt once the hook has returned" },
	{ "release", "record the domain's APF counters (APF_STATE_DIR/domains)" },
	{ "migrate, restore", "print the XML unchanged (whole, or nothing)" },
	{ "--defaults FILE", "settings (APF_*) from a shell file such as\n"
			     "/etc/default/apf, sourced within the time limit" },
	{ "--check", "validate the policy in a domain XML (FILE or stdin;\n"
		     "FILE a regular file)" },
	{ NULL, NULL },
};

static const struct apf_usage hook_usage = {
	"hook", "[--defaults FILE] [--] DOMAIN OPERATION SUBOP EXTRA\n--check [FILE]",
	"The libvirt hook (/etc/libvirt/hooks/qemu.d/50-apf).  Reads the\n"
	"domain's <apf:policy async-pf='on|off'/> (namespace " APF_XMLNS ")\n"
	"from the domain XML on stdin:\n",
	hook_opts,
	"Always done within 1 s; only an invalid policy makes it fail.\n",
};

enum { OPT_WATCH = 0x4000, OPT_CHECK, OPT_ID, OPT_POLICY, OPT_TYPE, OPT_PID, OPT_DEFAULTS };

int cmd_hook(int argc, char **argv)
{
	static const struct option opts[] = {
		APF_GLOBAL_LONG_OPTS,
		{ "watch", no_argument, NULL, OPT_WATCH },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "id", required_argument, NULL, OPT_ID },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "defaults", required_argument, NULL, OPT_DEFAULTS },
		{ NULL, 0, NULL, 0 },
	};
	const char *policy = "none", *type = "unknown", *defaults = NULL;
	bool watch = false, check = false;
	long id = -1, pid = 0;
	int c, rc, err;

	while ((c = getopt_long(argc, argv, "+jph", opts, NULL)) != -1) {
		if (c == 'p')
			c = APF_OPT_PRETTY;
		if (apf_global_opt(c, optarg))
			continue;
		switch (c) {
		case OPT_WATCH: watch = true; break;
		case OPT_CHECK: check = true; break;
		case OPT_ID:
			if (apf_parse_int(optarg, -1, LONG_MAX, &id))
				return apf_fail(APF_EXIT_USAGE, "hook: bad --id '%s'", optarg);
			break;
		case OPT_PID:
			if (apf_parse_int(optarg, 1, INT_MAX, &pid))
				return apf_fail(APF_EXIT_USAGE, "hook: bad --pid '%s'", optarg);
			break;
		case OPT_POLICY:
			if (strcmp(optarg, "on") && strcmp(optarg, "off") &&
			    strcmp(optarg, "none"))
				return apf_fail(APF_EXIT_USAGE, "hook: --policy on|off|none");
			policy = optarg;
			break;
		case OPT_TYPE: type = optarg; break;
		case OPT_DEFAULTS: defaults = optarg; break;
		default: return apf_usage(&hook_usage, c);
		}
	}
	argc -= optind;
	argv += optind;
	if (check) {
		if (argc > 1)
			return apf_fail(APF_EXIT_USAGE, "hook: --check takes one FILE");
		return hook_check(argc ? argv[0] : NULL);
	}
	apf_output_plain();
	apf_hook_cfg_load(&cfg, APFCTL_VERSION);
	if (!watch) {
		/* Before anything that can block, reading the defaults too. */
		deadline_arm();
		if (defaults)
			hook_defaults(defaults, defaults_why, sizeof(defaults_why));
	}
	/* The log file is optional: one we cannot use (a FIFO, a directory)
	 * is said in the journal and left alone. */
	err = apf_log_open(cfg.log_file, true);
	if (err)
		apf_log(LOG_WARNING, "log file %s not used: %s", cfg.log_file,
			apf_strerror(-err));
	if (watch) {
		if (argc != 1)
			return apf_fail(APF_EXIT_USAGE, "hook: --watch takes one DOMAIN");
		apf_log_context(argv[0], "watch");
		if (!apf_hook_name_usable(argv[0]))
			return apf_fail(APF_EXIT_USAGE, "hook: unusable domain name");
		rc = apf_hook_watch(&cfg, argv[0], id, policy, type, (pid_t)pid) ?
		     APF_EXIT_RUNTIME : APF_EXIT_OK;
	} else {
		if (argc < 2 || argc > 4)
			return apf_usage(&hook_usage, '?');
		rc = hook_main(argv[0], argv[1]);
	}
	apf_xml_cleanup();
	apf_log_close();
	return rc;
}
