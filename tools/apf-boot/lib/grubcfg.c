// SPDX-License-Identifier: GPL-2.0-only
#include "grubcfg.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 64
#define MAX_DEPTH 64

/* One line split into words as GRUB's (sh-like) lexer does: '...' literal,
 * "..." with \ escapes, \ outside quotes, adjacent parts joined.  Words go
 * into buf (NUL-separated).  Returns the word count, or -1 if the line
 * does not fit or a quote is unterminated (a word spanning lines is not
 * something grub-mkconfig writes on the lines read here). */
static int split_words(const char *s, char *buf, size_t cap, char *words[], int max)
{
	size_t o = 0;
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '\n' || *s == '#')
			return n;
		if (n == max)
			return -1;
		words[n++] = buf + o;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n') {
			char ch;

			if (*s == '\'') {
				for (s++; *s && *s != '\''; s++) {
					if (o + 1 >= cap)
						return -1;
					buf[o++] = *s;
				}
				if (!*s)
					return -1;
				s++;
				continue;
			}
			if (*s == '"') {
				for (s++; *s && *s != '"'; s++) {
					if (*s == '\\' && s[1])
						s++;
					if (o + 1 >= cap)
						return -1;
					buf[o++] = *s;
				}
				if (!*s)
					return -1;
				s++;
				continue;
			}
			ch = *s++;
			if (ch == '\\' && *s && *s != '\n')
				ch = *s++;
			if (o + 1 >= cap)
				return -1;
			buf[o++] = ch;
		}
		if (o + 1 >= cap)
			return -1;
		buf[o++] = '\0';
	}
}

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

static int add_node(struct grub_cfg *c, size_t *cap, const struct grub_node *nd)
{
	if (c->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct grub_node *nn = realloc(c->node, ncap * sizeof(*nn));

		if (!nn)
			return -ENOMEM;
		c->node = nn;
		*cap = ncap;
	}
	c->node[c->n++] = *nd;
	return 0;
}

/* menuentry/submenu TITLE [options] [--id ID | --id=ID | $menuentry_id_option ID] { */
static void entry_words(struct grub_node *nd, char *w[], int nw)
{
	int i;

	if (nw > 1)
		copy(nd->title, sizeof(nd->title), w[1]);
	for (i = 2; i < nw; i++) {
		if ((!strcmp(w[i], "--id") || !strcmp(w[i], "$menuentry_id_option")) &&
		    i + 1 < nw && strcmp(w[i + 1], "{")) {
			copy(nd->id, sizeof(nd->id), w[i + 1]);
			i++;
		} else if (!strncmp(w[i], "--id=", 5)) {
			copy(nd->id, sizeof(nd->id), w[i] + 5);
		}
	}
}

int grub_cfg_parse(const char *text, struct grub_cfg *c, char *err, size_t errcap)
{
	/* The open blocks: node index for menu entries and submenus, -1 for
	 * anything else that opened a brace (function bodies). */
	int stack[MAX_DEPTH], depth = 0, next_entry_if = 0, line_no = 0;
	size_t cap = 0, counts_cap = 0, *counts = NULL;
	char buf[4096], *w[MAX_WORDS];
	const char *s = text;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	err[0] = '\0';
	while (*s) {
		const char *eol = strchr(s, '\n');
		size_t len = eol ? (size_t)(eol - s) : strlen(s);
		char line[4096];
		int nw, parent;

		line_no++;
		if (len >= sizeof(line)) {
			/* Not a line grub-mkconfig writes for entries; skip it. */
			s += len + (eol ? 1 : 0);
			continue;
		}
		memcpy(line, s, len);
		line[len] = '\0';
		s += len + (eol ? 1 : 0);
		nw = split_words(line, buf, sizeof(buf), w, MAX_WORDS);
		if (nw <= 0)
			continue;
		parent = -1;
		for (int d = depth - 1; d >= 0; d--)
			if (stack[d] >= 0) {
				parent = stack[d];
				break;
			}
		if (!strcmp(w[0], "menuentry") || !strcmp(w[0], "submenu")) {
			struct grub_node nd;
			size_t slot = parent < 0 ? 0 : (size_t)parent + 1;

			if (strcmp(w[nw - 1], "{")) {
				snprintf(err, errcap, "line %d: %s without '{' at the end", line_no, w[0]);
				rc = -EINVAL;
				goto out;
			}
			if (depth == MAX_DEPTH) {
				snprintf(err, errcap, "line %d: blocks nested too deep", line_no);
				rc = -EINVAL;
				goto out;
			}
			memset(&nd, 0, sizeof(nd));
			nd.submenu = w[0][0] == 's';
			nd.parent = parent;
			entry_words(&nd, w, nw - 1);
			/* Sibling count per parent: counts[0] the top level,
			 * counts[p+1] the children of node p. */
			if (c->n + 2 > counts_cap) {
				size_t ncap = (c->n + 2) * 2;
				size_t *nc = realloc(counts, ncap * sizeof(*nc));

				if (!nc) {
					rc = -ENOMEM;
					snprintf(err, errcap, "out of memory");
					goto out;
				}
				memset(nc + counts_cap, 0, (ncap - counts_cap) * sizeof(*nc));
				counts = nc;
				counts_cap = ncap;
			}
			nd.index = (int)counts[slot]++;
			if (add_node(c, &cap, &nd)) {
				rc = -ENOMEM;
				snprintf(err, errcap, "out of memory");
				goto out;
			}
			stack[depth++] = (int)c->n - 1;
		} else if (!strcmp(w[0], "}") && nw == 1) {
			if (depth == 0) {
				snprintf(err, errcap, "line %d: '}' without an open block", line_no);
				rc = -EINVAL;
				goto out;
			}
			depth--;
		} else if (!strcmp(w[nw - 1], "{")) {
			if (depth == MAX_DEPTH) {
				snprintf(err, errcap, "line %d: blocks nested too deep", line_no);
				rc = -EINVAL;
				goto out;
			}
			stack[depth++] = -1;
		} else if ((!strcmp(w[0], "linux") || !strcmp(w[0], "linuxefi") ||
			    !strcmp(w[0], "linux16")) && nw > 1 && depth > 0 && stack[depth - 1] >= 0) {
			struct grub_node *nd = &c->node[stack[depth - 1]];
			const char *base = strrchr(w[1], '/');

			copy(nd->kernel, sizeof(nd->kernel), base ? base + 1 : w[1]);
			for (int i = 2; i < nw; i++)
				if (!strcmp(w[i], "single") || !strcmp(w[i], "systemd.unit=rescue.target"))
					nd->recovery = true;
		} else if (!strcmp(w[0], "if") && nw > 2 && strstr(w[2], "${next_entry}")) {
			next_entry_if = 1;
		} else if (!strcmp(w[0], "fi")) {
			next_entry_if = 0;
		} else if (!strcmp(w[0], "set") && nw == 2 && !strncmp(w[1], "default=", 8) &&
			   depth == 0) {
			const char *v = w[1] + 8;

			if (!strcmp(v, "${saved_entry}"))
				c->saved_default = true;
			else if (strcmp(v, "${next_entry}") && !(next_entry_if && !*v))
				copy(c->fixed_default, sizeof(c->fixed_default), v);
		}
	}
	if (depth) {
		snprintf(err, errcap, "unterminated block at the end (%d open)", depth);
		rc = -EINVAL;
	}
out:
	free(counts);
	if (rc)
		grub_cfg_free(c);
	return rc;
}

void grub_cfg_free(struct grub_cfg *c)
{
	free(c->node);
	c->node = NULL;
	c->n = 0;
}

static bool names_version(const char *id, const char *version)
{
	/* gnulinux-VERSION-advanced-UUID, gnulinux-VERSION-recovery-UUID */
	size_t vl = strlen(version);

	for (const char *p = strstr(id, version); p; p = strstr(p + 1, version))
		if ((p == id || p[-1] == '-') && (p[vl] == '-' || !p[vl]))
			return true;
	return false;
}

const struct grub_node *grub_cfg_entry_for(const struct grub_cfg *c, const char *version)
{
	const struct grub_node *best = NULL;
	char want[300];
	size_t i;

	snprintf(want, sizeof(want), "vmlinuz-%s", version);
	for (i = 0; i < c->n; i++) {
		const struct grub_node *nd = &c->node[i];

		if (nd->submenu || nd->recovery || strcmp(nd->kernel, want))
			continue;
		if (names_version(nd->id, version))
			return nd;
		if (!best)
			best = nd;
	}
	return best;
}

int grub_cfg_path(const struct grub_cfg *c, const struct grub_node *node,
		  char *out, size_t cap)
{
	const struct grub_node *chain[MAX_DEPTH];
	size_t n = 0, o = 0;

	for (const struct grub_node *p = node; p; p = p->parent < 0 ? NULL : &c->node[p->parent]) {
		if (n == MAX_DEPTH)
			return -ENOSPC;
		chain[n++] = p;
	}
	if (!cap)
		return -ENOSPC;
	out[0] = '\0';
	while (n--) {
		const char *name = chain[n]->id[0] ? chain[n]->id : chain[n]->title;
		int w = snprintf(out + o, cap - o, "%s%s", o ? ">" : "", name);

		if (w < 0 || (size_t)w >= cap - o)
			return -ENOSPC;
		o += (size_t)w;
	}
	return 0;
}

static const struct grub_node *child(const struct grub_cfg *c, int parent, const char *name)
{
	char *end;
	long idx;
	size_t i;

	errno = 0;
	idx = strtol(name, &end, 10);
	if (*name && isdigit((unsigned char)*name) && !*end && !errno) {
		for (i = 0; i < c->n; i++)
			if (c->node[i].parent == parent && c->node[i].index == idx)
				return &c->node[i];
		return NULL;
	}
	for (i = 0; i < c->n; i++)
		if (c->node[i].parent == parent && c->node[i].id[0] &&
		    !strcmp(c->node[i].id, name))
			return &c->node[i];
	for (i = 0; i < c->n; i++)
		if (c->node[i].parent == parent && !strcmp(c->node[i].title, name))
			return &c->node[i];
	return NULL;
}

const struct grub_node *grub_cfg_resolve(const struct grub_cfg *c, const char *value)
{
	const struct grub_node *nd = NULL;
	char part[256];
	int parent = -1;

	if (!value || !*value)
		value = "0";
	for (const char *p = value;;) {
		const char *gt = strchr(p, '>');
		size_t len = gt ? (size_t)(gt - p) : strlen(p);

		if (len >= sizeof(part))
			return NULL;
		memcpy(part, p, len);
		part[len] = '\0';
		nd = child(c, parent, part);
		if (!nd)
			return NULL;
		if (!gt)
			break;
		if (!nd->submenu)
			return NULL;
		parent = (int)(nd - c->node);
		p = gt + 1;
	}
	return nd->submenu ? NULL : nd;
}

int grubenv_get(const char *text, const char *key, char *out, size_t cap)
{
	static const char magic[] = "# GRUB Environment Block\n";
	size_t kl = strlen(key);
	const char *s;

	if (strncmp(text, magic, sizeof(magic) - 1))
		return -EINVAL;
	for (s = text + sizeof(magic) - 1; *s; ) {
		const char *eol = strchr(s, '\n');

		if (!eol)
			break;
		if (*s != '#' && !strncmp(s, key, kl) && s[kl] == '=') {
			size_t o = 0;

			for (const char *p = s + kl + 1; p < eol; p++) {
				char ch = *p;

				if (ch == '\\' && p + 1 < eol) {
					p++;
					ch = *p == 'n' ? '\n' : *p;
				}
				if (o + 1 >= cap)
					return -ENOSPC;
				out[o++] = ch;
			}
			out[o] = '\0';
			return 0;
		}
		s = eol + 1;
	}
	return -ENOENT;
}
