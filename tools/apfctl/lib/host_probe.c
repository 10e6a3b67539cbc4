// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "kvm_debugfs.h"
#include "probe.h"
#include "sysroot.h"

static const char *const vendor_modules[] = { "kvm_intel", "kvm_amd", "kvm_pvm" };

bool apf_is_host(const struct apf_host_probe *h)
{
	return h->dev_kvm || h->kvm_module;
}

const char *apf_debugfs_state_name(enum apf_debugfs_state s)
{
	switch (s) {
	case APF_DEBUGFS_NOT_MOUNTED: return "not-mounted";
	case APF_DEBUGFS_NO_KVM: return "no-kvm-dir";
	case APF_DEBUGFS_UNLISTABLE: return "unlistable";
	case APF_DEBUGFS_STATS_EPERM: return "stats-eperm";
	case APF_DEBUGFS_READABLE: return "readable";
	case APF_DEBUGFS_STATS_UNREADABLE: return "stats-unreadable";
	}
	return "unknown";
}

static int read_params(struct apf_host_probe *h, const char *module)
{
	char dir[APF_PATH_MAX], file[APF_PATH_MAX * 2];
	struct dirent *de;
	size_t cap = h->nparams;
	DIR *d;

	if (apf_path(dir, sizeof(dir), "/sys/module/%s/parameters", module))
		return 0;
	d = opendir(dir);
	if (!d)
		return 0;	/* module without parameters */
	while ((de = readdir(d))) {
		struct apf_param *p;

		if (de->d_name[0] == '.')
			continue;
		if (h->nparams == cap) {
			cap = cap ? cap * 2 : 32;
			p = realloc(h->params, cap * sizeof(*p));
			if (!p) {
				closedir(d);
				return -ENOMEM;
			}
			h->params = p;
		}
		p = &h->params[h->nparams];
		snprintf(p->module, sizeof(p->module), "%.15s", module);
		snprintf(p->name, sizeof(p->name), "%.47s", de->d_name);
		snprintf(file, sizeof(file), "%s/%s", dir, de->d_name);
		if (apf_read_file(file, p->value, sizeof(p->value)) < 0)
			continue;	/* write-only or unreadable */
		p->value[strcspn(p->value, "\n")] = '\0';
		h->nparams++;
	}
	closedir(d);
	return 0;
}

/* "none [integrity] confidentiality": the bracketed word is in force. */
static void read_lockdown(struct apf_host_probe *h)
{
	char path[APF_PATH_MAX], buf[128], *l, *r;

	h->lockdown[0] = '\0';
	if (apf_path(path, sizeof(path), "/sys/kernel/security/lockdown") ||
	    apf_read_file(path, buf, sizeof(buf)) < 0)
		return;
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (l && r && (size_t)(r - l - 1) < sizeof(h->lockdown)) {
		memcpy(h->lockdown, l + 1, (size_t)(r - l - 1));
		h->lockdown[r - l - 1] = '\0';
	}
}

static enum apf_debugfs_state probe_debugfs(int *read_err)
{
	struct apf_counters c = { 0 };
	char path[APF_PATH_MAX];
	bool mounted = false;
	int err;

	err = apf_debugfs_kvm_probe();
	if (err == -EACCES || err == -EPERM)
		return APF_DEBUGFS_UNLISTABLE;
	if (err) {
		/* Tell "no debugfs" from "debugfs without kvm/". */
		if (!apf_is_mounted("debugfs", "/sys/kernel/debug", &mounted) &&
		    mounted)
			return APF_DEBUGFS_NO_KVM;
		if (!apf_path(path, sizeof(path), "/sys/kernel/debug") &&
		    !apf_sysroot_is_live() && apf_is_dir(path))
			return APF_DEBUGFS_NO_KVM;	/* fixtures have no mounts */
		return APF_DEBUGFS_NOT_MOUNTED;
	}
	err = apf_debugfs_read_stats("", false, &c);
	apf_counters_free(&c);
	if (err == -EPERM)
		return APF_DEBUGFS_STATS_EPERM;
	/* 0 stats read is a kernel without the known names: readable. */
	if (err < 0) {
		*read_err = err;
		return APF_DEBUGFS_STATS_UNREADABLE;
	}
	return APF_DEBUGFS_READABLE;
}

int apf_host_probe(struct apf_host_probe *h)
{
	char path[APF_PATH_MAX];
	size_t i;
	int err;

	memset(h, 0, sizeof(*h));
	h->dev_kvm = !apf_path(path, sizeof(path), "/dev/kvm") &&
		     apf_is_file(path);
	h->kvm_module = apf_module_present("kvm");
	err = h->kvm_module ? read_params(h, "kvm") : 0;
	for (i = 0; !err && i < sizeof(vendor_modules) / sizeof(*vendor_modules); i++) {
		if (!apf_module_present(vendor_modules[i]))
			continue;
		snprintf(h->vendor_module, sizeof(h->vendor_module), "%s",
			 vendor_modules[i]);
		err = read_params(h, vendor_modules[i]);
		break;
	}
	if (err) {
		apf_host_probe_free(h);
		return err;
	}
	read_lockdown(h);
	h->debugfs = probe_debugfs(&h->debugfs_err);
	/* The listing works even under lockdown, so presence is reliable. */
	h->counters = apf_debugfs_has_stat("async_pf_queued");
	h->switch_present = !apf_host_switch_get(&h->switch_on);
	apf_tracefs_discover(&h->tracefs);
	return 0;
}

void apf_host_probe_free(struct apf_host_probe *h)
{
	free(h->params);
	h->params = NULL;
	h->nparams = 0;
}
