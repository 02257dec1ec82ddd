/* cmd_bind: `vfiobuf bind DEVICE…`: hand devices (whole IOMMU groups) to
 * their VFIO driver (a variant's alias, vfio-pci, or --driver), all or
 * nothing, remembering their drivers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_bind.h"

enum { OPT_DRY_RUN = 0x3000, OPT_PERSIST, OPT_FROM_CONFIG, OPT_STATE, OPT_DRIVER };

struct bind_args {
	struct cli_devsel sel;
	bool group, dry_run, force, persist, from_config;
	const char *state_file, *driver;
};

static const struct argp_option bind_options[] = {
	{ "group", 'g', 0, 0, "Bind every other member of the devices' IOMMU groups too", 0 },
	{ "dry-run", OPT_DRY_RUN, 0, 0, "Print what would be written where; change nothing", 0 },
	{ "force", 'f', 0, 0, "Take devices the host uses (mounted, swap, up, boot VGA)", 0 },
	{ "persist", OPT_PERSIST, 0, 0, "Also record the binding in /etc/vfiobuf/overrides", 0 },
	{ "from-config", OPT_FROM_CONFIG, 0, 0, "Bind the devices recorded in /etc/vfiobuf/overrides", 0 },
	{ "state-file", OPT_STATE, "FILE", 0, "State file (default /run/vfiobuf/state.json)", 0 },
	{ "driver", OPT_DRIVER, "DRIVER", 0,
	  "Bind to this VFIO driver (vfio-pci or a variant), not the one chosen by modules.alias", 0 },
	{ 0 }
};

static error_t bind_parser(int key, char *arg, struct argp_state *state)
{
	struct bind_args *a = state->input;

	switch (key) {
	case 'g': a->group = true; return 0;
	case OPT_DRY_RUN: a->dry_run = true; return 0;
	case 'f': a->force = true; return 0;
	case OPT_PERSIST: a->persist = true; return 0;
	case OPT_FROM_CONFIG: a->from_config = true; return 0;
	case OPT_STATE: a->state_file = arg; return 0;
	case OPT_DRIVER: a->driver = arg; return 0;
	case ARGP_KEY_ARG:
		if (cli_devsel_add(&a->sel, arg) < 0)
			argp_error(state, "%s", a->sel.err.msg);
		return 0;
	case ARGP_KEY_END:
		if (!a->sel.nbdfs && !a->from_config)
			argp_error(state, "missing DEVICE");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp cmd_bind_argp = {
	bind_options, bind_parser, "DEVICE...",
	"Hand PCI functions to their VFIO driver (driver_override + drivers_probe), checking "
	"after every step that the driver really changed.  The driver is the VFIO variant "
	"driver whose vfio_pci: alias in modules.alias matches the device most specifically "
	"(fewest wildcards), else vfio-pci; --driver NAME forces one (it must be a VFIO "
	"driver); --dry-run says which and why.  A device's IOMMU group must end up with no "
	"host driver: other members are refused unless --group.  All or nothing: on a failure "
	"every device goes back to its previous driver.  A device already on a VFIO driver is "
	"left alone (unless --driver names another).  The original drivers are recorded so that 'vfiobuf unbind' restores them.",
	NULL, NULL, NULL
};

/* The devices named on the command line, plus with --from-config the
 * ones recorded in the overrides file for a VFIO driver, with that driver
 * (*drivers: one per device, NULL for those named): *out, *drivers and
 * *saved (which *drivers points into) malloc'd, count returned. */
static int bind_devices(struct vb_cli *cli, const struct bind_args *a, struct vb_bdf **out,
			const char ***drivers, struct vb_persist_entry **saved, struct vb_err *e)
{
	struct vb_bdf *all;
	const char **drv;
	int n = 0, named = a->sel.nbdfs;

	*saved = NULL;
	if (a->from_config && (n = vb_bind_config_devices(&cli->sys, saved, e)) < 0)
		return -1;
	all = calloc((size_t)(named + n) + 1, sizeof(*all));
	drv = calloc((size_t)(named + n) + 1, sizeof(*drv));
	if (!all || !drv) {
		free(all);
		free(drv);
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	}
	if (named)
		memcpy(all, a->sel.bdfs, (size_t)named * sizeof(*all));
	for (int i = 0; i < n; i++) {
		all[named + i] = (*saved)[i].bdf;
		drv[named + i] = (*saved)[i].driver;
	}
	*out = all;
	*drivers = drv;
	return named + n;
}

int cmd_bind(struct vb_cli *cli, int argc, char **argv)
{
	struct bind_args a = { 0 };
	struct cli_writes w = { 0 };
	struct vb_bind_opts o = { 0 };
	struct vb_bind_plan p = { 0 };
	struct vb_bind_state st = { 0 };
	struct vb_err e = { 0 };
	struct vb_bdf *bdfs = NULL;
	struct vb_persist_entry *saved = NULL;
	const char **drivers = NULL;
	int rc, n;

	rc = cli_parse_args(cli, &cmd_bind_argp, argc, argv, &a);
	if (!rc)
		rc = cli_require_root(cli, a.dry_run, "bind");
	if (rc)
		return rc;
	o.group = a.group;
	o.dry_run = a.dry_run;
	o.force = a.force;
	o.driver = a.driver;
	o.fault_bdf = getenv("VFIOBUF_FAULT_INJECT_BIND");
	o.log = a.dry_run || cli->verbose ? cli_writes_log : NULL;
	o.log_ctx = &w;
	/* a real bind holds the state lock from reading the drivers to the
	 * last record; a dry run only reads */
	if ((a.dry_run ? vb_bind_state_load(&cli->sys, a.state_file, &st, &e)
		       : vb_bind_state_lock(&cli->sys, a.state_file, &st, &e)) < 0 ||
	    (n = bind_devices(cli, &a, &bdfs, &drivers, &saved, &e)) < 0 ||
	    !(o.dev_drivers = drivers) ||
	    vb_bind_plan(&cli->sys, bdfs, n, &o, &p, &e) < 0 ||
	    vb_bind_run(&cli->sys, &p, &o, &st, &e) < 0) {
		rc = cli_fail(cli, &e);
		goto out;
	}
	for (int i = 0; a.persist && !a.dry_run && i < p.n; i++)
		if (vb_persist_set(&cli->sys, p.dev[i].name, p.dev[i].target, &e) < 0) {
			rc = cli_fail(cli, &e);
			goto out;
		}
	out_open_object(cli->out, NULL);
	out_bool(cli->out, "dry_run", NULL, a.dry_run);
	if (o.log)
		cli_print_writes(cli->out, &w);
	if (!cli->quiet || out_is_json(cli->out))
		cli_print_plan(cli->out, &p, a.dry_run || cli->verbose);
	out_close_object(cli->out);
out:
	vb_bind_state_free(&st);
	vb_bind_plan_free(&p);
	cli_writes_free(&w);
	free(bdfs);
	free(drivers);
	free(saved);
	return rc;
}
