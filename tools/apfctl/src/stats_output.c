// SPDX-License-Identifier: GPL-2.0-only
#include "stats_output.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apfctl.h"
#include "clock.h"
#include "fileio.h"
#include "json_writer.h"
#include "sanitize.h"

/* A log file gets what stdout would: through the encoding layer
 * (lib/sanitize.h), JSON unchanged. */
static FILE *log_open(const char *path)
{
	/* Never a FIFO's; a device the operator names (/dev/null, a tty)
	 * is fine. */
	int fd = apf_open_append_regular(path, 0644, true);
	FILE *f;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	f = apf_safe_fdopen(fd, APF_SAN_NL | APF_SAN_TAB | APF_SAN_OWN_FD, &apf_g.json,
			    NULL);
	if (!f) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

int stats_output_open(struct stats_output *o)
{
	o->f = stdout;
	if (!o->path)
		return 0;
	o->f = log_open(o->path);
	return o->f ? 0 : -errno;
}

int stats_output_reopen(struct stats_output *o)
{
	FILE *f;

	if (!o->path)
		return 0;
	f = log_open(o->path);
	if (!f)
		return -errno;
	fclose(o->f);
	o->f = f;
	o->header_done = false;	/* a new file gets its CSV header again */
	return 0;
}

void stats_output_close(struct stats_output *o)
{
	if (o->f && o->f != stdout)
		fclose(o->f);
	else if (o->f)
		fflush(o->f);
	o->f = NULL;
}

static bool skip(const struct stats_output *o, const struct apf_counter *c)
{
	return o->skip_zero && !c->value;
}

/* Where a scope's rates come from: its previous counters over its own
 * interval, or (sum != NULL) the host total summed over the VM rows. */
struct rates {
	const struct apf_counters *prev;
	double dt;
	const struct apf_sample *sum_cur, *sum_prev;
};

static bool rate_of(const struct rates *rs, const struct apf_counter *c,
		    double *r)
{
	if (rs->sum_cur)
		return apf_total_rate(rs->sum_cur, rs->sum_prev, c, r);
	return apf_rate(rs->prev, c, rs->dt, r);
}

static struct rates vm_rates(const struct apf_vm_row *v,
			     const struct apf_vm_row *pv,
			     const struct apf_counters *prev)
{
	struct rates rs = { prev, apf_vm_dt(v, pv), NULL, NULL };

	return rs;
}

static struct rates total_rates(const struct apf_sample *cur,
				const struct apf_sample *prev)
{
	struct rates rs = { prev->total_source == cur->total_source ?
			    &prev->total : NULL,
			    cur->total_time - prev->total_time, NULL, NULL };

	if (cur->total_source == APF_SRC_SUM) {
		rs.sum_cur = cur;
		rs.sum_prev = prev;
	}
	return rs;
}

static struct rates guest_rates(const struct apf_sample *cur,
				const struct apf_sample *prev)
{
	struct rates rs = { &prev->guest_counters,
			    cur->guest_time - prev->guest_time, NULL, NULL };

	return rs;
}

/* --- JSON ----------------------------------------------------------- */

/* Seconds a window count spans (since its perf counter was opened). */
static double window_s(double now, double since)
{
	return since > 0 && now > since ? now - since : 0.0;
}

static void json_counters(json_writer_t *w, const struct stats_output *o,
			  const struct apf_counters *cur, const struct rates *rs,
			  double now, double window_since)
{
	size_t i;
	double r;

	jsonw_name(w, "counters");
	jsonw_start_object(w);
	for (i = 0; i < cur->n; i++)
		if (!skip(o, &cur->v[i]))
			jsonw_uint_field(w, cur->v[i].name, cur->v[i].value);
	jsonw_end_object(w);
	jsonw_name(w, "rates");
	jsonw_start_object(w);
	for (i = 0; i < cur->n; i++) {
		if (skip(o, &cur->v[i]))
			continue;
		if (rate_of(rs, &cur->v[i], &r))
			jsonw_float_field(w, cur->v[i].name, r);
		else
			jsonw_null_field(w, cur->v[i].name);
	}
	jsonw_end_object(w);
	/* Which of the counters are apfctl's own tracepoint counts over a
	 * window, not KVM's totals: scripts must not add the two kinds. */
	if (!apf_counters_have_window(cur))
		return;
	jsonw_name(w, "tracepoint_window");
	jsonw_start_object(w);
	jsonw_float_field(w, "seconds", window_s(now, window_since));
	jsonw_name(w, "counters");
	jsonw_start_array(w);
	for (i = 0; i < cur->n; i++)
		if (cur->v[i].kind == APF_COUNTER_WINDOW && !skip(o, &cur->v[i]))
			jsonw_string(w, cur->v[i].name);
	jsonw_end_array(w);
	jsonw_end_object(w);
}

static const struct apf_counters *prev_vcpu(const struct apf_vm_row *pv,
					    unsigned int index)
{
	size_t i;

	for (i = 0; pv && i < pv->nvcpus; i++)
		if (pv->vcpus[i].index == index)
			return &pv->vcpus[i].counters;
	return NULL;
}

static void json_sample(struct stats_output *o, const struct apf_sample *cur,
			const struct apf_sample *prev)
{
	double dt = cur->time - prev->time;
	json_writer_t *w = jsonw_new(o->f);
	char ts[APF_ISO_TIME_LEN];

	apf_g.json_started |= o->f == stdout;
	size_t i, j;

	if (!w)
		return;
	jsonw_pretty(w, o->pretty);
	apf_iso_time(ts, sizeof(ts), NULL, false);
	jsonw_start_object(w);
	jsonw_string_field(w, "time", ts);
	jsonw_float_field(w, "interval_s", dt);
	jsonw_name(w, "vms");
	jsonw_start_array(w);
	for (i = 0; i < cur->nvms; i++) {
		const struct apf_vm_row *v = &cur->vms[i];
		const struct apf_vm_row *pv = apf_sample_vm(prev, v->pid);
		struct rates rs = vm_rates(v, pv, pv ? &pv->counters : NULL);

		jsonw_start_object(w);
		jsonw_int_field(w, "pid", v->pid);
		jsonw_string_field(w, "name", v->name);
		jsonw_string_field(w, "source", apf_source_name(v->source));
		jsonw_string_field(w, "source_detail", v->detail);
		if (pv)
			jsonw_float_field(w, "interval_s", rs.dt);
		else
			jsonw_null_field(w, "interval_s");
		json_counters(w, o, &v->counters, &rs, v->time, v->window_since);
		if (v->nvcpus) {
			jsonw_name(w, "vcpus");
			jsonw_start_array(w);
			for (j = 0; j < v->nvcpus; j++) {
				jsonw_start_object(w);
				struct rates vrs = vm_rates(v, pv,
					prev_vcpu(pv, v->vcpus[j].index));

				jsonw_uint_field(w, "index", v->vcpus[j].index);
				json_counters(w, o, &v->vcpus[j].counters, &vrs,
					      v->time, v->window_since);
				jsonw_end_object(w);
			}
			jsonw_end_array(w);
		}
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	if (cur->total_source != APF_SRC_NONE) {
		jsonw_name(w, "total");
		jsonw_start_object(w);
		struct rates rs = total_rates(cur, prev);

		jsonw_string_field(w, "source", apf_source_name(cur->total_source));
		json_counters(w, o, &cur->total, &rs, cur->total_time,
			      cur->total_window_since);
		jsonw_end_object(w);
	} else {
		jsonw_null_field(w, "total");
	}
	if (cur->guest) {
		jsonw_name(w, "guest");
		jsonw_start_object(w);
		struct rates rs = guest_rates(cur, prev);

		jsonw_string_field(w, "source", cur->guest_source == APF_SRC_SYSFS ?
				   "sysfs" : "interrupts");
		json_counters(w, o, &cur->guest_counters, &rs, cur->guest_time, 0);
		jsonw_end_object(w);
	} else {
		jsonw_null_field(w, "guest");
	}
	jsonw_end_object(w);
	jsonw_destroy(&w);
}

/* --- CSV and log lines ----------------------------------------------- */

static void csv_field(FILE *f, const char *s)
{
	const unsigned int keep = 0;	/* a newline too: one record a line */
	const char *q;

	/* RFC 4180: quote when needed, double embedded quotes; what is
	 * between the quotes is encoded (a CSV goes to terminals too, and
	 * line-oriented tools read it). */
	if (!strpbrk(s, ",\"")) {
		apf_fputs_safe(s, f, keep);
		return;
	}
	putc('"', f);
	while ((q = strchr(s, '"'))) {
		char part[256];
		size_t n = (size_t)(q - s);

		/* Encode up to the quote; a name is far shorter than part. */
		while (n) {
			size_t k = n < sizeof(part) - 1 ? n : sizeof(part) - 1;

			memcpy(part, s, k);
			part[k] = '\0';
			apf_fputs_safe(part, f, keep);
			s += k;
			n -= k;
		}
		fputs("\"\"", f);
		s++;
	}
	apf_fputs_safe(s, f, keep);
	putc('"', f);
}

/* One scope of a sample (a VM, one of its vCPUs, the host total or the
 * guest) with what CSV rows and log lines print for it. */
struct scope {
	const char *ts, *kind, *name, *source;
	pid_t pid;
	long vcpu;		/* -1 unless kind is "vcpu" */
	const struct apf_counters *cur;
	struct rates rates;
	double window;		/* seconds the window counts span */
};

/* The source of one counter of a scope: a debugfs+tracepoints total has
 * its totals from debugfs and its window counts from tracepoints. */
static const char *counter_source(const struct scope *sc,
				  const struct apf_counter *c)
{
	if (strcmp(sc->source, apf_source_name(APF_SRC_DEBUGFS_TP)))
		return sc->source;
	return apf_source_name(c->kind == APF_COUNTER_WINDOW ?
			       APF_SRC_TRACEPOINTS : APF_SRC_DEBUGFS);
}

typedef void (*scope_fn)(struct stats_output *o, const struct scope *sc);

/* Walk every scope of cur, in output order; vCPU rows only if vcpus. */
static void for_each_scope(struct stats_output *o, const struct apf_sample *cur,
			   const struct apf_sample *prev, bool vcpus, scope_fn fn)
{
	struct scope sc = { .vcpu = -1 };
	char ts[APF_ISO_TIME_LEN];
	size_t i, j;

	apf_iso_time(ts, sizeof(ts), NULL, false);
	sc.ts = ts;
	for (i = 0; i < cur->nvms; i++) {
		const struct apf_vm_row *v = &cur->vms[i];
		const struct apf_vm_row *pv = apf_sample_vm(prev, v->pid);

		sc.kind = "vm";
		sc.pid = v->pid;
		sc.name = v->name;
		sc.source = apf_source_name(v->source);
		sc.cur = &v->counters;
		sc.rates = vm_rates(v, pv, pv ? &pv->counters : NULL);
		sc.window = window_s(v->time, v->window_since);
		fn(o, &sc);
		for (j = 0; vcpus && j < v->nvcpus; j++) {
			sc.kind = "vcpu";
			sc.vcpu = v->vcpus[j].index;
			sc.cur = &v->vcpus[j].counters;
			sc.rates = vm_rates(v, pv, prev_vcpu(pv, v->vcpus[j].index));
			fn(o, &sc);
		}
		sc.vcpu = -1;
	}
	sc.pid = 0;
	sc.name = "";
	if (cur->total_source != APF_SRC_NONE) {
		sc.kind = "total";
		sc.source = apf_source_name(cur->total_source);
		sc.cur = &cur->total;
		sc.rates = total_rates(cur, prev);
		sc.window = window_s(cur->total_time, cur->total_window_since);
		fn(o, &sc);
	}
	if (cur->guest) {
		sc.kind = "guest";
		sc.source = cur->guest_source == APF_SRC_SYSFS ? "sysfs" : "interrupts";
		sc.cur = &cur->guest_counters;
		sc.rates = guest_rates(cur, prev);
		sc.window = 0;
		fn(o, &sc);
	}
}

static void csv_rows(struct stats_output *o, const struct scope *sc)
{
	size_t i;
	double r;

	for (i = 0; i < sc->cur->n; i++) {
		const struct apf_counter *c = &sc->cur->v[i];

		if (skip(o, c))
			continue;
		fprintf(o->f, "%s,%s,", sc->ts, sc->kind);
		if (sc->pid)
			fprintf(o->f, "%d", (int)sc->pid);
		putc(',', o->f);
		csv_field(o->f, sc->name);
		fprintf(o->f, ",%s,", counter_source(sc, c));
		if (sc->vcpu >= 0)
			fprintf(o->f, "%ld", sc->vcpu);
		putc(',', o->f);
		csv_field(o->f, c->name);
		fprintf(o->f, ",%" PRIu64 ",", c->value);
		if (rate_of(&sc->rates, c, &r))
			fprintf(o->f, "%.3f", r);
		putc('\n', o->f);
	}
}

static void csv_sample(struct stats_output *o, const struct apf_sample *cur,
		       const struct apf_sample *prev)
{
	if (!o->header_done) {
		fputs("time,scope,pid,name,source,vcpu,counter,value,rate\n", o->f);
		o->header_done = true;
	}
	for_each_scope(o, cur, prev, true, csv_rows);
}

static void log_counters(struct stats_output *o, const struct scope *sc,
			 enum apf_counter_kind kind)
{
	size_t i;
	double r;

	for (i = 0; i < sc->cur->n; i++) {
		const struct apf_counter *c = &sc->cur->v[i];

		if (c->kind != kind || skip(o, c))
			continue;
		fprintf(o->f, " %s=%" PRIu64, apf_safe(c->name), c->value);
		if (rate_of(&sc->rates, c, &r))
			fprintf(o->f, "(%.1f/s)", r);
	}
}

/* One line per scope: "TIME scope pid=.. name=.. source=.. c=value(rate/s)",
 * then apfctl's own tracepoint counts after "window=SECs". */
static void log_line(struct stats_output *o, const struct scope *sc)
{
	fprintf(o->f, "%s %s", sc->ts, sc->kind);
	if (sc->pid)
		fprintf(o->f, " pid=%d name=%s", (int)sc->pid, apf_safe(sc->name));
	fprintf(o->f, " source=%s", sc->source);
	log_counters(o, sc, APF_COUNTER_CUMULATIVE);
	if (apf_counters_have_window(sc->cur)) {
		fprintf(o->f, " window=%.1fs", sc->window);
		log_counters(o, sc, APF_COUNTER_WINDOW);
	}
	putc('\n', o->f);
}

static void log_sample(struct stats_output *o, const struct apf_sample *cur,
		       const struct apf_sample *prev)
{
	for_each_scope(o, cur, prev, false, log_line);
}

/* --- text ------------------------------------------------------------ */

/* Column widths of the text tables, kvm_stat's layout: the event, its
 * total, and the average per second over this interval. */
#define EVENT_W 28
#define VALUE_W 20
#define RATE_W 14

/* The rows of one kind (totals, or apfctl's own tracepoint counts). */
static size_t text_rows(struct stats_output *o, const struct apf_counters *cur,
			const struct rates *rs, const char *indent,
			enum apf_counter_kind kind, const struct apf_counters *prev)
{
	size_t i, shown = 0;
	double r;

	for (i = 0; i < cur->n; i++) {
		const struct apf_counter *c = &cur->v[i];
		const struct apf_counter *p;

		if (c->kind != kind || skip(o, c))
			continue;
		if (!shown++) {
			if (kind == APF_COUNTER_CUMULATIVE)
				fprintf(o->f, "%s%-*s %*s %*s\n", indent, EVENT_W,
					"Event", VALUE_W, "Total", RATE_W, "CurAvg/s");
			else
				fprintf(o->f, "%s%-*s %*s %*s %*s\n", indent, EVENT_W,
					"Event", VALUE_W, "Counted", VALUE_W,
					"This interval", RATE_W, "CurAvg/s");
		}
		fprintf(o->f, "%s%-*s %*" PRIu64, indent, EVENT_W, apf_safe(c->name),
			VALUE_W, c->value);
		if (kind == APF_COUNTER_WINDOW) {
			p = prev ? apf_counters_find(prev, c->name) : NULL;
			if (p && p->value <= c->value)
				fprintf(o->f, " %*" PRIu64, VALUE_W, c->value - p->value);
			else
				fprintf(o->f, " %*s", VALUE_W, "-");
		}
		if (rate_of(rs, c, &r))
			fprintf(o->f, " %*.1f\n", RATE_W, r);
		else
			fprintf(o->f, " %*s\n", RATE_W, "-");
	}
	return shown;
}

/* A scope's table: KVM's (or the guest's) cumulative counters first; then,
 * apart and labelled, what apfctl counted on tracepoints itself, which is a
 * count over apfctl's own window and not a total since the VM started. */
static void text_table(struct stats_output *o, const struct apf_counters *cur,
		       const struct rates *rs, const char *indent,
		       double now, double window_since)
{
	size_t shown = text_rows(o, cur, rs, indent, APF_COUNTER_CUMULATIVE, NULL);

	if (!apf_counters_have_window(cur))
		return;
	if (shown)
		fprintf(o->f, "%s\n", indent);
	fprintf(o->f, "%sTracepoints counted by apfctl over the last %.1f s "
		"(a window, not totals):\n", indent,
		window_since > 0 && now > window_since ? now - window_since : 0.0);
	text_rows(o, cur, rs, indent, APF_COUNTER_WINDOW, rs->prev);
}

static void text_sample(struct stats_output *o, const struct apf_sample *cur,
			const struct apf_sample *prev)
{
	double dt = cur->time - prev->time;
	struct rates rs;
	char ts[APF_ISO_TIME_LEN];
	size_t i, j;

	apf_iso_time(ts, sizeof(ts), NULL, false);
	fprintf(o->f, "apfctl stats  %s  interval %.2f s\n", ts, dt);
	if (!cur->nvms && cur->total_source != APF_SRC_SUM)
		fprintf(o->f, "No VMs running.\n");
	for (i = 0; i < cur->nvms; i++) {
		const struct apf_vm_row *v = &cur->vms[i];
		const struct apf_vm_row *pv = apf_sample_vm(prev, v->pid);

		fprintf(o->f, "VM %s (pid %d)  source: %s%s%s%s\n",
			apf_safe(v->name), (int)v->pid, apf_source_name(v->source),
			v->detail[0] ? " (" : "", apf_safe(v->detail),
			v->detail[0] ? ")" : "");
		if (v->source == APF_SRC_NONE)
			fprintf(o->f, "  no readable source (see apfctl status)\n");
		rs = vm_rates(v, pv, pv ? &pv->counters : NULL);
		text_table(o, &v->counters, &rs, "  ", v->time, v->window_since);
		for (j = 0; j < v->nvcpus; j++) {
			fprintf(o->f, "  vCPU %u\n", v->vcpus[j].index);
			rs = vm_rates(v, pv, prev_vcpu(pv, v->vcpus[j].index));
			text_table(o, &v->vcpus[j].counters, &rs, "    ", v->time,
				   v->window_since);
		}
	}
	if (cur->total_source != APF_SRC_NONE) {
		fprintf(o->f, "Host total  source: %s\n", apf_source_name(cur->total_source));
		rs = total_rates(cur, prev);
		text_table(o, &cur->total, &rs, "  ", cur->total_time,
			   cur->total_window_since);
	}
	if (cur->guest) {
		fprintf(o->f, "Guest  source: %s\n", cur->guest_source == APF_SRC_SYSFS ?
			"/sys/kernel/kvm_async_pf" : "/proc/interrupts");
		rs = guest_rates(cur, prev);
		text_table(o, &cur->guest_counters, &rs, "  ", cur->guest_time, 0);
	}
	fputc('\n', o->f);
}

int stats_output_sample(struct stats_output *o, const struct apf_sample *cur,
			const struct apf_sample *prev)
{
	if (o->json)
		json_sample(o, cur, prev);
	else if (o->csv)
		csv_sample(o, cur, prev);
	else if (o->log)
		log_sample(o, cur, prev);
	else
		text_sample(o, cur, prev);
	errno = 0;
	if (fflush(o->f) || ferror(o->f))
		return errno ? -errno : -EIO;
	return 0;
}
