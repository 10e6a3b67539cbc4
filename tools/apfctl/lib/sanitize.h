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
#include <stdint.h>
#include <stdio.h>

enum {
	APF_SAN_NL = 1 << 0,	/* keep '\n' (the format has lines) */
	APF_SAN_TAB = 1 << 1,	/* keep '\t' */
	/* Keep "\xHH" (lower-case hex) as it is: text an encoder already
	 * went over passes again unchanged, so encoding is stable and a
	 * value encoded for a message is not encoded twice on its way out.
	 * (A raw "\x41" in such text also passes: it shows as itself.) */
	APF_SAN_KEEP_ESC = 1 << 2,
	APF_SAN_OWN_FD = 1 << 3,	/* apf_safe_fdopen(): fclose() closes fd */
};

/* apf_safe_char_n(): the bytes so far start a character or an escape
 * that the next bytes decide. */
#define APF_SAFE_MORE ((size_t)-1)

/* Length of the character at s that passes as is (1-4 bytes), or 0 when
 * its first byte is to be encoded: C0 controls (but \n or \t as flags
 * allow), DEL, C1 controls (U+0080-U+009F, UTF-8 or raw), the format
 * controls of apf_is_format_control(), invalid or
 * overlong UTF-8, surrogates, and a backslash before 'x' (so "\x1b" in
 * the output always means an encoded byte). */
size_t apf_safe_char(const char *s, unsigned int flags);
/* The same over len bytes (NUL is a control here); APF_SAFE_MORE where
 * they end inside a character or escape and !final. */
size_t apf_safe_char_n(const char *s, size_t len, bool final, unsigned int flags);
/* One UTF-8 character of the len bytes at s: its length and *cp, or 0
 * where it is invalid or cut short. */
size_t apf_utf8_char(const char *s, size_t len, uint32_t *cp);
/* The len bytes at s as valid UTF-8 (malloc'd, NUL-terminated; NULL on
 * ENOMEM): each byte that starts no valid character becomes U+FFFD, and
 * a character cut short at the end (a snprintf() cut) is dropped.
 * *changed says whether anything was. */
char *apf_utf8_repair(const char *s, size_t len, bool *changed);
/* Bidi controls, U+2028/9, zero-width spaces and joiners, the BOM. */
bool apf_is_format_control(uint32_t c);

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

/* The output layer: a stream whose bytes reach fd encoded (flags, plus
 * APF_SAN_KEEP_ESC), a character or escape cut by a buffer boundary
 * decided with the next write.  apfctl's stdout (text mode), stderr and
 * log files are such streams, so no text output can drive a terminal
 * whatever a caller forgets; apf_safe() at a call site is for what the
 * layer keeps (a newline or tab inside a field).  While *raw is true
 * (JSON mode, raw may be NULL) bytes pass unchanged.  *first_err gets
 * the errno of the first failed write (may be NULL).  NULL on ENOMEM. */
FILE *apf_safe_fdopen(int fd, unsigned int flags, const bool *raw, int *first_err);

#endif
