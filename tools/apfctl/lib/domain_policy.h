/* SPDX-License-Identifier: GPL-2.0-only */
/* The per-domain APF policy in libvirt domain XML metadata:
 *   <metadata>
 *     <apf:policy xmlns:apf='https://apf-suite.invalid/xmlns/apf/1'
 *                 async-pf='on|off'/>
 *   </metadata>
 * (libvirt-hooks/apf-policy.rng is the schema; this parser must agree with
 * it, and tests/cli/test_hook.py checks that it does). */
#ifndef APF_DOMAIN_POLICY_H
#define APF_DOMAIN_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#define APF_XMLNS "https://apf-suite.invalid/xmlns/apf/1"
/* Domain XML larger than this is refused unparsed (libvirt's own are a few
 * KiB; a hostile one should not make the hook allocate without bound). */
#define APF_DOMAIN_XML_MAX (4u << 20)

enum apf_policy_value {
	APF_POLICY_NONE = -1,	/* no <apf:policy>: leave the VM as it is */
	APF_POLICY_OFF = 0,
	APF_POLICY_ON = 1,
};

enum apf_policy_status {
	APF_POLICY_OK = 0,	/* valid, or absent */
	APF_POLICY_INVALID,	/* the policy is wrong: refuse the start */
	APF_POLICY_BAD_XML,	/* the document is not a domain XML we can
				 * read: our problem, not the operator's */
};

struct apf_domain_policy {
	enum apf_policy_status status;
	enum apf_policy_value async_pf;
	char name[256];		/* <name> exactly (cut at a character to
				 * fit), "" if absent: encode to show */
	char uuid[40];		/* <uuid>, "" if absent or odd */
	char type[16];		/* <domain type=...>: kvm, qemu, ... */
	long id;		/* <domain id=...> of a running domain, -1 */
	char error[320];	/* what is wrong, for INVALID and BAD_XML */
};

/* Parse len bytes of domain XML.  Never loads external entities or DTDs,
 * never touches the network; entity expansion is left to libxml2's own
 * amplification limits.  Always fills *p (status says how it went). */
void apf_domain_policy_parse(const char *xml, size_t len,
			     struct apf_domain_policy *p);
/* Release libxml2's global state (at exit, so valgrind sees no leaks). */
void apf_xml_cleanup(void);
const char *apf_policy_value_name(enum apf_policy_value v);

#endif
