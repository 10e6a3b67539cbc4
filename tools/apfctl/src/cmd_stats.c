// SPDX-License-Identifier: GPL-2.0-only
/* apfctl stats: counters and per-second rates, in the manner of kvm_stat. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apfctl.h"
#include "cli_opts.h"
#include "clock.h"
#include "fileio.h"
#include "signals.h"
#include "stats_output.h"
#include "stats_sampler.h"
#include "usage.h"

enum { OPT_QMP = 0x2000, OPT_NO_LIBVIRT, OPT_NO_PERF, OPT_NO_QMP };

/* Sleep ms, returning early on a stop request (SIGHUP only interrupts
 * the sleep); the sampler closes the files of VMs that exit meanwhile. */
static void sleep_ms(struct apf_sampler *s, long ms)
{
	int64_t until = apf_now_ms() + ms;

	while (!apf_stop_signal && apf_sampler_wait(s, apf_ms_left(until)) == -EINTR)
		;
}

static void warn_once(const char *msg)
{
	apf_warn("%s", msg);
}

static const struct apf_opt_help stats_opts[] = {
	{ "-1, --once", "one sample over one interval, then exit" },
	{ "-s, --delay SEC", "interval between samples (default 1)" },
	{ "-n, --count N", "stop after N samples" },
	{ "-p, --pid PID", "only the VM of this QEMU process" },
	{ "-g, --guest NAME", "only the VM of this name" },
	{ "-z, --skip-zero", "omit counters that are zero" },
	{ "-a, --all", "every KVM counter, not just the APF set" },
	{ "-v, --vcpus", "per-vCPU rows where the source has them" },
	{ "-l, --log", "log mode: one line per VM per interval" },
	{ "-L, --log-to FILE", "log to FILE (reopened on SIGHUP for logrotate)" },
	{ "-c, --csv", "CSV rows" },
	{ "-j, --json", "JSON, one document per sample" },
	{ "    --qmp PATH", "QMP socket of the selected VM (with -p/-g)" },
	{ "    --no-qmp, --no-libvirt, --no-perf", "skip a source (see apfctl(8), DATA SOURCES)" },
	{ NULL, NULL },
};

static const struct apf_usage stats_usage = {
	"stats", "[OPTIONS]",
	"APF and KVM counters with per-second rates, per VM (and per vCPU).\n",
	stats_opts, NULL,
};

/* As a non-root user with nothing to show: VMs could not be listed (or
 * none had a readable source) and there is no host or guest total.  An
 * empty table with exit 0 would read as "no VMs here". */
static bool nothing_readable(const struct apf_sample *smp)
{
	size_t i;

	if (geteuid() == 0 || smp->total.n || smp->guest)
		return false;
	if (!smp->nvms)
		return smp->vms_err == -EACCES || smp->vms_err == -EPERM;
	for (i = 0; i < smp->nvms; i++)
		if (smp->vms[i].source != APF_SRC_NONE)
			return false;
	return true;
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		APF_GLOBAL_LONG_OPTS,
		{ "once", no_argument, NULL, '1' },
		{ "delay", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "pid", required_argument, NULL, 'p' },
		{ "guest", required_argument, NULL, 'g' },
		{ "skip-zero", no_argument, NULL, 'z' },
		{ "all", no_argument, NULL, 'a' },
		{ "vcpus", no_argument, NULL, 'v' },
		{ "log", no_argument, NULL, 'l' },
		{ "log-to", required_argument, NULL, 'L' },
		{ "csv", no_argument, NULL, 'c' },
		{ "qmp", required_argument, NULL, OPT_QMP },
		{ "no-qmp", no_argument, NULL, OPT_NO_QMP },
		{ "no-libvirt", no_argument, NULL, OPT_NO_LIBVIRT },
		{ "no-perf", no_argument, NULL, OPT_NO_PERF },
		{ NULL, 0, NULL, 0 },
	};
	struct apf_sampler_cfg cfg = { 0 };
	struct stats_output out = { 0 };
	struct apf_sample prev, cur;
	struct apf_sampler *s;
	long delay_ms = 1000, count = 0, taken = 0;
	const char *pid = NULL, *name = NULL;
	bool once = false;
	int c, err, werr = 0;

	while ((c = getopt_long(argc, argv, "1s:n:p:g:zavlL:cjh", opts, NULL)) != -1) {
		if (apf_global_opt(c, optarg))
			continue;
		switch (c) {
		case '1': once = true; break;
		case 's':
			delay_ms = apf_parse_seconds(optarg);
			if (delay_ms < 0)
				return apf_fail(APF_EXIT_USAGE,
						"stats: bad delay '%s' (seconds, > 0)", optarg);
			break;
		case 'n':
			if (apf_parse_int(optarg, 1, LONG_MAX, &count))
				return apf_fail(APF_EXIT_USAGE,
						"stats: bad count '%s'", optarg);
			break;
		case 'p': pid = optarg; break;
		case 'g': name = optarg; break;
		case 'z': out.skip_zero = true; break;
		case 'a': cfg.all = true; break;
		case 'v': cfg.vcpus = true; break;
		case 'l': out.log = true; break;
		case 'L': out.log = true; out.path = optarg; break;
		case 'c': out.csv = true; break;
		case OPT_QMP: cfg.qmp = optarg; break;
		case OPT_NO_QMP: cfg.no_qmp = true; break;
		case OPT_NO_LIBVIRT: cfg.no_libvirt = true; break;
		case OPT_NO_PERF: cfg.no_perf = true; break;
		default: return apf_usage(&stats_usage, c);
		}
	}
	if (optind < argc)
		return apf_fail(APF_EXIT_USAGE, "stats: unexpected argument '%s'",
				argv[optind]);
	if (pid && name)
		return apf_fail(APF_EXIT_USAGE, "stats: -p and -g select the same thing; give one");
	if (pid && strspn(pid, "0123456789") != strlen(pid))
		return apf_fail(APF_EXIT_USAGE, "stats: bad pid '%s'", pid);
	if (cfg.qmp && !pid && !name)
		return apf_fail(APF_EXIT_USAGE, "stats: --qmp needs -p PID or -g NAME");
	if (out.csv && apf_g.json)
		return apf_fail(APF_EXIT_USAGE, "stats: choose one of --csv and --json");
	cfg.select = pid ? pid : name;
	out.json = apf_g.json;
	out.pretty = apf_g.pretty;
	err = stats_output_open(&out);
	if (err)
		return apf_fail(apf_exit_for_errno(err) == APF_EXIT_PERM ?
				APF_EXIT_PERM : err == -APF_EFTYPE || err == -EISDIR ?
				APF_EXIT_USAGE : APF_EXIT_RUNTIME,
				"stats: cannot open log %s: %s", out.path, apf_strerror(-err));
	cfg.qmp_timeout_ms = apf_g.qmp_timeout_ms;
	s = apf_sampler_open(&cfg, &err);
	if (!s) {
		stats_output_close(&out);
		if (err == -ESRCH)
			return apf_fail(APF_EXIT_RUNTIME, "stats: no running VM '%s'",
					cfg.select);
		return apf_fail(APF_EXIT_RUNTIME, "stats: %s", apf_strerror(-err));
	}
	apf_catch_signals((const int[]){ SIGINT, SIGTERM }, 2, 1);
	err = apf_sampler_take(s, &prev, warn_once);
	if (!err && nothing_readable(&prev)) {
		apf_sample_free(&prev);
		apf_sampler_close(s);
		stats_output_close(&out);
		return apf_fail(APF_EXIT_PERM, "stats: nothing readable as uid %d: "
				"listing VMs (/proc/PID/fd, /sys/kernel/debug/kvm), "
				"their QMP sockets and perf tracepoints need root "
				"(try sudo)", (int)geteuid());
	}
	while (!err && !apf_stop_signal) {
		sleep_ms(s, delay_ms);
		if (apf_stop_signal && taken)
			break;
		err = apf_sampler_take(s, &cur, warn_once);
		if (err)
			break;
		if (apf_hup_signal) {
			apf_hup_signal = 0;
			err = stats_output_reopen(&out);
			if (err) {
				apf_sample_free(&cur);
				break;
			}
		}
		werr = stats_output_sample(&out, &cur, &prev);
		apf_sample_free(&prev);
		prev = cur;
		if (werr)
			break;
		taken++;
		if (once || (count && taken >= count))
			break;
	}
	apf_sample_free(&prev);
	apf_sampler_close(s);
	if (werr && !out.path) {
		/* close_stdout() says "write error" at exit. */
		if (!apf_stdout_errno)
			apf_stdout_errno = -werr;
		return APF_EXIT_RUNTIME;
	}
	stats_output_close(&out);
	if (werr)
		return apf_fail(APF_EXIT_RUNTIME, "stats: write error: %s: %s",
				out.path, apf_strerror(werr));
	if (err == -ESRCH)
		return apf_fail(APF_EXIT_RUNTIME, "stats: VM '%s' exited", cfg.select);
	if (err)
		return apf_fail(APF_EXIT_RUNTIME, "stats: %s", apf_strerror(-err));
	return APF_EXIT_OK;
}
