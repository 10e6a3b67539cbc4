// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: a kernel command line and a lockdown file, as
 * /proc/cmdline and /sys/kernel/security/lockdown (or a fixture) hold
 * them: the word search status uses (no-kvmapf), the command line kexec
 * hands to the next kernel, and the lockdown mode kexec reads.  The input
 * is split at its first NUL: command line, then what --append adds. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kexec_pick.h"
#include "procfs.h"
#include "fuzz_input.h"

/* Whether a token of s, split as the kernel splits its command line
 * (blanks, except inside double quotes), starts with an old boot's
 * BOOT_IMAGE= or initrd=. */
static bool has_dropped_token(const char *s)
{
	while (*s) {
		const char *t;
		bool q = false;

		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			break;
		for (t = s; *s && (q || (*s != ' ' && *s != '\t' && *s != '\n')); s++)
			if (*s == '"')
				q = !q;
		if ((size_t)(s - t) >= 11 && !strncmp(t, "BOOT_IMAGE=", 11))
			return true;
		if ((size_t)(s - t) >= 7 && !strncmp(t, "initrd=", 7))
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), out[4096];
	const char *append, *why = NULL;
	size_t first;

	if (!s)
		return 0;
	first = strlen(s);
	append = first + 1 < size + 1 && first < size ? s + first + 1 : NULL;
	(void)apf_cmdline_has_word(s, "no-kvmapf");
	(void)apf_cmdline_has_word(s, "");
	if (!apf_kexec_cmdline(s, append, out, sizeof(out)) && strlen(out) >= sizeof(out))
		abort();
	/* The old boot's tokens never reach the new kernel. */
	if (!apf_kexec_cmdline(s, NULL, out, sizeof(out)) && has_dropped_token(out))
		abort();
	(void)apf_kexec_cmdline(s, append, out, 8);
	if (apf_kexec_need_signed(s, false, &why) && !why)
		abort();
	if (!apf_kexec_need_signed(s, true, &why))
		abort();	/* Secure Boot alone asks for a signed kernel */
	free(s);
	return 0;
}
