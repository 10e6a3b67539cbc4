// SPDX-License-Identifier: GPL-2.0-only
/* apfctl apply-config: set the switches /etc/apf/apf.conf asks for (run at
 * boot by apf-setup.service).  The format is in lib/apf_conf.h. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apf_conf.h"
#include "apfctl.h"
#include "cli_opts.h"
#include "fileio.h"
#include "probe.h"
#include "usage.h"

#define DEFAULT_CONF "/etc/apf/apf.conf"

struct outcome {
	const char *key, *path, *result;	/* result: set, already, keep,
						 * unsupported, denied, error */
	enum apf_conf_switch want;
	int before;				/* -1 unknown */
	char detail[200];
};

typedef int (*sw_get)(bool *);
typedef int (*sw_set)(bool);

static void apply_one(struct outcome *o, sw_get get, sw_set set, bool check)
{
	bool before;
	int err;

	o->before = -1;
	if (o->want == APF_CONF_KEEP) {
		o->result = "keep";
		return;
	}
	err = get(&before);
	if (!err)
		o->before = before;
	if (err == -ENOENT) {
		o->result = "unsupported";
		snprintf(o->detail, sizeof(o->detail), "%s is missing (a stock kernel%s)",
			 o->path, strstr(o->path, "module") ? ", or kvm is not loaded" : "");
		return;
	}
	if (!err && before == (o->want == APF_CONF_ON)) {
		o->result = "already";
		return;
	}
	if (!err && check) {
		o->result = "would-set";
		return;
	}
	if (!err)
		err = set(o->want == APF_CONF_ON);
	if (!err) {
		o->result = "set";
		return;
	}
	o->result = err == -EACCES || err == -EPERM ? "denied" : "error";
	snprintf(o->detail, sizeof(o->detail), "%s: %s", o->path, apf_strerror(-err));
}

static void print_text(const struct outcome *o)
{
	const char *w = apf_conf_switch_name(o->want);

	if (!strcmp(o->result, "keep"))
		printf("%s=keep: left as it is\n", o->key);
	else if (!strcmp(o->result, "set"))
		printf("%s=%s: %s %s -> %s\n", o->key, w, o->path,
		       o->before ? "on" : "off", w);
	else if (!strcmp(o->result, "already"))
		printf("%s=%s: already %s\n", o->key, w, w);
	else if (!strcmp(o->result, "would-set"))
		printf("%s=%s: would change %s from %s\n", o->key, w, o->path,
		       o->before ? "on" : "off");
	else
		printf("%s=%s: %s: %s\n", o->key, w, o->result, o->detail);
}

static const struct apf_opt_help apply_opts[] = {
	{ "host_async_pf=on|off|keep", "kvm.async_pf (APF Suite host kernel)" },
	{ "guest_async_pf=on|off|keep", "/sys/kernel/kvm_async_pf/enabled (guest)" },
	{ "on_unsupported=warn|fail", "a switch this kernel lacks: warn, or exit 3" },
	{ "--check", "parse FILE and show what would change; change nothing" },
	{ "FILE", "a regular file, or - for stdin" },
	{ NULL, NULL },
};

static const struct apf_usage apply_usage = {
	"apply-config", "[--check] [-j] [FILE]",
	"Set the APF switches that FILE (default " DEFAULT_CONF ") asks for:\n",
	apply_opts,
	"Exit status: 0 done, 1 bad file or a write failed, 3 unsupported (with\n"
	"on_unsupported=fail), 4 permission denied.\n",
};

int cmd_apply_config(int argc, char **argv)
{
	static const struct option opts[] = {
		APF_GLOBAL_LONG_OPTS,
		{ "check", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct outcome o[2] = {
		{ .key = "host_async_pf", .path = "/sys/module/kvm/parameters/async_pf" },
		{ .key = "guest_async_pf", .path = "/sys/kernel/kvm_async_pf/enabled" },
	};
	const char *file = DEFAULT_CONF;
	struct apf_conf conf;
	char err[256], *text;
	bool check = false;
	int c, rc = APF_EXIT_OK;
	ssize_t n;
	size_t i;

	while ((c = getopt_long(argc, argv, "jphc", opts, NULL)) != -1) {
		if (c == 'p')
			c = APF_OPT_PRETTY;
		if (apf_global_opt(c, optarg))
			continue;
		switch (c) {
		case 'c': check = true; break;
		default: return apf_usage(&apply_usage, c);
		}
	}
	if (argc - optind > 1)
		return apf_fail(APF_EXIT_USAGE, "apply-config: one FILE at most");
	if (optind < argc)
		file = argv[optind];
	/* The config file is a real path, never under --sysroot: only the
	 * switches it sets are (so fixture tests can watch the writes).  A
	 * regular file, or "-" for stdin: apf-setup.service reads it at boot,
	 * where a FIFO in its place would hold the boot until the unit's
	 * timeout. */
	n = strcmp(file, "-") ? apf_slurp(file, APF_CONF_MAX, &text) :
	    apf_read_fd(STDIN_FILENO, APF_CONF_MAX, &text);
	if (n < 0)
		return apf_fail(APF_EXIT_RUNTIME, "apply-config: %s: %s", file,
				n == -EFBIG ? "too large" : apf_strerror((int)-n));
	if (strlen(text) != (size_t)n) {
		free(text);
		return apf_fail(APF_EXIT_RUNTIME, "apply-config: %s: NUL byte in the file", file);
	}
	if (apf_conf_parse(text, &conf, err, sizeof(err))) {
		free(text);
		return apf_fail(APF_EXIT_RUNTIME, "apply-config: %s: %s", file, err);
	}
	free(text);
	o[0].want = conf.host;
	o[1].want = conf.guest;
	apply_one(&o[0], apf_host_switch_get, apf_host_switch_set, check);
	apply_one(&o[1], apf_guest_switch_get, apf_guest_switch_set, check);
	for (i = 0; i < 2; i++) {
		if (!strcmp(o[i].result, "denied"))
			rc = APF_EXIT_PERM;
		else if (!strcmp(o[i].result, "error") && rc != APF_EXIT_PERM)
			rc = APF_EXIT_RUNTIME;
		else if (!strcmp(o[i].result, "unsupported") && conf.fail_unsupported &&
			 rc == APF_EXIT_OK)
			rc = APF_EXIT_UNSUPPORTED;
	}
	if (apf_g.json) {
		json_writer_t *w = apf_json_open();

		if (!w)
			return apf_fail(APF_EXIT_RUNTIME, "out of memory");
		jsonw_start_object(w);
		jsonw_string_field(w, "file", file);
		jsonw_bool_field(w, "check", check);
		jsonw_string_field(w, "on_unsupported", conf.fail_unsupported ? "fail" : "warn");
		jsonw_name(w, "switches");
		jsonw_start_array(w);
		for (i = 0; i < 2; i++) {
			jsonw_start_object(w);
			jsonw_string_field(w, "key", o[i].key);
			jsonw_string_field(w, "switch", o[i].path);
			jsonw_string_field(w, "want", apf_conf_switch_name(o[i].want));
			jsonw_string_field(w, "result", o[i].result);
			if (o[i].before < 0)
				jsonw_null_field(w, "before");
			else
				jsonw_bool_field(w, "before", o[i].before);
			if (o[i].detail[0])
				jsonw_string_field(w, "detail", o[i].detail);
			jsonw_end_object(w);
		}
		jsonw_end_array(w);
		jsonw_int_field(w, "exit", rc);
		jsonw_end_object(w);
		jsonw_destroy(&w);
		putchar('\n');
	} else {
		for (i = 0; i < 2; i++)
			print_text(&o[i]);
	}
	for (i = 0; i < 2; i++)
		if (!strcmp(o[i].result, "unsupported") && !apf_g.json)
			fprintf(stderr, "apfctl: %s: %s=%s is not supported by this "
				"kernel (%s)%s\n", conf.fail_unsupported ? "error" : "warning",
				o[i].key, apf_conf_switch_name(o[i].want), o[i].detail,
				i ? "; alternative at the guest's next boot: " APF_OFF_AT_BOOT_GUEST :
				"; alternative at each guest's next boot: " APF_OFF_AT_BOOT_QEMU);
	return rc;
}
