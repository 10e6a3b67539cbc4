// SPDX-License-Identifier: GPL-2.0-only
#include "kvm_cpuid.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "sysroot.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define HAVE_X86_CPUID 1
#endif

struct leaf {
	uint32_t leaf, r[4];	/* eax, ebx, ecx, edx */
};

#define MAX_LEAVES 64

typedef bool (*leaf_fn)(void *ctx, uint32_t leaf, uint32_t r[4]);

static void set_signature(struct apf_kvm_cpuid *out, const uint32_t r[4])
{
	memcpy(out->signature, &r[1], 4);
	memcpy(out->signature + 4, &r[2], 4);
	memcpy(out->signature + 8, &r[3], 4);
	out->signature[12] = '\0';
}

/* KVM may sit at 0x40000000 or, beside Hyper-V enlightenments, at a
 * later 0x100 step; scan like the kernel's hypervisor_cpuid_base(). */
static void scan(leaf_fn get, void *ctx, struct apf_kvm_cpuid *out)
{
	uint32_t r[4], base;

	memset(out, 0, sizeof(*out));
	if (get(ctx, 1, r))
		out->hypervisor = r[2] & (1u << 31);
	if (!out->hypervisor)
		return;
	for (base = 0x40000000; base < 0x40010000; base += 0x100) {
		char sig[13];

		if (!get(ctx, base, r))
			continue;
		memcpy(sig, &r[1], 4);
		memcpy(sig + 4, &r[2], 4);
		memcpy(sig + 8, &r[3], 4);
		sig[12] = '\0';
		if (base == 0x40000000)
			set_signature(out, r);
		if (!memcmp(sig, "KVMKVMKVM\0\0\0", 12)) {
			set_signature(out, r);
			out->kvm = true;
			out->base = base;
			if (get(ctx, base + 1, r))
				out->features = r[0];
			return;
		}
	}
}

struct table {
	struct leaf l[MAX_LEAVES];
	size_t n;
};

static bool table_get(void *ctx, uint32_t leaf, uint32_t r[4])
{
	const struct table *t = ctx;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->l[i].leaf == leaf) {
			memcpy(r, t->l[i].r, sizeof(t->l[i].r));
			return true;
		}
	return false;
}

int apf_kvm_cpuid_parse(const char *text, struct apf_kvm_cpuid *out)
{
	struct table t = { .n = 0 };
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		uint64_t v[5];
		char buf[160];
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		int i;
		const char *p;

		if (len >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, line, len);
		buf[len] = '\0';
		line = nl ? nl + 1 : NULL;
		p = buf + strspn(buf, " \t");
		if (!*p || *p == '#')
			continue;
		for (i = 0; i < 5; i++) {
			p += strspn(p, " \t");
			if (apf_parse_digits(&p, 16, UINT32_MAX, &v[i]))
				return -EINVAL;
		}
		if (*(p + strspn(p, " \t")) || t.n == MAX_LEAVES)
			return -EINVAL;
		t.l[t.n].leaf = (uint32_t)v[0];
		for (i = 0; i < 4; i++)
			t.l[t.n].r[i] = (uint32_t)v[i + 1];
		t.n++;
	}
	scan(table_get, &t, out);
	return 0;
}

#ifdef HAVE_X86_CPUID
static bool insn_get(void *ctx, uint32_t leaf, uint32_t r[4])
{
	(void)ctx;
	/* Hypervisor leaves are not bounded by leaf 0's max; ask directly. */
	__cpuid(leaf, r[0], r[1], r[2], r[3]);
	return true;
}
#endif

int apf_kvm_cpuid_read(struct apf_kvm_cpuid *out)
{
	char path[APF_PATH_MAX], *text;
	ssize_t n;
	int err;

	memset(out, 0, sizeof(*out));
	if (apf_sysroot_is_live()) {
#ifdef HAVE_X86_CPUID
		scan(insn_get, NULL, out);
		return 0;
#else
		return -ENOTSUP;	/* other arches: port with their seam */
#endif
	}
	err = apf_path(path, sizeof(path), "/cpuid");
	if (err)
		return err;
	n = apf_slurp(path, 1u << 16, &text);
	if (n == -ENOENT)
		return 0;	/* fixture of bare metal: no hypervisor */
	if (n < 0)
		return (int)n;
	err = apf_kvm_cpuid_parse(text, out);
	free(text);
	return err;
}
