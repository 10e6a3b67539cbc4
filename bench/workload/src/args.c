// SPDX-License-Identifier: GPL-2.0-only
/* Option parsing with strict numbers: a benchmark that silently ran with a
 * misread "-m 5l2" would record a wrong configuration. */
#include "args.h"

#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_NO_FILL = 256, OPT_FINISH, OPT_SEED, OPT_UNIT_ITERS, OPT_SYSROOT };

static const struct option long_opts[] = {
	{ "fault-threads", required_argument, NULL, 'f' },
	{ "compute-threads", required_argument, NULL, 'c' },
	{ "mb", required_argument, NULL, 'm' },
	{ "time", required_argument, NULL, 't' },
	{ "warmup", required_argument, NULL, 'w' },
	{ "interval", required_argument, NULL, 'i' },
	{ "access", required_argument, NULL, 'a' },
	{ "no-fill", no_argument, NULL, OPT_NO_FILL },
	{ "finish", required_argument, NULL, OPT_FINISH },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "unit-iters", required_argument, NULL, OPT_UNIT_ITERS },
	{ "sysroot", required_argument, NULL, OPT_SYSROOT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

void wl_config_defaults(struct wl_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->fault_threads = 4;
	cfg->compute_threads = 4;
	cfg->mb = 512;
	cfg->duration_s = 60;
	cfg->interval_s = 5;
	cfg->access = WL_ACCESS_WRITE;
	cfg->fill = true;
	cfg->passes = 0;
	cfg->seed = 1;
	cfg->unit_iters = WL_DEFAULT_UNIT_ITERS;
	cfg->sysroot = "";
}

const char *wl_access_name(enum wl_access a)
{
	switch (a) {
	case WL_ACCESS_READ:
		return "read";
	case WL_ACCESS_RW:
		return "rw";
	case WL_ACCESS_WRITE:
	default:
		return "write";
	}
}

/* Decimal only, no sign, no junk, within [min, max]. */
static int parse_u64(const char *name, const char *s, uint64_t min,
		     uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9') {
		snprintf(err, errlen, "%s: '%s' is not a number (use %" PRIu64
			 "..%" PRIu64 ")", name, s, min, max);
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		snprintf(err, errlen, "%s: '%s' is not a number (use %" PRIu64
			 "..%" PRIu64 ")", name, s, min, max);
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		snprintf(err, errlen, "%s: %s is out of range (use %" PRIu64
			 "..%" PRIu64 ")", name, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_uint(const char *name, const char *s, unsigned min,
		      unsigned max, unsigned *out, char *err, size_t errlen)
{
	uint64_t v;

	if (parse_u64(name, s, min, max, &v, err, errlen))
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_option(int c, const char *arg, struct wl_config *cfg,
			char *err, size_t errlen)
{
	switch (c) {
	case 'f':
		return parse_uint("-f", arg, 0, WL_MAX_THREADS,
				  &cfg->fault_threads, err, errlen);
	case 'c':
		return parse_uint("-c", arg, 0, WL_MAX_THREADS,
				  &cfg->compute_threads, err, errlen);
	case 'm':
		return parse_u64("-m", arg, 1, WL_MAX_MB, &cfg->mb, err, errlen);
	case 't':
		return parse_uint("-t", arg, 1, WL_MAX_SECONDS,
				  &cfg->duration_s, err, errlen);
	case 'w':
		return parse_uint("-w", arg, 0, WL_MAX_SECONDS,
				  &cfg->warmup_s, err, errlen);
	case 'i':
		return parse_uint("-i", arg, 0, WL_MAX_SECONDS,
				  &cfg->interval_s, err, errlen);
	case 'a':
		if (!strcmp(arg, "write"))
			cfg->access = WL_ACCESS_WRITE;
		else if (!strcmp(arg, "read"))
			cfg->access = WL_ACCESS_READ;
		else if (!strcmp(arg, "rw"))
			cfg->access = WL_ACCESS_RW;
		else {
			snprintf(err, errlen,
				 "-a: '%s' is not an access mode (use write, read or rw)",
				 arg);
			return -1;
		}
		return 0;
	case OPT_NO_FILL:
		cfg->fill = false;
		return 0;
	case OPT_FINISH:
		return parse_u64("--finish", arg, 1, WL_MAX_PASSES,
				 &cfg->passes, err, errlen);
	case OPT_SEED:
		return parse_u64("--seed", arg, 0, UINT64_MAX, &cfg->seed,
				 err, errlen);
	case OPT_UNIT_ITERS:
		return parse_u64("--unit-iters", arg, 1, UINT64_MAX / 2,
				 &cfg->unit_iters, err, errlen);
	case OPT_SYSROOT:
		cfg->sysroot = arg;
		return 0;
	default:
		snprintf(err, errlen, "internal: unhandled option %d", c);
		return -1;
	}
}

/* Rules that involve more than one option. */
static int check_combination(struct wl_config *cfg, char *err, size_t errlen)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t pages = cfg->mb * (UINT64_C(1) << 20) /
			 (uint64_t)(page > 0 ? page : 4096);

	if (cfg->passes) {
		/* "No other runnable work": the fault threads alone. */
		cfg->compute_threads = 0;
		if (cfg->fault_threads == 0) {
			snprintf(err, errlen,
				 "--finish needs at least one fault thread (-f 1 or more)");
			return -1;
		}
		if (pages / cfg->fault_threads == 0) {
			snprintf(err, errlen,
				 "--finish: -f %u is more threads than the %" PRIu64
				 " pages of -m %" PRIu64 "; use a larger -m or a smaller -f",
				 cfg->fault_threads, pages, cfg->mb);
			return -1;
		}
	}
	if (cfg->passes && cfg->warmup_s) {
		snprintf(err, errlen,
			 "-w (a warm-up before a timed window) is for throughput mode, not --finish");
		return -1;
	}
	if (cfg->fault_threads + cfg->compute_threads == 0) {
		snprintf(err, errlen,
			 "-f 0 -c 0 runs nothing; give at least one thread");
		return -1;
	}
	return 0;
}

enum wl_args_result wl_parse_args(int argc, char **argv,
				  struct wl_config *cfg,
				  char *err, size_t errlen)
{
	int c;

	wl_config_defaults(cfg);
	err[0] = '\0';
	optind = 0;     /* glibc: full reset, argv may be a new vector */
	opterr = 0;     /* our own messages, on our own stream */
	while ((c = getopt_long(argc, argv, "+:f:c:m:t:w:i:a:hV", long_opts,
				NULL)) != -1) {
		if (c == 'h')
			return WL_ARGS_HELP;
		if (c == 'V')
			return WL_ARGS_VERSION;
		if (c == ':') {
			snprintf(err, errlen, "%s needs a value (see --help)",
				 argv[optind - 1]);
			return WL_ARGS_USAGE;
		}
		if (c == '?') {
			if (optopt)
				snprintf(err, errlen,
					 "unknown option '-%c' (see --help)", optopt);
			else
				snprintf(err, errlen,
					 "unknown option '%s' (see --help)",
					 argv[optind - 1]);
			return WL_ARGS_USAGE;
		}
		if (parse_option(c, optarg, cfg, err, errlen))
			return WL_ARGS_USAGE;
	}
	if (optind < argc) {
		snprintf(err, errlen,
			 "unexpected argument '%s' (everything is an option; see --help)",
			 argv[optind]);
		return WL_ARGS_USAGE;
	}
	if (check_combination(cfg, err, errlen))
		return WL_ARGS_USAGE;
	return WL_ARGS_OK;
}

void wl_usage(int fd)
{
	dprintf(fd,
		"Usage: apf-workload [OPTION]...\n"
		"Guest workload for the APF overcommit benchmark: fault threads touch\n"
		"random pages of a buffer while compute threads do fixed CPU work.\n"
		"Every output line is 'APFWL <json>' on stdout.\n"
		"\n"
		"  -f, --fault-threads N    random-page threads (default 4, 0..%d)\n"
		"  -c, --compute-threads N  CPU work threads (default 4, 0..%d)\n"
		"  -m, --mb N               buffer size in MiB (default 512)\n"
		"  -t, --time SEC           throughput: the measured window (default 60)\n"
		"  -w, --warmup SEC         throughput: run this long first, unmeasured\n"
		"                           (the fill's writeback, the fault ramp; default 0)\n"
		"  -i, --interval SEC       progress record period, 0 = none (default 5)\n"
		"  -a, --access MODE        write, read or rw (alternate) (default write)\n"
		"      --no-fill            skip writing every page first\n"
		"      --finish PASSES      no compute threads; each fault thread touches\n"
		"                           PASSES * pages / F pages, time to finish\n"
		"      --seed N             PRNG seed (default 1)\n"
		"      --unit-iters N       hash iterations per compute unit (default %d)\n"
		"      --sysroot DIR        read /proc and /sys under DIR (tests)\n"
		"  -h, --help               this text\n"
		"  -V, --version            program and output format version\n"
		"\n"
		"As /init (PID 1) the options come from the kernel parameter\n"
		"apfwl=OPT,VALUE,... (e.g. apfwl=-f,2,-c,2,-m,600,-t,30).\n"
		"Exit status: 0 ok, 1 runtime failure, 2 usage error.\n",
		WL_MAX_THREADS, WL_MAX_THREADS, WL_DEFAULT_UNIT_ITERS);
}

/* Kernel command-line tokens: separated by spaces, where double quotes
 * protect spaces (as the kernel's next_arg() does).  Sets *tok and *len to the
 * next token with its quotes still in; returns the rest. */
static const char *next_token(const char *s, const char **tok, size_t *len)
{
	bool quoted = false;
	const char *p;

	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	for (p = s; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && (*p == ' ' || *p == '\t' || *p == '\n'))
			break;
	}
	*tok = s;
	*len = (size_t)(p - s);
	return p;
}

int wl_cmdline_argv(const char *cmdline, struct wl_cmdline_argv *out)
{
	static const char key[] = "apfwl=";
	const char *val = NULL, *tok, *s = cmdline;
	size_t vlen = 0, len, i, n, max_args;
	char *d;

	memset(out, 0, sizeof(*out));
	/* The last apfwl= wins, as with any repeated kernel parameter. */
	while ((s = next_token(s, &tok, &len)), len > 0) {
		const char *t = tok;
		size_t tl = len;

		if (*t == '"') {        /* "apfwl=..." quoted whole */
			t++;
			tl--;
		}
		if (tl >= sizeof(key) - 1 && !memcmp(t, key, sizeof(key) - 1)) {
			val = t + sizeof(key) - 1;
			vlen = tl - (sizeof(key) - 1);
		}
	}
	/* Room for argv[0], one element per comma + 1, and the NULL. */
	max_args = 3;
	for (i = 0; i < vlen; i++)
		max_args += val[i] == ',';
	out->argv = calloc(max_args, sizeof(*out->argv));
	out->strings = malloc(vlen + sizeof("apf-workload") + 1);
	if (!out->argv || !out->strings) {
		wl_cmdline_free(out);
		return -1;
	}
	d = out->strings;
	memcpy(d, "apf-workload", sizeof("apf-workload"));
	out->argv[out->argc++] = d;
	d += sizeof("apf-workload");
	n = 0;  /* length of the element being copied */
	for (i = 0; i <= vlen; i++) {
		char ch = i < vlen ? val[i] : ',';

		if (ch == '"')
			continue;
		if (ch != ',') {
			d[n++] = ch;
			continue;
		}
		if (n > 0) {
			d[n] = '\0';
			out->argv[out->argc++] = d;
			d += n + 1;
			n = 0;
		}
	}
	out->argv[out->argc] = NULL;
	return val != NULL;
}

void wl_cmdline_free(struct wl_cmdline_argv *out)
{
	free(out->argv);
	free(out->strings);
	memset(out, 0, sizeof(*out));
}
