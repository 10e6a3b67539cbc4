// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: a --sysroot cpuid fixture ("LEAF EAX EBX ECX EDX" in
 * hex per line) through apf_kvm_cpuid_parse(). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_cpuid.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct apf_kvm_cpuid c;
	char *s;
	int err;

	s = fuzz_cstr(data, size);
	if (!s)
		return 0;
	err = apf_kvm_cpuid_parse(s, &c);
	if (err && err != -EINVAL)
		abort();
	if (!err) {
		/* KVM found implies a hypervisor, a base in range, and the
		 * signature it was found by. */
		if (strnlen(c.signature, sizeof(c.signature)) == sizeof(c.signature))
			abort();
		if (c.kvm && (!c.hypervisor || c.base < 0x40000000 ||
			      c.base >= 0x40010000 || (c.base & 0xff) ||
			      strcmp(c.signature, "KVMKVMKVM")))
			abort();
		if (!c.hypervisor && (c.kvm || c.features))
			abort();
	}
	free(s);
	return 0;
}
