// SPDX-License-Identifier: GPL-2.0-only
#include "stats_output.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "apfctl.h"
#include "json_writer.h"

int stats_output_open(struct stats_output *o)
{
	o->f = stdout;
	if (!o->path)
		return 0;
	o->f = fopen(o->path, "ae");
	if (!o->f) {
		o->f = NULL;
		return -errno;
	}
	setvbuf(o->f, NULL, _IOLBF, 0);
	return 0;
}

int stats_output_reopen(struct stats_output *o)
{
	FILE *f;

	if (!o->path)
		return 0;
	f = fopen(o->path, "ae");
	if (!f)
		return -errno;
	fclose(o->f);
	o->f = f;
	setvbuf(o->f, NULL, _IOLBF, 0);
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

static void iso_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool skip(const struct stats_output *o, const struct apf_counter *c)
{
	return o->skip_zero && !c->value;
}

/* --- JSON ----------------------------------------------------------- */

static void json_counters(json_writer_t *w, const struct stats_output *o,
			  const struct apf_counters *cur,
			  const struct apf_counters *prev, double dt)
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
		if (apf_rate(prev, &cur->v[i], dt, &r))
			jsonw_float_field(w, cur->v[i].name, r);
		else
			jsonw_null_field(w, cur->v[i].name);
	}
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
	char ts[32];
	size_t i, j;

	if (!w)
		return;
	jsonw_pretty(w, o->pretty);
	iso_time(ts, sizeof(ts));
	jsonw_start_object(w);
	jsonw_string_field(w, "time", ts);
	jsonw_float_field(w, "interval_s", dt);
	jsonw_name(w, "vms");
	jsonw_start_array(w);
	for (i = 0; i < cur->nvms; i++) {
		const struct apf_vm_row *v = &cur->vms[i];
		const struct apf_vm_row *pv = apf_sample_vm(prev, v->pid);

		jsonw_start_object(w);
		jsonw_int_field(w, "pid", v->pid);
		jsonw_string_field(w, "name", v->name);
		jsonw_string_field(w, "source", apf_source_name(v->source));
		jsonw_string_field(w, "source_detail", v->detail);
		json_counters(w, o, &v->counters, pv ? &pv->counters : NULL, dt);
		if (v->nvcpus) {
			jsonw_name(w, "vcpus");
			jsonw_start_array(w);
			for (j = 0; j < v->nvcpus; j++) {
				jsonw_start_object(w);
				jsonw_uint_field(w, "index", v->vcpus[j].index);
				json_counters(w, o, &v->vcpus[j].counters,
					      prev_vcpu(pv, v->vcpus[j].index), dt);
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
		jsonw_string_field(w, "source", apf_source_name(cur->total_source));
		json_counters(w, o, &cur->total,
			      prev->total_source == cur->total_source ?
			      &prev->total : NULL, dt);
		jsonw_end_object(w);
	} else {
		jsonw_null_field(w, "total");
	}
	if (cur->guest) {
		jsonw_name(w, "guest");
		jsonw_start_object(w);
		jsonw_string_field(w, "source", cur->guest_source == APF_SRC_SYSFS ?
				   "sysfs" : "interrupts");
		json_counters(w, o, &cur->guest_counters, &prev->guest_counters, dt);
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
	/* RFC 4180: quote when needed, double embedded quotes. */
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	putc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			putc('"', f);
		putc(*s, f);
	}
	putc('"', f);
}

static void csv_rows(struct stats_output *o, const char *ts, const char *scope,
		     pid_t pid, const char *name, const char *source, long vcpu,
		     const struct apf_counters *cur,
		     const struct apf_counters *prev, double dt)
{
	size_t i;
	double r;

	for (i = 0; i < cur->n; i++) {
		if (skip(o, &cur->v[i]))
			continue;
		fprintf(o->f, "%s,%s,", ts, scope);
		if (pid)
			fprintf(o->f, "%d", (int)pid);
		putc(',', o->f);
		csv_field(o->f, name);
		fprintf(o->f, ",%s,", source);
		if (vcpu >= 0)
			fprintf(o->f, "%ld", vcpu);
		fprintf(o->f, ",%s,%" PRIu64 ",", cur->v[i].name, cur->v[i].value);
		if (apf_rate(prev, &cur->v[i], dt, &r))
			fprintf(o->f, "%.3f", r);
		putc('\n', o->f);
	}
}

static void csv_sample(struct stats_output *o, const struct apf_sample *cur,
		       const struct apf_sample *prev)
{
	double dt = cur->time - prev->time;
	char ts[32];
	size_t i, j;

	if (!o->header_done) {
		fputs("time,scope,pid,name,source,vcpu,counter,value,rate\n", o->f);
		o->header_done = true;
	}
	iso_time(ts, sizeof(ts));
	for (i = 0; i < cur->nvms; i++) {
		const struct apf_vm_row *v = &cur->vms[i];
		const struct apf_vm_row *pv = apf_sample_vm(prev, v->pid);
		const char *src = apf_source_name(v->source);

		csv_rows(o, ts, "vm", v->pid, v->name, src, -1, &v->counters,
			 pv ? &pv->counters : NULL, dt);
		for (j = 0; j < v->nvcpus; j++)
			csv_rows(o, ts, "vcpu", v->pid, v->name, src,
				 v->vcpus[j].index, &v->vcpus[j].counters,
				 prev_vcpu(pv, v->vcpus[j].index), dt);
	}
	if (cur->total_source != APF_SRC_NONE)
		csv_rows(o, ts, "total", 0, "", apf_source_name(cur->total_source),
			 -1, &cur->total,
			 prev->total_source == cur->total_source ? &prev->total : NULL, dt);
	if (cur->guest)
		csv_rows(o, ts, "guest", 0, "", cur->guest_source == APF_SRC_SYSFS ?
			 "sysfs" : "interrupts", -1, &cur->guest_counters,
			 &prev->guest_counters, dt);
}

/* One line per scope: "TIME scope pid=.. name=.. source=.. c=value(+rate/s)". */
static void log_line(struct stats_output *o, const char *ts, const char *scope,
		     pid_t pid, const char *name, const char *source,
		     const struct apf_counters *cur,
		     const struct apf_counters *prev, double dt)
{
	size_t i;
	double r;

	char safe[160];

	fprintf(o->f, "%s %s", ts, scope);
	if (pid)
		fprintf(o->f, " pid=%d name=%s", (int)pid,
			apf_printable(name, safe, sizeof(safe)));
	fprintf(o->f, " source=%s", source);
	for (i = 0; i < cur->n; i++) {
		if (skip(o, &cur->v[i]))
			continue;
		fprintf(o->f, " %s=%" PRIu64, cur->v[i].name, cur->v[i].value);
		if (apf_rate(prev, &cur->v[i], dt, &r))
			fprintf(o->f, "(%.1f/s)", r);
	}
	putc('\n', o->f);
}

static void log_sample(struct stats_output *o, const struct apf_sample *cur,
		       const struct apf_sample *prev)
{
	double dt = cur->time - prev->time;
	char ts[32];
	size_t i;

	iso_time(ts, sizeof(ts));
	for (i = 0; i < cur->nvms; i++) {
		const struct apf_vm_row *v = &cur->vms[i];
		const struct apf_vm_row *pv = apf_sample_vm(prev, v->pid);

		log_line(o, ts, "vm", v->pid, v->name, apf_source_name(v->source),
			 &v->counters, pv ? &pv->counters : NULL, dt);
	}
	if (cur->total_source != APF_SRC_NONE)
		log_line(o, ts, "total", 0, "", apf_source_name(cur->total_source),
			 &cur->total,
			 prev->total_source == cur->total_source ? &prev->total : NULL, dt);
	if (cur->guest)
		log_line(o, ts, "guest", 0, "", cur->guest_source == APF_SRC_SYSFS ?
			 "sysfs" : "interrupts", &cur->guest_counters,
			 &prev->guest_counters, dt);
}

/* --- text ------------------------------------------------------------ */

static void text_table(struct stats_output *o, const struct apf_counters *cur,
		       const struct apf_counters *prev, double dt, const char *indent)
{
	size_t i;
	double r;

	for (i = 0; i < cur->n; i++) {
		if (skip(o, &cur->v[i]))
			continue;
		fprintf(o->f, "%s%-28s %20" PRIu64, indent, cur->v[i].name,
			cur->v[i].value);
		if (apf_rate(prev, &cur->v[i], dt, &r))
			fprintf(o->f, " %12.1f/s\n", r);
		else
			fprintf(o->f, " %14s\n", "-");
	}
}

static void text_sample(struct stats_output *o, const struct apf_sample *cur,
			const struct apf_sample *prev)
{
	double dt = cur->time - prev->time;
	char ts[32];
	size_t i, j;

	iso_time(ts, sizeof(ts));
	fprintf(o->f, "apfctl stats  %s  interval %.2f s\n", ts, dt);
	if (!cur->nvms && cur->total_source != APF_SRC_SUM)
		fprintf(o->f, "No VMs running.\n");
	for (i = 0; i < cur->nvms; i++) {
		const struct apf_vm_row *v = &cur->vms[i];
		const struct apf_vm_row *pv = apf_sample_vm(prev, v->pid);

		char name[sizeof(v->name)];

		fprintf(o->f, "VM %s (pid %d)  source: %s%s%s%s\n",
			apf_printable(v->name, name, sizeof(name)),
			(int)v->pid, apf_source_name(v->source),
			v->detail[0] ? " (" : "", v->detail, v->detail[0] ? ")" : "");
		if (v->source == APF_SRC_NONE)
			fprintf(o->f, "  no readable source (see apfctl status)\n");
		text_table(o, &v->counters, pv ? &pv->counters : NULL, dt, "  ");
		for (j = 0; j < v->nvcpus; j++) {
			fprintf(o->f, "  vCPU %u\n", v->vcpus[j].index);
			text_table(o, &v->vcpus[j].counters,
				   prev_vcpu(pv, v->vcpus[j].index), dt, "    ");
		}
	}
	if (cur->total_source != APF_SRC_NONE) {
		fprintf(o->f, "Host total  source: %s\n", apf_source_name(cur->total_source));
		text_table(o, &cur->total,
			   prev->total_source == cur->total_source ? &prev->total : NULL,
			   dt, "  ");
	}
	if (cur->guest) {
		fprintf(o->f, "Guest  source: %s\n", cur->guest_source == APF_SRC_SYSFS ?
			"/sys/kernel/kvm_async_pf" : "/proc/interrupts");
		text_table(o, &cur->guest_counters, &prev->guest_counters, dt, "  ");
	}
	fputc('\n', o->f);
	fflush(o->f);
}

void stats_output_sample(struct stats_output *o, const struct apf_sample *cur,
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
	fflush(o->f);
}
