// SPDX-License-Identifier: GPL-2.0-only
/* Guest-side APF evidence: patched-kernel counters, the HYP interrupt line
 * (x86 delivers "page ready" on HYPERVISOR_CALLBACK_VECTOR, counted there),
 * major faults, and whether the guest was booted with no-kvmapf. */
#include "guest_stats.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"

#define READ_MAX (4u << 20)

static const char *const apf_names[GS_APF_COUNT] = {
	[GS_PAGE_NOT_PRESENT] = "page_not_present",
	[GS_PAGE_READY] = "page_ready",
	[GS_WAKE_BEFORE_WAIT] = "wake_before_wait",
	[GS_WAIT_NS_TOTAL] = "wait_ns_total",
	[GS_WAIT_NS_MAX] = "wait_ns_max",
	[GS_APF_ENABLED] = "enabled",
};

char *gs_read_file(const char *path)
{
	size_t cap = 4096, len = 0;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *bigger = cap >= READ_MAX ? NULL : realloc(buf, cap * 2);

			if (!bigger) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			buf = NULL;
			break;
		}
		if (n == 0) {
			buf[len] = '\0';
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	return buf;
}

/* One decimal number, optional surrounding whitespace, nothing else. */
int gs_parse_u64(const char *text, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = text;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p)
		return -1;
	*out = v;
	return 0;
}

/* Parses a run of digits at *pp into *v, advancing *pp; -1 if none or too
 * big. */
static int scan_u64(const char **pp, uint64_t *v)
{
	const char *p = *pp;
	uint64_t x = 0;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*pp = p;
	*v = x;
	return 0;
}

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Number of "CPUn" columns in the header line, 0 if there is none. */
static unsigned count_cpu_columns(const char *text)
{
	const char *p = text, *eol = strchr(text, '\n');
	unsigned n = 0;

	if (!eol)
		eol = text + strlen(text);
	while (p < eol) {
		p = skip_blanks(p);
		if (p + 3 <= eol && !strncmp(p, "CPU", 3))
			n++;
		while (p < eol && *p != ' ' && *p != '\t')
			p++;
	}
	return n;
}

int gs_parse_hyp(const char *text, uint64_t *out)
{
	unsigned cpus = count_cpu_columns(text);
	const char *line = text;

	while (line && *line) {
		const char *p = skip_blanks(line);

		if (!strncmp(p, "HYP:", 4)) {
			uint64_t sum = 0, v;
			unsigned seen = 0;

			p += 4;
			/* Per-CPU counts, then the description text. */
			for (;;) {
				p = skip_blanks(p);
				if ((cpus && seen == cpus) || scan_u64(&p, &v))
					break;
				if (sum > UINT64_MAX - v)
					return -1;
				sum += v;
				seen++;
			}
			if (seen == 0 || (cpus && seen != cpus))
				return -1;  /* truncated line */
			*out = sum;
			return 0;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -1;
}

int gs_parse_vmstat(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	const char *line = text;

	while (line && *line) {
		if (!strncmp(line, key, klen) && line[klen] == ' ') {
			const char *p = skip_blanks(line + klen);
			uint64_t v;

			if (scan_u64(&p, &v) || (*p && *p != '\n'))
				return -1;
			*out = v;
			return 0;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -1;
}

bool gs_cmdline_has(const char *cmdline, const char *word)
{
	size_t wlen = strlen(word);
	const char *p = cmdline;

	while ((p = strstr(p, word)) != NULL) {
		bool starts = p == cmdline || isspace((unsigned char)p[-1]);
		bool ends = p[wlen] == '\0' || isspace((unsigned char)p[wlen]);

		if (starts && ends)
			return true;
		p += wlen;
	}
	return false;
}

static char *read_at(const char *sysroot, const char *path)
{
	char full[PATH_MAX];

	if (snprintf(full, sizeof(full), "%s%s", sysroot, path) >= (int)sizeof(full))
		return NULL;
	return gs_read_file(full);
}

void gs_sample(const char *sysroot, struct guest_stats *gs)
{
	char *text;
	int i;

	memset(gs, 0, sizeof(*gs));
	for (i = 0; i < GS_APF_COUNT; i++) {
		char path[128];

		snprintf(path, sizeof(path), "/sys/kernel/kvm_async_pf/%s",
			 apf_names[i]);
		text = read_at(sysroot, path);
		if (text && !gs_parse_u64(text, &gs->apf[i]))
			gs->have_apf[i] = true;
		free(text);
	}
	text = read_at(sysroot, "/proc/interrupts");
	if (text && !gs_parse_hyp(text, &gs->hyp))
		gs->have_hyp = true;
	free(text);
	text = read_at(sysroot, "/proc/vmstat");
	if (text && !gs_parse_vmstat(text, "pgmajfault", &gs->pgmajfault))
		gs->have_pgmajfault = true;
	free(text);
	text = read_at(sysroot, "/proc/cmdline");
	if (text) {
		gs->have_cmdline = true;
		gs->no_kvmapf = gs_cmdline_has(text, "no-kvmapf");
	}
	free(text);
}

/* A counter that went backwards (reset, or a different source) is left out
 * rather than reported as a huge unsigned delta. */
static void delta(struct jl *j, const char *key, bool ok_before,
		  uint64_t before, bool ok_after, uint64_t after)
{
	if (ok_before && ok_after && after >= before)
		jl_u64(j, key, after - before);
}

void gs_emit(struct jl *j, const struct guest_stats *b,
	     const struct guest_stats *a)
{
	int i;

	jl_obj_open(j, "guest");
	for (i = 0; i < GS_APF_COUNT; i++) {
		if (i == GS_WAIT_NS_MAX || i == GS_APF_ENABLED) {
			if (a->have_apf[i])
				jl_u64(j, i == GS_APF_ENABLED ? "apf_enabled"
					   : apf_names[i], a->apf[i]);
			continue;
		}
		delta(j, apf_names[i], b->have_apf[i], b->apf[i],
		      a->have_apf[i], a->apf[i]);
	}
	delta(j, "hyp_interrupts", b->have_hyp, b->hyp, a->have_hyp, a->hyp);
	delta(j, "pgmajfault", b->have_pgmajfault, b->pgmajfault,
	      a->have_pgmajfault, a->pgmajfault);
	if (a->have_cmdline)
		jl_bool(j, "kvmapf", !a->no_kvmapf);
	jl_obj_close(j);
}
