// SPDX-License-Identifier: GPL-2.0-only
#include "machine.h"

#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "fileio.h"
#include "procstat.h"
#include "sysroot.h"

/* First line of a small file under the sysroot, or "". */
static void read_line(const char *abs, char *buf, size_t cap)
{
	char path[APF_PATH_MAX];

	buf[0] = '\0';
	if (apf_path(path, sizeof(path), "%s", abs) || apf_read_file(path, buf, cap) < 0) {
		buf[0] = '\0';
		return;
	}
	buf[strcspn(buf, "\n")] = '\0';
}

void bench_hostname(char *buf, size_t cap)
{
	struct utsname u;

	read_line("/proc/sys/kernel/hostname", buf, cap);
	if (!buf[0] && !uname(&u))
		snprintf(buf, cap, "%s", u.nodename);
	if (!buf[0])
		snprintf(buf, cap, "host");
	for (char *p = buf; *p; p++)
		if (*p == '/' || *p == ' ')
			*p = '_';
}

static void cpuinfo(struct json_object *m)
{
	char path[APF_PATH_MAX], *text = NULL, model[256] = "";
	int n = 0;

	if (apf_path(path, sizeof(path), "/proc/cpuinfo") ||
	    apf_slurp(path, 8 << 20, &text) < 0)
		return;
	for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (!strncmp(l, "processor", 9) && (l[9] == '\t' || l[9] == ' ' || l[9] == ':'))
			n++;
		if (!model[0] && !strncmp(l, "model name", 10)) {
			char *c = strchr(l, ':');

			if (c) {
				c++;
				while (*c == ' ')
					c++;
				snprintf(model, sizeof(model), "%.*s", (int)strcspn(c, "\n"), c);
			}
		}
	}
	free(text);
	json_object_object_add(m, "cpu_model", json_object_new_string(model));
	json_object_object_add(m, "nproc", json_object_new_int(n));
}

/* Every parameter of a module, as the strings sysfs gives. */
static struct json_object *module_params(const char *module)
{
	char dir[APF_PATH_MAX];
	struct json_object *o;
	struct dirent *de;
	DIR *d;

	if (apf_path(dir, sizeof(dir), "/sys/module/%s/parameters", module))
		return NULL;
	d = opendir(dir);
	if (!d)
		return NULL;
	o = json_object_new_object();
	while ((de = readdir(d))) {
		char path[APF_PATH_MAX + 300], val[256];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (apf_read_file(path, val, sizeof(val)) < 0)
			continue;
		val[strcspn(val, "\n")] = '\0';
		json_object_object_add(o, de->d_name, json_object_new_string(val));
	}
	closedir(d);
	return o;
}

static struct json_object *swaps_json(const struct bench_env *e)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < e->swaps.n; i++) {
		const struct bench_swap *s = &e->swaps.dev[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(s->name));
		json_object_object_add(o, "type", json_object_new_string(s->type));
		json_object_object_add(o, "size_kb", json_object_new_uint64(s->size_kb));
		json_object_object_add(o, "used_kb", json_object_new_uint64(s->used_kb));
		json_object_object_add(o, "priority", json_object_new_int64(s->prio));
		json_object_object_add(o, "zram", json_object_new_boolean(s->zram));
		json_object_array_add(a, o);
	}
	return a;
}

struct json_object *bench_machine_json(const struct bench_env *e)
{
	static const char *const modules[] = { "kvm", "kvm_intel", "kvm_amd", "kvm_pvm" };
	struct json_object *m = json_object_new_object(), *kvm = json_object_new_object();
	struct json_object *q = json_object_new_object();
	char buf[1024], path[APF_PATH_MAX];
	uint64_t kb;

	bench_hostname(buf, sizeof(buf));
	json_object_object_add(m, "hostname", json_object_new_string(buf));
	cpuinfo(m);
	if (!apf_path(path, sizeof(path), "/proc/meminfo") &&
	    !bench_keyed_file(path, "MemTotal", &kb))
		json_object_object_add(m, "mem_total_kb", json_object_new_uint64(kb));
	read_line("/proc/sys/kernel/osrelease", buf, sizeof(buf));
	json_object_object_add(m, "kernel", json_object_new_string(buf));
	read_line("/proc/version", buf, sizeof(buf));
	json_object_object_add(m, "kernel_version", json_object_new_string(buf));
	read_line("/proc/cmdline", buf, sizeof(buf));
	json_object_object_add(m, "kernel_cmdline", json_object_new_string(buf));
	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		struct json_object *p = module_params(modules[i]);

		if (p)
			json_object_object_add(kvm, modules[i], p);
	}
	json_object_object_add(m, "kvm_params", kvm);
	json_object_object_add(q, "path", json_object_new_string(e->qemu_path));
	json_object_object_add(q, "version", json_object_new_string(e->qemu_version));
	if (e->qemu_probed)
		json_object_object_add(q, "async_pf_property", json_object_new_boolean(e->qemu_async_pf));
	json_object_object_add(m, "qemu", q);
	json_object_object_add(m, "swaps", swaps_json(e));
	json_object_object_add(m, "zswap", e->zswap[0] ? json_object_new_string(e->zswap) : NULL);
	read_line("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf));
	json_object_object_add(m, "thp", buf[0] ? json_object_new_string(buf) : NULL);
	return m;
}
