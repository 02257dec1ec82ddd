/* cmd_show: `vfiobuf show DEVICE`: everything about one function, including
 * its upstream path to the root port with each hop's ACS state.  Looks the
 * device and its ancestors up one by one; never scans the bus. */
#include <stdio.h>
#include <string.h>

#include "ranges.h"
#include "cli.h"
#include "cli_attributes.h"
#include "cli_device.h"
#include "pci_model.h"

#define SHOW_MAX_DEPTH 32

struct show_args {
	struct vb_bdf bdf;
	bool have_bdf;
};

static error_t show_parser(int key, char *arg, struct argp_state *state)
{
	struct show_args *a = state->input;

	switch (key) {
	case ARGP_KEY_ARG:
		return cli_one_device_arg(state, arg, &a->bdf, &a->have_bdf);
	case ARGP_KEY_END:
		cli_one_device_end(state, a->have_bdf);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp cmd_show_argp = {
	NULL, show_parser, "DEVICE",
	"Show everything about one PCI function: identity, driver, IOMMU group, VFIO nodes, "
	"BARs, its upstream path to the root port and the ACS state of every hop (reading ACS "
	"needs root).",
	NULL, NULL, NULL
};

/* Why ACS is unknown: "needs root", "not captured", "not in
 * bus/pci/devices" or "config unreadable". */
static const char *acs_gap(const struct vb_sys *s, const struct vb_device *d)
{
	if (d->synthesized)
		return "not in bus/pci/devices";
	if (d->config_broken)
		return "config unreadable";
	return vb_sys_config_gap(s);
}

static void acs_json(struct vb_out *o, const struct vb_sys *s, const struct vb_device *d)
{
	char hex[8];

	out_open_object(o, "acs");
	switch (d->acs) {
	case VB_ACS_PRESENT:
		out_str(o, "status", NULL, "present");
		snprintf(hex, sizeof(hex), "0x%04x", d->acs_cap);
		out_str(o, "cap", NULL, hex);
		snprintf(hex, sizeof(hex), "0x%04x", d->acs_ctrl);
		out_str(o, "ctrl", NULL, hex);
		out_bool(o, "redirect", NULL, (d->acs_ctrl & VB_ACS_REDIR_MASK) != 0);
		break;
	case VB_ACS_ABSENT:
		out_str(o, "status", NULL, "absent");
		break;
	default:
		out_str(o, "status", NULL, acs_gap(s, d));
		break;
	}
	out_close_object(o);
}

static const char *acs_text(const struct vb_sys *s, const struct vb_device *d, char *buf, size_t n)
{
	char cap[64], ctrl[64];

	switch (d->acs) {
	case VB_ACS_PRESENT:
		snprintf(buf, n, "cap [%s] ctrl [%s]%s", vb_acs_bits_string(d->acs_cap, cap, sizeof(cap)),
			 vb_acs_bits_string(d->acs_ctrl, ctrl, sizeof(ctrl)),
			 d->acs_ctrl & VB_ACS_REDIR_MASK ? " redirect" : "");
		break;
	case VB_ACS_ABSENT:
		snprintf(buf, n, "none");
		break;
	default:
		snprintf(buf, n, "unknown (%s)", acs_gap(s, d));
		break;
	}
	return buf;
}

static void print_identity(struct vb_out *o, const struct vb_sys *s, const struct vb_device *d)
{
	char buf[64];

	out_text(o, "%s  %s [%04x]: %s %s [%04x:%04x] (rev %02x)\n", d->name,
		 d->class_name[0] ? d->class_name : "Class", d->class_code >> 8,
		 d->vendor_name[0] ? d->vendor_name : "Vendor",
		 d->device_name[0] ? d->device_name : "Device", d->vendor_id, d->device_id,
		 d->revision);
	out_text(o, "  subsystem:    %04x:%04x\n", d->subsys_vendor_id, d->subsys_id);
	out_text(o, "  driver:       %s%s%s%s\n", d->driver[0] ? d->driver : "-",
		 d->driver_override[0] ? " (override: " : "", d->driver_override,
		 d->driver_override[0] ? ")" : "");
	snprintf(buf, sizeof(buf), "%d", d->iommu_group);
	out_text(o, "  iommu group:  %s\n", d->iommu_group >= 0 ? buf
						 : d->captured ? "- (not in a dump)" : "- (no IOMMU)");
	snprintf(buf, sizeof(buf), "%d", d->numa_node);
	out_text(o, "  numa node:    %s\n", d->numa_node >= 0 ? buf : "-");
	out_text(o, "  vfio:         %s%s%s\n", d->vfio_group_node[0] ? d->vfio_group_node : "-",
		 d->vfio_cdev_node[0] ? " " : "", d->vfio_cdev_node);
	char pcie_unknown[64];

	snprintf(pcie_unknown, sizeof(pcie_unknown), "unknown (%s)", acs_gap(s, d));
	out_text(o, "  pcie type:    %s\n", vb_pcie_type_name(d->pcie_type)
						 ? vb_pcie_type_name(d->pcie_type)
						 : (d->pcie_type == VB_PCIE_UNKNOWN ? pcie_unknown : "-"));
	if (d->is_vf)
		out_text(o, "  physfn:       %s\n", vb_bdf_format(&d->physfn, buf));
}

static void print_bars(struct vb_out *o, const struct vb_device *d)
{
	char sz[32];

	if (d->captured)
		out_text(o, "  BARs:         ? (a dump has no BAR sizes)\n");
	else if (d->nbars == 0)
		out_text(o, "  BARs:         none\n");
	for (int i = 0; i < d->nbars; i++) {
		const struct vb_bar *b = &d->bars[i];

		out_text(o, "  BAR %d:        %s 0x%llx  %s%s%s\n", b->index, b->is_io ? "io " : "mem",
			 (unsigned long long)b->start, vb_size_format(b->size, sz, sizeof(sz)),
			 b->is_64bit ? "  64-bit" : "", b->prefetchable ? "  prefetchable" : "");
	}
}

/* The device and its ancestors, device first.  Returns the count. */
static int upstream_chain(struct vb_pci *p, const struct vb_device *d,
			  struct vb_device *chain, int max)
{
	struct vb_err e = { 0 };
	int n = 0;

	chain[n++] = *d;
	for (int k = d->npath - 1; k >= 0 && n < max; k--) {
		if (vb_pci_lookup_ancestor(p, d, k, &chain[n], &e) < 0 && !chain[n].config_broken)
			break;
		n++;
	}
	return n;
}

static void print_path(struct vb_out *o, const struct vb_sys *s, const struct vb_device *chain, int n)
{
	char acs[160];

	out_open_array(o, "path");
	for (int i = 0; i < n; i++)
		out_str(o, OUT_ITEM, NULL, chain[i].name);
	out_close_array(o);
	out_open_array(o, "upstream");
	out_text(o, "  upstream path (ACS):\n");
	for (int i = 0; i < n; i++) {
		const char *type = vb_pcie_type_name(chain[i].pcie_type);

		out_open_object(o, NULL);
		out_str(o, "bdf", NULL, chain[i].name);
		out_str(o, "pcie_type", NULL, type);
		acs_json(o, s, &chain[i]);
		out_bool(o, "synthesized", NULL, chain[i].synthesized);
		out_close_object(o);
		out_text(o, "    %s%s  %-16s  %s\n", i ? "-> " : "   ", chain[i].name, type ? type : "-",
			 acs_text(s, &chain[i], acs, sizeof(acs)));
	}
	out_text(o, "    -> %s (host bridge%s)\n", chain[n - 1].host_bridge,
		 chain[n - 1].host_bridge_synthesized ? ", name synthesized from the root bus" : "");
	out_close_array(o);
}

int cmd_show(struct vb_cli *cli, int argc, char **argv)
{
	struct show_args a = { 0 };
	struct vb_device chain[SHOW_MAX_DEPTH];
	struct vb_err e = { 0 };
	struct vb_out *o = cli->out;
	struct vb_pci *p;
	struct cli_attrs *attrs;
	int rc, n;

	rc = cli_parse_args(cli, &cmd_show_argp, argc, argv, &a);
	if (rc)
		return rc;
	o = cli->out;
	p = cli_pci_open(cli, VB_PCI_NAMES | VB_PCI_CONFIG, &e);
	if (!p)
		return cli_fail(cli, &e);
	if (vb_pci_lookup(p, &a.bdf, &chain[0], &e) < 0) {
		vb_pci_close(p);
		return cli_fail(cli, &e);
	}
	n = upstream_chain(p, &chain[0], chain, SHOW_MAX_DEPTH);
	/* the P2P domain needs the tree under the topmost bridge of the
	 * function's path (all of it from a dump): read only when printed */
	if (out_is_json(o) || !cli->quiet) {
		char top[VB_BDF_STRLEN];

		vb_bdf_format(chain[0].npath > 0 ? &chain[0].path[0] : &chain[0].bdf, top);
		attrs = cli_attrs_new_under(&cli->sys, top);
	} else {
		attrs = NULL;
	}
	out_open_object(o, NULL);
	cli_device_json_fields(o, &chain[0]);
	out_str(o, "pcie_type", NULL, vb_pcie_type_name(chain[0].pcie_type));
	out_int(o, "config_size", NULL, chain[0].cfg_size);
	acs_json(o, &cli->sys, &chain[0]);
	if (attrs && out_is_json(o))
		cli_attrs_json(o, attrs, chain[0].name);
	if (!cli->quiet) {
		print_identity(o, &cli->sys, &chain[0]);
		print_bars(o, &chain[0]);
		if (attrs)
			cli_attrs_text(o, attrs, chain[0].name);
	}
	if (!cli->quiet || out_is_json(o))
		print_path(o, &cli->sys, chain, n);
	out_close_object(o);
	cli_attrs_free(attrs);
	vb_pci_close(p);
	return 0;
}
