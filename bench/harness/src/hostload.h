/* SPDX-License-Identifier: GPL-2.0-only */
/* Is the machine quiet enough to benchmark on, and what else ran beside a
 * run: the load average, CPU time by class (/proc/stat, steal included),
 * the run's QEMU's own CPU time (its cgroup's cpu.stat), and other VMMs or
 * compilers among the processes.  Everything is read under the sysroot. */
#ifndef BENCH_HOSTLOAD_H
#define BENCH_HOSTLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

struct json_object;

/* The "cpu " line of /proc/stat, in USER_HZ ticks, all CPUs summed. */
struct bench_cpu_times {
	uint64_t user, nice, system, idle, iowait, irq, softirq, steal;
	unsigned ncpu;		/* "cpuN" lines */
};

int bench_cpu_times_parse(const char *text, struct bench_cpu_times *t);
int bench_loadavg_parse(const char *text, double la[3]);

/* Does a process name belong to another VMM or a compiler (the kinds of
 * work that spoiled the 2026-11 results)? */
bool bench_foreign_comm(const char *comm);
/* Split a /proc/PID/stat line: comm (cap bytes), ppid, kernel thread.
 * 0 or -EINVAL. */
int bench_proc_stat_parse(const char *text, char *comm, size_t cap, pid_t *ppid,
			  bool *kthread);
/* One process of a /proc scan. */
struct bench_proc {
	pid_t pid, ppid;
	bool kthread;
	char comm[64];
};

/* Is pid a descendant of self (its child, grandchild...) in tab? */
bool bench_proc_below(const struct bench_proc *tab, size_t n, pid_t pid, pid_t self);
/* The other VMMs and compilers of tab: "PID comm" items joined by ", "
 * into list (cap bytes); returns how many.  self and every process below
 * it are ours and never count (a --qemu wrapper's QEMU is a grandchild);
 * kernel threads never count. */
int bench_foreign_select(const struct bench_proc *tab, size_t n, pid_t self, char *list,
			 size_t cap);
/* The same over the processes now (/proc under the sysroot). */
int bench_foreign_scan(char *list, size_t cap);

/* Limits of a quiet machine. */
struct bench_idle_limits {
	double max_load;	/* 1-min load average per CPU */
	double max_busy;	/* share of all CPUs busy over the sample */
	double max_steal;	/* share of all CPU time stolen over it */
};

#define BENCH_IDLE_MAX_BUSY 0.10
#define BENCH_IDLE_MAX_STEAL 0.05

struct bench_idle {
	bool busy;
	double load[3];
	unsigned ncpu;
	double busy_share, steal_share;	/* over the sample; NaN unknown */
	int foreign;
	char foreign_list[512];
	char why[768];		/* what is busy, for a message and the record */
};

/* One look: the load average (only when check_load: our own runs raise it
 * for minutes), CPU busy and steal shares over sample_ms, other VMMs and
 * compilers.  0, or -errno when /proc/stat cannot be read. */
int bench_idle_check(const struct bench_idle_limits *lim, bool check_load,
		     long sample_ms, struct bench_idle *out);
/* The same, repeated every few seconds until the machine is quiet or
 * wait_s have passed (or *stop is set).  Says what it waits for. */
int bench_idle_wait(const struct bench_idle_limits *lim, bool check_load,
		    long sample_ms, long wait_s, volatile sig_atomic_t *stop,
		    struct bench_idle *out);
struct json_object *bench_idle_json(const struct bench_idle *s);

/* A snapshot for the load record of a run. */
struct bench_load_snap {
	bool ok;		/* /proc/stat was read */
	long long t_ms;
	double load[3];
	struct bench_cpu_times cpu;
	bool have_cg;
	uint64_t cg_usage_us, cg_user_us, cg_system_us;	/* QEMU's cgroup */
	int foreign;
	char foreign_list[512];
};

/* cgdir: the run's cgroup (cpu.stat), or NULL. */
void bench_load_snap_take(struct bench_load_snap *s, const char *cgdir);
/* CPU time between two snapshots: seconds by class, shares of the whole
 * machine, QEMU's own, and the rest ("other": this includes kernel threads
 * working for the VM, such as reclaim, swap I/O and async page fault
 * workers, so it bounds foreign work from above). */
struct json_object *bench_load_delta_json(const struct bench_load_snap *a,
					  const struct bench_load_snap *b);
/* Steal share of the machine between two snapshots; NaN when unknown. */
double bench_load_steal_share(const struct bench_load_snap *a,
			      const struct bench_load_snap *b);

#endif
