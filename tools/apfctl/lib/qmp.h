/* SPDX-License-Identifier: GPL-2.0-only */
/* A minimal QMP client: handshake, query-stats, qom-get/qom-set. */
#ifndef APF_QMP_H
#define APF_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"

struct apf_qmp;
struct json_object;

/* Bounds against a hung or hostile QEMU: one reply line at most this many
 * bytes; per scope at most this many counters; at most this many vCPUs. */
#define APF_QMP_MAX_REPLY	(16u << 20)
#define APF_QMP_MAX_STATS	1024
#define APF_QMP_MAX_VCPUS	16384

/* QOM path of the accelerator object (property "async-pf" with our QEMU
 * patches).  Verified against QEMU 10.0.2 here: a recursive qom-list of the
 * whole tree from "/" (1946 properties) holds no kvm-accel object, and
 * qom-get /machine/accel answers DeviceNotFound; stock QEMU keeps the
 * accelerator only in MachineState->accelerator (accel/accel-system.c,
 * accel_init_machine).  Our QEMU patch must add it as child "accel" of
 * /machine, the path proposed upstream ("accel: Wire accel to /machine",
 * qemu-devel 2020-12); on stock QEMU qom-get/qom-set there give -ENOENT. */
#define APF_QMP_ACCEL_PATH	"/machine/accel"
#define APF_QMP_ASYNC_PF_PROP	"async-pf"

/* Connect to a QMP unix socket and negotiate capabilities, waiting at most
 * timeout_ms for every reply.  Returns NULL and sets *err (-errno:
 * -ENOENT no socket, -ECONNREFUSED, -EACCES, -ETIMEDOUT (also: the monitor
 * is busy with another client, e.g. libvirt), -EPROTO bad reply). */
struct apf_qmp *apf_qmp_open(const char *path, int timeout_ms, int *err);
/* Same, with the whole handshake bounded by until as well (apf_now_ms()
 * clock; 0: timeout_ms per reply only). */
struct apf_qmp *apf_qmp_open_until(const char *path, int timeout_ms,
				   int64_t until, int *err);
/* The same over an already connected stream socket fd (non-blocking),
 * which q owns from then on, closed on failure too.  For the fuzzer of the
 * QMP session (a socketpair). */
struct apf_qmp *apf_qmp_open_fd(int fd, int timeout_ms, int *err);
/* Bound every wait of the commands that follow by deadline (apf_now_ms()
 * clock) as well as by the per-reply timeout; 0 lifts it.  A sample of
 * several commands then costs a slow monitor one timeout, not one each. */
void apf_qmp_set_deadline(struct apf_qmp *q, int64_t deadline);
void apf_qmp_close(struct apf_qmp *q);

/* Run one command; args (may be NULL) is always consumed.  On 0, *ret (if
 * ret) holds a reference to the "return" value for json_object_put().
 * Errors: CommandNotFound -ENOTSUP; DeviceNotFound or "Property ... not
 * found" -ENOENT; other QMP errors -EIO; -ETIMEDOUT, -EMSGSIZE (reply over
 * APF_QMP_MAX_REPLY), -EPROTO, -ECONNRESET.  After a timeout or I/O error
 * the connection refuses further commands (-EPIPE). */
int apf_qmp_execute(struct apf_qmp *q, const char *command,
		    struct json_object *args, struct json_object **ret);
/* QEMU's "desc" of the last QMP error (or ours), "" if none. */
const char *apf_qmp_last_error(const struct apf_qmp *q);

struct apf_qmp_vcpu_stats {
	int index;	/* cpu-index (query-cpus-fast); reply order if unknown */
	struct apf_counters counters;
};

/* query-stats provider kvm, target vm and target vcpu.  Integer stats only
 * (booleans and histograms are states, not counters), filtered with
 * apf_counter_is_shown(name, all).  vm must be zeroed or hold counters to
 * update; *vcpus is allocated, sorted by index.  Returns 0, -ENOTSUP if
 * QEMU has no query-stats (< 7.1), or -errno; on error vm is freed and
 * *vcpus is NULL. */
int apf_qmp_query_stats(struct apf_qmp *q, bool all,
			struct apf_counters *vm,
			struct apf_qmp_vcpu_stats **vcpus, size_t *nvcpus);
void apf_qmp_vcpu_stats_free(struct apf_qmp_vcpu_stats *v, size_t n);

/* Boolean QOM property; -ENOENT if the property does not exist. */
int apf_qmp_qom_get_bool(struct apf_qmp *q, const char *path,
			 const char *prop, bool *value);
int apf_qmp_qom_set_bool(struct apf_qmp *q, const char *path,
			 const char *prop, bool value);

/* Parse one query-stats reply line ({"return":[...]}, or the bare array;
 * {"error":..} maps as for apf_qmp_execute).  Elements with a "qom-path"
 * are vCPUs and are appended to *vcpus and *nvcpus (index = their number in
 * this call's order plus *nvcpus before it), the others add to *vm.
 * Whatever the result, *vm and *vcpus stay consistent and the caller frees
 * them (apf_counters_free, apf_qmp_vcpu_stats_free).  Fuzzed. */
int apf_qmp_parse_stats(const char *json, bool all, struct apf_counters *vm,
			struct apf_qmp_vcpu_stats **vcpus, size_t *nvcpus);

#endif
