// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: what trace reads from the kernel's perf rings, cut or
 * torn anywhere: the records of a ring (apf_tp_parse_ring: headers, sizes,
 * wrap at the ring's end, sample layout, ids, token fields) handed on to
 * the fault matcher (not_present to ready by pid and token, per VM).  The
 * input: 8 bytes of tail, 2 of the unread length, then the ring's bytes
 * (its size the power of two that holds them). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fault_match.h"
#include "perf_tp.h"
#include "tracefs.h"
#include "fuzz_input.h"

static void tracepoint(struct apf_tracepoint *tp, const char *name,
		       unsigned int off, unsigned int size)
{
	memset(tp, 0, sizeof(*tp));
	strcpy(tp->name, name);
	tp->id = 1;
	tp->id_readable = true;
	strcpy(tp->fields[0].name, "token");
	tp->fields[0].offset = off;
	tp->fields[0].size = size;
	tp->nfields = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t ids[] = { 7, 9, 11 };
	static const size_t idx[] = { 0, 1, 2 };
	struct apf_fault_matcher c;
	struct apf_tracefs *t;
	uint64_t tail, lost = 0, ring = 64;
	unsigned char *buf;
	uint16_t unread;

	if (size < 10 || size > (1u << 20))
		return 0;
	memcpy(&tail, data, 8);
	memcpy(&unread, data + 8, 2);
	data += 10;
	size -= 10;
	while (ring < size)
		ring *= 2;
	t = calloc(1, sizeof(*t));
	buf = calloc(1, ring);
	if (!t || !buf) {
		free(t);
		free(buf);
		return 0;
	}
	memcpy(buf, data, size);
	tracepoint(&t->tp[0], "kvm_async_pf_not_present", 8, 8);
	tracepoint(&t->tp[1], "kvm_async_pf_ready", 12, 4);
	tracepoint(&t->tp[2], "kvm_async_pf_completed", 3, 2);
	t->ntp = 3;
	apf_fault_matcher_init(&c, 0, 1);
	if (apf_tp_parse_ring(t, ids, idx, 3, buf, ring, tail,
			      tail + (unread % (ring + 1)), apf_fault_match_sample,
			      &c, &lost) < 0 && tail <= UINT64_MAX - ring)
		abort();
	apf_fault_match_finish(&c);
	if (c.total.count > c.not_present || c.total.count > c.ready_n)
		abort();
	apf_fault_matcher_free(&c);
	free(buf);
	free(t);
	return 0;
}
