// SPDX-License-Identifier: GPL-2.0-only
#include "sanitize.h"

#include "fileio.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Decode one UTF-8 character from the len bytes at s: its length, 0 if
 * invalid (overlong, surrogate, past U+10FFFF, cut short), or
 * APF_SAFE_MORE when the len bytes are a valid start that more bytes
 * could complete (only when !final). */
static size_t utf8_decode(const unsigned char *s, size_t len, bool final,
			  uint32_t *cp)
{
	size_t n, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;	/* continuation byte, C0/C1 lead, 0xf5.. */
	}
	for (i = 1; i < n; i++) {
		if (i >= len)
			return final ? 0 : APF_SAFE_MORE;
		if ((s[i] & 0xc0) != 0x80)
			return 0;	/* includes the NUL of a cut string */
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

size_t apf_utf8_char(const char *s, size_t len, uint32_t *cp)
{
	return len ? utf8_decode((const unsigned char *)s, len, true, cp) : 0;
}

char *apf_utf8_repair(const char *s, size_t len, bool *changed)
{
	const unsigned char *u = (const unsigned char *)s;
	char *out = malloc(len * 3 + 1), *o = out;
	size_t i = 0, n;
	uint32_t cp;

	*changed = false;
	if (!out)
		return NULL;
	while (i < len) {
		n = utf8_decode(u + i, len - i, false, &cp);
		if (n == APF_SAFE_MORE) {	/* cut inside a character */
			*changed = true;
			break;
		}
		if (!n) {
			memcpy(o, "\xef\xbf\xbd", 3);	/* U+FFFD */
			o += 3;
			i++;
			*changed = true;
			continue;
		}
		memcpy(o, s + i, n);
		o += n;
		i += n;
	}
	*o = '\0';
	return out;
}

/* Invisible characters that reorder or hide what is shown: the bidi
 * controls, the line and paragraph separators (a line break to some
 * terminals and viewers), zero-width spaces and joiners, the BOM. */
bool apf_is_format_control(uint32_t c)
{
	return c == 0x061c || (c >= 0x200b && c <= 0x200f) ||
	       (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0xfeff;
}

static bool is_hex_lower(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* A backslash: one of our escapes ("\xHH", kept as is under
 * APF_SAN_KEEP_ESC), one to encode (before 'x'), or a plain one. */
static size_t backslash(const unsigned char *u, size_t len, bool final,
			unsigned int flags)
{
	size_t i;

	for (i = 1; i < 4 && i < len; i++)
		if (!(i == 1 ? u[i] == 'x' : is_hex_lower(u[i])))
			break;
	if (i == 4 && flags & APF_SAN_KEEP_ESC)
		return 4;
	if (i == len && i < 4 && !final && (flags & APF_SAN_KEEP_ESC || i == 1))
		return APF_SAFE_MORE;
	return i >= 2 ? 0 : 1;
}

size_t apf_safe_char_n(const char *s, size_t len, bool final, unsigned int flags)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c;
	size_t n;

	if (!len)
		return 0;
	if (u[0] == '\n')
		return flags & APF_SAN_NL ? 1 : 0;
	if (u[0] == '\t')
		return flags & APF_SAN_TAB ? 1 : 0;
	if (u[0] < 0x20 || u[0] == 0x7f)
		return 0;
	if (u[0] == '\\')
		return backslash(u, len, final, flags);
	n = utf8_decode(u, len, final, &c);
	if (n == APF_SAFE_MORE)
		return n;
	if (!n || (c >= 0x80 && c <= 0x9f) || apf_is_format_control(c))
		return 0;
	return n;
}

size_t apf_safe_char(const char *s, unsigned int flags)
{
	return apf_safe_char_n(s, strnlen(s, 4), true, flags);
}

static const char hex[] = "0123456789abcdef";

const char *apf_safe_encode(const char *s, char *buf, size_t cap,
			 unsigned int flags)
{
	size_t o = 0;

	if (!cap)
		return "";
	while (*s) {
		size_t n = apf_safe_char(s, flags);

		if (n) {
			if (o + n >= cap)
				break;
			memcpy(buf + o, s, n);
			o += n;
			s += n;
			continue;
		}
		if (o + 4 >= cap)
			break;
		buf[o++] = '\\';
		buf[o++] = 'x';
		buf[o++] = hex[(unsigned char)*s >> 4];
		buf[o++] = hex[(unsigned char)*s & 0xf];
		s++;
	}
	buf[o] = '\0';
	return buf;
}

const char *apf_safe_cut(const char *s, char *buf, size_t cap, size_t max,
			 unsigned int flags)
{
	size_t o = 0, chars = 0;

	if (!cap)
		return "";
	if (!s)
		s = "";
	/* Room for "..." is kept while encoding, so a cut always shows. */
	while (*s && chars < max) {
		size_t n = apf_safe_char(s, flags), need = n ? n : 4;

		if (o + need + 3 >= cap)
			break;
		if (n) {
			memcpy(buf + o, s, n);
		} else {
			buf[o] = '\\';
			buf[o + 1] = 'x';
			buf[o + 2] = hex[(unsigned char)*s >> 4];
			buf[o + 3] = hex[(unsigned char)*s & 0xf];
			n = 1;
		}
		o += need;
		s += n;
		chars++;
	}
	if (*s && o + 3 < cap) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

const char *apf_safe(const char *s)
{
	static char ring[8][APF_SAFE_MAX];
	static unsigned int next;
	char *buf = ring[next++ % 8];

	return apf_safe_encode(s ? s : "", buf, APF_SAFE_MAX, 0);
}

int apf_fputs_safe(const char *s, FILE *f, unsigned int flags)
{
	while (*s) {
		size_t n = apf_safe_char(s, flags);

		if (n) {
			if (fwrite(s, 1, n, f) != n)
				return EOF;
			s += n;
			continue;
		}
		if (fprintf(f, "\\x%02x", (unsigned char)*s) < 0)
			return EOF;
		s++;
	}
	return 0;
}

/* ---------------------------------------------------------------- streams */

struct safe_stream {
	int fd;
	unsigned int flags;
	const bool *raw;
	int *first_err;
	char held[4];		/* the start of a character or an escape */
	size_t nheld;
	char out[4096];
	size_t nout;
};

static int out_flush(struct safe_stream *st)
{
	int err = st->nout ? apf_write_all(st->fd, st->out, st->nout) : 0;

	st->nout = 0;
	if (err && st->first_err && !*st->first_err)
		*st->first_err = -err;
	return err;
}

static int out_put(struct safe_stream *st, const char *p, size_t n)
{
	if (st->nout + n > sizeof(st->out) && out_flush(st))
		return -1;
	if (n > sizeof(st->out)) {
		int err = apf_write_all(st->fd, p, n);

		if (err && st->first_err && !*st->first_err)
			*st->first_err = -err;
		return err ? -1 : 0;
	}
	memcpy(st->out + st->nout, p, n);
	st->nout += n;
	return 0;
}

/* Encode n bytes at p; a character or escape the end cuts short is held
 * for the next write, unless final. */
static int encode_into(struct safe_stream *st, const char *p, size_t n, bool final)
{
	size_t i = 0;

	while (i < n) {
		size_t k = apf_safe_char_n(p + i, n - i, final, st->flags);
		char esc[4] = { '\\', 'x', hex[(unsigned char)p[i] >> 4],
				hex[(unsigned char)p[i] & 0xf] };

		if (k == APF_SAFE_MORE) {
			memcpy(st->held, p + i, n - i);
			st->nheld = n - i;
			return 0;
		}
		if (k ? out_put(st, p + i, k) : out_put(st, esc, sizeof(esc)))
			return -1;
		i += k ? k : 1;
	}
	return 0;
}

static size_t take_held(struct safe_stream *st, char *buf)
{
	size_t n = st->nheld;

	memcpy(buf, st->held, n);
	st->nheld = 0;
	return n;
}

static ssize_t safe_write(void *cookie, const char *buf, size_t len)
{
	struct safe_stream *st = cookie;
	char held[4];
	size_t nh = take_held(st, held);
	int err = 0;

	if (st->raw && *st->raw) {
		err = out_put(st, held, nh) || out_put(st, buf, len) ? -1 : 0;
	} else if (nh) {
		/* The held start and what follows, decided together: at
		 * most 3 more bytes complete it. */
		char join[8];
		size_t more = len < 4 ? len : 4;

		memcpy(join, held, nh);
		memcpy(join + nh, buf, more);
		err = encode_into(st, join, nh + more, false);
		if (!err && st->nheld > more) {
			/* Still undecided: all of buf is in the hold. */
			return (ssize_t)len;
		}
		if (!err) {
			/* Bytes of buf the joined pass consumed. */
			size_t used = more - st->nheld;

			st->nheld = 0;
			err = encode_into(st, buf + used, len - used, false);
		}
	} else {
		err = encode_into(st, buf, len, false);
	}
	if (err || out_flush(st)) {
		errno = st->first_err && *st->first_err ? *st->first_err : EIO;
		return -1;
	}
	return (ssize_t)len;
}

static int safe_close(void *cookie)
{
	struct safe_stream *st = cookie;
	char held[4];
	size_t nh = take_held(st, held);
	int err = encode_into(st, held, nh, true) || out_flush(st) ? -1 : 0;

	if (st->flags & APF_SAN_OWN_FD && close(st->fd) && !err)
		err = -1;
	free(st);
	return err;
}

FILE *apf_safe_fdopen(int fd, unsigned int flags, const bool *raw, int *first_err)
{
	static const cookie_io_functions_t io = { .write = safe_write,
						  .close = safe_close };
	struct safe_stream *st = calloc(1, sizeof(*st));
	FILE *f;

	if (!st)
		return NULL;
	st->fd = fd;
	st->flags = flags | APF_SAN_KEEP_ESC;
	st->raw = raw;
	st->first_err = first_err;
	f = fopencookie(st, "w", io);
	if (!f)
		free(st);
	return f;
}
