// SPDX-License-Identifier: GPL-2.0-only
#include "apf_switch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "fileio.h"
#include "sysroot.h"

#define PARAM "/sys/module/kvm/parameters/async_pf"

/* For the signal-safe restore: fixed buffers, set before any change. */
static char restore_path[APF_PATH_MAX];
static char restore_value[8];
static volatile int restore_pending;

int bench_param_probe(struct bench_param *p)
{
	char path[APF_PATH_MAX], buf[16];
	ssize_t n;

	memset(p, 0, sizeof(*p));
	if (apf_path(path, sizeof(path), PARAM))
		return -ENAMETOOLONG;
	n = apf_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return 0;
	p->present = true;
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(p->original, sizeof(p->original), "%.7s", buf);
	p->writable = access(path, W_OK) == 0;
	return 0;
}

int bench_param_set(const struct bench_param *p, bool on)
{
	char path[APF_PATH_MAX];
	int err;

	if (!p->present)
		return -ENOENT;
	if (apf_path(path, sizeof(path), PARAM))
		return -ENAMETOOLONG;
	if (!restore_pending) {
		snprintf(restore_path, sizeof(restore_path), "%s", path);
		snprintf(restore_value, sizeof(restore_value), "%s", p->original);
		restore_pending = 1;
	}
	err = apf_write_file(path, on ? "Y" : "N");
	return err;
}

void bench_param_restore(void)
{
	ssize_t w;
	int fd;

	if (!restore_pending)
		return;
	restore_pending = 0;
	fd = open(restore_path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return;
	/* Nothing more can be done about a failed write here. */
	w = write(fd, restore_value, strlen(restore_value));

	(void)w;
	close(fd);
}

bool bench_param_changed(void)
{
	return restore_pending;
}

int bench_which(const char *name, char *buf, size_t cap)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL;

	if (strchr(name, '/')) {
		snprintf(buf, cap, "%s", name);
		return access(name, X_OK) ? -ENOENT : 0;
	}
	copy = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	if (!copy)
		return -ENOMEM;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		struct stat st;

		snprintf(buf, cap, "%s/%s", *d ? d : ".", name);
		if (!stat(buf, &st) && S_ISREG(st.st_mode) && !access(buf, X_OK)) {
			free(copy);
			return 0;
		}
	}
	free(copy);
	buf[0] = '\0';
	return -ENOENT;
}

static bool binary_mentions(const char *path, const char *needle)
{
	size_t k = strlen(needle), have = 0;
	char buf[65536 + 64];
	bool found = false;
	FILE *f = fopen(path, "rb");

	if (!f)
		return false;
	for (;;) {
		size_t n = fread(buf + have, 1, sizeof(buf) - have, f);

		if (!n)
			break;
		have += n;
		if (memmem(buf, have, needle, k)) {
			found = true;
			break;
		}
		/* Keep the tail: the needle may straddle two reads. */
		memmove(buf, buf + have - (k - 1), k - 1);
		have = k - 1;
	}
	fclose(f);
	return found;
}

bool bench_qemu_has_async_pf(const char *qemu, char *how, size_t cap)
{
	static const char qmp[] =
		"{\"execute\":\"qmp_capabilities\"}\n"
		"{\"execute\":\"qom-list-properties\",\"arguments\":{\"typename\":\"kvm-accel\"}}\n"
		"{\"execute\":\"quit\"}\n";
	const char *argv[] = { qemu, "-machine", "none", "-accel", "tcg",
			       "-nodefaults", "-display", "none", "-S",
			       "-qmp", "stdio", NULL };
	struct bench_capture c;
	char path[APF_PATH_MAX];
	bool answered, has;

	bench_capture_run(argv, qmp, 15000, 1 << 20, &c);
	answered = !c.err && strstr(c.out, "\"kernel-irqchip\"");
	has = answered && strstr(c.out, "\"async-pf\"");
	bench_capture_free(&c);
	if (answered) {
		snprintf(how, cap, "QMP qom-list-properties kvm-accel");
		return has;
	}
	if (bench_which(qemu, path, sizeof(path))) {
		snprintf(how, cap, "%s not found", qemu);
		return false;
	}
	snprintf(how, cap, "QMP probe failed; searched the binary");
	return binary_mentions(path, "async-pf");
}

void bench_qemu_version(const char *qemu, char *buf, size_t cap)
{
	const char *argv[] = { qemu, "--version", NULL };
	struct bench_capture c;

	buf[0] = '\0';
	if (!bench_capture_run(argv, NULL, 15000, 65536, &c) && c.status == 0)
		snprintf(buf, cap, "%.*s", (int)strcspn(c.out, "\n"), c.out);
	bench_capture_free(&c);
}
