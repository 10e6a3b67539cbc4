/* SPDX-License-Identifier: GPL-2.0-only */
/* The libvirt hook's library (src/cmd_hook.c is its command line):
 * per-domain state documents written atomically, the record kept at
 * release, and the watcher that applies a domain's APF policy through
 * libvirt and counts its APF events until QEMU exits.
 *
 * The hook runs inside libvirt's domain job, so it never calls back into
 * libvirt and ends within its deadline; "started" hands the work to the
 * watcher (`apfctl hook --watch`), a transient systemd unit or a detached
 * child, whose virsh calls wait until the job is done.  "release" comes
 * after QEMU has exited and turns the watcher's state in
 * RUN_DIR/domains/NAME.json into STATE_DIR/domains/NAME.json and a log
 * line.  See src/cmd_hook.c for the libvirt side of it. */
#ifndef APF_HOOK_H
#define APF_HOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "domain_policy.h"

struct json_object;

/* Settings; apf_hook_cfg_load() takes them from the environment (tests
 * and /etc/default/apf set them), defaults in brackets:
 * APF_STATE_DIR (/var/lib/apf), APF_RUN_DIR (/run/apf), APF_HOOK_LOG (a
 * file to append log lines to), APF_HOOK_SPAWN (auto|systemd|fork|none),
 * APF_SYSTEMD_RUN, APF_VIRSH, APF_LIBVIRT_URI (qemu:///system),
 * APF_LIBVIRT_RUN_DIR (/run/libvirt/qemu, for NAME.pid),
 * APF_HOOK_DEADLINE_MS (800), APF_WATCH_INTERVAL (10 s),
 * APF_APPLY_TIMEOUT_MS (60000), APF_HOOK_APFCTL (our binary). */
struct apf_hook_cfg {
	const char *state_dir, *run_dir, *log_file, *spawn, *systemd_run;
	const char *virsh, *uri, *libvirt_run, *self;
	int deadline_ms, interval_s, apply_timeout_ms;
	const char *version;	/* apfctl's, for the record */
};

void apf_hook_cfg_load(struct apf_hook_cfg *cfg, const char *version);

/* ---- state documents ---- */

/* libvirt rejects '/' in domain names; everything else it allows is a
 * usable file name except "." and "..", control characters and names
 * over APF_LOG_NAME_MAX bytes. */
bool apf_hook_name_usable(const char *name);
/* BASE/domains/NAME.json into buf: 0 or -ENAMETOOLONG. */
int apf_hook_state_path(char *buf, size_t cap, const char *base, const char *name);
/* obj as pretty JSON to path (its directory made as needed), replacing
 * it atomically (apf_write_atomic()).  0 or -errno. */
int apf_hook_state_write(const char *path, struct json_object *obj);
/* The JSON object in path (a regular file of at most 1 MiB), or NULL and
 * *err: -ENOENT, -APF_EFTYPE (not a regular file), -EBADMSG (not a JSON
 * object), ... */
struct json_object *apf_hook_state_read(const char *path, int *err);
/* The same from len bytes of text (fuzzed). */
struct json_object *apf_hook_state_parse(const char *text, size_t len, int *err);
/* Members of a state document, or def / NULL / false when absent or of
 * another type. */
const char *apf_json_str(struct json_object *o, const char *key);
int64_t apf_json_int(struct json_object *o, const char *key, int64_t def);
bool apf_json_bool(struct json_object *o, const char *key);
/* A live process (a zombie has exited; pid <= 0 never lives). */
bool apf_pid_alive(long pid);

/* ---- release ---- */

/* Record the domain at release: the watcher's state (waited for until
 * deadline, apf_now_ms() clock, if the watcher still writes it) or what
 * the XML says, with released_at, runtime_s and notes, written to
 * STATE_DIR/domains/NAME.json and logged; the state file is removed once
 * the record is written.  Returns 0 or the -errno of the write. */
int apf_hook_release(const struct apf_hook_cfg *cfg, const char *name,
		     const struct apf_domain_policy *p, int64_t deadline);
/* The release log line of a record: "released: policy P (RESULT); async
 * PF: not_present=N ..." into buf (fuzzed, with apf_hook_state_parse()). */
void apf_hook_release_summary(struct json_object *rec, char *buf, size_t cap);

/* ---- the watcher ---- */

/* One QMP command through libvirt (virsh qemu-monitor-command).  Returns
 * 0 and *ret (the "return" value, a reference), a QMP error as
 * apf_qmp_error_code() maps it (-ENOTSUP no such command, -ENODEV the host
 * kernel lacks the per-VM switch, -ENOENT no such switch, -EIO another),
 * -EPROTO (no QMP reply), or an error running virsh; err gets what went
 * wrong.  The watcher applies a policy with lib/qmp.c's async-pf
 * functions over it: set-async-pf, or qom-set where QEMU predates it. */
int apf_virsh_qmp(const struct apf_hook_cfg *cfg, const char *name,
		  const char *cmd, struct json_object **ret, char *err,
		  size_t errcap);
/* What virsh printed, as apf_virsh_qmp() reads it (fuzzed). */
int apf_virsh_parse_reply(const char *out, struct json_object **ret, char *err,
			  size_t errcap);
/* Hand the domain's policy to a watcher ("started"): a transient systemd
 * unit (systemd-run, which must answer before deadline) or a detached
 * child; APF_HOOK_SPAWN=none only logs.  Everything is logged. */
void apf_hook_spawn_watcher(const struct apf_hook_cfg *cfg, const char *name,
			    const struct apf_domain_policy *p, int64_t deadline);
/* The watcher (`apfctl hook --watch`): find QEMU (qemu > 0, or NAME.pid),
 * open its counters, apply policy ("on", "off" or "none") through libvirt,
 * and keep RUN_DIR/domains/NAME.json up to date every interval until
 * QEMU exits or a stop signal (apf_stop_signal) comes.  0, or -errno when
 * no state could be kept at all. */
int apf_hook_watch(const struct apf_hook_cfg *cfg, const char *name, long id,
		   const char *policy, const char *type, pid_t qemu);

#endif
