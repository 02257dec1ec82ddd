/* cmd_doctor: `vfiobuf doctor [DEVICE...] [--no-probe]`: why this host can
 * or cannot export BARs as dma-bufs, each check with ok/info/warn/fail and
 * what to do. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_vfio.h"
#include "doctor.h"

#define OPT_NO_PROBE 0x4400

struct doctor_args {
	struct vb_bdf bdfs[64];
	int n;
	bool no_probe;
	enum vb_vfio_mode mode;
};

static const struct argp_option doctor_options[] = {
	{ "no-probe", OPT_NO_PROBE, 0, 0,
	  "Do not open the named devices through VFIO to probe the dma-buf feature", 0 },
	CLI_VFIO_MODE_OPTION(CLI_VFIO_MODE_KEY),
	{ 0 }
};

static error_t doctor_parser(int key, char *arg, struct argp_state *state)
{
	struct doctor_args *a = state->input;
	struct vb_err e = { 0 };

	switch (key) {
	case OPT_NO_PROBE:
		a->no_probe = true;
		return 0;
	case CLI_VFIO_MODE_KEY:
		return cli_vfio_mode_option(state, arg, &a->mode);
	case ARGP_KEY_ARG:
		if (a->n == 64)
			argp_error(state, "too many devices (at most 64)");
		else if (cli_parse_bdf(arg, &a->bdfs[a->n], &e) < 0)
			argp_error(state, "%s", e.msg);
		else
			a->n++;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp cmd_doctor_argp = {
	doctor_options, doctor_parser, "[DEVICE...]",
	"Check whether this host can export PCI BARs as dma-bufs through VFIO, and say why not: "
	"kernel version, IOMMU, VFIO modules and nodes (with permissions for you), iommufd and "
	"the VFIO cdev, the kernel's dma-buf export and P2PDMA support, memlock; for each DEVICE "
	"its driver (a VFIO driver? one that implements dma-buf export?), IOMMU group "
	"viability, BARs, and a probe of the feature when it is on a VFIO driver.  Exit status 1 when any check fails.",
	NULL, NULL, NULL
};

static void print_check(struct vb_out *o, const struct vb_check *k)
{
	out_open_object(o, OUT_ITEM);
	out_str(o, "status", "%-5s ", vb_check_status_name(k->status));
	out_str(o, "check", "%-15s ", k->name);
	out_str_or_null(o, "bdf", NULL, k->device);
	if (k->device[0])
		out_text(o, "%s: ", k->device);
	out_str(o, "message", "%s\n", k->message);
	out_str_or_null(o, "hint", NULL, k->hint);
	if (k->hint[0])
		out_text(o, "%22s-> %s\n", "", k->hint);
	out_close_object(o);
}

int cmd_doctor(struct vb_cli *cli, int argc, char **argv)
{
	struct doctor_args a = { 0 };
	struct vb_checks c = { 0 };
	struct vb_doctor_opts o;
	struct vb_err e = { 0 };
	unsigned count[4] = { 0 };
	int rc;

	rc = cli_parse_args(cli, &cmd_doctor_argp, argc, argv, &a);
	if (rc)
		return rc;
	o = (struct vb_doctor_opts){ .probe = !a.no_probe, .mode = a.mode };
	vb_doctor_host(&cli->sys, &c);
	for (int i = 0; i < a.n; i++) {
		char bdf[VB_BDF_STRLEN];

		if (vb_doctor_device(&cli->sys, vb_bdf_format(&a.bdfs[i], bdf), &o, &c, &e) < 0) {
			vb_checks_free(&c);
			return cli_fail(cli, &e);
		}
	}
	out_open_object(cli->out, NULL);
	out_open_array(cli->out, "checks");
	for (size_t i = 0; i < c.n; i++) {
		count[c.v[i].status]++;
		if (!cli->quiet || c.v[i].status >= VB_CHECK_WARN)
			print_check(cli->out, &c.v[i]);
	}
	out_close_array(cli->out);
	out_open_object(cli->out, "summary");
	out_uint(cli->out, "ok", "\n%u ok", count[VB_CHECK_OK]);
	out_uint(cli->out, "info", ", %u info", count[VB_CHECK_INFO]);
	out_uint(cli->out, "warn", ", %u warn", count[VB_CHECK_WARN]);
	out_uint(cli->out, "fail", ", %u fail\n", count[VB_CHECK_FAIL]);
	out_close_object(cli->out);
	out_close_object(cli->out);
	vb_checks_free(&c);
	return count[VB_CHECK_FAIL] ? VB_EXIT_FAIL : 0;
}
