// SPDX-License-Identifier: GPL-2.0-only
#include "number.h"

#include <errno.h>
#include <limits.h>

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Trailing whitespace (a kernel file's newline) and nothing else. */
static bool only_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' ||
	       *s == '\v' || *s == '\f')
		s++;
	return !*s;
}

static int digit_value(char c, unsigned int base)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (base == 16 && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (base == 16 && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int apf_parse_digits(const char **s, unsigned int base, uint64_t max,
		     uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;
	bool over = false;
	int d;

	if (base != 10 && base != 16)
		return -EINVAL;
	if (digit_value(*p, base) < 0)
		return -EINVAL;
	for (; (d = digit_value(*p, base)) >= 0; p++) {
		if (over || v > (max - (uint64_t)d) / base || max < (uint64_t)d)
			over = true;
		else
			v = v * base + (uint64_t)d;
	}
	*s = p;
	if (over)
		return -ERANGE;
	*out = v;
	return 0;
}

int apf_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v;
	int err;

	s = skip_blanks(s);
	err = apf_parse_digits(&s, 10, UINT64_MAX, &v);
	if (err)
		return err;
	if (!only_space(s))
		return -EINVAL;
	*out = v;
	return 0;
}

int apf_parse_int(const char *s, long min, long max, long *out)
{
	bool neg = false;
	uint64_t mag;
	long v;
	int err;

	s = skip_blanks(s);
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	err = apf_parse_digits(&s, 10, (uint64_t)LONG_MAX + neg, &mag);
	if (err)
		return err;
	if (!only_space(s))
		return -EINVAL;
	/* -(mag - 1) - 1 reaches LONG_MIN without overflowing. */
	v = neg && mag ? -(long)(mag - 1) - 1 : (long)mag;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int apf_parse_bool(const char *s, bool *out)
{
	const char *p = s;

	while (*p && *p != ' ' && *p != '\t' && *p != '\n')
		p++;
	if (p - s != 1)
		return -EINVAL;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p)
		return -EINVAL;
	if (s[0] == 'Y' || s[0] == 'y' || s[0] == '1') {
		*out = true;
		return 0;
	}
	if (s[0] == 'N' || s[0] == 'n' || s[0] == '0') {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

int apf_parse_milli(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t whole, v;
	unsigned int frac = 0, scale = 100;
	int err;

	s = skip_blanks(s);
	err = apf_parse_digits(&s, 10, max / 1000, &whole);
	if (err)
		return err;
	if (*s == '.') {
		s++;
		/* At least one digit after the point, at most three. */
		if (*s < '0' || *s > '9')
			return -EINVAL;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (!scale && *s != '0')
				return -ERANGE;	/* finer than a thousandth */
			frac += (unsigned int)(*s - '0') * scale;
			scale /= 10;
		}
	}
	if (!only_space(s))
		return -EINVAL;
	v = whole * 1000 + frac;
	if (!v || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}
