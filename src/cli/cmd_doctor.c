/* cmd_doctor: `vfiobuf doctor [DEVICE...] [--no-probe] [--format prom [-o
 * FILE]]`: why this host can or cannot export BARs as dma-bufs, each check
 * with ok/info/warn/fail and what to do; or the same as Prometheus
 * metrics for node_exporter's textfile collector. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_vfio.h"
#include "doctor.h"
#include "doctor_prom.h"

#define OPT_NO_PROBE 0x4400
#define OPT_FORMAT 0x4401

enum doctor_format { FORMAT_DEFAULT, FORMAT_TEXT, FORMAT_JSON, FORMAT_PROM };

struct doctor_args {
	struct vb_bdf bdfs[64];
	int n;
	bool no_probe;
	enum vb_vfio_mode mode;
	enum doctor_format format;
	const char *output;
};

static const struct argp_option doctor_options[] = {
	{ "no-probe", OPT_NO_PROBE, 0, 0,
	  "Do not open the named devices through VFIO to probe the dma-buf feature", 0 },
	{ "format", OPT_FORMAT, "text|json|prom", 0,
	  "Output format: text (default), json (as -j), or prom: Prometheus metrics for "
	  "node_exporter's textfile collector (not with -j)", 0 },
	{ "output", 'o', "FILE", 0,
	  "With --format prom: write FILE atomically (a FILE.prom in the textfile collector's "
	  "directory) instead of standard output", 0 },
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
	case OPT_FORMAT:
		if (!strcmp(arg, "text"))
			a->format = FORMAT_TEXT;
		else if (!strcmp(arg, "json"))
			a->format = FORMAT_JSON;
		else if (!strcmp(arg, "prom"))
			a->format = FORMAT_PROM;
		else
			argp_error(state, "invalid --format '%s' (expected text, json or prom)", arg);
		return 0;
	case 'o':
		if (!*arg)
			argp_error(state, "--output: empty file name");
		a->output = arg;
		return 0;
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

/* -j asks for JSON; --format says which: they must agree. */
static int check_format(struct vb_cli *cli, struct doctor_args *a, struct vb_err *e)
{
	if (a->format == FORMAT_JSON)
		cli_use_json(cli, cli->pretty);
	else if (cli->json && a->format != FORMAT_DEFAULT)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "-j and --format %s conflict",
				  a->format == FORMAT_PROM ? "prom" : "text");
	if (a->output && a->format != FORMAT_PROM)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "--output needs --format prom");
	return 0;
}

/* The metrics, on stdout or (-o) into a file; the exit status is the
 * checks' as in the other formats. */
static int print_prom(struct vb_cli *cli, const struct doctor_args *a, const struct vb_checks *c,
		      int status)
{
	struct vb_host_facts f;
	struct vb_prom p;
	struct vb_err e = { 0 };
	int rc = status;

	vb_doctor_facts(&cli->sys, &f);
	vb_prom_init(&p);
	vb_doctor_prom(c, &f, &p);
	if (p.oom)
		rc = cli_fail(cli, (vb_err_set(&e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory"), &e));
	else if (a->output && vb_prom_write_file(a->output, p.text, p.len, &e) < 0)
		rc = cli_fail(cli, &e);
	else if (!a->output && (fwrite(p.text, 1, p.len, stdout) != p.len || fflush(stdout)))
		rc = cli_fail(cli, (vb_err_set(&e, VB_EXIT_FAIL, errno, NULL,
					       "cannot write the metrics"), &e));
	vb_prom_free(&p);
	return rc;
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
	if (check_format(cli, &a, &e) < 0)
		return cli_fail(cli, &e);
	o = (struct vb_doctor_opts){ .probe = !a.no_probe, .mode = a.mode };
	vb_doctor_host(&cli->sys, &c);
	for (int i = 0; i < a.n; i++) {
		char bdf[VB_BDF_STRLEN];

		if (vb_doctor_device(&cli->sys, vb_bdf_format(&a.bdfs[i], bdf), &o, &c, &e) < 0) {
			vb_checks_free(&c);
			return cli_fail(cli, &e);
		}
	}
	if (a.format == FORMAT_PROM) {
		for (size_t i = 0; i < c.n; i++)
			count[c.v[i].status]++;
		rc = print_prom(cli, &a, &c, count[VB_CHECK_FAIL] ? VB_EXIT_FAIL : 0);
		vb_checks_free(&c);
		return rc;
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
