// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: a whole QMP session as a hung or hostile QEMU might
 * speak it: the bytes of the input are what the monitor says (greeting,
 * replies, events, errors, in any order and cut anywhere), fed through a
 * socketpair to the client's handshake, query-stats (three commands),
 * qom-get, and the async-pf switch read and set (query-async-pf and
 * set-async-pf, or their qom-get/query-stats/qom-set fallback): line
 * framing, the reply cap, id matching, event skipping, error mapping and
 * the fallback.  The monitor's end is closed after the input, so nothing
 * waits for a timeout. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qmp.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct apf_qmp_vcpu_stats *v = NULL;
	struct apf_counters vm = { 0 };
	struct apf_qmp_async_pf info;
	enum apf_qmp_iface iface;
	struct apf_qmp *q;
	size_t n = 0, off = 0;
	int sv[2], err;
	bool on;

	/* What fits in the socket's buffer at once: the monitor has said
	 * all of it before the client reads. */
	if (size > 65536 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		return 0;
	while (off < size) {
		ssize_t w = write(sv[1], data + off, size - off);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
	shutdown(sv[1], SHUT_WR);
	q = apf_qmp_open_fd(sv[0], 50, &err);
	if (q) {
		if (!apf_qmp_query_stats(q, true, &vm, &v, &n) && !n && v)
			abort();
		apf_qmp_vcpu_stats_free(v, n);
		apf_counters_free(&vm);
		(void)apf_qmp_qom_get_bool(q, APF_QMP_ACCEL_PATH, APF_QMP_ASYNC_PF_PROP, &on);
		err = apf_qmp_async_pf_get(apf_qmp_exec, q, true, &info);
		if (err && (info.vcpus || info.nvcpus))
			abort();	/* an error leaves nothing to free */
		iface = info.iface;
		apf_qmp_async_pf_free(&info);
		if (!err)
			(void)apf_qmp_async_pf_set(apf_qmp_exec, q, false, &iface);
		(void)apf_qmp_last_error(q);
		apf_qmp_close(q);
	} else if (!err) {
		abort();
	}
	close(sv[1]);
	return 0;
}
