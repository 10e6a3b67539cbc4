// SPDX-License-Identifier: GPL-2.0-only
#include "qemu_cmdline.h"

#include <string.h>

#include "fileio.h"

/* Value of key in a QEMU option string "a,key=value,b=c"; the first
 * element may be a bare value (implied key).  Returns length or -1. */
static int opt_get(const char *opts, const char *key, const char **val)
{
	size_t klen = strlen(key);
	const char *p = opts;

	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			*val = p + klen + 1;
			return (int)(len - klen - 1);
		}
		p = comma ? comma + 1 : NULL;
	}
	return -1;
}

static void copy_span(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static bool is_qemu_binary(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	base = base ? base + 1 : argv0;
	return !strncmp(base, "qemu-system-", 12) || !strcmp(base, "qemu-kvm") ||
	       !strcmp(base, "kvm");
}

/* -qmp unix:PATH[,server=on,...] */
static void parse_qmp(const char *arg, struct apf_qemu_info *q)
{
	size_t len;

	if (strncmp(arg, "unix:", 5))
		return;
	arg += 5;
	len = strcspn(arg, ",");
	copy_span(q->qmp, sizeof(q->qmp), arg, len);
}

/* -name [guest=]NAME[,debug-threads=on]; "," is escaped as ",," */
static void parse_name(const char *arg, struct apf_qemu_info *q)
{
	const char *v = arg;
	size_t o = 0;

	if (!strncmp(arg, "guest=", 6)) {
		v = arg + 6;
		q->libvirt = true;
	}
	for (; *v && o + 1 < sizeof(q->name); v++) {
		if (*v == ',' && v[1] == ',')
			v++;
		else if (*v == ',')
			break;
		q->name[o++] = *v;
	}
	q->name[o] = '\0';
}

/* -accel kvm[,async-pf=on|off] / -machine accel=kvm */
static void parse_accel(const char *arg, struct apf_qemu_info *q)
{
	const char *val;
	int len;

	if (strncmp(arg, "kvm", 3) || (arg[3] && arg[3] != ','))
		return;
	q->kvm = true;
	len = opt_get(arg, "async-pf", &val);
	if (len == 2 && !strncmp(val, "on", 2))
		q->async_pf = 1;
	else if (len == 3 && !strncmp(val, "off", 3))
		q->async_pf = 0;
}

static void parse_smp(const char *arg, struct apf_qemu_info *q)
{
	char num[16];
	const char *val = arg;
	long n;
	int len;

	len = opt_get(arg, "cpus", &val);
	if (len < 0)
		len = (int)strcspn(arg, ",");	/* "-smp 4,sockets=1" */
	if (len <= 0 || (size_t)len >= sizeof(num))
		return;
	copy_span(num, sizeof(num), val, (size_t)len);
	if (!apf_parse_int(num, 1, 4096, &n))
		q->smp = (int)n;
}

void apf_qemu_parse(int argc, char *const argv[], struct apf_qemu_info *q)
{
	const char *mon_chardev = NULL;
	int i;

	memset(q, 0, sizeof(*q));
	q->async_pf = -1;
	if (argc < 1 || !argv[0])
		return;
	q->is_qemu = is_qemu_binary(argv[0]);
	for (i = 1; i < argc && argv[i]; i++) {
		const char *o = argv[i], *a = i + 1 < argc ? argv[i + 1] : NULL;

		/* Not an option: the value of one we do not know.  Flags
		 * (-S, -nodefaults, -daemonize) take no value, so options
		 * we do not know never consume the next word. */
		if (o[0] != '-')
			continue;
		/* QEMU accepts both -opt and --opt. */
		if (o[1] == '-')
			o++;
		if (!strcmp(o, "-enable-kvm")) {
			q->kvm = true;
			continue;
		}
		if (!a)
			break;
		if (!strcmp(o, "-qmp"))
			parse_qmp(a, q);
		else if (!strcmp(o, "-name"))
			parse_name(a, q);
		else if (!strcmp(o, "-accel"))
			parse_accel(a, q);
		else if (!strcmp(o, "-machine") || !strcmp(o, "-M")) {
			const char *val;
			int len = opt_get(a, "accel", &val);

			if (len >= 3 && !strncmp(val, "kvm", 3))
				q->kvm = true;
		} else if (!strcmp(o, "-smp"))
			parse_smp(a, q);
		else if (!strcmp(o, "-mon")) {
			/* -mon chardev=ID,mode=control: QMP on a -chardev */
			const char *val;

			if (opt_get(a, "mode", &val) == 7 &&
			    !strncmp(val, "control", 7))
				mon_chardev = a;
		} else
			continue;	/* unknown: its value, if any, is skipped above */
		i++;
	}
	/* Resolve "-chardev socket,id=ID,path=P" for "-mon chardev=ID". */
	if (!q->qmp[0] && mon_chardev) {
		const char *id = NULL;
		int idlen = opt_get(mon_chardev, "chardev", &id);

		for (i = 1; idlen > 0 && i + 1 < argc && argv[i]; i++) {
			const char *a = argv[i + 1], *cid = NULL, *path = NULL;
			int clen, plen;

			if (!a || strcmp(argv[i], "-chardev") || strncmp(a, "socket,", 7))
				continue;
			clen = opt_get(a, "id", &cid);
			plen = opt_get(a, "path", &path);
			if (id && cid && path && clen == idlen &&
			    !strncmp(cid, id, (size_t)idlen) &&
			    plen > 0)
				copy_span(q->qmp, sizeof(q->qmp), path,
					  (size_t)plen);
		}
	}
}
