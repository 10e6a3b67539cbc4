// SPDX-License-Identifier: GPL-2.0-only
/* apf-boot: what the next boot of an APF Suite machine runs.
 *   - the kernel: the pinned one, else the newest APF Suite kernel of this
 *     machine's flavour (never a distribution kernel unless asked), made
 *     the boot loader's default (GRUB's saved_entry on Debian, grubby on
 *     RPM distributions) so that a distribution kernel installed later
 *     does not take over the next cold boot; apf-kexec loads the same one;
 *   - the kvm module parameter from /etc/apf/apf.conf, in modprobe.d.
 * The boot loader is detected, never assumed (lib/loader.c); where apf-boot
 * does not manage it (QEMU -kernel, systemd-boot, proxmox-boot-tool) pin and
 * update leave its default alone and say so.
 * Exit status: 0 ok, 1 runtime error, 2 usage, 3 unsupported here (no APF
 * kernel; status: no loader apf-boot manages), 4 permission denied.  The logic is in
 * lib/ (tests/unit); this file parses options and prints. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apf_conf.h"
#include "fileio.h"
#include "grubcfg.h"
#include "json_writer.h"
#include "kernels.h"
#include "loader.h"
#include "modconf.h"
#include "sanitize.h"
#include "spawn.h"
#include "sysroot.h"

#ifndef APF_BOOT_VERSION
#define APF_BOOT_VERSION "0.0.0"
#endif

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_UNSUPPORTED = 3, EXIT_PERM = 4 };

#define PIN_FILE "/etc/apf/boot-pin"
#define GRUB_CFG "/boot/grub/grub.cfg"
#define GRUB_ENV "/boot/grub/grubenv"
#define GRUB_DROPIN "/etc/default/grub.d/apf-suite.cfg"
#define MODCONF_FILE "/etc/modprobe.d/apf-suite.conf"
#define APF_CONF "/etc/apf/apf.conf"
#define TOOL_TIMEOUT_MS (300 * 1000)

static bool json, pretty;

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json) {
		/* As bpftool: in JSON mode errors are JSON too. */
		json_writer_t *w = jsonw_new(stdout);

		if (w) {
			jsonw_start_object(w);
			jsonw_string_field(w, "error", msg);
			jsonw_int_field(w, "exit", code);
			jsonw_end_object(w);
			jsonw_destroy(&w);
		}
	}
	fprintf(stderr, "apf-boot: %s\n", apf_safe(msg));
	return code;
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	char msg[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "apf-boot: %s\n", apf_safe(msg));
}

static json_writer_t *json_open(void)
{
	json_writer_t *w = jsonw_new(stdout);

	if (w)
		jsonw_pretty(w, pretty);
	return w;
}

static void json_close(json_writer_t **w)
{
	jsonw_destroy(w);
}

static int spath(char *buf, size_t cap, const char *p)
{
	return apf_path(buf, cap, "%s", p);
}

static int run_tool(const char *const argv[], char *why, size_t cap)
{
	return apf_run_tool(argv, TOOL_TIMEOUT_MS, NULL, why, cap);
}

/* --- kernels and the target --------------------------------------------- */

struct ctx {
	struct apf_kernel *k;
	size_t n;
	char pin[128];		/* "" if none */
	char running[128];	/* "" if unknown */
	struct apf_target_req req;
	const struct apf_kernel *target;
	const char *why;
	bool flavour_given;
};

static int read_pin(char *out, size_t cap, char *err, size_t errcap)
{
	char path[APF_PATH_MAX], buf[256];
	ssize_t n;
	size_t len;

	out[0] = '\0';
	if (spath(path, sizeof(path), PIN_FILE))
		return -ENAMETOOLONG;
	n = apf_read_file(path, buf, sizeof(buf));
	if (n == -ENOENT)
		return 0;
	if (n < 0) {
		snprintf(err, errcap, "%s: %s", path, apf_strerror((int)-n));
		return (int)n;
	}
	len = strcspn(buf, "\n");
	buf[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (buf[i] <= ' ' || buf[i] == '/' || buf[i] == 0x7f) {
			snprintf(err, errcap, "%s: not a kernel version: '%s'", path, apf_safe(buf));
			return -EINVAL;
		}
	if (!len || len >= cap) {
		snprintf(err, errcap, "%s: not a kernel version: '%s'", path, apf_safe(buf));
		return -EINVAL;
	}
	memcpy(out, buf, len + 1);
	return 0;
}

static int load_ctx(struct ctx *c)
{
	char boot[APF_PATH_MAX], path[APF_PATH_MAX], err[700];
	int rc;

	if (spath(boot, sizeof(boot), "/boot"))
		return fail(EXIT_USAGE, "--sysroot: path too long");
	rc = apf_kernels_scan(boot, &c->k, &c->n, err, sizeof(err));
	if (rc)
		return fail(rc == -ENOENT ? EXIT_UNSUPPORTED : EXIT_RUNTIME, "%s", err);
	if (read_pin(c->pin, sizeof(c->pin), err, sizeof(err)))
		return fail(EXIT_RUNTIME, "%s", err);
	c->running[0] = '\0';
	if (!spath(path, sizeof(path), "/proc/sys/kernel/osrelease") &&
	    apf_read_file(path, c->running, sizeof(c->running)) > 0)
		c->running[strcspn(c->running, "\n")] = '\0';
	if (!c->flavour_given && !c->req.any_kernel &&
	    apf_flavour_default(c->k, c->n, c->running, &c->req.flavour, err, sizeof(err)))
		return fail(EXIT_USAGE, "%s", err);
	c->req.pin = c->pin[0] ? c->pin : NULL;
	c->target = apf_target(c->k, c->n, &c->req, &c->why);
	return EXIT_OK;
}

static int need_target(const struct ctx *c)
{
	char boot[APF_PATH_MAX];

	if (c->target)
		return EXIT_OK;
	if (spath(boot, sizeof(boot), "/boot"))
		return fail(EXIT_USAGE, "--sysroot: path too long");
	if (c->req.any_kernel)
		return fail(EXIT_UNSUPPORTED, "no kernel installed in %s (no vmlinuz-*)", boot);
	return fail(EXIT_UNSUPPORTED, "no APF Suite %skernel installed in %s "
		    "(vmlinuz-*-apf[N]-host|guest); --any-kernel takes any",
		    c->req.flavour == APF_FLAVOUR_NONE ? "" :
		    c->req.flavour == APF_FLAVOUR_HOST ? "host " : "guest ", boot);
}

/* --- the boot loader --------------------------------------------------- */

/* The boot loader, detected once (main): the commands found and what is
 * on disk (lib/loader.c). */
static struct apf_loader_tools tools;
static struct apf_loader_info loader;

/* A command: $env when set (empty: absent; tests name stand-ins), else
 * name in PATH; live_only: never looked up in PATH under --sysroot (its
 * tool would edit the live system, not the fixture). */
static const char *find_tool(const char *env, const char *name, bool live_only,
			     char *buf, size_t cap)
{
	const char *e = getenv(env);

	if (e) {
		if (!*e)
			return NULL;
		name = e;
	} else if (live_only && !apf_sysroot_is_live()) {
		return NULL;
	}
	return apf_find_command(name, getenv("PATH"), buf, cap) ? buf : NULL;
}

static void detect_loader(void)
{
	static char editenv[APF_PATH_MAX], grubby[APF_PATH_MAX], bootctl[APF_PATH_MAX];

	/* grub-editenv edits the file it is given: the fixture's too. */
	tools.grub_editenv = find_tool("APF_GRUB_EDITENV", "grub-editenv", false, editenv,
				       sizeof(editenv));
	tools.grubby = find_tool("APF_GRUBBY", "grubby", true, grubby, sizeof(grubby));
	tools.bootctl = find_tool("APF_BOOTCTL", "bootctl", true, bootctl, sizeof(bootctl));
	apf_loader_detect(apf_sysroot_is_live() ? "" : apf_sysroot(), &tools, &loader);
}

/* --- GRUB ------------------------------------------------------------------ */

struct grub_state {
	struct grub_cfg cfg;
	char saved[512];	/* saved_entry, "" if unset */
	char next[512];		/* next_entry (grub-reboot), "" if unset */
	bool env_ok;		/* grubenv exists and is an environment block */
};

static int grub_load(struct grub_state *g, char *err, size_t errcap)
{
	char path[APF_PATH_MAX], *text = NULL;
	ssize_t n;
	int rc;

	memset(g, 0, sizeof(*g));
	if (spath(path, sizeof(path), GRUB_CFG))
		return -ENAMETOOLONG;
	n = apf_slurp(path, GRUB_CFG_MAX, &text);
	if (n < 0) {
		snprintf(err, errcap, "%s: %s", path, apf_strerror((int)-n));
		return (int)n;
	}
	if (strlen(text) != (size_t)n) {
		free(text);
		snprintf(err, errcap, "%s: NUL byte in the file", path);
		return -EINVAL;
	}
	{
		char perr[600];

		rc = grub_cfg_parse(text, &g->cfg, perr, sizeof(perr));
		free(text);
		if (rc) {
			snprintf(err, errcap, "%s: %s", path, perr);
			return rc;
		}
	}
	if (spath(path, sizeof(path), GRUB_ENV))
		return -ENAMETOOLONG;
	text = NULL;
	n = apf_slurp(path, 64 << 10, &text);
	if (n >= 0) {
		g->env_ok = grubenv_get(text, "saved_entry", g->saved, sizeof(g->saved)) != -EINVAL;
		grubenv_get(text, "next_entry", g->next, sizeof(g->next));
		if (!g->env_ok)
			g->saved[0] = '\0';
	}
	free(text);
	return 0;
}

/* The entry GRUB boots by default (next_entry aside). */
static const struct grub_node *grub_default(const struct grub_state *g, const char **value)
{
	*value = g->cfg.saved_default ? g->saved : g->cfg.fixed_default;
	return grub_cfg_resolve(&g->cfg, *value);
}

static const char *update_grub_cmd(void)
{
	const char *e = getenv("APF_UPDATE_GRUB");

	if (e)
		return *e ? e : NULL;
	return apf_sysroot_is_live() ? "update-grub" : NULL;
}

static int run_update_grub(char *why, size_t cap)
{
	const char *cmd = update_grub_cmd();
	const char *argv[] = { cmd, NULL };

	if (!cmd) {
		snprintf(why, cap, "not running update-grub under --sysroot (APF_UPDATE_GRUB unset)");
		return -ENOSYS;
	}
	return run_tool(argv, why, cap);
}

/* GRUB_DEFAULT=saved, through a drop-in that grub-mkconfig reads after
 * /etc/default/grub. */
static int write_dropin(char *err, size_t errcap)
{
	static const char text[] =
		"# Written by apf-boot: boot GRUB's saved entry, which `apf-boot pin` and\n"
		"# `apf-boot update` (the kernel hooks) point at the APF Suite kernel, so\n"
		"# that a distribution kernel installed later does not become the default.\n"
		"# Remove this file and run update-grub to go back to GRUB_DEFAULT of\n"
		"# /etc/default/grub.\n"
		"GRUB_DEFAULT=saved\n";
	char path[APF_PATH_MAX], dir[APF_PATH_MAX];
	int rc;

	if (spath(path, sizeof(path), GRUB_DROPIN) || spath(dir, sizeof(dir), "/etc/default/grub.d"))
		return -ENAMETOOLONG;
	if (mkdir(dir, 0755) && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errcap, "%s: %s", dir, apf_strerror(-rc));
		return rc;
	}
	rc = apf_write_atomic(path, text, sizeof(text) - 1, 0644);
	if (rc)
		snprintf(err, errcap, "%s: %s", path, apf_strerror(-rc));
	return rc;
}

static int grub_set(const struct apf_kernel *t, bool *changed, char *entry, size_t entrycap)
{
	char err[1200], why[700], path[APF_PATH_MAX], arg[600];
	const char *editenv = tools.grub_editenv;
	const struct grub_node *nd, *def;
	struct grub_state g;
	const char *value;
	bool regenerated = false;
	int rc;

	*changed = false;
	if (grub_load(&g, err, sizeof(err)))
		return fail(EXIT_RUNTIME, "%s", err);
	if (!g.cfg.saved_default) {
		if ((rc = write_dropin(err, sizeof(err)))) {
			grub_cfg_free(&g.cfg);
			return fail(rc == -EACCES ? EXIT_PERM : EXIT_RUNTIME, "%s", err);
		}
		note("GRUB_DEFAULT=saved set in %s; regenerating grub.cfg", GRUB_DROPIN);
		grub_cfg_free(&g.cfg);
		if (run_update_grub(why, sizeof(why)))
			return fail(EXIT_RUNTIME, "grub.cfg does not boot GRUB's saved entry "
				    "(GRUB_DEFAULT=saved); %s was written, but %s; run update-grub",
				    GRUB_DROPIN, why);
		regenerated = true;
		if (grub_load(&g, err, sizeof(err)))
			return fail(EXIT_RUNTIME, "%s", err);
		if (!g.cfg.saved_default) {
			grub_cfg_free(&g.cfg);
			return fail(EXIT_RUNTIME, "grub.cfg still does not boot the saved entry after "
				    "update-grub: a file in /etc/default/grub.d sorting after "
				    "apf-suite.cfg sets GRUB_DEFAULT? (grub-mkconfig reads them in order)");
		}
	}
	nd = grub_cfg_entry_for(&g.cfg, t->version);
	if (!nd && !regenerated && update_grub_cmd()) {
		/* The kernel may be newer than grub.cfg. */
		grub_cfg_free(&g.cfg);
		if (run_update_grub(why, sizeof(why)))
			return fail(EXIT_RUNTIME, "%s", why);
		if (grub_load(&g, err, sizeof(err)))
			return fail(EXIT_RUNTIME, "%s", err);
		nd = grub_cfg_entry_for(&g.cfg, t->version);
	}
	if (!nd) {
		grub_cfg_free(&g.cfg);
		return fail(EXIT_RUNTIME, "%s has no menu entry for vmlinuz-%s: run update-grub",
			    GRUB_CFG, t->version);
	}
	if ((rc = grub_cfg_path(&g.cfg, nd, entry, entrycap))) {
		grub_cfg_free(&g.cfg);
		return fail(EXIT_RUNTIME, "menu entry path too long");
	}
	if (strcmp(g.saved, entry) || !g.env_ok) {
		const char *argv[] = { editenv, path, "set", arg, NULL };

		if (spath(path, sizeof(path), GRUB_ENV) ||
		    (size_t)snprintf(arg, sizeof(arg), "saved_entry=%s", entry) >= sizeof(arg)) {
			grub_cfg_free(&g.cfg);
			return fail(EXIT_RUNTIME, "saved_entry too long");
		}
		grub_cfg_free(&g.cfg);
		if (run_tool(argv, why, sizeof(why)))
			return fail(EXIT_RUNTIME, "setting GRUB's saved entry: %s", why);
		*changed = true;
		if (grub_load(&g, err, sizeof(err)))
			return fail(EXIT_RUNTIME, "%s", err);
	}
	/* Read back: what GRUB will boot, resolved the way GRUB does. */
	def = grub_default(&g, &value);
	if (!def || strcmp(def->kernel + (strncmp(def->kernel, "vmlinuz-", 8) ? 0 : 8), t->version)) {
		char k[300];

		snprintf(k, sizeof(k), "%s", def ? def->kernel : "nothing");
		grub_cfg_free(&g.cfg);
		return fail(EXIT_RUNTIME, "after setting saved_entry=%s GRUB's default boots %s, "
			    "not vmlinuz-%s", entry, k, t->version);
	}
	grub_cfg_free(&g.cfg);
	return EXIT_OK;
}

/* --- grubby (Fedora, RHEL: BLS entries) ------------------------------------ */

static const char *grubby_cmd(void)
{
	return tools.grubby;
}

static int grubby_default(char *out, size_t cap, char *why, size_t whycap)
{
	const char *argv[] = { grubby_cmd(), "--default-kernel", NULL };
	struct apf_run_result *r = malloc(sizeof(*r));
	int err;

	if (!r)
		return -ENOMEM;
	err = apf_run(argv, TOOL_TIMEOUT_MS, r);
	if (!err && r->status)
		err = -EIO;
	if (err)
		snprintf(why, whycap, "%s --default-kernel failed", argv[0]);
	else
		snprintf(out, cap, "%.*s", (int)strcspn(r->out, "\n"), r->out);
	free(r);
	return err;
}

static int grubby_set(const struct apf_kernel *t, bool *changed)
{
	char image[300], cur[512], why[700], arg[320];
	const char *argv[] = { grubby_cmd(), arg, NULL };

	*changed = false;
	snprintf(image, sizeof(image), "/boot/vmlinuz-%s", t->version);
	if (!grubby_default(cur, sizeof(cur), why, sizeof(why)) && !strcmp(cur, image))
		return EXIT_OK;
	snprintf(arg, sizeof(arg), "--set-default=%s", image);
	if (run_tool(argv, why, sizeof(why)))
		return fail(EXIT_RUNTIME, "%s", why);
	*changed = true;
	if (grubby_default(cur, sizeof(cur), why, sizeof(why)))
		return fail(EXIT_RUNTIME, "%s", why);
	if (strcmp(cur, image))
		return fail(EXIT_RUNTIME, "grubby's default is %s after setting %s", cur, image);
	return EXIT_OK;
}

static int set_default(const struct apf_kernel *t, bool *changed, char *entry, size_t cap)
{
	switch (loader.loader) {
	case APF_LOADER_GRUB:
		return grub_set(t, changed, entry, cap);
	case APF_LOADER_GRUBBY:
		snprintf(entry, cap, "/boot/vmlinuz-%s", t->version);
		return grubby_set(t, changed);
	case APF_LOADER_SDBOOT:
	case APF_LOADER_NONE:
		break;
	}
	return fail(EXIT_UNSUPPORTED, "%s", loader.why);
}

/* --- commands ----------------------------------------------------------- */

static bool live_and_not_root(void)
{
	return apf_sysroot_is_live() && geteuid() != 0;
}

static int cmd_list(struct ctx *c)
{
	int rc = load_ctx(c);

	if (rc)
		return rc;
	if (json) {
		json_writer_t *w = json_open();

		if (!w)
			return fail(EXIT_RUNTIME, "out of memory");
		jsonw_start_array(w);
		for (size_t i = 0; i < c->n; i++) {
			jsonw_start_object(w);
			jsonw_string_field(w, "version", c->k[i].version);
			jsonw_string_field(w, "flavour", apf_flavour_name(c->k[i].flavour));
			jsonw_uint_field(w, "build", c->k[i].build);
			jsonw_bool_field(w, "running", !strcmp(c->k[i].version, c->running));
			jsonw_bool_field(w, "pinned", !strcmp(c->k[i].version, c->pin));
			jsonw_bool_field(w, "target", c->target == &c->k[i]);
			jsonw_end_object(w);
		}
		jsonw_end_array(w);
		json_close(&w);
		return EXIT_OK;
	}
	for (size_t i = 0; i < c->n; i++) {
		char fl[32];

		if (c->k[i].flavour == APF_FLAVOUR_NONE)
			snprintf(fl, sizeof(fl), "-");
		else
			snprintf(fl, sizeof(fl), "apf %s%s%lu", apf_flavour_name(c->k[i].flavour),
				 c->k[i].build ? " build " : "", c->k[i].build);
		if (!c->k[i].build && c->k[i].flavour != APF_FLAVOUR_NONE)
			fl[strlen(fl) - 1] = '\0';
		printf("%-40s %-18s%s%s%s\n", apf_safe(c->k[i].version), fl,
		       !strcmp(c->k[i].version, c->running) ? " running" : "",
		       !strcmp(c->k[i].version, c->pin) ? " pinned" : "",
		       c->target == &c->k[i] ? " target" : "");
	}
	return EXIT_OK;
}

static int cmd_target(struct ctx *c)
{
	int rc = load_ctx(c);

	if (rc || (rc = need_target(c)))
		return rc;
	if (json) {
		json_writer_t *w = json_open();

		if (!w)
			return fail(EXIT_RUNTIME, "out of memory");
		jsonw_start_object(w);
		jsonw_string_field(w, "version", c->target->version);
		jsonw_string_field(w, "flavour", apf_flavour_name(c->target->flavour));
		jsonw_uint_field(w, "build", c->target->build);
		jsonw_string_field(w, "reason", c->why);
		jsonw_end_object(w);
		json_close(&w);
	} else {
		printf("%s\n", apf_safe(c->target->version));
	}
	return EXIT_OK;
}

/* update, pin and unpin: make the target the boot loader's default where
 * apf-boot manages the loader; else say so and leave it (apf-kexec follows
 * the target all the same).  pin_changed: -1 for update, else whether pin
 * wrote a different pin. */
static int update_default(struct ctx *c, const char *action, int pin_changed)
{
	char entry[600] = "";
	bool changed = false;
	int rc;

	if (c->pin[0] && c->target->version != c->pin && strcmp(c->target->version, c->pin))
		note("pinned kernel %s is not installed; using %s", c->pin, c->target->version);
	if (loader.managed) {
		if (live_and_not_root())
			return fail(EXIT_PERM, "%s: changing the boot loader's default needs root",
				    action);
		rc = set_default(c->target, &changed, entry, sizeof(entry));
		if (rc)
			return rc;
	} else {
		note("%s: the boot loader's default was not touched (loader: %s): %s",
		     action, apf_loader_name(loader.loader), loader.why);
	}
	if (json) {
		json_writer_t *w = json_open();

		if (!w)
			return fail(EXIT_RUNTIME, "out of memory");
		jsonw_start_object(w);
		jsonw_string_field(w, "version", c->target->version);
		jsonw_string_field(w, "reason", c->why);
		jsonw_string_field(w, "loader", apf_loader_name(loader.loader));
		jsonw_bool_field(w, "loader_managed", loader.managed);
		if (loader.managed)
			jsonw_string_field(w, "entry", entry);
		else
			jsonw_null_field(w, "entry");
		if (pin_changed >= 0)
			jsonw_bool_field(w, "pin_changed", pin_changed);
		jsonw_bool_field(w, "default_changed", changed);
		jsonw_bool_field(w, "changed", changed || pin_changed > 0);
		if (!loader.managed)
			jsonw_string_field(w, "note", loader.why);
		jsonw_end_object(w);
		json_close(&w);
	} else if (loader.managed) {
		printf("boot default: %s (%s)%s\n", apf_safe(c->target->version), c->why,
		       changed ? "" : ", unchanged");
	} else {
		printf("boot default: not touched (loader: %s); kexec target: %s (%s)\n",
		       apf_loader_name(loader.loader), apf_safe(c->target->version), c->why);
	}
	return EXIT_OK;
}

static int cmd_update(struct ctx *c, const char *action)
{
	int rc = load_ctx(c);

	if (rc || (rc = need_target(c)))
		return rc;
	return update_default(c, action, -1);
}

static int cmd_pin(struct ctx *c, const char *version)
{
	char path[APF_PATH_MAX], dir[APF_PATH_MAX], text[200];
	bool found = false, pin_changed;
	int rc;

	for (const char *p = version; *p; p++)
		if (*p <= ' ' || *p == '/' || *p == 0x7f)
			return fail(EXIT_USAGE, "pin: not a kernel version: '%s'", version);
	if (!*version || strlen(version) >= sizeof(c->pin))
		return fail(EXIT_USAGE, "pin: not a kernel version: '%s'", version);
	if (live_and_not_root())
		return fail(EXIT_PERM, "pin: needs root");
	rc = load_ctx(c);
	if (rc)
		return rc;
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->k[i].version, version)) {
			found = true;
			if (c->k[i].flavour == APF_FLAVOUR_NONE && !c->req.any_kernel)
				return fail(EXIT_USAGE, "pin: %s is not an APF Suite kernel; "
					    "--any-kernel pins it anyway", version);
		}
	if (!found)
		return fail(EXIT_RUNTIME, "pin: no kernel %s installed (no /boot/vmlinuz-%s)",
			    version, version);
	if (spath(path, sizeof(path), PIN_FILE) || spath(dir, sizeof(dir), "/etc/apf"))
		return fail(EXIT_USAGE, "--sysroot: path too long");
	if (mkdir(dir, 0755) && errno != EEXIST)
		return fail(errno == EACCES ? EXIT_PERM : EXIT_RUNTIME, "%s: %s", dir,
			    apf_strerror(errno));
	pin_changed = strcmp(c->pin, version) != 0;
	snprintf(text, sizeof(text), "%s\n", version);
	rc = apf_write_atomic(path, text, strlen(text), 0644);
	if (rc)
		return fail(rc == -EACCES ? EXIT_PERM : EXIT_RUNTIME, "%s: %s", path,
			    apf_strerror(-rc));
	/* The pin is installed: the target now. */
	snprintf(c->pin, sizeof(c->pin), "%s", version);
	c->req.pin = c->pin;
	c->target = apf_target(c->k, c->n, &c->req, &c->why);
	if (!c->target)
		return fail(EXIT_RUNTIME, "pin: %s written but not the target", PIN_FILE);
	return update_default(c, "pin", pin_changed);
}

static int cmd_unpin(struct ctx *c)
{
	char path[APF_PATH_MAX];

	if (live_and_not_root())
		return fail(EXIT_PERM, "unpin: needs root");
	if (spath(path, sizeof(path), PIN_FILE))
		return fail(EXIT_USAGE, "--sysroot: path too long");
	if (unlink(path) && errno != ENOENT)
		return fail(errno == EACCES ? EXIT_PERM : EXIT_RUNTIME, "%s: %s", path,
			    apf_strerror(errno));
	return cmd_update(c, "unpin");
}

static int cmd_status(struct ctx *c)
{
	char err[1200], why[700], cur[512] = "", image[300] = "";
	const char *name = apf_loader_name(loader.loader), *value = "", *verdict;
	const struct grub_node *def = NULL;
	bool ok = false, saved = false;
	struct grub_state g;
	int rc = load_ctx(c);

	if (rc)
		return rc;
	memset(&g, 0, sizeof(g));
	switch (loader.loader) {
	case APF_LOADER_GRUB:
		if (grub_load(&g, err, sizeof(err)))
			return fail(EXIT_RUNTIME, "%s", err);
		saved = g.cfg.saved_default;
		def = grub_default(&g, &value);
		if (def)
			snprintf(cur, sizeof(cur), "%s", def->kernel);
		break;
	case APF_LOADER_GRUBBY:
		if (grubby_default(image, sizeof(image), why, sizeof(why)))
			return fail(EXIT_RUNTIME, "%s", why);
		snprintf(cur, sizeof(cur), "%s", strrchr(image, '/') ? strrchr(image, '/') + 1 : image);
		value = image;
		break;
	case APF_LOADER_SDBOOT:
	case APF_LOADER_NONE:
		break;
	}
	if (c->target)
		snprintf(image, sizeof(image), "vmlinuz-%s", c->target->version);
	ok = c->target && loader.managed && !strcmp(cur, image);
	verdict = !c->target ? "no APF Suite kernel installed" :
		  !loader.managed ? "the boot loader's default is not managed by apf-boot "
				    "(see loader_detail); apf-kexec loads the target" :
		  ok ? "the boot loader's default boots the target" :
		  "the boot loader's default does not boot the target: run apf-boot update";
	if (json) {
		json_writer_t *w = json_open();

		if (!w) {
			grub_cfg_free(&g.cfg);
			return fail(EXIT_RUNTIME, "out of memory");
		}
		jsonw_start_object(w);
		jsonw_string_field(w, "running", c->running);
		if (c->pin[0])
			jsonw_string_field(w, "pin", c->pin);
		else
			jsonw_null_field(w, "pin");
		if (c->target) {
			jsonw_string_field(w, "target", c->target->version);
			jsonw_string_field(w, "target_reason", c->why);
		} else {
			jsonw_null_field(w, "target");
		}
		jsonw_string_field(w, "loader", name);
		jsonw_string_field(w, "boot_loader", name);	/* before issue 14's review */
		jsonw_bool_field(w, "loader_managed", loader.managed);
		jsonw_string_field(w, "loader_detail", loader.why);
		if (loader.loader == APF_LOADER_GRUB) {
			jsonw_bool_field(w, "grub_default_saved", saved);
			jsonw_string_field(w, "grub_default", value);
			if (g.next[0])
				jsonw_string_field(w, "grub_next_entry", g.next);
		}
		if (cur[0])
			jsonw_string_field(w, "default_kernel", cur);
		else
			jsonw_null_field(w, "default_kernel");
		jsonw_bool_field(w, "ok", ok);
		jsonw_string_field(w, "verdict", verdict);
		jsonw_end_object(w);
		json_close(&w);
	} else {
		printf("running:      %s\n", c->running[0] ? apf_safe(c->running) : "unknown");
		printf("pin:          %s\n", c->pin[0] ? apf_safe(c->pin) : "none");
		if (c->target)
			printf("target:       %s (%s)\n", apf_safe(c->target->version), c->why);
		else
			printf("target:       none\n");
		printf("boot loader:  %s%s\n", name, loader.loader == APF_LOADER_GRUB ?
		       (saved ? " (GRUB_DEFAULT=saved)" : " (not GRUB_DEFAULT=saved)") : "");
		printf("              %s\n", apf_safe(loader.why));
		if (loader.managed)
			printf("default:      %s -> %s\n", value[0] ? apf_safe(value) : "0",
			       cur[0] ? apf_safe(cur) : "no such entry");
		if (g.next[0])
			printf("next boot:    %s (grub-reboot, once)\n", apf_safe(g.next));
		printf("verdict:      %s\n", verdict);
	}
	grub_cfg_free(&g.cfg);
	if (!c->target || !loader.managed)
		return EXIT_UNSUPPORTED;
	return ok ? EXIT_OK : EXIT_RUNTIME;
}

static int cmd_modprobe_conf(bool check, const char *conf_file)
{
	char path[APF_PATH_MAX], out_path[APF_PATH_MAX], dir[APF_PATH_MAX];
	char err[600], text[1024], *conf = NULL, *old = NULL;
	struct apf_conf c;
	bool have_old, same;
	const char *action;
	ssize_t n;
	int rc;

	if (strchr(conf_file, '\n'))
		return fail(EXIT_USAGE, "modprobe-conf: a newline in the file name");
	/* FILE is the administrator's path, taken as is; the default is looked
	 * up under --sysroot. */
	if (conf_file[0] == '/' && strcmp(conf_file, APF_CONF) == 0) {
		if (spath(path, sizeof(path), conf_file))
			return fail(EXIT_USAGE, "--sysroot: path too long");
	} else {
		snprintf(path, sizeof(path), "%s", conf_file);
	}
	n = apf_slurp(path, APF_CONF_MAX, &conf);
	if (n < 0)
		return fail(n == -EACCES ? EXIT_PERM : EXIT_RUNTIME, "modprobe-conf: %s: %s",
			    path, apf_strerror((int)-n));
	if (strlen(conf) != (size_t)n) {
		free(conf);
		return fail(EXIT_RUNTIME, "modprobe-conf: %s: NUL byte in the file", path);
	}
	rc = apf_conf_parse(conf, &c, err, sizeof(err));
	free(conf);
	if (rc)
		return fail(EXIT_RUNTIME, "modprobe-conf: %s: %s", path, err);
	if (apf_modconf_render(&c, conf_file, text, sizeof(text)))
		return fail(EXIT_RUNTIME, "modprobe-conf: file too long");
	if (spath(out_path, sizeof(out_path), MODCONF_FILE) ||
	    spath(dir, sizeof(dir), "/etc/modprobe.d"))
		return fail(EXIT_USAGE, "--sysroot: path too long");
	n = apf_slurp(out_path, 64 << 10, &old);
	have_old = n >= 0;
	if (n < 0 && n != -ENOENT)
		return fail(EXIT_RUNTIME, "modprobe-conf: %s: %s", out_path, apf_strerror((int)-n));
	if (have_old && !apf_modconf_ours(old)) {
		free(old);
		return fail(EXIT_RUNTIME, "modprobe-conf: %s was not written by apf-boot "
			    "(no \"%s\" line first): not touching it", out_path, APF_MODCONF_MARKER);
	}
	same = have_old ? !strcmp(old, text) : !text[0];
	free(old);
	action = same ? "unchanged" : text[0] ? (have_old ? "rewritten" : "written") : "removed";
	if (!check && !same) {
		if (live_and_not_root())
			return fail(EXIT_PERM, "modprobe-conf: writing %s needs root", out_path);
		if (!text[0]) {
			if (unlink(out_path))
				return fail(EXIT_RUNTIME, "%s: %s", out_path, apf_strerror(errno));
		} else {
			if (mkdir(dir, 0755) && errno != EEXIST)
				return fail(EXIT_RUNTIME, "%s: %s", dir, apf_strerror(errno));
			rc = apf_write_atomic(out_path, text, strlen(text), 0644);
			if (rc)
				return fail(rc == -EACCES ? EXIT_PERM : EXIT_RUNTIME, "%s: %s",
					    out_path, apf_strerror(-rc));
		}
	}
	if (json) {
		json_writer_t *w = json_open();

		if (!w)
			return fail(EXIT_RUNTIME, "out of memory");
		jsonw_start_object(w);
		jsonw_string_field(w, "file", MODCONF_FILE);
		jsonw_string_field(w, "host_async_pf", apf_conf_switch_name(c.host));
		if (c.host == APF_CONF_KEEP)
			jsonw_null_field(w, "options");
		else
			jsonw_string_field(w, "options", c.host == APF_CONF_ON ? "kvm async_pf=Y" :
					   "kvm async_pf=N");
		jsonw_string_field(w, "action", action);
		jsonw_bool_field(w, "check", check);
		jsonw_end_object(w);
		json_close(&w);
	} else {
		printf("%s: %s%s\n", MODCONF_FILE, check && !same ? "would be " : "", action);
	}
	return EXIT_OK;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: apf-boot [--sysroot DIR] [-j [-p]] COMMAND [OPTIONS]\n"
		"What the next boot runs: the APF Suite kernel, as the boot loader's\n"
		"default and for apf-kexec, and the kvm module options.\n\n"
		"Commands:\n"
		"  list                 installed kernels: APF flavour and build, pin, target\n"
		"  target               the kernel the next boot should run (apf-kexec loads it)\n"
		"  status               pin, target, the boot loader and its default\n"
		"                       (exit 1 if it differs, 3 if apf-boot does not manage it)\n"
		"  update               make the target the boot loader's default (kernel hooks)\n"
		"  pin VERSION          boot VERSION from now on (/etc/apf/boot-pin), then update\n"
		"  unpin                forget the pin, then update (newest APF kernel)\n"
		"  modprobe-conf [--check] [FILE]\n"
		"                       %s from FILE (%s)\n\n"
		"Options of list, target, status, update, pin, unpin:\n"
		"  --flavour host|guest the APF flavour to follow (default: the running\n"
		"                       kernel's, else the one installed)\n"
		"  --any-kernel         distribution kernels count too\n\n"
		"Boot loaders: GRUB (%s and grub-editenv;\n"
		"GRUB_DEFAULT=saved through %s),\n"
		"grubby (BLS entries); systemd-boot is reported, not set.  With no loader\n"
		"apf-boot manages, pin and update leave the default alone, say so and\n"
		"exit 0 (apf-kexec follows the pin).\n"
		"Exit status: 0 ok, 1 error, 2 usage, 3 unsupported here (no APF kernel;\n"
		"status: no loader apf-boot manages), 4 permission denied.\n",
		MODCONF_FILE, APF_CONF, GRUB_CFG, GRUB_DROPIN);
}

int main(int argc, char **argv)
{
	enum { OPT_SYSROOT = 0x100, OPT_FLAVOUR, OPT_ANY, OPT_CHECK };
	static const struct option opts[] = {
		{ "sysroot", required_argument, NULL, OPT_SYSROOT },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "flavour", required_argument, NULL, OPT_FLAVOUR },
		{ "any-kernel", no_argument, NULL, OPT_ANY },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx c;
	const char *cmd, *arg = NULL;
	bool check = false;
	int ch, rc;

	memset(&c, 0, sizeof(c));
	while ((ch = getopt_long(argc, argv, "+jphV", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_SYSROOT:
			if (apf_sysroot_set(optarg))
				return fail(EXIT_USAGE, "--sysroot: path too long");
			break;
		case 'j': json = true; break;
		case 'p': pretty = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("apf-boot %s\n", APF_BOOT_VERSION); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	/* Command options, also accepted before the command's argument. */
	optind++;
	while ((ch = getopt_long(argc, argv, "jp", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 'p': pretty = true; break;
		case OPT_FLAVOUR:
			if (apf_flavour_parse(optarg, &c.req.flavour))
				return fail(EXIT_USAGE, "--flavour: '%s' is not host or guest", optarg);
			c.flavour_given = true;
			break;
		case OPT_ANY: c.req.any_kernel = true; break;
		case OPT_CHECK: check = true; break;
		case OPT_SYSROOT:
			if (apf_sysroot_set(optarg))
				return fail(EXIT_USAGE, "--sysroot: path too long");
			break;
		default: return fail(EXIT_USAGE, "%s: unknown option (apf-boot --help)", cmd);
		}
	}
	if (optind < argc)
		arg = argv[optind++];
	if (optind < argc)
		return fail(EXIT_USAGE, "%s: unexpected argument '%s'", cmd, argv[optind]);
	if (check && strcmp(cmd, "modprobe-conf"))
		return fail(EXIT_USAGE, "--check is an option of modprobe-conf");
	if (!apf_sysroot_is_live() && !apf_is_dir(apf_sysroot()))
		return fail(EXIT_USAGE, "--sysroot %s: not a directory", apf_sysroot());
	detect_loader();
	if (!strcmp(cmd, "pin")) {
		if (!arg)
			return fail(EXIT_USAGE, "pin: which VERSION? (apf-boot list)");
		rc = cmd_pin(&c, arg);
	} else if (!strcmp(cmd, "modprobe-conf")) {
		rc = cmd_modprobe_conf(check, arg ? arg : APF_CONF);
	} else if (arg) {
		return fail(EXIT_USAGE, "%s: unexpected argument '%s'", cmd, arg);
	} else if (!strcmp(cmd, "list")) {
		rc = cmd_list(&c);
	} else if (!strcmp(cmd, "target")) {
		rc = cmd_target(&c);
	} else if (!strcmp(cmd, "status")) {
		rc = cmd_status(&c);
	} else if (!strcmp(cmd, "update")) {
		rc = cmd_update(&c, "update");
	} else if (!strcmp(cmd, "unpin")) {
		rc = cmd_unpin(&c);
	} else {
		return fail(EXIT_USAGE, "unknown command '%s' (apf-boot --help)", cmd);
	}
	free(c.k);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "apf-boot: write error on stdout\n");
		return rc ? rc : EXIT_RUNTIME;
	}
	return rc;
}
