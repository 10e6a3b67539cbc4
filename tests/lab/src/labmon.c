// SPDX-License-Identifier: GPL-2.0-only
/*
 * labmon: the lab's own, independent view of KVM in the L1 host.
 *
 * Counts kvm tracepoints system-wide with perf_event_open(2) (counting mode,
 * one fd per event per online CPU) and, on request, writes one JSON snapshot
 * holding the tracepoint counts and every numeric KVM statistic in debugfs
 * (/sys/kernel/debug/kvm: the totals and each <pid>-<fd> per-VM directory).
 *
 * A snapshot reads the counters, then debugfs, then the counters again, and
 * repeats (up to --tries times) until both counter reads agree: only then is
 * the debugfs read known to lie between two identical tracepoint states, and
 * "stable": true says so.  That is what lets the lab assert equality between
 * the two sources.
 *
 * It is deliberately separate from apfctl, which is under test.
 *
 *   labmon -d OUTDIR [-t TRIES] [-e EVENT]...
 *     On SIGUSR1: read the label from OUTDIR/.req, write OUTDIR/snap-LABEL.json
 *     (atomically, through a temporary file).  On SIGTERM/SIGINT: exit.
 *     Writes OUTDIR/.ready once every counter is open.
 *   labmon -1 [-e EVENT]...   one snapshot to stdout, counts since start (0).
 *
 * Events: every kvm:* event whose name contains "async_pf", plus
 * kvm:kvm_try_async_get_page, plus kvm:kvm_inj_exception twice (all, and
 * filtered to vector 14 as kvm_inj_exception_pf); -e adds more kvm events.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 64
#define MAX_CPUS 256

struct event {
	char name[256];
	char filter[64];
	int fds[MAX_CPUS];
	int open;		/* fds opened */
	uint64_t cur;
};

static struct event events[MAX_EVENTS];
static int nevents;
static int cpus[MAX_CPUS];
static int ncpus;
static const char *tracefs;
static volatile sig_atomic_t want_snap, want_exit;

static void on_usr1(int s) { (void)s; want_snap = 1; }
static void on_term(int s) { (void)s; want_exit = 1; }

static int read_small(const char *path, char *buf, size_t sz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sz - 1);
	if (n < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	close(fd);
	buf[n] = 0;
	return (int)n;
}

static void online_cpus(void)
{
	char buf[1024], *s = buf;

	if (read_small("/sys/devices/system/cpu/online", buf, sizeof(buf)) <= 0) {
		cpus[ncpus++] = 0;
		return;
	}
	while (*s && ncpus < MAX_CPUS) {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (end == s)
			break;
		s = end;
		if (*s == '-')
			b = strtol(s + 1, &s, 10);
		for (; a <= b && ncpus < MAX_CPUS; a++)
			cpus[ncpus++] = (int)a;
		if (*s != ',')
			break;
		s++;
	}
}

static const char *find_tracefs(void)
{
	static const char *cands[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char p[256];

	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		snprintf(p, sizeof(p), "%s/events/kvm", cands[i]);
		if (access(p, R_OK) == 0)
			return cands[i];
	}
	return NULL;
}

static void add_event(const char *as, const char *filter)
{
	struct event *e;

	if (nevents >= MAX_EVENTS)
		return;
	for (int i = 0; i < nevents; i++)
		if (!strcmp(events[i].name, as))
			return;
	e = &events[nevents++];
	snprintf(e->name, sizeof(e->name), "%s", as);
	snprintf(e->filter, sizeof(e->filter), "%s", filter ? filter : "");
}

/* Opens one event on every CPU; the tracepoint is `tp`. */
static int open_event(struct event *e, const char *tp)
{
	char path[512], buf[64];
	struct perf_event_attr a;
	long id;

	snprintf(path, sizeof(path), "%s/events/kvm/%s/id", tracefs, tp);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	id = strtol(buf, NULL, 10);
	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_TRACEPOINT;
	a.size = sizeof(a);
	a.config = (uint64_t)id;
	a.disabled = 0;
	for (int c = 0; c < ncpus; c++) {
		int fd = (int)syscall(SYS_perf_event_open, &a, -1, cpus[c], -1,
				      PERF_FLAG_FD_CLOEXEC);

		if (fd < 0) {
			fprintf(stderr, "labmon: perf_event_open %s cpu %d: %s\n",
				tp, cpus[c], strerror(errno));
			return -errno;
		}
		if (e->filter[0] && ioctl(fd, PERF_EVENT_IOC_SET_FILTER, e->filter) < 0) {
			fprintf(stderr, "labmon: filter '%s' on %s: %s\n", e->filter,
				tp, strerror(errno));
			close(fd);
			return -errno;
		}
		e->fds[e->open++] = fd;
	}
	return 0;
}

static void discover(char **extra, int nextra)
{
	char path[512];
	struct dirent *de;
	DIR *d;
	char tps[MAX_EVENTS][256];
	int ntp = 0;

	snprintf(path, sizeof(path), "%s/events/kvm", tracefs);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && ntp < MAX_EVENTS - 4) {
		if (strstr(de->d_name, "async_pf") || !strcmp(de->d_name, "kvm_try_async_get_page"))
			snprintf(tps[ntp++], sizeof(tps[0]), "%s", de->d_name);
	}
	closedir(d);
	for (int i = 0; i < ntp; i++)
		for (int j = i + 1; j < ntp; j++)
			if (strcmp(tps[i], tps[j]) > 0) {
				char t[256];

				memcpy(t, tps[i], sizeof(t));
				memcpy(tps[i], tps[j], sizeof(t));
				memcpy(tps[j], t, sizeof(t));
			}
	for (int i = 0; i < ntp; i++) {
		add_event(tps[i], NULL);
		if (open_event(&events[nevents - 1], tps[i]) < 0)
			nevents--;
	}
	add_event("kvm_inj_exception", NULL);
	if (open_event(&events[nevents - 1], "kvm_inj_exception") < 0)
		nevents--;
	add_event("kvm_inj_exception_pf", "exception == 14");
	if (open_event(&events[nevents - 1], "kvm_inj_exception") < 0)
		nevents--;
	for (int i = 0; i < nextra; i++) {
		add_event(extra[i], NULL);
		if (open_event(&events[nevents - 1], extra[i]) < 0)
			nevents--;
	}
}

static void read_counts(uint64_t *out)
{
	for (int i = 0; i < nevents; i++) {
		uint64_t sum = 0, v;

		for (int c = 0; c < events[i].open; c++)
			if (read(events[i].fds[c], &v, sizeof(v)) == sizeof(v))
				sum += v;
		out[i] = sum;
	}
}

/* Every numeric file directly under dir, as "name":value pairs. */
static void dump_stats_dir(FILE *f, const char *dir)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort);
	int first = 1;

	fputc('{', f);
	for (int i = 0; i < n; i++) {
		char path[1024], buf[64], *end;
		struct stat st;
		unsigned long long v;

		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (list[i]->d_name[0] == '.' || stat(path, &st) || !S_ISREG(st.st_mode))
			goto next;
		if (read_small(path, buf, sizeof(buf)) <= 0)
			goto next;
		errno = 0;
		v = strtoull(buf, &end, 10);
		if (errno || end == buf || (*end && *end != '\n'))
			goto next;
		fprintf(f, "%s\"%s\":%llu", first ? "" : ",", list[i]->d_name, v);
		first = 0;
next:
		free(list[i]);
	}
	if (n > 0)
		free(list);
	fputc('}', f);
}

static void dump_debugfs(FILE *f)
{
	const char *root = "/sys/kernel/debug/kvm";
	struct dirent **list;
	int n, first = 1;

	if (access(root, R_OK)) {
		fprintf(f, "null");
		return;
	}
	fprintf(f, "{\"totals\":");
	dump_stats_dir(f, root);
	fprintf(f, ",\"vms\":{");
	n = scandir(root, &list, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		char path[1024];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", root, list[i]->d_name);
		if (list[i]->d_name[0] != '.' && !stat(path, &st) && S_ISDIR(st.st_mode) &&
		    strchr(list[i]->d_name, '-')) {
			fprintf(f, "%s\"%s\":", first ? "" : ",", list[i]->d_name);
			dump_stats_dir(f, path);
			first = 0;
		}
		free(list[i]);
	}
	if (n > 0)
		free(list);
	fprintf(f, "}}");
}

static double uptime_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void snapshot(FILE *f, const char *label, int tries)
{
	uint64_t a[MAX_EVENTS], b[MAX_EVENTS];
	char *dbg = NULL;
	size_t dbglen = 0;
	int t, stable = 0;
	double t0 = uptime_s();

	for (t = 1; t <= tries; t++) {
		FILE *m;

		read_counts(a);
		free(dbg);
		dbg = NULL;
		m = open_memstream(&dbg, &dbglen);
		if (!m)
			break;
		dump_debugfs(m);
		fclose(m);
		read_counts(b);
		if (!memcmp(a, b, sizeof(uint64_t) * (size_t)nevents)) {
			stable = 1;
			break;
		}
		usleep(200000);
	}
	if (t > tries)
		t = tries;
	fprintf(f, "{\"label\":\"%s\",\"uptime\":%.3f,\"stable\":%s,\"tries\":%d,\"cpus\":%d,",
		label, t0, stable ? "true" : "false", t, ncpus);
	fprintf(f, "\n\"events\":{");
	for (int i = 0; i < nevents; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", events[i].name,
			(unsigned long long)b[i]);
	fprintf(f, "},\n\"debugfs\":%s}\n", dbg ? dbg : "null");
	free(dbg);
}

static int usage(void)
{
	fprintf(stderr, "usage: labmon -d OUTDIR [-t TRIES] [-e EVENT]... | labmon -1 [-e EVENT]...\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *outdir = NULL;
	char *extra[16];
	int nextra = 0, once = 0, tries = 10, opt;

	while ((opt = getopt(argc, argv, "d:t:e:1")) != -1) {
		switch (opt) {
		case 'd': outdir = optarg; break;
		case 't': tries = atoi(optarg) > 0 ? atoi(optarg) : 1; break;
		case 'e': if (nextra < 16) extra[nextra++] = optarg; break;
		case '1': once = 1; break;
		default: return usage();
		}
	}
	if (!outdir && !once)
		return usage();
	tracefs = find_tracefs();
	if (!tracefs) {
		fprintf(stderr, "labmon: no kvm events in tracefs (mount tracefs, load kvm)\n");
		return 3;
	}
	online_cpus();
	discover(extra, nextra);
	if (!nevents) {
		fprintf(stderr, "labmon: no kvm tracepoint could be opened\n");
		return 3;
	}
	if (once) {
		snapshot(stdout, "once", tries);
		return 0;
	}

	struct sigaction sa;
	sigset_t block, old;
	char path[512], tmp[512], label[64];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);

	snprintf(path, sizeof(path), "%s/.ready", outdir);
	FILE *r = fopen(path, "w");

	if (r) {
		fprintf(r, "%d events\n", nevents);
		fclose(r);
	}
	for (;;) {
		while (!want_snap && !want_exit)
			sigsuspend(&old);
		if (want_exit)
			break;
		want_snap = 0;
		snprintf(path, sizeof(path), "%s/.req", outdir);
		if (read_small(path, label, sizeof(label)) <= 0)
			snprintf(label, sizeof(label), "snap");
		label[strcspn(label, "\n /")] = 0;
		snprintf(path, sizeof(path), "%s/snap-%s.json", outdir, label);
		snprintf(tmp, sizeof(tmp), "%s/.snap.tmp", outdir);
		FILE *f = fopen(tmp, "w");

		if (!f) {
			fprintf(stderr, "labmon: %s: %s\n", tmp, strerror(errno));
			continue;
		}
		snapshot(f, label, tries);
		fclose(f);
		rename(tmp, path);
	}
	return 0;
}
