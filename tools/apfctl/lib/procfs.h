/* SPDX-License-Identifier: GPL-2.0-only */
/* Readers for /proc: kernel and process command lines, interrupts, modules. */
#ifndef APF_PROCFS_H
#define APF_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Process argv from /proc/PID/cmdline as a NULL-terminated vector in one
 * malloc'd block (free(*argv) frees all).  -ESRCH if the process is gone;
 * -ETIMEDOUT when the read did not end within APF_PROC_ARGV_TIMEOUT_MS
 * (the process holds its mmap_lock), -EBUSY while earlier such reads are
 * still stuck (lib/bounded.h). */
#define APF_PROC_ARGV_TIMEOUT_MS 500
int apf_proc_argv(pid_t pid, char ***argv, int *argc);
/* The reader apf_proc_argv() runs (apf_slurp); tests put one that blocks. */
extern ssize_t (*apf_proc_argv_reader)(const char *path, size_t limit, char **out);
/* Split a NUL-separated buffer of len bytes into such a vector (fuzzed). */
int apf_split_argv(const char *buf, size_t len, char ***argv, int *argc);
/* Thread ids of a process (sorted).  Caller frees *tids. */
int apf_proc_tids(pid_t pid, pid_t **tids, size_t *n);

/* True if the kernel command line has param as a word ("no-kvmapf"). */
int apf_kernel_cmdline_has(const char *param, bool *has);
/* Word search in a command line string (fuzzed). */
bool apf_cmdline_has_word(const char *cmdline, const char *param);

/* A row of /proc/interrupts ("HYP", or a device's "kvm-apf"): per-CPU
 * counts summed. */
struct apf_irq_row {
	bool found;
	uint64_t total;
	unsigned int ncpus;
	char desc[64];
};
int apf_proc_interrupts_row(const char *label, struct apf_irq_row *row);
/* Parse /proc/interrupts text for a row label (fuzzed). */
int apf_parse_interrupts(const char *text, const char *label,
			 struct apf_irq_row *row);

/* The row of a device interrupt by its action name, the last word of
 * the row (" 13:  16394  GICv3  19 Edge  kvm-apf"): its number differs
 * from boot to boot. */
int apf_proc_interrupts_action(const char *action, struct apf_irq_row *row);
/* Parse /proc/interrupts text for such a row (fuzzed). */
int apf_parse_interrupts_action(const char *text, const char *action,
				struct apf_irq_row *row);

/* Whether a module is loaded: /sys/module/NAME (built-in or loaded). */
bool apf_module_present(const char *name);
/* Mount state of a filesystem type at a mount point, from /proc/mounts. */
int apf_is_mounted(const char *fstype, const char *mnt, bool *mounted);

#endif
