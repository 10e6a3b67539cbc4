// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: the fault matcher of apfctl trace over any stream of
 * samples, in any order (per-CPU rings are not merged in time): each 13
 * bytes of input are one sample (which tracepoint, pid, token, time).
 * Matches never exceed either side, and every fault is matched, broadcast
 * or unmatched at the end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fault_match.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct apf_fault_matcher c;
	uint64_t np = 0, rd = 0;
	size_t off, i;

	apf_fault_matcher_init(&c, 0, 1);
	if (size && data[0] & 1)
		c.only_pid = 3;
	for (off = 1; off + 13 <= size; off += 13) {
		struct apf_tp_sample s;
		uint16_t tok;
		uint64_t t;

		s.tp_index = data[off] % 3;
		s.pid = (pid_t)(data[off + 1] % 5);
		s.tid = s.pid;
		memcpy(&tok, data + off + 2, 2);
		/* Few tokens, so that they collide and repeat. */
		s.token = data[off + 4] & 0x80 ? ~(uint64_t)0 : tok % 64;
		memcpy(&t, data + off + 5, 8);
		s.time_ns = t;
		apf_fault_match_sample(&s, &c);
		np += s.tp_index == 0;
		rd += s.tp_index == 1;
	}
	apf_fault_match_finish(&c);
	if (c.total.count > np || c.total.count > rd)
		abort();
	for (i = 1; i < c.nvm; i++)
		if (c.vm[i - 1].pid >= c.vm[i].pid)
			abort();
	apf_fault_matcher_free(&c);
	return 0;
}
