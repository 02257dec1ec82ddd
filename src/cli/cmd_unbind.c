/* cmd_unbind: `vfiobuf unbind DEVICE…`: give devices back to the driver
 * they had before vfiobuf bound them (or --driver NAME, or --none). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_bind.h"

enum { OPT_DRY_RUN = 0x3000, OPT_PERSIST, OPT_STATE, OPT_NONE };

struct unbind_args {
	struct cli_devsel sel;
	bool dry_run, force, persist, none;
	const char *driver, *state_file;
};

static const struct argp_option unbind_options[] = {
	{ "driver", 'D', "NAME", 0, "Give the devices to this driver instead of the recorded one", 0 },
	{ "none", OPT_NONE, 0, 0, "Leave the devices without a driver", 0 },
	{ "dry-run", OPT_DRY_RUN, 0, 0, "Print what would be written where; change nothing", 0 },
	{ "force", 'f', 0, 0, "Unbind devices vfiobuf did not bind too", 0 },
	{ "persist", OPT_PERSIST, 0, 0, "Also remove the devices from /etc/vfiobuf/overrides", 0 },
	{ "state-file", OPT_STATE, "FILE", 0, "State file (default /run/vfiobuf/state.json)", 0 },
	{ 0 }
};

static error_t unbind_parser(int key, char *arg, struct argp_state *state)
{
	struct unbind_args *a = state->input;

	switch (key) {
	case 'D': a->driver = arg; return 0;
	case OPT_NONE: a->none = true; return 0;
	case OPT_DRY_RUN: a->dry_run = true; return 0;
	case 'f': a->force = true; return 0;
	case OPT_PERSIST: a->persist = true; return 0;
	case OPT_STATE: a->state_file = arg; return 0;
	case ARGP_KEY_ARG:
		if (cli_devsel_add(&a->sel, arg) < 0)
			argp_error(state, "%s", a->sel.err.msg);
		return 0;
	case ARGP_KEY_END:
		if (!a->sel.nbdfs)
			argp_error(state, "missing DEVICE");
		if (a->driver && a->none)
			argp_error(state, "--driver and --none exclude each other");
		if (a->driver && !vb_driver_name_ok(a->driver))
			argp_error(state,
				   "invalid --driver '%s' (a driver name: 1-%d letters, digits, _ - . + :)",
				   a->driver, VB_DRIVER_NAME_MAX);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp cmd_unbind_argp = {
	unbind_options, unbind_parser, "DEVICE...",
	"Give PCI functions back: clear driver_override (a newline, so the original driver may "
	"bind again), unbind from vfio-pci, and bind the driver recorded when vfiobuf bound "
	"them (--driver to choose another, --none to leave them driverless).",
	NULL, NULL, NULL
};

/* Load (dry run) or lock and load the state.  With --none or --driver the
 * state is not needed: an unreadable one is a warning (*warning set, st
 * without a tree, left untouched on disk), not an error. */
static int unbind_state(struct vb_cli *cli, const struct unbind_args *a,
			struct vb_bind_state *st, struct vb_err *warning, struct vb_err *e)
{
	int rc = a->dry_run ? vb_bind_state_load(&cli->sys, a->state_file, st, e)
			    : vb_bind_state_lock(&cli->sys, a->state_file, st, e);

	if (rc == 0 || !(a->none || a->driver) || (!a->dry_run && !st->locked))
		return rc;
	*warning = *e;
	vb_err_clear(e);
	snprintf(warning->msg + strlen(warning->msg), sizeof(warning->msg) - strlen(warning->msg),
		 "; going on without it (%s given) and leaving it as it is",
		 a->none ? "--none" : "--driver");
	return 0;
}

int cmd_unbind(struct vb_cli *cli, int argc, char **argv)
{
	struct unbind_args a = { 0 };
	struct cli_writes w = { 0 };
	struct vb_bind_opts o = { 0 };
	struct vb_unbind_opts u = { 0 };
	struct vb_bind_plan p = { 0 };
	struct vb_bind_state st = { 0 };
	struct vb_err e = { 0 }, warning = { 0 };
	int rc;

	rc = cli_parse_args(cli, &cmd_unbind_argp, argc, argv, &a);
	if (!rc)
		rc = cli_require_root(cli, a.dry_run, "unbind");
	if (rc)
		return rc;
	o.dry_run = a.dry_run;
	o.force = true; /* vfio-pci devices: the in-use checks are for host drivers */
	o.log = a.dry_run || cli->verbose ? cli_writes_log : NULL;
	o.log_ctx = &w;
	u.target = a.none ? VB_UNBIND_NONE : a.driver ? VB_UNBIND_DRIVER : VB_UNBIND_RECORDED;
	u.driver = a.driver;
	u.force = a.force;
	if (unbind_state(cli, &a, &st, &warning, &e) < 0 ||
	    vb_unbind_plan(&cli->sys, a.sel.bdfs, a.sel.nbdfs, &u, &st, &p, &e) < 0)
		goto fail;
	if (warning.msg[0])
		fprintf(stderr, "vfiobuf: warning: %s\n", warning.msg);
	if (vb_unbind_run(&cli->sys, &p, &o, &st, &e) < 0)
		goto fail;
	for (int i = 0; a.persist && !a.dry_run && i < p.n; i++)
		if (vb_persist_set(&cli->sys, p.dev[i].name, NULL, &e) < 0)
			goto fail;
	for (int i = 0; !a.dry_run && i < p.n; i++)
		vb_current_driver(&cli->sys, p.dev[i].name, p.dev[i].target, sizeof(p.dev[i].target));
	out_open_object(cli->out, NULL);
	out_bool(cli->out, "dry_run", NULL, a.dry_run);
	if (warning.msg[0]) {
		out_open_array(cli->out, "warnings");
		out_str(cli->out, OUT_ITEM, NULL, warning.msg);
		out_close_array(cli->out);
	}
	if (o.log)
		cli_print_writes(cli->out, &w);
	if (!cli->quiet || out_is_json(cli->out))
		cli_print_plan(cli->out, &p, false);
	out_close_object(cli->out);
	goto out;
fail:
	rc = cli_fail(cli, &e);
out:
	vb_bind_state_free(&st);
	vb_bind_plan_free(&p);
	cli_writes_free(&w);
	return rc;
}
