// SPDX-License-Identifier: GPL-2.0-only
/* apfctl trace: per-fault async-PF latency from kvm tracepoints.
 *
 * Every kvm_async_pf_not_present is matched to the kvm_async_pf_ready with
 * the same (process, token); the time between them is how long the guest
 * task waited for the host to bring the page in.  Samples come from per-CPU
 * rings that are not merged in time order, so a ready may be read before
 * its not_present: both sides wait in tables until their partner arrives. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apfctl.h"
#include "cli_opts.h"
#include "clock.h"
#include "fileio.h"
#include "fault_match.h"
#include "histogram.h"
#include "perf_tp.h"
#include "signals.h"
#include "sysroot.h"
#include "tracefs.h"
#include "usage.h"
#include "vms.h"

#define TRACE_DEFAULT_MS 10000
#define POLL_SLICE_MS 200
#define HIST_WIDTH 52

/* ---- output ------------------------------------------------------------ */

static uint64_t hist_mean(const struct apf_histogram *h)
{
	return h->count ? h->sum / h->count : 0;
}

static uint64_t bucket_le(unsigned int i)
{
	return i >= 63 ? UINT64_MAX : (UINT64_C(2) << i) - 1;
}

static void json_latency(json_writer_t *w, struct apf_histogram *h)
{
	static const struct { const char *name; double p; } pct[] = {
		{ "p50", 50 }, { "p90", 90 }, { "p99", 99 },
	};
	unsigned int i, lo = APF_HIST_BUCKETS, hi = 0;
	size_t k;

	jsonw_uint_field(w, "count", h->count);
	jsonw_name(w, "latency_ns");
	jsonw_start_object(w);
	/* No faults, no latency: null rather than a misleading 0. */
	if (h->count) {
		jsonw_uint_field(w, "min", h->min);
		jsonw_uint_field(w, "mean", hist_mean(h));
		for (k = 0; k < sizeof(pct) / sizeof(*pct); k++)
			jsonw_uint_field(w, pct[k].name, apf_hist_percentile(h, pct[k].p));
		jsonw_uint_field(w, "max", h->max);
	} else {
		jsonw_null_field(w, "min");
		jsonw_null_field(w, "mean");
		for (k = 0; k < sizeof(pct) / sizeof(*pct); k++)
			jsonw_null_field(w, pct[k].name);
		jsonw_null_field(w, "max");
	}
	jsonw_end_object(w);
	/* Per-bucket (not cumulative) counts; le_ns is the bucket's inclusive
	 * upper bound, 2^(i+1)-1.  Empty buckets at either end are left out. */
	for (i = 0; i < APF_HIST_BUCKETS; i++) {
		if (!h->bucket[i])
			continue;
		if (i < lo)
			lo = i;
		hi = i;
	}
	jsonw_name(w, "histogram");
	jsonw_start_array(w);
	for (i = lo; i <= hi && lo < APF_HIST_BUCKETS; i++) {
		jsonw_start_object(w);
		jsonw_uint_field(w, "le_ns", bucket_le(i));
		jsonw_uint_field(w, "count", h->bucket[i]);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static int print_json(struct apf_fault_matcher *c, const struct apf_tracefs *t,
		      double secs, uint64_t lost)
{
	uint64_t unp = 0, urd = 0;
	json_writer_t *w = apf_json_open();
	size_t i;

	if (!w)
		return -ENOMEM;
	jsonw_start_object(w);
	jsonw_string_field(w, "source", "tracepoints");
	jsonw_name(w, "tracepoints");
	jsonw_start_object(w);
	jsonw_string_field(w, "not_present", t->tp[c->np_idx].name);
	jsonw_string_field(w, "ready", t->tp[c->ready_idx].name);
	jsonw_end_object(w);
	jsonw_float_field(w, "duration_s", secs);
	jsonw_name(w, "events");
	jsonw_start_object(w);
	jsonw_uint_field(w, "not_present", c->not_present);
	jsonw_uint_field(w, "ready", c->ready_n);
	jsonw_uint_field(w, "ready_broadcast", c->ready_broadcast);
	jsonw_uint_field(w, "lost", lost);
	jsonw_end_object(w);
	jsonw_name(w, "vms");
	jsonw_start_array(w);
	for (i = 0; i < c->nvm; i++) {
		struct apf_fault_vm *v = &c->vm[i];

		jsonw_start_object(w);
		jsonw_int_field(w, "pid", v->pid);
		jsonw_string_field(w, "name", v->name);
		json_latency(w, &v->hist);
		jsonw_uint_field(w, "unmatched_not_present", v->unmatched_np);
		jsonw_uint_field(w, "unmatched_ready", v->unmatched_ready);
		jsonw_uint_field(w, "ready_broadcast", v->ready_broadcast);
		jsonw_end_object(w);
		unp += v->unmatched_np;
		urd += v->unmatched_ready;
	}
	jsonw_end_array(w);
	jsonw_name(w, "total");
	jsonw_start_object(w);
	json_latency(w, &c->total);
	jsonw_uint_field(w, "unmatched_not_present", unp);
	jsonw_uint_field(w, "unmatched_ready", urd);
	jsonw_uint_field(w, "ready_broadcast", c->ready_broadcast);
	jsonw_end_object(w);
	jsonw_end_object(w);
	jsonw_destroy(&w);
	return 0;
}

static void fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", (double)ns / 1e3);
	else if (ns < UINT64_C(1000000000))
		snprintf(buf, len, "%.2fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.3fs", (double)ns / 1e9);
}

/* bpftrace's power-of-two labels: 512, 1K, 2K ... 1M ... 16E. */
static void fmt_pow2(char *buf, size_t len, unsigned int e)
{
	static const char suffix[] = " KMGTPE";
	unsigned int s = e / 10;

	if (s >= sizeof(suffix) - 1)
		s = sizeof(suffix) - 2;
	if (s)
		snprintf(buf, len, "%" PRIu64 "%c", UINT64_C(1) << (e - s * 10), suffix[s]);
	else
		snprintf(buf, len, "%" PRIu64, UINT64_C(1) << e);
}

static void print_hist(const struct apf_histogram *h)
{
	unsigned int i, lo = APF_HIST_BUCKETS, hi = 0;
	uint64_t peak = 0;

	for (i = 0; i < APF_HIST_BUCKETS; i++) {
		if (!h->bucket[i])
			continue;
		if (i < lo)
			lo = i;
		hi = i;
		if (h->bucket[i] > peak)
			peak = h->bucket[i];
	}
	if (lo >= APF_HIST_BUCKETS)
		return;
	printf("  latency (ns):\n");
	for (i = lo; i <= hi; i++) {
		char a[24], b[24], label[56];
		unsigned int bar = (unsigned int)((double)h->bucket[i] * HIST_WIDTH / (double)peak);
		unsigned int k;

		if (i == 0)
			snprintf(a, sizeof(a), "0");
		else
			fmt_pow2(a, sizeof(a), i);
		fmt_pow2(b, sizeof(b), i + 1);
		snprintf(label, sizeof(label), "[%s, %s)", a, b);
		printf("  %-16s %10" PRIu64 " |", label, h->bucket[i]);
		for (k = 0; k < HIST_WIDTH; k++)
			putchar(k < bar ? '@' : ' ');
		printf("|\n");
	}
}

static void print_summary(const char *title, struct apf_histogram *h,
			  uint64_t unp, uint64_t urd, uint64_t bcast)
{
	char mn[16], me[16], p50[16], p90[16], p99[16], mx[16];

	printf("%s\n", title);
	printf("  faults %" PRIu64 "  unmatched not_present %" PRIu64
	       "  unmatched ready %" PRIu64 "  ready broadcast %" PRIu64 "\n",
	       h->count, unp, urd, bcast);
	if (!h->count)
		return;
	fmt_ns(mn, sizeof(mn), h->min);
	fmt_ns(me, sizeof(me), hist_mean(h));
	fmt_ns(p50, sizeof(p50), apf_hist_percentile(h, 50));
	fmt_ns(p90, sizeof(p90), apf_hist_percentile(h, 90));
	fmt_ns(p99, sizeof(p99), apf_hist_percentile(h, 99));
	fmt_ns(mx, sizeof(mx), h->max);
	printf("  %-9s %-9s %-9s %-9s %-9s %s\n", "MIN", "MEAN", "P50", "P90", "P99", "MAX");
	printf("  %-9s %-9s %-9s %-9s %-9s %s\n", mn, me, p50, p90, p99, mx);
	print_hist(h);
}

static void print_text(struct apf_fault_matcher *c, const struct apf_tracefs *t,
		       double secs, uint64_t lost)
{
	uint64_t unp = 0, urd = 0;
	size_t i;

	printf("Async page fault latency, %s -> %s, %.2f s\n",
	       apf_safe(t->tp[c->np_idx].name), apf_safe(t->tp[c->ready_idx].name),
	       secs);
	printf("events: not_present %" PRIu64 ", ready %" PRIu64
	       ", ready broadcast %" PRIu64 ", lost %" PRIu64 "\n",
	       c->not_present, c->ready_n, c->ready_broadcast, lost);
	if (lost)
		printf("warning: the kernel dropped %" PRIu64 " samples; "
		       "counts and matches are incomplete\n", lost);
	for (i = 0; i < c->nvm; i++) {
		struct apf_fault_vm *v = &c->vm[i];
		char title[APF_SAFE_MAX + 48];

		snprintf(title, sizeof(title), "\nVM %s (pid %d)", apf_safe(v->name),
			 (int)v->pid);
		print_summary(title, &v->hist, v->unmatched_np, v->unmatched_ready,
			      v->ready_broadcast);
		unp += v->unmatched_np;
		urd += v->unmatched_ready;
	}
	if (c->nvm != 1)
		print_summary(c->nvm ? "\nAll VMs" : "\nNo async page faults seen.",
			      &c->total, unp, urd, c->ready_broadcast);
}

/* ---- command ----------------------------------------------------------- */

static const struct apf_opt_help trace_opts[] = {
	{ "-d, --duration SEC", "sampling window (default 10)" },
	{ "-p, --pid PID", "only this VMM process" },
	{ "-g, --guest NAME", "only this VM (QEMU -name or pid)" },
	{ "-j, --json", "JSON output" },
	{ NULL, NULL },
};

static const struct apf_usage trace_usage = {
	"trace", "[-d SEC] [-p PID | -g NAME] [-j] [--pretty]",
	"Measure each async page fault's latency (kvm_async_pf_not_present to\n"
	"kvm_async_pf_ready for the same token) from kvm tracepoints, and print\n"
	"per-VM min/mean/p50/p90/p99/max with a log2 histogram.  Ctrl-C ends\n"
	"the window early and still prints the result.  Needs root or\n"
	"CAP_PERFMON.\n",
	trace_opts, NULL,
};

static const struct apf_tracepoint *find_tp(const struct apf_tracefs *t,
					    const char *suffix, size_t *idx)
{
	size_t i, sl = strlen(suffix);

	/* Discovered, not hard-coded: any async_pf event ending in suffix. */
	for (i = 0; i < t->ntp; i++) {
		const char *n = t->tp[i].name;
		size_t nl = strlen(n);

		if (strstr(n, "async_pf") && nl >= sl && !strcmp(n + nl - sl, suffix)) {
			*idx = i;
			return &t->tp[i];
		}
	}
	return NULL;
}

static int perf_exit(int err, const char *what)
{
	if (err == -EACCES || err == -EPERM)
		return apf_fail(APF_EXIT_PERM, "trace: needs root or CAP_PERFMON "
				"(%s: %s)", what, apf_strerror(-err));
	if (err == -ENOENT || err == -ENODEV || err == -EOPNOTSUPP || err == -ENOSYS)
		return apf_fail(APF_EXIT_UNSUPPORTED, "trace: perf tracepoints not "
				"supported here (%s: %s)", what, apf_strerror(-err));
	return apf_fail(APF_EXIT_RUNTIME, "trace: %s: %s", what, apf_strerror(-err));
}


static int run_trace(struct apf_fault_matcher *c, const struct apf_tracefs *t, long ms)
{
	struct apf_tp_sampler *s;
	size_t idx[2] = { c->np_idx, c->ready_idx };
	uint64_t lost = 0;
	int64_t deadline;
	double start, secs;
	int err, r;

	s = apf_tp_sampler_open(t, idx, 2, &err);
	if (!s)
		return perf_exit(err, "perf_event_open");

	/* Ctrl-C ends the window early; poll() returns at once. */
	apf_catch_signals((const int[]){ SIGINT, SIGTERM }, 2, 0);

	start = apf_now_s();
	deadline = apf_now_ms() + ms;
	r = 0;
	while (!apf_stop_signal && !c->err) {
		int left = apf_ms_left(deadline);

		if (!left)
			break;
		r = apf_tp_sampler_poll(s, left < POLL_SLICE_MS ? left : POLL_SLICE_MS,
					apf_fault_match_sample, c, &lost);
		if (r < 0)
			break;
	}
	/* Whatever arrived up to the end of the window still counts. */
	if (r >= 0)
		r = apf_tp_sampler_poll(s, 0, apf_fault_match_sample, c, &lost);
	secs = apf_now_s() - start;
	apf_tp_sampler_close(s);

	if (r < 0)
		return apf_fail(APF_EXIT_RUNTIME, "trace: poll: %s", apf_strerror(-r));
	if (c->err)
		return apf_fail(APF_EXIT_RUNTIME, "trace: %s", apf_strerror(-c->err));
	apf_fault_match_finish(c);
	if (c->err)
		return apf_fail(APF_EXIT_RUNTIME, "trace: %s", apf_strerror(-c->err));
	if (apf_g.json)
		return print_json(c, t, secs, lost) ? apf_fail(APF_EXIT_RUNTIME, "trace: out of memory")
						     : APF_EXIT_OK;
	print_text(c, t, secs, lost);
	return APF_EXIT_OK;
}

int cmd_trace(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "pid", required_argument, NULL, 'p' },
		{ "guest", required_argument, NULL, 'g' },
		APF_GLOBAL_LONG_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	const char *guest = NULL;
	struct apf_vm_list vms = { NULL, 0 };
	struct apf_tracefs *t = NULL;
	struct apf_fault_matcher c;
	long ms = TRACE_DEFAULT_MS, pid = 0;
	int ch, err, rc;

	while ((ch = getopt_long(argc, argv, "d:p:g:jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			ms = apf_parse_seconds(optarg);
			if (ms < 0)
				return apf_fail(APF_EXIT_USAGE, "trace: bad duration '%s'", optarg);
			break;
		case 'p':
			if (apf_parse_int(optarg, 1, INT32_MAX, &pid))
				return apf_fail(APF_EXIT_USAGE, "trace: bad pid '%s'", optarg);
			break;
		case 'g':
			guest = optarg;
			break;
		default:
			if (ch != 'h' && apf_global_opt(ch, optarg))
				break;
			return apf_usage(&trace_usage, ch);
		}
	}
	if (optind < argc)
		return apf_fail(APF_EXIT_USAGE, "trace: unexpected argument '%s'", argv[optind]);
	if (pid && guest)
		return apf_fail(APF_EXIT_USAGE, "trace: -p and -g are exclusive");

	/* The tracefs struct is large (16 formats): keep it off the stack. */
	t = calloc(1, sizeof(*t));
	if (!t)
		return apf_fail(APF_EXIT_RUNTIME, "trace: out of memory");
	apf_fault_matcher_init(&c, 0, 0);

	err = apf_tracefs_discover(t);
	if (err == -EACCES || err == -EPERM) {
		rc = apf_fail(APF_EXIT_PERM, "trace: needs root to read tracefs "
			      "(/sys/kernel/tracing: %s)", apf_strerror(-err));
		goto out;
	}
	if (err || !t->found) {
		rc = apf_fail(APF_EXIT_UNSUPPORTED, "trace: no tracefs at "
			      "/sys/kernel/tracing or /sys/kernel/debug/tracing "
			      "(mount -t tracefs none /sys/kernel/tracing)");
		goto out;
	}
	{
		bool have_np = find_tp(t, "not_present", &c.np_idx);
		bool have_rd = find_tp(t, "_ready", &c.ready_idx);

		if (!have_np || !have_rd) {
			rc = apf_fail(APF_EXIT_UNSUPPORTED, "trace: no %s%s%s tracepoint "
				      "in %s/events/kvm (is kvm loaded, with async PF?)",
				      have_np ? "" : "kvm_async_pf_*not_present",
				      !have_np && !have_rd ? " or " : "",
				      have_rd ? "" : "kvm_async_pf_*ready", t->dir);
			goto out;
		}
	}
	{
		size_t k, which[2] = { c.np_idx, c.ready_idx };

		for (k = 0; k < 2; k++) {
			const struct apf_tracepoint *tp = &t->tp[which[k]];

			if (!tp->id_readable || !tp->id) {
				rc = apf_fail(APF_EXIT_UNSUPPORTED, "trace: no id for "
					      "tracepoint %s", tp->name);
				goto out;
			}
			if (!apf_tp_field(tp, "token")) {
				rc = apf_fail(APF_EXIT_UNSUPPORTED, "trace: tracepoint %s has "
					      "no token field in its format", tp->name);
				goto out;
			}
		}
	}

	/* Names come from the VM list; a VM that is not in it is named by
	 * its comm when its first fault arrives. */
	err = apf_vms_discover(&vms);
	if (err)
		vms.n = 0;
	c.vms = &vms;
	if (guest) {
		const struct apf_vm *vm = apf_vms_find(&vms, guest);

		if (!vm) {
			rc = apf_fail(APF_EXIT_RUNTIME, "trace: no VM '%s'", guest);
			goto out;
		}
		pid = vm->pid;
	} else if (pid) {
		char path[64];

		/* perf sees the live system, whatever --sysroot says. */
		snprintf(path, sizeof(path), "/proc/%ld", pid);
		if (!apf_is_dir(path)) {
			rc = apf_fail(APF_EXIT_RUNTIME, "trace: no process %ld", pid);
			goto out;
		}
	}
	c.only_pid = (pid_t)pid;
	/* A selected VM is reported even if it has no faults. */
	if (c.only_pid && !apf_fault_vm_get(&c, c.only_pid)) {
		rc = apf_fail(APF_EXIT_RUNTIME, "trace: out of memory");
		goto out;
	}
	rc = run_trace(&c, t, ms);
out:
	apf_fault_matcher_free(&c);
	apf_vms_free(&vms);
	free(t);
	return rc;
}
