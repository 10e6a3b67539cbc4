/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by the libFuzzer targets: the parsers take C strings. */
#ifndef APF_FUZZ_INPUT_H
#define APF_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated malloc'd copy of the input (NULL on allocation failure).
 * Embedded NULs stay: they end the string early, as in a real file read. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		if (size)
			memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

#endif
