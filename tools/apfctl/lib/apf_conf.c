// SPDX-License-Identifier: GPL-2.0-only
#include "apf_conf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sanitize.h"

const char *apf_conf_switch_name(enum apf_conf_switch s)
{
	switch (s) {
	case APF_CONF_ON: return "on";
	case APF_CONF_OFF: return "off";
	case APF_CONF_KEEP: break;
	}
	return "keep";
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int parse_switch(const char *v, enum apf_conf_switch *s)
{
	if (!strcmp(v, "on"))
		*s = APF_CONF_ON;
	else if (!strcmp(v, "off"))
		*s = APF_CONF_OFF;
	else if (!strcmp(v, "keep"))
		*s = APF_CONF_KEEP;
	else
		return -EINVAL;
	return 0;
}

#define LINE_MAX_LEN 1024

int apf_conf_parse(const char *text, struct apf_conf *c, char *err, size_t errcap)
{
	static const char *const keys[] = { "host_async_pf", "guest_async_pf",
					    "on_unsupported" };
	unsigned int seen[3] = { 0, 0, 0 };
	unsigned int lineno = 0;
	const char *p = text;

	memset(c, 0, sizeof(*c));
	err[0] = '\0';
	while (*p) {
		char line[LINE_MAX_LEN + 1], shown[80], *k, *v, *e, *eq;
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		size_t i;

		lineno++;
		if (len > LINE_MAX_LEN) {
			snprintf(err, errcap, "line %u: longer than %d characters",
				 lineno, LINE_MAX_LEN);
			return -EINVAL;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (nl ? 1 : 0);
		for (k = line; is_blank(*k); k++)
			;
		if (!*k || *k == '#')
			continue;
		eq = strchr(k, '=');
		if (!eq) {
			apf_safe_cut(k, shown, sizeof(shown), 40, 0);
			snprintf(err, errcap, "line %u: expected KEY=VALUE, got '%s'",
				 lineno, shown);
			return -EINVAL;
		}
		for (e = eq; e > k && is_blank(e[-1]); e--)
			;
		*e = '\0';
		for (v = eq + 1; is_blank(*v); v++)
			;
		if (*v == '"' || *v == '\'') {
			char q = *v++;

			e = strchr(v, q);
			if (!e) {
				snprintf(err, errcap, "line %u: unterminated quote", lineno);
				return -EINVAL;
			}
			*e++ = '\0';
		} else {
			for (e = v; *e && !is_blank(*e) && *e != '#'; e++)
				;
			if (*e == '#') {
				snprintf(err, errcap, "line %u: a comment needs a blank "
					 "before '#'", lineno);
				return -EINVAL;
			}
			if (*e)
				*e++ = '\0';
		}
		while (is_blank(*e))
			e++;
		if (*e && *e != '#') {
			apf_safe_cut(e, shown, sizeof(shown), 40, 0);
			snprintf(err, errcap, "line %u: unexpected '%s' after the value",
				 lineno, shown);
			return -EINVAL;
		}
		for (i = 0; i < 3; i++)
			if (!strcmp(k, keys[i]))
				break;
		apf_safe_cut(k, shown, sizeof(shown), 40, 0);
		if (i == 3) {
			snprintf(err, errcap, "line %u: unknown key '%s' (known: "
				 "host_async_pf, guest_async_pf, on_unsupported)",
				 lineno, shown);
			return -EINVAL;
		}
		if (seen[i]) {
			snprintf(err, errcap, "line %u: %s already set on line %u",
				 lineno, keys[i], seen[i]);
			return -EINVAL;
		}
		seen[i] = lineno;
		if (i < 2) {
			if (!parse_switch(v, i ? &c->guest : &c->host))
				continue;
			apf_safe_cut(v, shown, sizeof(shown), 40, 0);
			snprintf(err, errcap, "line %u: %s='%s': expected on, off or keep",
				 lineno, keys[i], shown);
			return -EINVAL;
		}
		if (!strcmp(v, "warn") || !strcmp(v, "fail")) {
			c->fail_unsupported = !strcmp(v, "fail");
			continue;
		}
		apf_safe_cut(v, shown, sizeof(shown), 40, 0);
		snprintf(err, errcap, "line %u: on_unsupported='%s': expected warn or fail",
			 lineno, shown);
		return -EINVAL;
	}
	return 0;
}
