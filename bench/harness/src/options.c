// SPDX-License-Identifier: GPL-2.0-only
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "units.h"

enum {
	OPT_KERNEL = 256, OPT_INITRD, OPT_QEMU, OPT_MODES, OPT_REPS,
	OPT_MEMORY_MAX, OPT_GUEST_MEM, OPT_SMP, OPT_WORKLOAD, OPT_APPEND,
	OPT_CPU, OPT_OFF_METHOD, OPT_BOOT_TIMEOUT, OPT_TIMEOUT,
	OPT_SILENCE_TIMEOUT, OPT_OUT, OPT_APFCTL, OPT_LABEL, OPT_QEMU_ARG,
	OPT_FORCE, OPT_SYSROOT, OPT_SEED, OPT_ALLOW_BUSY, OPT_IDLE_WAIT,
	OPT_MAX_LOAD, OPT_RESUME, OPT_ALLOW_DIRTY, OPT_SOURCE_COMMIT,
	OPT_SOURCE_DIRTY,
};

void bench_usage(FILE *f)
{
	fputs(
"Usage: apf-bench run --kernel BZIMAGE --initrd CPIO [options]\n"
"       apf-bench preflight [options]    only the checks; print what they found\n"
"       apf-bench plot DIR               remake summary and plot from DIR/results.json\n"
"\n"
"Boots bench/workload's initramfs in QEMU under a cgroup v2 memory.max\n"
"smaller than the workload's buffer (host swap on disk), in modes pv (APF\n"
"on), halt (guest no-kvmapf), off (host kvm.async_pf=N or QEMU\n"
"async-pf=off) and baseline (no memory limit), interleaved over repetitions.\n"
"\n"
"Options:\n"
"  --kernel FILE        guest kernel (any x86_64 bzImage with a serial console)\n"
"  --initrd FILE        bench/workload/build/apf-workload-initrd.cpio.gz\n"
"  --qemu BIN           QEMU binary (default qemu-system-x86_64)\n"
"  --modes LIST         of pv,halt,off,baseline (default all four)\n"
"  --reps N             repetitions per mode (default 10)\n"
"  --seed N             of the randomized run order (default: random, recorded)\n"
"  --memory-max SIZE    cgroup memory.max of QEMU, e.g. 256M (default 256M)\n"
"  --guest-mem MB       guest RAM (default max(1024, buffer + 512))\n"
"  --smp N              guest vCPUs (default 2)\n"
"  --workload \"ARGS\"    workload options (default \"" BENCH_DEFAULT_WORKLOAD "\")\n"
"  --append TEXT        more guest kernel command line\n"
"  --cpu MODEL          QEMU -cpu (default host: named models lack APF)\n"
"  --off-method M       auto|param|qemu: how mode off switches APF off\n"
"  --boot-timeout S     seconds to the workload's boot line (default 120)\n"
"  --timeout S          seconds per run (default 600 + 4 x the workload's -t)\n"
"  --silence-timeout S  seconds without console output = hang (default 300)\n"
"  --out DIR            results directory (default bench/results/DATE-HOST)\n"
"  --apfctl PATH|none   apfctl for per-VM counters (default: found nearby or in PATH)\n"
"  --label TEXT         a name for this configuration (summary, plot)\n"
"  --qemu-arg ARG       one more QEMU argument (repeatable)\n"
"  --force              run even when memory.max is not below the buffer\n"
"  --allow-busy         run on a busy machine (load, steal, other QEMU or\n"
"                       compilers); every run is flagged busy in the results\n"
"  --idle-wait S        wait up to S s for a busy machine to calm (default 300)\n"
"  --max-load F         busy above a 1-min load average of F per CPU (0.25)\n"
"  --resume             continue the plan of the results already in --out\n"
"  --allow-dirty        run from a source tree with uncommitted changes\n"
"                       (recorded); default: refuse\n"
"  --source-commit REV  the commit the caller ran from (no git check here)\n"
"  --source-dirty       with --source-commit: that tree was dirty\n"
"  --sysroot DIR        read /proc, /sys and /dev/kvm under DIR (tests)\n"
"  -h, --help           this text;  --version  the version\n"
"\n"
"Exit: 0 all runs ok, 1 some runs failed (results written), 2 usage,\n"
"3 unsupported environment, 4 not root, 5 unsuitable swap, 6 machine busy\n"
"(nothing more run; --resume continues), 7 source tree dirty (nothing run).\n", f);
}

const char *bench_off_method_name(enum bench_off_method m)
{
	switch (m) {
	case BENCH_OFF_PARAM: return "param";
	case BENCH_OFF_QEMU: return "qemu";
	default: return "auto";
	}
}

static int add_arg(char *dst, size_t cap, size_t *len, const char *a, size_t n)
{
	if (*len + n + 2 > cap)
		return -EINVAL;
	if (*len)
		dst[(*len)++] = ',';
	memcpy(dst + *len, a, n);
	*len += n;
	dst[*len] = '\0';
	return 0;
}

/* Value of an option given as "-m 600" or "-m600"; NULL when absent. */
static int number_opt(const char *flag, const char *cur, const char *next,
		      long *out, bool *used_next, char *why, size_t cap)
{
	const char *v = NULL;

	*used_next = false;
	if (!strcmp(cur, flag)) {
		v = next;
		*used_next = true;
	} else if (!strncmp(cur, flag, 2) && cur[2]) {
		v = cur + 2;
	} else {
		return 0;
	}
	if (!v || bench_parse_long(v, 1, 1L << 30, out)) {
		snprintf(why, cap, "workload %s needs a positive number, got '%s'",
			 flag, v ? v : "");
		return -EINVAL;
	}
	return 1;
}

int bench_workload_parse(const char *wl, char *apfwl, size_t apfwl_cap,
			 long *buffer_mb, long *duration_s, long *warmup_s,
			 char *why, size_t cap)
{
	char words[64][128];
	size_t nw = 0, len = 0;
	const char *p = wl;

	*buffer_mb = -1;
	*duration_s = -1;
	*warmup_s = 0;
	apfwl[0] = '\0';
	why[0] = '\0';
	while (*p) {
		size_t n;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		n = strcspn(p, " \t\n");
		if (nw == 64 || n >= sizeof(words[0])) {
			snprintf(why, cap, "workload arguments too long or too many");
			return -EINVAL;
		}
		memcpy(words[nw], p, n);
		words[nw][n] = '\0';
		/* Commas separate arguments in apfwl=; quotes end the kernel's
		 * parameter parsing. */
		if (strpbrk(words[nw], ",\"'\\")) {
			snprintf(why, cap, "workload argument '%s' has a comma, quote or backslash (the guest command line cannot carry it)",
				 words[nw]);
			return -EINVAL;
		}
		nw++;
		p += n;
	}
	for (size_t i = 0; i < nw; i++) {
		const char *next = i + 1 < nw ? words[i + 1] : NULL;
		bool used;
		int r;

		r = number_opt("-m", words[i], next, buffer_mb, &used, why, cap);
		if (r == 0)
			r = number_opt("-t", words[i], next, duration_s, &used, why, cap);
		if (r == 0)
			r = number_opt("-w", words[i], next, warmup_s, &used, why, cap);
		if (r < 0)
			return r;
		if (add_arg(apfwl, apfwl_cap, &len, words[i], strlen(words[i])))
			goto long_line;
		if (r > 0 && used && next) {
			if (add_arg(apfwl, apfwl_cap, &len, next, strlen(next)))
				goto long_line;
			i++;
		}
	}
	if (*buffer_mb < 0) {
		snprintf(why, cap, "the workload needs -m MB (the buffer that memory.max must be smaller than)");
		return -EINVAL;
	}
	return 0;
long_line:
	snprintf(why, cap, "workload arguments too long for the guest command line");
	return -EINVAL;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("apf-bench: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see apf-bench --help)\n", stderr);
	return BENCH_EXIT_USAGE;
}

static int seconds(const char *name, const char *arg, long *out)
{
	if (bench_parse_long(arg, 1, 7L * 24 * 3600, out)) {
		fprintf(stderr, "apf-bench: error: %s wants whole seconds > 0, got '%s'\n",
			name, arg);
		return BENCH_EXIT_USAGE;
	}
	return -1;
}

static void defaults(struct bench_opts *o, bool preflight_only)
{
	memset(o, 0, sizeof(*o));
	o->preflight_only = preflight_only;
	o->qemu = "qemu-system-x86_64";
	o->cpu = "host";
	o->workload = BENCH_DEFAULT_WORKLOAD;
	for (int m = 0; m < BENCH_MODE_COUNT; m++)
		o->modes[o->nmodes++] = (enum bench_mode)m;
	o->reps = 10;
	o->idle_wait_s = 300;
	o->max_load = 0.25;
	o->memory_max = 256ull << 20;
	o->guest_mem_mb = -1;
	o->smp = 2;
	o->off_method = BENCH_OFF_AUTO;
	o->boot_timeout_s = 120;
	o->timeout_s = -1;
	o->silence_timeout_s = 300;
}

static int one_option(int c, const char *arg, struct bench_opts *o)
{
	char bad[64];

	switch (c) {
	case OPT_KERNEL: o->kernel = arg; break;
	case OPT_INITRD: o->initrd = arg; break;
	case OPT_QEMU: o->qemu = arg; break;
	case OPT_MODES:
		if (bench_modes_parse(arg, o->modes, &o->nmodes, bad, sizeof(bad)))
			return usage_error("--modes: '%s' is not one of pv, halt, off, baseline (each once, comma-separated)", bad);
		break;
	case OPT_REPS:
		if (bench_parse_long(arg, 1, 1000, &o->reps))
			return usage_error("--reps wants a number from 1 to 1000, got '%s'", arg);
		break;
	case OPT_MEMORY_MAX:
		if (bench_parse_size(arg, &o->memory_max))
			return usage_error("--memory-max wants a size such as 256M or 1G, got '%s'", arg);
		if (o->memory_max < (16u << 20))
			return usage_error("--memory-max '%s' is below 16M: QEMU cannot run in that (did you mean a suffix, as in 256M?)", arg);
		break;
	case OPT_GUEST_MEM:
		if (bench_parse_long(arg, 64, 1L << 22, &o->guest_mem_mb))
			return usage_error("--guest-mem wants MB (64 or more), got '%s'", arg);
		break;
	case OPT_SMP:
		if (bench_parse_long(arg, 1, 1024, &o->smp))
			return usage_error("--smp wants a vCPU count from 1 to 1024, got '%s'", arg);
		break;
	case OPT_WORKLOAD: o->workload = arg; break;
	case OPT_APPEND: o->append = arg; break;
	case OPT_CPU: o->cpu = arg; break;
	case OPT_OFF_METHOD:
		if (!strcmp(arg, "auto"))
			o->off_method = BENCH_OFF_AUTO;
		else if (!strcmp(arg, "param"))
			o->off_method = BENCH_OFF_PARAM;
		else if (!strcmp(arg, "qemu"))
			o->off_method = BENCH_OFF_QEMU;
		else
			return usage_error("--off-method wants auto, param or qemu, got '%s'", arg);
		break;
	case OPT_BOOT_TIMEOUT: return seconds("--boot-timeout", arg, &o->boot_timeout_s);
	case OPT_TIMEOUT: return seconds("--timeout", arg, &o->timeout_s);
	case OPT_SILENCE_TIMEOUT:
		return seconds("--silence-timeout", arg, &o->silence_timeout_s);
	case OPT_OUT: o->out = arg; break;
	case OPT_APFCTL: o->apfctl = arg; break;
	case OPT_LABEL: o->label = arg; break;
	case OPT_QEMU_ARG:
		if (o->nqemu_args == BENCH_QEMU_ARGS_MAX)
			return usage_error("too many --qemu-arg (at most %d)", BENCH_QEMU_ARGS_MAX);
		o->qemu_args[o->nqemu_args++] = arg;
		break;
	case OPT_FORCE: o->force = true; break;
	case OPT_SYSROOT: o->sysroot = arg; break;
	case OPT_SEED: {
		char *end;

		errno = 0;
		o->seed = strtoull(arg, &end, 0);
		if (errno || end == arg || *end || *arg == '-')
			return usage_error("--seed wants a whole number (0 to 2^64-1), got '%s'", arg);
		o->seed_given = true;
		break;
	}
	case OPT_ALLOW_BUSY: o->allow_busy = true; break;
	case OPT_IDLE_WAIT:
		if (bench_parse_long(arg, 0, 24L * 3600, &o->idle_wait_s))
			return usage_error("--idle-wait wants whole seconds (0 or more), got '%s'", arg);
		break;
	case OPT_MAX_LOAD: {
		char *end;

		errno = 0;
		o->max_load = strtod(arg, &end);
		if (errno || end == arg || *end || !(o->max_load > 0 && o->max_load <= 64))
			return usage_error("--max-load wants a load per CPU above 0 (e.g. 0.25), got '%s'", arg);
		break;
	}
	case OPT_RESUME: o->resume = true; break;
	case OPT_ALLOW_DIRTY: o->allow_dirty = true; break;
	case OPT_SOURCE_COMMIT:
		if (!*arg || strlen(arg) > 80 || strpbrk(arg, " \t\n\"\\"))
			return usage_error("--source-commit wants a revision (a hash or git describe), got '%s'", arg);
		o->source_commit = arg;
		break;
	case OPT_SOURCE_DIRTY: o->source_dirty = true; break;
	default:
		return BENCH_EXIT_USAGE;
	}
	return -1;
}

/* Checks between options, once all are known. */
static int validate(struct bench_opts *o)
{
	char why[256], a[32], b[32];
	uint64_t buffer;

	if (!o->preflight_only && (!o->kernel || !o->initrd))
		return usage_error("run needs --kernel BZIMAGE and --initrd CPIO");
	if (bench_workload_parse(o->workload, o->apfwl, sizeof(o->apfwl),
				 &o->buffer_mb, &o->duration_s, &o->warmup_s, why, sizeof(why)))
		return usage_error("--workload: %s", why);
	if (o->source_dirty && !o->source_commit)
		return usage_error("--source-dirty goes with --source-commit");
	if (o->resume && !o->out && !o->preflight_only)
		return usage_error("--resume needs --out DIR (the results to continue)");
	buffer = (uint64_t)o->buffer_mb << 20;
	if (o->guest_mem_mb < 0)
		o->guest_mem_mb = o->buffer_mb + 512 > 1024 ? o->buffer_mb + 512 : 1024;
	if (o->guest_mem_mb <= o->buffer_mb) {
		snprintf(why, sizeof(why), "%ld MB of guest RAM cannot hold the workload's %ld MB buffer; give --guest-mem above %ld",
			 o->guest_mem_mb, o->buffer_mb, o->buffer_mb + 256);
		return usage_error("%s", why);
	}
	if (o->memory_max >= buffer && !o->force) {
		bench_format_size(o->memory_max, a, sizeof(a));
		snprintf(b, sizeof(b), "%ldM", o->buffer_mb);
		fprintf(stderr, "apf-bench: error: --memory-max %s is not smaller than the workload buffer (-m %ld = %s): the guest would never fault on host swap; lower --memory-max or raise -m (or --force)\n",
			a, o->buffer_mb, b);
		return BENCH_EXIT_USAGE;
	}
	if (o->timeout_s < 0)
		o->timeout_s = 600 + 4 * ((o->duration_s > 0 ? o->duration_s : 75) + o->warmup_s);
	if (o->boot_timeout_s > o->timeout_s)
		o->boot_timeout_s = o->timeout_s;
	if (o->silence_timeout_s > o->timeout_s)
		o->silence_timeout_s = o->timeout_s;
	if (o->append && strchr(o->append, '"'))
		return usage_error("--append cannot carry a double quote: %s", o->append);
	return -1;
}

int bench_opts_parse(int argc, char **argv, bool preflight_only,
		     struct bench_opts *o)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "initrd", required_argument, NULL, OPT_INITRD },
		{ "qemu", required_argument, NULL, OPT_QEMU },
		{ "modes", required_argument, NULL, OPT_MODES },
		{ "reps", required_argument, NULL, OPT_REPS },
		{ "memory-max", required_argument, NULL, OPT_MEMORY_MAX },
		{ "guest-mem", required_argument, NULL, OPT_GUEST_MEM },
		{ "smp", required_argument, NULL, OPT_SMP },
		{ "workload", required_argument, NULL, OPT_WORKLOAD },
		{ "append", required_argument, NULL, OPT_APPEND },
		{ "cpu", required_argument, NULL, OPT_CPU },
		{ "off-method", required_argument, NULL, OPT_OFF_METHOD },
		{ "boot-timeout", required_argument, NULL, OPT_BOOT_TIMEOUT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "silence-timeout", required_argument, NULL, OPT_SILENCE_TIMEOUT },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "apfctl", required_argument, NULL, OPT_APFCTL },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "qemu-arg", required_argument, NULL, OPT_QEMU_ARG },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "sysroot", required_argument, NULL, OPT_SYSROOT },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "allow-busy", no_argument, NULL, OPT_ALLOW_BUSY },
		{ "idle-wait", required_argument, NULL, OPT_IDLE_WAIT },
		{ "max-load", required_argument, NULL, OPT_MAX_LOAD },
		{ "resume", no_argument, NULL, OPT_RESUME },
		{ "allow-dirty", no_argument, NULL, OPT_ALLOW_DIRTY },
		{ "source-commit", required_argument, NULL, OPT_SOURCE_COMMIT },
		{ "source-dirty", no_argument, NULL, OPT_SOURCE_DIRTY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, r;

	defaults(o, preflight_only);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			bench_usage(stdout);
			return BENCH_EXIT_OK;
		}
		if (c == '?' || c == ':') {
			if (optopt && optopt < 256)
				fprintf(stderr, "apf-bench: error: unknown or incomplete option '-%c' (see apf-bench --help)\n", optopt);
			else
				fprintf(stderr, "apf-bench: error: unknown option or missing value in '%s' (see apf-bench --help)\n",
					argv[optind - 1]);
			return BENCH_EXIT_USAGE;
		}
		r = one_option(c, optarg, o);
		if (r >= 0)
			return r;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return validate(o);
}
