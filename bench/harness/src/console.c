// SPDX-License-Identifier: GPL-2.0-only
#include "console.h"

#include <string.h>

void bench_lines_feed(struct bench_lines *l, const char *data, size_t n,
		      bench_line_cb cb, void *arg)
{
	for (size_t i = 0; i < n; i++) {
		char c = data[i];

		if (c == '\n') {
			size_t len = l->len;

			if (len && l->buf[len - 1] == '\r')
				len--;
			cb(l->buf, len, arg);
			l->len = 0;
			continue;
		}
		if (l->len == sizeof(l->buf)) {
			cb(l->buf, l->len, arg);
			l->len = 0;
		}
		l->buf[l->len++] = c;
	}
}

void bench_lines_flush(struct bench_lines *l, bench_line_cb cb, void *arg)
{
	if (l->len) {
		size_t len = l->len;

		if (l->buf[len - 1] == '\r')
			len--;
		cb(l->buf, len, arg);
	}
	l->len = 0;
}

struct pattern {
	const char *text;
	const char *kind;
};

/* Order matters: the first match names the line ("BUG: soft lockup" is a
 * soft lockup before it is a BUG). */
static const struct pattern guest_patterns[] = {
	{ "Kernel panic", "kernel panic" },
	{ "soft lockup", "soft lockup" },
	{ "hard LOCKUP", "hard lockup" },
	{ "detected stalls on CPU", "RCU stall" },
	{ "detected stall on CPU", "RCU stall" },
	{ "stack guard page was hit", "stack overflow" },
	{ "kernel BUG at", "BUG" },
	{ "BUG: ", "BUG" },
	{ "Oops: ", "Oops" },
	{ "Oops#", "Oops" },
	{ "general protection fault", "general protection fault" },
	{ "double fault", "double fault" },
};

static const struct pattern qemu_patterns[] = {
	{ "KVM internal error", "KVM internal error" },
	{ "kvm run failed", "KVM run failed" },
	{ "KVM: entry failed", "KVM entry failed" },
	{ "Guest crashed", "guest crashed" },
};

const char *bench_crash_kind(const char *line, size_t len)
{
	if (memmem(line, len, "APFWL ", 6))
		return NULL;
	for (size_t i = 0; i < sizeof(guest_patterns) / sizeof(guest_patterns[0]); i++) {
		const struct pattern *p = &guest_patterns[i];

		if (memmem(line, len, p->text, strlen(p->text)))
			return p->kind;
	}
	return NULL;
}

const char *bench_qemu_crash_kind(const char *text)
{
	for (size_t i = 0; i < sizeof(qemu_patterns) / sizeof(qemu_patterns[0]); i++)
		if (strstr(text, qemu_patterns[i].text))
			return qemu_patterns[i].kind;
	return NULL;
}
