// SPDX-License-Identifier: GPL-2.0-only
/* apfctl: inspect and control KVM asynchronous page faults. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apfctl.h"
#include "cli_opts.h"
#include "fileio.h"
#include "sanitize.h"
#include "sysroot.h"
#include "usage.h"

struct apf_global apf_g;

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	/* Its options that take an argument (as in its getopt_long()
	 * tables): short letters, and long names between '|'. */
	const char *short_args, *long_args;
};

/* Root is checked by enable/disable themselves, after "is it supported":
 * root does not help on a kernel without the switch. */
static const struct command commands[] = {
	{ "status",  cmd_status,  "what this kernel supports and how it is set", "", "" },
	{ "stats",   cmd_stats,   "APF and KVM counters with rates, per VM",
	  "snpgL", "|delay|count|pid|guest|log-to|qmp|" },
	{ "trace",   cmd_trace,   "per-fault latency histogram from tracepoints",
	  "dpg", "|duration|pid|guest|" },
	{ "export",  cmd_export,  "Prometheus text for node_exporter's textfile collector",
	  "od", "|output|duration|" },
	{ "enable",  cmd_enable,  "turn APF on (--host, --guest, --vm)", "", "|vm|qmp|" },
	{ "disable", cmd_disable, "turn APF off (--host, --guest, --vm)", "", "|vm|qmp|" },
	{ "hook",    cmd_hook,    "libvirt hook: per-domain APF policy and records",
	  "", "|id|policy|type|pid|defaults|" },
	{ "apply-config", cmd_apply_config, "set the switches /etc/apf/apf.conf asks for",
	  "", "" },
	{ "kexec",   cmd_kexec,   "load the newest kernel for `systemctl kexec`",
	  "", "|kernel|initrd|append|command-line|" },
};

/* In JSON mode an error is JSON on stdout too, as bpftool does, so a
 * script never parses an empty stdout: {"error": "..."}.  Not after the
 * command's own document (hook --check -j reports "valid": false in it):
 * stdout stays one document, or JSON lines of samples. */
static void json_error(const char *msg)
{
	json_writer_t *w;

	if (!apf_g.json || apf_g.json_started)
		return;
	w = apf_json_open();
	if (!w)
		return;
	jsonw_start_object(w);
	jsonw_string_field(w, "error", msg);
	jsonw_end_object(w);
	jsonw_destroy(&w);
}

/* One message line on stderr, encoded: its arguments are VM names, paths
 * and file contents, which must not drive the terminal or add lines. */
__attribute__((format(printf, 3, 0)))
static void message(const char *prefix, bool error, const char *fmt, va_list ap)
{
	char *msg = NULL;

	fputs(prefix, stderr);
	if (vasprintf(&msg, fmt, ap) >= 0) {
		/* One line: a newline in it is encoded too; what the
		 * caller already encoded passes unchanged. */
		apf_fputs_safe(msg, stderr, APF_SAN_KEEP_ESC);
		if (error)
			json_error(msg);
		free(msg);
	} else {
		fputs("(out of memory formatting a message)", stderr);
	}
	fputc('\n', stderr);
}

int apf_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message("apfctl: ", code != APF_EXIT_OK, fmt, ap);
	va_end(ap);
	return code;
}

void apf_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message("apfctl: warning: ", false, fmt, ap);
	va_end(ap);
}

json_writer_t *apf_json_open(void)
{
	json_writer_t *w = jsonw_new(stdout);

	apf_g.json_started = true;
	if (w)
		jsonw_pretty(w, apf_g.pretty);
	return w;
}

int apf_exit_for_errno(int err)
{
	switch (err) {
	case 0: return APF_EXIT_OK;
	case -EACCES:
	case -EPERM: return APF_EXIT_PERM;
	case -ENOENT:
	case -ENOTSUP: return APF_EXIT_UNSUPPORTED;
	default: return APF_EXIT_RUNTIME;
	}
}

int apf_stdout_errno;

/* The one sanitizing layer (lib/sanitize.h): stdout in text mode and
 * stderr always reach their files encoded, newlines and tabs kept, so no
 * VM name, path or file content a command prints can drive the terminal,
 * whichever call site forgot.  JSON mode passes stdout unchanged (the
 * writer escapes; "\xHH" would not be JSON).  Text already encoded (a
 * message quoting a name) passes unchanged: "\xHH" is kept.  stdout's
 * stream also keeps the errno of its first failed write: stdio sets only
 * the error flag, and the write that failed may have been an implicit
 * flush many calls earlier. */
static FILE *plain_stdout, *plain_stderr;

static void track_output(void)
{
	FILE *out, *err;

	fflush(stdout);
	out = apf_safe_fdopen(STDOUT_FILENO, APF_SAN_NL | APF_SAN_TAB, &apf_g.json,
			      &apf_stdout_errno);
	err = apf_safe_fdopen(STDERR_FILENO, APF_SAN_NL | APF_SAN_TAB, NULL, NULL);
	if (!out || !err) {
		/* Out of memory before anything ran: messages encode their
		 * arguments themselves (message()), errors still seen. */
		if (out)
			fclose(out);
		if (err)
			fclose(err);
		return;
	}
	/* As stdio would: line-buffered on a terminal, else in blocks. */
	setvbuf(out, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ);
	setvbuf(err, NULL, _IONBF, 0);
	plain_stdout = stdout;
	plain_stderr = stderr;
	stdout = out;
	stderr = err;
}

void apf_output_plain(void)
{
	FILE *out = stdout, *err = stderr;

	if (!plain_stdout)
		return;
	fflush(out);
	if (ferror(out) && !apf_stdout_errno)
		apf_stdout_errno = EIO;
	stdout = plain_stdout;
	stderr = plain_stderr;
	plain_stdout = plain_stderr = NULL;
	fclose(out);
	fclose(err);
}

static void close_stderr(void)
{
	if (plain_stderr) {
		fclose(stderr);	/* what a cut character held back */
		stderr = plain_stderr;
		plain_stderr = NULL;
	}
}

/* util-linux close_stdout(): output that never reached its file (a full
 * disk, a closed stdout) is an error, not exit 0.  EPIPE is left alone as
 * util-linux does: a reader that stopped early (| head) is not a failure. */
static void close_stdout(void)
{
	int err = 0;
	bool failed;

	errno = 0;
	failed = fflush(stdout) != 0;
	err = failed ? errno : 0;
	failed |= ferror(stdout) != 0 || apf_stdout_errno != 0;
	if (fclose(stdout) != 0 && !failed && errno != EBADF) {
		failed = true;
		err = errno;
	}
	if (!failed || err == EPIPE || apf_stdout_errno == EPIPE)
		return;
	if (!err)
		err = apf_stdout_errno ? apf_stdout_errno : EIO;
	fprintf(stderr, "apfctl: write error: %s\n", strerror(err));
	close_stderr();	/* _exit() runs no more atexit handlers */
	_exit(APF_EXIT_RUNTIME);
}

long apf_parse_seconds(const char *s)
{
	uint64_t ms;

	/* At most a day, at least a millisecond. */
	return apf_parse_milli(s, (uint64_t)86400 * 1000, &ms) ? -1 : (long)ms;
}

static const struct apf_opt_help global_opts[] = {
	{ "-j, --json", "machine-readable JSON output" },
	{ "-p, --pretty", "indented JSON (implies --json)" },
	{ "    --sysroot DIR", "read /sys, /proc and /dev from DIR (fixtures)" },
	{ "    --qmp-timeout MS", "wait at most MS per QMP reply (default 1000;\n"
			      "500 in status; 2000 in enable/disable --vm)" },
	{ "-V, --version", "print the version" },
	{ "-h, --help", "this help; 'apfctl COMMAND -h' for a command" },
	{ NULL, NULL },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: apfctl [OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Inspect and control KVM asynchronous page faults on hosts and guests.\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nOptions:\n");
	apf_usage_opts(f, global_opts);
	fprintf(f,
		"\n"
		"Exit status: 0 ok, 1 runtime error, 2 usage error, 3 unsupported here,\n"
		"4 permission denied.  See apfctl(8).\n");
}

/* Whether word is "--NAME" (no "=") for a NAME between '|' in names. */
static bool long_takes_arg(const char *word, const char *names)
{
	const char *name = word + 2, *at;
	size_t n = strlen(name);

	if (strncmp(word, "--", 2) || !n || strchr(name, '=') || strchr(name, '|'))
		return false;
	for (at = names; (at = strstr(at, name)); at++)
		if (at[-1] == '|' && at[n] == '|')
			return true;
	return false;
}

/* Whether the command's word (an option, or a cluster such as "-1g")
 * takes the next word as its argument. */
static bool takes_next(const char *word, const struct command *cmd)
{
	const char *p;

	if (word[0] != '-' || !word[1])
		return false;
	if (word[1] == '-')
		return long_takes_arg(word, "|sysroot|qmp-timeout|") ||
		       (cmd && long_takes_arg(word, cmd->long_args));
	for (p = word + 1; *p; p++)
		if (cmd && strchr(cmd->short_args, *p))
			return !p[1];	/* "-gNAME" has its argument */
	return false;
}

/* Whether the command line asks for JSON anywhere (the global options or
 * the command's): an error found before the command parses its own
 * options (a bad --sysroot) is then JSON too.  Exact words only: -p is
 * --pid in stats, and a cluster's letters may be an option's argument;
 * an option's argument ("stats -g -j": a VM named -j) is none. */
static void json_asked(int argc, char **argv, int cmd_at)
{
	const struct command *cmd = NULL;
	size_t k;
	int i;

	for (k = 0; cmd_at < argc && k < sizeof(commands) / sizeof(commands[0]); k++)
		if (!strcmp(argv[cmd_at], commands[k].name))
			cmd = &commands[k];
	for (i = cmd_at + 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			apf_g.json = true;
		else if (!strcmp(argv[i], "--pretty"))
			apf_g.json = apf_g.pretty = true;
		else if (takes_next(argv[i], cmd))
			i++;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "sysroot", required_argument, NULL, 'S' },
		{ "qmp-timeout", required_argument, NULL, 'T' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sysroot = getenv("APFCTL_SYSROOT");
	size_t i;
	int c, rc;

	track_output();
	/* Run in reverse: stdout's write error still reaches stderr. */
	atexit(close_stderr);
	atexit(close_stdout);
	/* "+": stop at the command, whose own options follow it. */
	while ((c = getopt_long(argc, argv, "+jpVh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': apf_g.json = true; break;
		case 'p': apf_g.json = apf_g.pretty = true; break;
		case 'S': sysroot = optarg; break;
		case 'T': apf_use_qmp_timeout(optarg); break;
		case 'V': printf("apfctl %s\n", APFCTL_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default:
			usage(stderr);
			json_error("usage error (see 'apfctl --help')");
			return APF_EXIT_USAGE;
		}
	}
	json_asked(argc, argv, optind);
	if (sysroot)
		apf_use_sysroot(sysroot);
	if (optind >= argc) {
		usage(stderr);
		json_error("no command (see 'apfctl --help')");
		return APF_EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name))
			continue;
		argc -= optind;
		argv += optind;
		optind = 0;	/* reset getopt for the command's parser */
		rc = commands[i].fn(argc, argv);
		/* A failure that printed no JSON (a usage message from getopt,
		 * a write error) still gives a script something to parse. */
		if (rc != APF_EXIT_OK && !apf_stdout_errno)
			json_error(rc == APF_EXIT_USAGE ?
				   "usage error (see 'apfctl COMMAND --help')" :
				   "failed (see stderr)");
		return rc;
	}
	return apf_fail(APF_EXIT_USAGE, "unknown command '%s' (try 'apfctl --help')",
			argv[optind]);
}
