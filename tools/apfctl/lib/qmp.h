/* SPDX-License-Identifier: GPL-2.0-only */
/* A minimal QMP client: handshake, query-stats, qom-get/qom-set, and the
 * async-pf switch (query-async-pf/set-async-pf, or qom-get/qom-set). */
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
 * Errors: a QMP error as apf_qmp_error_code() maps it; -ETIMEDOUT,
 * -EMSGSIZE (reply over APF_QMP_MAX_REPLY), -EPROTO, -ECONNRESET.  After a
 * timeout or I/O error the connection refuses further commands (-EPIPE). */
int apf_qmp_execute(struct apf_qmp *q, const char *command,
		    struct json_object *args, struct json_object **ret);
/* A QMP error {"class": cls, "desc": desc} as -errno, the same for every
 * way apfctl reaches a monitor (its own socket, virsh):
 * CommandNotFound -ENOTSUP (an older QEMU: try the older command);
 * KVMMissingCap, or the GenericError "... needs KVM_CAP_DISABLE_ASYNC_PF
 * ..." of the APF Suite QEMU before set-async-pf (apf1 to apf3), -ENODEV
 * (the host kernel lacks the capability; "KVM_CAP_DISABLE_ASYNC_PF: failed
 * to ..." is an ioctl that failed, -EIO); DeviceNotFound, "Property ...
 * not found" and "... are a KVM feature ..." (query-async-pf and
 * set-async-pf under TCG) -ENOENT (no such switch here); else -EIO. */
int apf_qmp_error_code(const char *cls, const char *desc);
/* A way to run one QMP command, with apf_qmp_execute()'s contract (args
 * consumed, *ret a reference, errors by apf_qmp_error_code()).  The
 * async-pf functions below run over any: the CLI over its own socket
 * (apf_qmp_exec), the libvirt hook through virsh. */
typedef int apf_qmp_exec_fn(void *ctx, const char *command,
			    struct json_object *args, struct json_object **ret);
/* apf_qmp_execute() as an apf_qmp_exec_fn; ctx is the struct apf_qmp. */
int apf_qmp_exec(void *q, const char *command, struct json_object *args,
		 struct json_object **ret);
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

/* The async-pf switch of the KVM accelerator, by either interface of the
 * APF Suite QEMU: query-async-pf/set-async-pf (QAPI, qemu/patches/0010,
 * apf4 on), else qom-get/qom-set of APF_QMP_ACCEL_PATH APF_QMP_ASYNC_PF_PROP
 * (apf1 to apf3). */
enum apf_qmp_iface {
	APF_QMP_IFACE_QAPI,
	APF_QMP_IFACE_QOM,
};

/* "QMP query-async-pf" or "QMP set-async-pf" (set), or "QMP qom-get ..."
 * or "QMP qom-set /machine/accel async-pf": what the output names. */
const char *apf_qmp_iface_name(enum apf_qmp_iface iface, bool set);

struct apf_qmp_async_pf {
	bool enabled;			/* the switch */
	int switchable;			/* KVM_CAP_DISABLE_ASYNC_PF: 1 or 0;
					 * -1 unknown (qom-get does not say) */
	enum apf_qmp_iface iface;	/* the interface that answered */
	/* With stats: the async_pf_* statistics of each vCPU under KVM's
	 * names (async_pf_not_present for "not-present"), sorted by index;
	 * a vCPU has none where the host kernel lacks them. */
	struct apf_qmp_vcpu_stats *vcpus;
	size_t nvcpus;
};

/* Read the switch (and with stats the vCPUs' async_pf_* counters) with
 * query-async-pf; where QEMU answers CommandNotFound, with qom-get (and
 * query-stats of those names, vCPUs numbered by query-cpus-fast).
 * Returns 0, or -ENOENT (no switch: a stock QEMU, or not KVM), -ENOTSUP,
 * -EPROTO or another -errno of exec; on error *info holds nothing to free.
 * Free with apf_qmp_async_pf_free(). */
int apf_qmp_async_pf_get(apf_qmp_exec_fn *exec, void *ctx, bool stats,
			 struct apf_qmp_async_pf *info);
/* Set the switch: set-async-pf where *iface is APF_QMP_IFACE_QAPI (what a
 * read found; qom-set if QEMU answers CommandNotFound), qom-set where it is
 * APF_QMP_IFACE_QOM; *iface says which answered.  Returns 0, -ENODEV (the
 * host kernel lacks KVM_CAP_DISABLE_ASYNC_PF: only when turning it off),
 * -ENOENT (no switch), or another -errno of exec. */
int apf_qmp_async_pf_set(apf_qmp_exec_fn *exec, void *ctx, bool enabled,
			 enum apf_qmp_iface *iface);
void apf_qmp_async_pf_free(struct apf_qmp_async_pf *info);
/* Parse one query-async-pf reply line ({"return":{...}}, or the bare
 * object; {"error":..} maps by apf_qmp_error_code()) into *info (iface
 * APF_QMP_IFACE_QAPI); vCPUs only with stats.  At most APF_QMP_MAX_VCPUS
 * vCPUs (-E2BIG).  On error *info holds nothing to free.  Fuzzed. */
int apf_qmp_parse_async_pf(const char *json, bool stats,
			   struct apf_qmp_async_pf *info);

/* Parse one query-stats reply line ({"return":[...]}, or the bare array;
 * {"error":..} maps as for apf_qmp_execute).  Elements with a "qom-path"
 * are vCPUs and are appended to *vcpus and *nvcpus (index = their number in
 * this call's order plus *nvcpus before it), the others add to *vm.
 * Whatever the result, *vm and *vcpus stay consistent and the caller frees
 * them (apf_counters_free, apf_qmp_vcpu_stats_free).  Fuzzed. */
int apf_qmp_parse_stats(const char *json, bool all, struct apf_counters *vm,
			struct apf_qmp_vcpu_stats **vcpus, size_t *nvcpus);

#endif
