// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>

#include "fileio.h"
#include "probe.h"
#include "sysroot.h"

#define HOST_SWITCH "/sys/module/kvm/parameters/async_pf"
#define GUEST_SWITCH "/sys/kernel/kvm_async_pf/enabled"

static int switch_get(const char *where, bool *on)
{
	char path[APF_PATH_MAX], buf[16];
	ssize_t n;
	int err = apf_path(path, sizeof(path), "%s", where);

	if (err)
		return err;
	n = apf_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return apf_parse_bool(buf, on);
}

static int switch_set(const char *where, const char *value)
{
	char path[APF_PATH_MAX];
	int err = apf_path(path, sizeof(path), "%s", where);

	if (err)
		return err;
	/* Check existence first: open(O_WRONLY) on a missing sysfs file
	 * fails with EACCES for non-root, hiding "unsupported". */
	if (!apf_is_regular(path))
		return -ENOENT;
	return apf_write_file(path, value);
}

int apf_host_switch_get(bool *on)
{
	return switch_get(HOST_SWITCH, on);
}

int apf_guest_switch_get(bool *on)
{
	return switch_get(GUEST_SWITCH, on);
}

int apf_host_switch_set(bool on)
{
	return switch_set(HOST_SWITCH, on ? "Y" : "N");
}

int apf_guest_switch_set(bool on)
{
	return switch_set(GUEST_SWITCH, on ? "1" : "0");
}
