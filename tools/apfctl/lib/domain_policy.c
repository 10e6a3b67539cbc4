// SPDX-License-Identifier: GPL-2.0-only
#include "domain_policy.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlversion.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "number.h"
#include "sanitize.h"

#define APF_XMLNS_PREFIX "apf-suite.invalid/xmlns/"

const char *apf_policy_value_name(enum apf_policy_value v)
{
	switch (v) {
	case APF_POLICY_ON: return "on";
	case APF_POLICY_OFF: return "off";
	case APF_POLICY_NONE: break;
	}
	return "none";
}

static void fail(struct apf_domain_policy *p, enum apf_policy_status st,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(struct apf_domain_policy *p, enum apf_policy_status st,
		 const char *fmt, ...)
{
	va_list ap;

	/* The first problem is the one reported. */
	if (p->status != APF_POLICY_OK)
		return;
	p->status = st;
	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
}

static bool is_element(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !n->ns &&
	       !strcmp((const char *)n->name, name);
}

static void text_of(const xmlNode *n, char *dst, size_t cap)
{
	xmlChar *s = xmlNodeGetContent(n);

	apf_safe_cut(s ? (const char *)s : "", dst, cap, cap - 4, 0);
	xmlFree(s);
}

/* The exact text, cut at a character boundary to fit: a name shown by
 * text output (whose layer encodes it) and given exactly in JSON. */
static void exact_text_of(const xmlNode *n, char *dst, size_t cap)
{
	xmlChar *s = xmlNodeGetContent(n);
	size_t len = s ? strlen((const char *)s) : 0;

	if (len >= cap) {
		len = cap - 1;
		while (len && (s[len] & 0xc0) == 0x80)
			len--;	/* not half a character */
	}
	if (len)
		memcpy(dst, s, len);
	dst[len] = '\0';
	xmlFree(s);
}

static bool blank(const xmlChar *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

/* <domain type= id=> and <name>, <uuid>: context for messages and records. */
static void read_identity(const xmlNode *root, struct apf_domain_policy *p)
{
	const xmlNode *n;
	xmlChar *v;

	v = xmlGetNoNsProp(root, (const xmlChar *)"type");
	if (v)
		apf_safe_cut((const char *)v, p->type, sizeof(p->type),
			     sizeof(p->type) - 4, 0);
	xmlFree(v);
	v = xmlGetNoNsProp(root, (const xmlChar *)"id");
	if (v) {
		long id;

		if (!apf_parse_int((const char *)v, 0, LONG_MAX, &id))
			p->id = id;
	}
	xmlFree(v);
	for (n = root->children; n; n = n->next) {
		if (is_element(n, "name") && !p->name[0])
			exact_text_of(n, p->name, sizeof(p->name));
		else if (is_element(n, "uuid") && !p->uuid[0])
			text_of(n, p->uuid, sizeof(p->uuid));
	}
}

static void check_policy(const xmlNode *el, struct apf_domain_policy *p)
{
	char shown[80];
	const xmlAttr *a;
	const xmlNode *c;
	bool have = false;

	for (a = el->properties; a; a = a->next) {
		xmlChar *v;

		apf_safe_cut((const char *)a->name, shown, sizeof(shown), 40, 0);
		if (a->ns || strcmp((const char *)a->name, "async-pf")) {
			fail(p, APF_POLICY_INVALID,
			     "unknown attribute '%s%s' on <apf:policy> (known: async-pf)",
			     a->ns ? "namespaced " : "", shown);
			return;
		}
		have = true;
		v = xmlNodeListGetString(el->doc, a->children, 1);
		if (v && !strcmp((const char *)v, "on")) {
			p->async_pf = APF_POLICY_ON;
		} else if (v && !strcmp((const char *)v, "off")) {
			p->async_pf = APF_POLICY_OFF;
		} else {
			apf_safe_cut(v ? (const char *)v : "", shown, sizeof(shown), 40, 0);
			fail(p, APF_POLICY_INVALID,
			     "invalid value async-pf='%s' (expected 'on' or 'off')", shown);
		}
		xmlFree(v);
	}
	if (!have) {
		fail(p, APF_POLICY_INVALID,
		     "<apf:policy> without async-pf='on|off'");
		return;
	}
	for (c = el->children; c; c = c->next) {
		if (c->type == XML_COMMENT_NODE ||
		    (c->type == XML_TEXT_NODE && blank(c->content)))
			continue;
		apf_safe_cut((const char *)c->name, shown, sizeof(shown), 40, 0);
		fail(p, APF_POLICY_INVALID, "<apf:policy> must be empty, has %s%s%s",
		     c->type == XML_ELEMENT_NODE ? "element <" : "text",
		     c->type == XML_ELEMENT_NODE ? shown : "",
		     c->type == XML_ELEMENT_NODE ? ">" : "");
		return;
	}
}

static void scan_metadata(const xmlNode *md, struct apf_domain_policy *p,
			  int *npolicy)
{
	const xmlNode *n;
	char shown[80];

	for (n = md->children; n; n = n->next) {
		const char *href;

		if (n->type != XML_ELEMENT_NODE || !n->ns || !n->ns->href)
			continue;
		href = (const char *)n->ns->href;
		if (strcmp(href, APF_XMLNS)) {
			/* A typo or a newer version of our namespace: an old
			 * hook cannot honour it, and ignoring it silently
			 * would run the VM against the operator's intent. */
			if (strstr(href, APF_XMLNS_PREFIX)) {
				apf_safe_cut(href, shown, sizeof(shown), 70, 0);
				fail(p, APF_POLICY_INVALID,
				     "unknown APF namespace '%s' (this hook knows '%s')",
				     shown, APF_XMLNS);
			}
			continue;
		}
		apf_safe_cut((const char *)n->name, shown, sizeof(shown), 40, 0);
		if (strcmp((const char *)n->name, "policy")) {
			fail(p, APF_POLICY_INVALID,
			     "unknown element <apf:%s> in the APF namespace "
			     "(known: <apf:policy>)", shown);
			continue;
		}
		if (++*npolicy > 1) {
			fail(p, APF_POLICY_INVALID,
			     "duplicate <apf:policy> (give exactly one)");
			continue;
		}
		check_policy(n, p);
	}
}

/* libxml2 prints parse errors on stderr by default; the hook reports them
 * itself (stderr is what libvirt shows the operator). */
#if LIBXML_VERSION >= 21200
static void xml_silent(void *ctx, const xmlError *e)
#else
static void xml_silent(void *ctx, xmlErrorPtr e)
#endif
{
	(void)ctx;
	(void)e;
}

void apf_domain_policy_parse(const char *xml, size_t len,
			     struct apf_domain_policy *p)
{
	xmlParserCtxtPtr ctxt;
	const xmlNode *root, *n;
	xmlDocPtr doc;
	int npolicy = 0;

	memset(p, 0, sizeof(*p));
	p->async_pf = APF_POLICY_NONE;
	p->id = -1;
	if (len > APF_DOMAIN_XML_MAX || len > (size_t)INT32_MAX) {
		fail(p, APF_POLICY_BAD_XML, "domain XML of %zu bytes is over the "
		     "%u-byte limit", len, APF_DOMAIN_XML_MAX);
		return;
	}
	xmlSetStructuredErrorFunc(NULL, xml_silent);
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		fail(p, APF_POLICY_BAD_XML, "out of memory");
		return;
	}
	/* No NOENT (no entity substitution), no DTDLOAD/DTDATTR (nothing
	 * fetched), NONET; HUGE stays off so libxml2's depth and size limits
	 * hold. */
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "domain.xml", NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR |
				XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (!doc) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		char raw[160], msg[160];
		size_t k;

		snprintf(raw, sizeof(raw), "%s", e && e->message ? e->message :
			 "unknown error");
		/* libxml2's messages end in a newline. */
		k = strlen(raw);
		while (k && (raw[k - 1] == '\n' || raw[k - 1] == ' '))
			raw[--k] = '\0';
		apf_safe_cut(raw, msg, sizeof(msg), 120, 0);
		fail(p, APF_POLICY_BAD_XML, "domain XML does not parse: line %d: %s",
		     e ? e->line : 0, msg);
		xmlFreeParserCtxt(ctxt);
		return;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || !is_element(root, "domain")) {
		fail(p, APF_POLICY_BAD_XML, "not a libvirt domain XML (root element "
		     "is not <domain>)");
		goto out;
	}
	read_identity(root, p);
	for (n = root->children; n; n = n->next)
		if (is_element(n, "metadata"))
			scan_metadata(n, p, &npolicy);
	if (p->status != APF_POLICY_OK)
		p->async_pf = APF_POLICY_NONE;
out:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
}

void apf_xml_cleanup(void)
{
	xmlCleanupParser();
}
