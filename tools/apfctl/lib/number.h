/* SPDX-License-Identifier: GPL-2.0-only */
/* The one checked-number parser: every number apfctl reads (kernel files,
 * QEMU and libvirt replies, options, environment) goes through it.  No
 * errno, no locale, no silent wrap: -EINVAL for what is not a number of
 * the form asked for, -ERANGE for one outside the bounds.  Fuzzed. */
#ifndef APF_NUMBER_H
#define APF_NUMBER_H

#include <stdbool.h>
#include <stdint.h>

/* The digits at *s in base 10 or 16 (no sign, no blanks, no "0x"), at most
 * max; *s is moved past them.  -EINVAL when there is no digit, -ERANGE past
 * max (*s then past every digit).  What follows is the caller's. */
int apf_parse_digits(const char **s, unsigned int base, uint64_t max,
		     uint64_t *out);
/* Decimal u64, optional leading blanks, optional trailing whitespace. */
int apf_parse_u64(const char *s, uint64_t *out);
/* Signed decimal in [min, max], optional sign, same blanks. */
int apf_parse_int(const char *s, long min, long max, long *out);
/* Sysfs boolean: Y/N/1/0 (module params print Y/N). */
int apf_parse_bool(const char *s, bool *out);
/* A positive decimal with up to 3 fraction digits read as thousandths
 * ("2" 2000, "0.5" 500, "0.0004" refused as -ERANGE: under 1), at most
 * max thousandths: durations in seconds, to milliseconds. */
int apf_parse_milli(const char *s, uint64_t max, uint64_t *out);

#endif
