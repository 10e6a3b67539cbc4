/* SPDX-License-Identifier: GPL-2.0-only */
/* One encoder for every text apfctl prints: names and paths come from
 * whoever started a VM or made a file, and must not drive the operator's
 * terminal (ESC sequences, BEL, C1 CSI, bidi overrides that reorder what
 * is shown).  Like util-linux's mbs_safe_encode() behind libsmartcols:
 * one place, every output mode. */
#ifndef APF_SANITIZE_H
#define APF_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum {
	APF_SAN_NL = 1 << 0,	/* keep '\n' (the format has lines) */
	APF_SAN_TAB = 1 << 1,	/* keep '\t' */
};

/* Length of the character at s that passes as is (1-4 bytes), or 0 when
 * its first byte is to be encoded: C0 controls (but \n or \t as flags
 * allow), DEL, C1 controls (U+0080-U+009F, UTF-8 or raw), the bidi
 * controls U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069, invalid or
 * overlong UTF-8, surrogates, and a backslash before 'x' (so "\x1b" in
 * the output always means an encoded byte). */
size_t apf_safe_char(const char *s, unsigned int flags);

/* Copy s into buf (cap bytes, NUL-terminated), each byte to encode as
 * "\xHH"; never cuts an escape or a character in half.  Returns buf. */
const char *apf_safe_encode(const char *s, char *buf, size_t cap,
			 unsigned int flags);
/* apf_safe_encode() of the first max characters of s (an encoded byte
 * counts as one), then "..." where s goes on: a name or value quoted in a
 * message or a log line.  NULL s is "".  Returns buf. */
const char *apf_safe_cut(const char *s, char *buf, size_t cap, size_t max,
			 unsigned int flags);
/* s encoded for a printf argument in text output: VM names, paths and
 * file contents come from whoever started QEMU or made the file and must
 * not drive the operator's terminal.  The result lives until 8 more calls
 * (a ring of buffers; not thread-safe); longer results are cut at a
 * character boundary. */
#define APF_SAFE_MAX 1024
const char *apf_safe(const char *s);
/* Write s to f encoded; the return of fputs(). */
int apf_fputs_safe(const char *s, FILE *f, unsigned int flags);

#endif
