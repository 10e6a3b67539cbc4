// SPDX-License-Identifier: GPL-2.0-only
/* apfctl export: Prometheus text for node_exporter's textfile collector. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apfctl.h"
#include "cli_opts.h"
#include "fileio.h"
#include "probe.h"
#include "prom.h"
#include "stats_sampler.h"
#include "usage.h"

static void labels(FILE *f, const struct apf_vm_row *v)
{
	fprintf(f, "{pid=\"%d\",name=", (int)v->pid);
	apf_prom_label_value(f, v->name);
	fprintf(f, ",source=\"%s\"}", apf_source_name(v->source));
}

/* Tracepoint counters are named after their events (kvm_async_pf_*);
 * KVM statistics never start with "kvm_". */
static bool is_tracepoint(const char *name)
{
	return !strncmp(name, "kvm_", 4);
}

static bool seen_before(const struct apf_sample *s, size_t vm, size_t idx)
{
	size_t i;

	for (i = 0; i <= vm; i++) {
		size_t lim = i == vm ? idx : s->vms[i].counters.n, j;

		if (s->vms[i].source == APF_SRC_TRACEPOINTS)
			continue;
		for (j = 0; j < lim; j++)
			if (!strcmp(s->vms[i].counters.v[j].name,
				    s->vms[vm].counters.v[idx].name))
				return true;
	}
	return false;
}

static void print_value(FILE *f, uint64_t v, double scale)
{
	if (scale == 1.0)
		fprintf(f, " %" PRIu64 "\n", v);
	else
		fprintf(f, " %.9f\n", (double)v * scale);
}

/* One info series per VM, so every VM shows up even without counters. */
static void export_vm_info(FILE *f, const struct apf_sample *s)
{
	size_t i;

	if (!s->nvms)
		return;
	apf_prom_family(f, "apf_vm_info", "gauge",
			"A running VM and the source of its statistics.");
	for (i = 0; i < s->nvms; i++) {
		fputs("apf_vm_info", f);
		labels(f, &s->vms[i]);
		fputs(" 1\n", f);
	}
}

/* Cumulative KVM stats, one family per counter across all VMs. */
static void export_vm_counters(FILE *f, const struct apf_sample *s)
{
	char metric[192];
	size_t i, j, k;
	double scale;
	int gauge;

	for (i = 0; i < s->nvms; i++) {
		if (s->vms[i].source == APF_SRC_TRACEPOINTS)
			continue;
		for (j = 0; j < s->vms[i].counters.n; j++) {
			const char *name = s->vms[i].counters.v[j].name;

			if (seen_before(s, i, j))
				continue;
			apf_prom_metric(metric, sizeof(metric), "apf_vm", name,
					&scale, &gauge);
			apf_prom_family(f, metric, gauge ? "gauge" : "counter",
					"KVM statistic of the VM, summed over its vCPUs.");
			for (k = i; k < s->nvms; k++) {
				const struct apf_counter *c;

				if (s->vms[k].source == APF_SRC_TRACEPOINTS)
					continue;
				c = apf_counters_find(&s->vms[k].counters, name);
				if (!c)
					continue;
				fputs(metric, f);
				labels(f, &s->vms[k]);
				print_value(f, c->value, scale);
			}
		}
	}
}

/* Tracepoint counts cover only the export window: rates, not totals. */
static void export_tp_rates(FILE *f, const struct apf_sample *cur,
			    const struct apf_sample *prev)
{
	const char *metric = "apf_tracepoint_events_per_second";
	double r;
	bool header = false;
	size_t i, j;

	for (i = 0; i <= cur->nvms; i++) {
		const struct apf_counters *c, *p;
		const struct apf_vm_row *v = i < cur->nvms ? &cur->vms[i] : NULL;
		const struct apf_vm_row *pv;
		double dt;

		if (v && v->source != APF_SRC_TRACEPOINTS)
			continue;
		if (!v && cur->total_source != APF_SRC_TRACEPOINTS &&
		    cur->total_source != APF_SRC_DEBUGFS_TP)
			continue;
		c = v ? &v->counters : &cur->total;
		pv = v ? apf_sample_vm(prev, v->pid) : NULL;
		p = v ? (pv ? &pv->counters : NULL) : &prev->total;
		/* Each scope over the times it was read (a slow VM does not
		 * bend the others' rates). */
		dt = v ? apf_vm_dt(v, pv) : cur->total_time - prev->total_time;
		for (j = 0; j < c->n; j++) {
			if (!is_tracepoint(c->v[j].name) || !apf_rate(p, &c->v[j], dt, &r))
				continue;
			if (!header) {
				apf_prom_family(f, metric, "gauge",
						"KVM tracepoint events per second over the export window.");
				header = true;
			}
			fprintf(f, "%s{event=", metric);
			apf_prom_label_value(f, c->v[j].name);
			fputs(",scope=", f);
			if (v) {
				fprintf(f, "\"vm\",pid=\"%d\",name=", (int)v->pid);
				apf_prom_label_value(f, v->name);
			} else {
				fputs("\"host\"", f);
			}
			fprintf(f, "} %.3f\n", r);
		}
	}
}

static void export_counters(FILE *f, const char *prefix,
			    const struct apf_counters *c, const char *help)
{
	char metric[192];
	double scale;
	size_t i;
	int gauge;

	for (i = 0; i < c->n; i++) {
		/* Tracepoint counts cover the window only: export_tp_rates. */
		if (is_tracepoint(c->v[i].name))
			continue;
		apf_prom_metric(metric, sizeof(metric), prefix, c->v[i].name,
				&scale, &gauge);
		apf_prom_family(f, metric, gauge ? "gauge" : "counter", help);
		fputs(metric, f);
		print_value(f, c->v[i].value, scale);
	}
}

static void export_state(FILE *f)
{
	struct apf_host_probe h;
	struct apf_guest_probe g;

	if (!apf_host_probe(&h) && apf_is_host(&h)) {
		apf_prom_family(f, "apf_host_info", "gauge",
				"KVM host support for async page faults.");
		fprintf(f, "apf_host_info{counters=\"%s\",switch=\"%s\",lockdown=",
			h.counters ? "present" : "absent",
			h.switch_present ? "present" : "absent");
		apf_prom_label_value(f, h.lockdown[0] ? h.lockdown : "unknown");
		fprintf(f, ",debugfs=\"%s\"} 1\n", apf_debugfs_state_name(h.debugfs));
		apf_prom_family(f, "apf_host_async_pf_enabled", "gauge",
				"1 if the host starts new async page faults.");
		fprintf(f, "apf_host_async_pf_enabled %d\n",
			!h.switch_present || h.switch_on);
	}
	apf_host_probe_free(&h);
	if (!apf_guest_probe(&g) && apf_is_guest(&g) && g.sysfs_enabled_known) {
		apf_prom_family(f, "apf_guest_async_pf_enabled", "gauge",
				"1 if this guest takes async page faults (sysfs switch).");
		fprintf(f, "apf_guest_async_pf_enabled %d\n", g.enabled);
	}
	apf_guest_probe_free(&g);
}

static const struct apf_opt_help export_opts[] = {
	{ "-o, --output FILE", "write FILE atomically (node_exporter textfile\n"
			       "collector: a *.prom file in its directory)" },
	{ "-d, --duration SEC", "window for tracepoint rates (default 1)" },
	{ NULL, NULL },
};

static const struct apf_usage export_usage = {
	"export", "[-o FILE] [-d SEC]",
	"Prometheus text exposition of APF state and counters.\n",
	export_opts, NULL,
};

static int write_exposition(FILE *f, const struct apf_sample *cur,
		     const struct apf_sample *prev, double took)
{
	export_state(f);
	export_vm_info(f, cur);
	export_vm_counters(f, cur);
	if (cur->total_source == APF_SRC_DEBUGFS ||
	    cur->total_source == APF_SRC_DEBUGFS_TP)
		export_counters(f, "apf_host", &cur->total,
				"KVM statistic summed over all VMs (debugfs).");
	export_tp_rates(f, cur, prev);
	if (cur->guest)
		export_counters(f, "apf_guest", &cur->guest_counters,
				"Guest async page fault counter.");
	apf_prom_family(f, "apf_export_duration_seconds", "gauge",
			"Time apfctl export took, including the window.");
	fprintf(f, "apf_export_duration_seconds %.3f\n", took);
	apf_prom_family(f, "apf_export_timestamp_seconds", "gauge",
			"Unix time of this export.");
	fprintf(f, "apf_export_timestamp_seconds %lld\n", (long long)time(NULL));
	return ferror(f) ? -EIO : 0;
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		APF_GLOBAL_LONG_OPTS,
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct apf_sampler_cfg cfg = { 0 };
	struct apf_sample prev, cur;
	struct apf_sampler *s;
	const char *out = NULL;
	long window_ms = 1000;
	FILE *f = stdout;
	int c, err;

	while ((c = getopt_long(argc, argv, "o:d:h", opts, NULL)) != -1) {
		if (apf_global_opt(c, optarg))
			continue;
		switch (c) {
		case 'o': out = optarg; break;
		case 'd':
			window_ms = apf_parse_seconds(optarg);
			if (window_ms < 0)
				return apf_fail(APF_EXIT_USAGE, "export: bad duration '%s'",
						optarg);
			break;
		default: return apf_usage(&export_usage, c);
		}
	}
	if (optind < argc)
		return apf_fail(APF_EXIT_USAGE, "export: unexpected argument '%s'",
				argv[optind]);
	cfg.qmp_timeout_ms = apf_g.qmp_timeout_ms;
	s = apf_sampler_open(&cfg, &err);
	if (!s)
		return apf_fail(APF_EXIT_RUNTIME, "export: %s", apf_strerror(-err));
	err = apf_sampler_take(s, &prev, NULL);
	if (!err) {
		apf_sampler_wait(s, window_ms);
		err = apf_sampler_take(s, &cur, NULL);
		if (err)
			apf_sample_free(&prev);
	}
	apf_sampler_close(s);
	if (err)
		return apf_fail(APF_EXIT_RUNTIME, "export: %s", apf_strerror(-err));
	if (out) {
		/* Built in memory, then written beside out and renamed over
		 * it: the collector never reads a half-written file, and
		 * nothing already at a temporary name is opened. */
		char *text = NULL;
		size_t len = 0;

		f = open_memstream(&text, &len);
		if (!f) {
			err = -errno;
			goto done;
		}
		err = write_exposition(f, &cur, &prev, cur.time - prev.time);
		if (fclose(f) && !err)
			err = -ENOMEM;
		if (!err)
			err = apf_write_atomic(out, text, len, 0644);
		free(text);
	} else {
		err = write_exposition(f, &cur, &prev, cur.time - prev.time);
	}
done:
	apf_sample_free(&prev);
	apf_sample_free(&cur);
	if (err && !out && apf_stdout_errno)
		return APF_EXIT_RUNTIME;	/* close_stdout(): "write error" */
	if (err)
		return apf_fail(apf_exit_for_errno(err) == APF_EXIT_PERM ?
				APF_EXIT_PERM : APF_EXIT_RUNTIME, "export: %s: %s",
				out ? out : "stdout", apf_strerror(-err));
	return APF_EXIT_OK;
}
