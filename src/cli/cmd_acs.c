/* cmd_acs: `vfiobuf acs [DEVICE...]`: the ACS state of the ports on the P2P
 * paths between endpoints, the fewest redirect bits to clear so that they
 * become bus-addr with each other, as kernel parameters (and a GRUB
 * drop-in, or setpci commands), with the IOMMU isolation it costs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acs_plan.h"
#include "cli.h"
#include "cli_device.h"
#include "dropin.h"
#include "topo.h"

#define DEFAULT_DROPIN "/etc/default/grub.d/vfiobuf-acs.cfg"

enum { OPT_SETPCI = 0x3100, OPT_GRUB, OPT_DRY_RUN };

struct acs_args {
	struct cli_devsel sel;
	bool setpci, grub, dry_run;
	const char *dropin; /* NULL: the default under the root */
};

static const struct argp_option acs_options[] = {
	{ "setpci", OPT_SETPCI, 0, 0,
	  "Also print the setpci commands that clear the same bits now, until the next boot "
	  "(printed, never run)", 0 },
	{ "grub-dropin", OPT_GRUB, "FILE", OPTION_ARG_OPTIONAL,
	  "Write the pci=config_acs= parameter as a GRUB drop-in (default "
	  DEFAULT_DROPIN ")", 0 },
	{ "dry-run", OPT_DRY_RUN, 0, 0, "With --grub-dropin: print the drop-in, write nothing", 0 },
	{ 0 }
};

static error_t acs_parser(int key, char *arg, struct argp_state *state)
{
	struct acs_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->sel;
		return 0;
	case OPT_SETPCI: a->setpci = true; return 0;
	case OPT_GRUB:
		a->grub = true;
		if (arg && !*arg)
			argp_error(state, "--grub-dropin: empty file name");
		a->dropin = arg;
		return 0;
	case OPT_DRY_RUN: a->dry_run = true; return 0;
	case ARGP_KEY_ARG:
		if (cli_devsel_add(&a->sel, arg) < 0)
			argp_error(state, "%s", a->sel.err.msg);
		return 0;
	case ARGP_KEY_END:
		if (a->dry_run && !a->grub)
			argp_error(state, "--dry-run goes with --grub-dropin");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child acs_children[] = { CLI_DEVSEL_CHILD(0), { 0 } };

const struct argp cmd_acs_argp = {
	acs_options, acs_parser, "[DEVICE...]",
	"ACS on the P2P paths between the endpoints (default: every non-bridge function), and "
	"the fewest ports whose ACS redirect bits (RR, CR, EC) must clear so that the endpoints "
	"reach each other by bus address, as the kernel parameters pci=disable_acs_redir= and "
	"pci=config_acs= (Linux 6.11+), with the IOMMU groups that would merge (an estimate).  "
	"Pairs without a common upstream bridge are never bus-addr.  Reading ACS needs root; "
	"otherwise the plan is marked uncertain.",
	acs_children, NULL, NULL
};

/* ---- selection ---------------------------------------------------------- */

static bool is_endpoint(const struct vb_device *d)
{
	return !d->is_bridge && (d->class_code >> 16) != 0x06;
}

/* The endpoints asked for: *out malloc'd, count returned, or -1. */
static int select_endpoints(const struct acs_args *a, const struct vb_topo *t, int **out,
			    struct vb_err *e)
{
	int *v = calloc(t->devs.n + 1, sizeof(int));
	int n = 0;

	if (!v)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	for (int i = 0; i < a->sel.nbdfs; i++) {
		if (vb_topo_index(t, &a->sel.bdfs[i]) < 0) {
			char name[VB_BDF_STRLEN];

			free(v);
			return vb_err_set(e, VB_EXIT_NOTFOUND, 0, vb_bdf_format(&a->sel.bdfs[i], name),
					  "no such PCI device");
		}
	}
	for (size_t i = 0; i < t->devs.n; i++) {
		const struct vb_device *d = &t->devs.v[i];
		bool listed = false;

		if (!vb_selector_match(&a->sel.sel, d->vendor_id, d->device_id, d->class_code))
			continue;
		for (int k = 0; k < a->sel.nbdfs; k++)
			listed |= vb_bdf_equal(&a->sel.bdfs[k], &d->bdf);
		if (a->sel.nbdfs ? listed : is_endpoint(d))
			v[n++] = (int)i;
	}
	if (n == 0) {
		free(v);
		return vb_err_set(e, VB_EXIT_NOTFOUND, 0, NULL, "no PCI function matches the selection");
	}
	*out = v;
	return n;
}

/* ---- printing ----------------------------------------------------------- */

static const char *name_of(const struct vb_topo *t, int i)
{
	return t->devs.v[i].name;
}

static void bits_json(struct vb_out *o, const char *key, uint16_t bits)
{
	static const char *const names[] = { "SV", "TB", "RR", "CR", "UF", "EC", "DT" };

	out_open_array(o, key);
	for (int b = 0; b < 7; b++)
		if (bits & (1u << b))
			out_str(o, OUT_ITEM, NULL, names[b]);
	out_close_array(o);
}

static void hex_json(struct vb_out *o, const char *key, uint16_t v)
{
	char hex[8];

	snprintf(hex, sizeof(hex), "0x%04x", v);
	out_str(o, key, NULL, hex);
}

static void port_json(struct vb_out *o, const struct vb_topo *t, const struct vb_acs_port *p)
{
	const struct vb_device *d = &t->devs.v[p->node];
	char buf[128];

	out_open_object(o, OUT_ITEM);
	out_str(o, "bdf", NULL, d->name);
	out_str_or_null(o, "type", NULL, vb_pcie_type_name(d->pcie_type));
	out_str(o, "acs", NULL, p->unknown ? "unknown" : d->acs == VB_ACS_ABSENT ? "absent" : "present");
	if (p->unknown)
		out_str(o, "acs_missing_reason", NULL, vb_topo_missing_reason(t, p->node));
	else
		out_null(o, "acs_missing_reason", NULL);
	if (d->acs == VB_ACS_PRESENT) {
		out_uint(o, "acs_offset", NULL, d->acs_offset);
		bits_json(o, "capability", d->acs_cap);
		bits_json(o, "control", d->acs_ctrl);
		hex_json(o, "control_value", d->acs_ctrl);
		out_bool(o, "redirect", NULL, p->redirect);
	} else {
		out_null(o, "acs_offset", NULL);
		out_null(o, "capability", NULL);
		out_null(o, "control", NULL);
		out_null(o, "control_value", NULL);
		if (p->unknown)
			out_null(o, "redirect", NULL);
		else
			out_bool(o, "redirect", NULL, false);
	}
	out_uint(o, "pairs", NULL, (unsigned)p->npairs);
	out_bool(o, "planned", NULL, p->planned);
	if (p->planned) {
		bits_json(o, "clear", p->clear);
		hex_json(o, "control_after", p->new_ctrl);
		out_str(o, "config_acs_flags", NULL, vb_acs_config_flags(d, p, buf, sizeof(buf)));
		out_str(o, "setpci", NULL, vb_acs_setpci(t, p, buf, sizeof(buf)));
	} else {
		out_null(o, "clear", NULL);
		out_null(o, "control_after", NULL);
		out_null(o, "config_acs_flags", NULL);
		out_null(o, "setpci", NULL);
	}
	out_close_object(o);
}

static void port_text(struct vb_out *o, const struct vb_topo *t, const struct vb_acs_port *p)
{
	const struct vb_device *d = &t->devs.v[p->node];
	const char *type = vb_pcie_type_name(d->pcie_type);
	char cap[64], ctrl[64], clr[64], acs[64];

	if (p->unknown)
		snprintf(acs, sizeof(acs), "?");
	else if (d->acs == VB_ACS_ABSENT)
		snprintf(acs, sizeof(acs), "none");
	else
		snprintf(acs, sizeof(acs), "0x%03x", d->acs_offset);
	if (d->acs == VB_ACS_PRESENT) {
		vb_acs_bits_string(d->acs_cap, cap, sizeof(cap));
		vb_acs_bits_string(d->acs_ctrl, ctrl, sizeof(ctrl));
	} else {
		snprintf(cap, sizeof(cap), "-");
		snprintf(ctrl, sizeof(ctrl), "-");
	}
	out_text(o, "%-13s %-17s %-9s %-21s %-16s %5d  %s%s\n", d->name, type ? type : "?", acs,
		 cap, ctrl, p->npairs, p->planned ? "clear " : p->unknown ? "unknown" : "-",
		 p->planned ? vb_acs_bits_string(p->clear, clr, sizeof(clr)) : "");
}

/* JSON: every pair.  Text: the pairs with a common upstream, and a count of
 * the others (N^2 lines would bury the answer). */
static void pairs_out(struct vb_out *o, const struct vb_topo *t, const struct vb_acs_plan *p)
{
	size_t apart = 0;
	bool header = false;

	out_open_array(o, "pairs");
	for (size_t i = 0; i < p->npairs; i++) {
		const struct vb_acs_pair *pr = &p->pairs[i];

		if (!pr->common)
			apart++;
		if (!out_is_json(o) && !pr->common)
			continue;
		if (!header)
			out_text(o, "\npairs with a common upstream bridge (verdict now -> after the change):\n");
		header = true;
		out_open_object(o, OUT_ITEM);
		out_str(o, "provider", "  %s", name_of(t, pr->a));
		out_str(o, "client", " <-> %s  ", name_of(t, pr->b));
		out_bool(o, "common_upstream", NULL, pr->common);
		out_str(o, "verdict_before", "%s", vb_p2p_verdict_name(pr->before));
		out_bool(o, "uncertain_before", pr->uncertain_before ? " (uncertain)" : "",
			 pr->uncertain_before);
		out_str(o, "verdict_after", " -> %s", vb_p2p_verdict_name(pr->after));
		out_bool(o, "uncertain_after", pr->uncertain_after ? " (uncertain)" : "",
			 pr->uncertain_after);
		out_text(o, "\n");
		out_close_object(o);
	}
	out_close_array(o);
	if (apart)
		out_text(o, "%zu pair%s without a common upstream bridge: never bus-addr, whatever ACS "
			    "says (thru-host-bridge at best)\n", apart, apart == 1 ? "" : "s");
}

static void merges_out(struct vb_out *o, const struct vb_topo *t, const struct vb_acs_plan *p)
{
	out_open_object(o, "isolation");
	out_bool(o, "iommu", NULL, p->iommu);
	out_bool(o, "estimated", NULL, p->groups_estimated);
	if (p->model_matches_kernel == VB_UNKNOWN)
		out_null(o, "model_matches_kernel", NULL);
	else
		out_bool(o, "model_matches_kernel", NULL, p->model_matches_kernel == VB_YES);
	out_text(o, "\nisolation (an estimate: device-specific ACS quirks and DMA aliases are not modelled):\n");
	if (!p->iommu)
		out_text(o, "  no IOMMU groups: no IOMMU isolation to lose\n");
	else if (p->model_matches_kernel == VB_NO)
		out_text(o, "  the ACS bits alone do not explain today's IOMMU groups (quirks?): treat "
			    "the merges below with care\n");
	else if (p->model_matches_kernel == VB_UNKNOWN)
		out_text(o, "  ACS or port types unread: the merges below may be incomplete\n");
	if (p->iommu && !p->nmerges && p->nplanned)
		out_text(o, "  no IOMMU groups merge\n");
	out_open_array(o, "merges");
	for (size_t i = 0; i < p->nmerges; i++) {
		const struct vb_acs_merge *m = &p->merges[i];

		out_open_object(o, OUT_ITEM);
		out_text(o, "  IOMMU groups");
		out_open_array(o, "groups");
		for (size_t k = 0; k < m->ngroups; k++)
			out_int(o, OUT_ITEM, " %lld", m->groups[k]);
		out_close_array(o);
		out_text(o, " would merge:");
		out_open_array(o, "devices");
		for (size_t k = 0; k < m->nmembers; k++)
			out_str(o, OUT_ITEM, " %s", name_of(t, m->members[k]));
		out_close_array(o);
		out_text(o, " (port%s", m->nports == 1 ? "" : "s");
		out_open_array(o, "ports");
		for (size_t k = 0; k < m->nports; k++)
			out_str(o, OUT_ITEM, " %s", name_of(t, m->ports[k]));
		out_close_array(o);
		out_text(o, ")\n");
		out_close_object(o);
	}
	out_close_array(o);
	out_close_object(o);
}

static void missing_out(struct vb_out *o, const struct vb_topo *t, const struct vb_acs_plan *p)
{
	bool any = false;

	out_open_array(o, "missing");
	for (size_t i = 0; i < p->nports; i++) {
		const struct vb_acs_port *pt = &p->ports[i];

		if (!pt->unknown)
			continue;
		if (!any)
			out_text(o, "\nuncertain: the ACS of these functions on the paths was not read:");
		any = true;
		out_open_object(o, OUT_ITEM);
		out_str(o, "bdf", " %s", name_of(t, pt->node));
		out_str(o, "reason", " (%s)", vb_topo_missing_reason(t, pt->node));
		out_close_object(o);
	}
	if (any)
		out_text(o, "\n");
	out_close_array(o);
}

static void params_out(struct vb_out *o, const struct vb_acs_plan *p, const char *redir,
		       const char *config)
{
	out_open_object(o, "kernel_parameters");
	if (!p->nplanned) {
		out_null(o, "disable_acs_redir", NULL);
		out_null(o, "config_acs", NULL);
		out_text(o, "\nnothing to change: no function on the paths has ACS redirect%s\n",
			 p->uncertain ? " as far as it was read" : "");
	} else {
		out_text(o, "\nkernel parameters (either one; on one command line config_acs decides "
			    "for a port both name):\n");
		out_str(o, "disable_acs_redir", "  %s\n", redir);
		out_str(o, "config_acs", "  %s   (Linux 6.11+: the other ACS bits stay as they are now)\n",
			config);
	}
	out_close_object(o);
}

static void setpci_out(struct vb_out *o, const struct vb_topo *t, const struct vb_acs_plan *p)
{
	char buf[128];

	out_open_array(o, "setpci");
	if (p->nplanned)
		out_text(o, "\nsetpci (now, until the next boot; verdicts already cached by the "
			    "kernel for a provider may stay):\n");
	for (size_t i = 0; i < p->nports; i++)
		if (p->ports[i].planned)
			out_str(o, OUT_ITEM, "  %s\n", vb_acs_setpci(t, &p->ports[i], buf, sizeof(buf)));
	out_close_array(o);
}

/* ---- the drop-in -------------------------------------------------------- */

static char *endpoint_list(const struct vb_topo *t, const struct vb_acs_plan *p)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < p->nendpoints; i++)
		len += strlen(name_of(t, p->endpoints[i])) + 1;
	s = calloc(1, len);
	for (size_t i = 0; s && i < p->nendpoints; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, name_of(t, p->endpoints[i]));
	}
	return s;
}

static int dropin_out(struct vb_cli *cli, const struct acs_args *a, const struct vb_topo *t,
		      const struct vb_acs_plan *p, const char *config, struct vb_err *e)
{
	char path[PATH_MAX], *what, *text;
	struct vb_out *o = cli->out;
	int rc = 0;

	if (a->dropin)
		snprintf(path, sizeof(path), "%s", a->dropin);
	else if (vb_root_path(&cli->sys, path, sizeof(path), "%s", DEFAULT_DROPIN) < 0)
		return vb_err_set(e, VB_EXIT_FAIL, ENAMETOOLONG, NULL, "drop-in path too long");
	if (p->uncertain)
		return vb_err_set(e, VB_EXIT_FAIL, 0, NULL,
				  "not writing %s: the ACS of functions on the paths was not read "
				  "(run as root)", path);
	if (!p->nplanned) {
		out_open_object(o, "grub_dropin");
		out_str(o, "path", NULL, path);
		out_bool(o, "written", NULL, false);
		out_text(o, "\ngrub drop-in: nothing to write\n");
		out_null(o, "text", NULL);
		out_close_object(o);
		return 0;
	}
	what = endpoint_list(t, p);
	text = what ? vb_acs_grub_dropin_text(config, what) : NULL;
	free(what);
	if (!text)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	if (!a->dry_run && vb_dropin_write(path, text, e) < 0) {
		free(text);
		return -1;
	}
	out_open_object(o, "grub_dropin");
	out_str(o, "path", a->dry_run ? "\ngrub drop-in %s (dry run: not written):\n"
				      : "\nwrote %s (run update-grub, then reboot):\n", path);
	out_bool(o, "written", NULL, !a->dry_run);
	out_str(o, "text", "%s", text);
	out_close_object(o);
	free(text);
	return rc;
}

/* The running kernel's own ACS parameters: the drop-in's would replace them
 * (only the last of each counts), so say so. */
static void warn_existing_params(struct vb_cli *cli)
{
	static const char *const names[] = { "config_acs", "disable_acs_redir" };
	char path[PATH_MAX], cmdline[8192], val[512];

	if (vb_sys_is_dump(&cli->sys) ||
	    vb_root_path(&cli->sys, path, sizeof(path), "/proc/cmdline") < 0 ||
	    vb_read_file(path, cmdline, sizeof(cmdline)) < 0)
		return;
	for (size_t i = 0; i < 2; i++)
		if (vb_acs_cmdline_param(cmdline, names[i], val, sizeof(val)))
			fprintf(stderr, "vfiobuf: warning: this kernel was booted with pci=%s=%s; only the "
				"last pci=%s= of a command line counts: merge it with the one below\n",
				names[i], val, names[i]);
}

/* ---- the command -------------------------------------------------------- */

static void plan_out(struct vb_out *o, const struct vb_topo *t, const struct vb_acs_plan *p,
		     const char *redir, const char *config, bool setpci)
{
	out_open_array(o, "endpoints");
	out_text(o, "endpoints:");
	for (size_t i = 0; i < p->nendpoints; i++)
		out_str(o, OUT_ITEM, " %s", name_of(t, p->endpoints[i]));
	out_text(o, "\n");
	out_close_array(o);
	out_bool(o, "uncertain", NULL, p->uncertain);
	out_bool(o, "verified", NULL, p->verified);
	out_open_array(o, "ports");
	if (p->nports)
		out_text(o, "\n%-13s %-17s %-9s %-21s %-16s %5s  %s\n", "FUNCTION", "TYPE", "ACS",
			 "CAPABILITY", "CONTROL", "PAIRS", "PLAN");
	else
		out_text(o, "\nno pair of these endpoints has a common upstream bridge\n");
	for (size_t i = 0; i < p->nports; i++) {
		if (out_is_json(o))
			port_json(o, t, &p->ports[i]);
		else
			port_text(o, t, &p->ports[i]);
	}
	out_close_array(o);
	out_open_array(o, "planned");
	for (size_t i = 0; i < p->nports; i++)
		if (p->ports[i].planned)
			out_str(o, OUT_ITEM, NULL, name_of(t, p->ports[i].node));
	out_close_array(o);
	missing_out(o, t, p);
	pairs_out(o, t, p);
	params_out(o, p, redir, config);
	if (!p->verified)
		out_text(o, "warning: after the change some pair with a common upstream is still not "
			    "bus-addr (a model error: please report)\n");
	merges_out(o, t, p);
	if (setpci)
		setpci_out(o, t, p);
}

int cmd_acs(struct vb_cli *cli, int argc, char **argv)
{
	struct acs_args a = { 0 };
	struct vb_err e = { 0 };
	struct vb_acs_plan p = { 0 };
	struct vb_topo t;
	char *redir = NULL, *config = NULL;
	int *eps = NULL, n, rc;

	rc = cli_parse_args(cli, &cmd_acs_argp, argc, argv, &a);
	if (rc)
		return rc;
	if (a.grub && !a.dry_run && !a.dropin && vb_sys_is_dump(&cli->sys)) {
		vb_err_set(&e, VB_EXIT_USAGE, 0, NULL,
			   "--grub-dropin from an lspci dump: name the FILE (--grub-dropin=FILE) or add "
			   "--dry-run; the dump is not this host");
		return cli_fail(cli, &e);
	}
	if (a.grub && !a.dry_run && !a.dropin && !cli->sys.fake && geteuid() != 0) {
		vb_err_set(&e, VB_EXIT_PERM, 0, NULL,
			   "--grub-dropin needs root: it writes " DEFAULT_DROPIN " (and reading ACS "
			   "needs root too); --dry-run prints it");
		return cli_fail(cli, &e);
	}
	if (vb_topo_load(&cli->sys, 0, &t, &e) < 0)
		return cli_fail(cli, &e);
	n = select_endpoints(&a, &t, &eps, &e);
	if (n < 0 || vb_acs_plan_make(&t, eps, (size_t)n, &p, &e) < 0)
		goto fail;
	redir = vb_acs_param_disable_redir(&t, &p);
	config = vb_acs_param_config(&t, &p);
	if (!redir || !config) {
		vb_err_set(&e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
		goto fail;
	}
	cli_report_problems(cli, &t.devs);
	if (p.nplanned && !cli->quiet)
		warn_existing_params(cli);
	out_open_object(cli->out, NULL);
	if (!cli->quiet || out_is_json(cli->out))
		plan_out(cli->out, &t, &p, redir, config, a.setpci);
	if (a.grub && dropin_out(cli, &a, &t, &p, config, &e) < 0) {
		out_discard(cli->out);
		goto fail;
	}
	out_close_object(cli->out);
	rc = 0;
	goto out;
fail:
	rc = cli_fail(cli, &e);
out:
	free(redir);
	free(config);
	free(eps);
	vb_acs_plan_free(&p);
	vb_topo_free(&t);
	return rc;
}
