// SPDX-License-Identifier: GPL-2.0-only
#include "sanitize.h"

#include <stdint.h>
#include <string.h>

/* Decode one UTF-8 character; its length, or 0 if invalid (overlong,
 * surrogate, past U+10FFFF, cut short). */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
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

static bool is_bidi_control(uint32_t c)
{
	return c == 0x061c || c == 0x200e || c == 0x200f ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

size_t apf_safe_char(const char *s, unsigned int flags)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c;
	size_t n;

	if (u[0] == '\n')
		return flags & APF_SAN_NL ? 1 : 0;
	if (u[0] == '\t')
		return flags & APF_SAN_TAB ? 1 : 0;
	if (u[0] < 0x20 || u[0] == 0x7f)
		return 0;
	if (u[0] == '\\')
		return u[1] == 'x' ? 0 : 1;
	n = utf8_decode(u, &c);
	if (!n || (c >= 0x80 && c <= 0x9f) || is_bidi_control(c))
		return 0;
	return n;
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
