/* cmd_list: `vfiobuf list [DEVICE…] [-d V:D] [-c CLASS] [-n]`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "bind_state.h"
#include "cli_attributes.h"
#include "cli_broker.h"
#include "cli_device.h"
#include "pci_model.h"

struct list_args {
	struct cli_devsel sel;
	bool numeric;
	bool vfio_only;
	const char *server;
};

#define OPT_SERVER 0x4300

static const struct argp_option list_options[] = {
	{ "numeric", 'n', 0, 0, "Show numeric IDs only (do not load the name database)", 0 },
	{ "vfio", 'V', 0, 0, "Only functions bound to a VFIO driver", 0 },
	{ "server", OPT_SERVER, "SOCKET", 0,
	  "List the devices the vfiobuf serve daemon on SOCKET owns: state, leases, what you may export", 0 },
	{ 0 }
};

static error_t list_parser(int key, char *arg, struct argp_state *state)
{
	struct list_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->sel;
		return 0;
	case 'n':
		a->numeric = true;
		return 0;
	case 'V':
		a->vfio_only = true;
		return 0;
	case OPT_SERVER:
		a->server = arg;
		return 0;
	case ARGP_KEY_ARG:
		if (cli_devsel_add(&a->sel, arg) < 0)
			argp_error(state, "%s", a->sel.err.msg);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child list_children[] = { CLI_DEVSEL_CHILD(0), { 0 } };

const struct argp cmd_list_argp = {
	list_options, list_parser, "[DEVICE...]",
	"List PCI functions: IDs and names, class, driver, IOMMU group, NUMA node, VFIO nodes "
	"and memory BARs.",
	list_children, NULL, NULL
};

static bool selected(const struct list_args *a, const struct vb_device *d)
{
	if (d->synthesized) /* a topology's bridge from a sysfs path only */
		return false;
	if (a->vfio_only && !d->vfio_group_node[0] && !d->vfio_cdev_node[0])
		return false;
	if (!vb_selector_match(&a->sel.sel, d->vendor_id, d->device_id, d->class_code))
		return false;
	if (a->sel.nbdfs == 0)
		return true;
	for (int i = 0; i < a->sel.nbdfs; i++)
		if (vb_bdf_equal(&a->sel.bdfs[i], &d->bdf))
			return true;
	return false;
}

/* Devices vfiobuf bound carry the driver they had before. */
static void print_bound(struct vb_out *o, const struct vb_bind_state *st,
			const struct vb_device *d, char *mark)
{
	char orig[VB_DRIVER_NAME_MAX + 1];
	bool bound = st->root && vb_bind_state_get(st, d->name, orig, sizeof(orig));

	mark[0] = bound ? '*' : '\0';
	mark[1] = '\0';
	if (d->captured) {
		out_null(o, "bound_by_vfiobuf", NULL); /* a dump has no host state */
		out_null(o, "vfio_driver", NULL);
		out_null(o, "dmabuf_export", NULL);
		return;
	}
	cli_device_export_json(o, d);
	out_bool(o, "bound_by_vfiobuf", NULL, bound);
	if (bound)
		out_str_or_null(o, "original_driver", NULL, orig);
}

/* Column widths of the human table: each at least its heading, wide
 * enough for the longest value shown (5-digit domains, long BAR lists). */
struct list_widths {
	int dev, drv, vfio, bars;
};

struct row_text {
	char drv[sizeof(((struct vb_device *)0)->driver) + 16];
	char bars[VB_MAX_BARS * 32];
	const char *vfio;
};

static void row_text(const struct vb_device *d, const char *mark, struct row_text *t)
{
	snprintf(t->drv, sizeof(t->drv), "%s%s%s", d->driver[0] ? d->driver : "-", mark,
		 cli_device_export_mark(d));
	cli_bars_short(d, t->bars, sizeof(t->bars));
	t->vfio = d->vfio_group_node[0] ? d->vfio_group_node
		  : d->vfio_cdev_node[0] ? d->vfio_cdev_node : "-";
}

static int max_int(int a, size_t b)
{
	return (size_t)a > b ? a : (int)b;
}

static void widen(struct list_widths *w, const struct vb_device *d)
{
	struct row_text t;

	row_text(d, "*", &t);
	w->dev = max_int(w->dev, strlen(d->name));
	w->drv = max_int(w->drv, strlen(t.drv));
	w->vfio = max_int(w->vfio, strlen(t.vfio));
	w->bars = max_int(w->bars, strlen(t.bars));
}

static void print_row(struct vb_out *o, const struct vb_bind_state *st,
		      const struct vb_device *d, bool numeric, const struct list_widths *w,
		      const struct cli_attrs *attrs)
{
	char mark[2];
	char ids[16], cls[8], group[16], numa[16], name[320];
	struct row_text t;

	if (out_is_json(o)) {
		out_open_object(o, NULL);
		cli_device_json_fields(o, d);
		print_bound(o, st, d, mark);
		if (attrs)
			cli_attrs_json(o, attrs, d->name);
		out_close_object(o);
		return;
	}
	print_bound(o, st, d, mark);
	row_text(d, mark, &t);
	snprintf(ids, sizeof(ids), "%04x:%04x", d->vendor_id, d->device_id);
	snprintf(cls, sizeof(cls), "%04x", d->class_code >> 8);
	snprintf(group, sizeof(group), "%d", d->iommu_group);
	snprintf(numa, sizeof(numa), "%d", d->numa_node);
	if (numeric || (!d->vendor_name[0] && !d->device_name[0]))
		snprintf(name, sizeof(name), "-");
	else
		snprintf(name, sizeof(name), "%s%s%s", d->vendor_name,
			 d->vendor_name[0] && d->device_name[0] ? " " : "", d->device_name);
	out_text(o, "%-*s  %-9s  %-4s  %-*s  %-5s  %-4s  %-*s  %-*s  %s\n", w->dev, d->name, ids,
		 cls, w->drv, t.drv, d->iommu_group >= 0 ? group : "-",
		 d->numa_node >= 0 ? numa : "-", w->vfio, t.vfio, w->bars, t.bars, name);
}

/* The functions to list.  JSON carries each function's P2P domain, which
 * needs the whole tree with ACS: the bus is then read once, as topology
 * reads it, and the list is the topology's (its bridges taken from a sysfs
 * path are not listed: they are not in bus/pci/devices).  When that tree
 * cannot be built (a dump nested too deep), the list is read alone and the
 * domain stays null with the reason. */
struct list_source {
	struct vb_topo t;
	bool topo;
	struct vb_devlist l;
};

static int list_load(struct vb_cli *cli, unsigned flags, bool want_topo, struct list_source *src,
		     struct vb_err *e)
{
	struct vb_pci *p;
	int rc;

	memset(src, 0, sizeof(*src));
	if (want_topo && vb_topo_load(&cli->sys, flags, &src->t, e) == 0) {
		src->topo = true;
		src->l = src->t.devs;
		return 0;
	}
	vb_err_clear(e);
	p = cli_pci_open(cli, flags, e);
	if (!p)
		return -1;
	rc = vb_pci_scan(p, &src->l, e);
	vb_pci_close(p);
	return rc;
}

static void list_unload(struct list_source *src)
{
	if (src->topo)
		vb_topo_free(&src->t);
	else
		vb_devlist_free(&src->l);
}

int cmd_list(struct vb_cli *cli, int argc, char **argv)
{
	struct list_args a = { 0 };
	struct list_source src;
	struct vb_devlist *lp;
	struct vb_err e = { 0 };
	struct vb_bind_state st = { 0 };
	struct cli_attrs *attrs = NULL;
	bool json;
	struct list_widths w = { 12, 12, 20, 22 };
	int rc, shown = 0, bound = 0, marked = 0;

	rc = cli_parse_args(cli, &cmd_list_argp, argc, argv, &a);
	if (rc)
		return rc;
	if (a.server && vb_sys_is_dump(&cli->sys)) {
		vb_err_set(&e, VB_EXIT_USAGE, 0, NULL, "--server lists a live daemon's devices: not with -F");
		return cli_fail(cli, &e);
	}
	if (a.server)
		return cli_broker_list(cli, a.server);
	json = out_is_json(cli->out) && !cli->quiet;
	/* the table shows no revision, subsystem or override: not read for it */
	if (list_load(cli, (a.numeric ? 0 : VB_PCI_NAMES) | (json ? 0 : VB_PCI_NO_EXTRA), json, &src,
		      &e) < 0) {
		list_unload(&src);
		return cli_fail(cli, &e);
	}
	lp = &src.l;
	for (int i = 0; i < a.sel.nbdfs; i++) {
		if (!vb_devlist_find(lp, &a.sel.bdfs[i])) {
			vb_bdf_format(&a.sel.bdfs[i], e.device);
			vb_err_set(&e, VB_EXIT_NOTFOUND, 0, e.device, "no such PCI device");
			list_unload(&src);
			return cli_fail(cli, &e);
		}
	}
	/* an unreadable state file only loses the marks; a dump has none */
	if (!vb_sys_is_dump(&cli->sys) && vb_bind_state_load(&cli->sys, NULL, &st, &e) < 0)
		vb_err_clear(&e);
	for (size_t i = 0; i < lp->n; i++)
		if (selected(&a, &lp->v[i])) {
			widen(&w, &lp->v[i]);
			shown++;
		}
	if (!cli->quiet)
		out_text(cli->out, "%-*s  %-9s  %-4s  %-*s  %-5s  %-4s  %-*s  %-*s  %s\n", w.dev,
			 "DEVICE", "ID", "CLS", w.drv, "DRIVER", "GROUP", "NUMA", w.vfio, "VFIO",
			 w.bars, "BARS", "NAME");
	if (!shown && !vb_selector_empty(&a.sel.sel)) {
		vb_bind_state_free(&st);
		cli_report_problems(cli, lp);
		list_unload(&src);
		vb_err_set(&e, VB_EXIT_NOTFOUND, 0, NULL, "no PCI function matches the selection");
		return cli_fail(cli, &e);
	}
	if (json) /* NULL (no memory): no attributes */
		attrs = cli_attrs_new(&cli->sys, src.topo ? &src.t : NULL);
	/* nothing can fail from here on: JSON is written as it is made */
	out_stream(cli->out);
	out_open_array(cli->out, NULL);
	for (size_t i = 0; i < lp->n; i++) {
		if (!selected(&a, &lp->v[i]))
			continue;
		marked |= cli_device_export_mark(&lp->v[i])[0];
		if (!cli->quiet)
			print_row(cli->out, &st, &lp->v[i], a.numeric, &w, attrs);
		bound += st.root && vb_bind_state_get(&st, lp->v[i].name, (char[VB_DRIVER_NAME_MAX + 1]){ 0 },
							  VB_DRIVER_NAME_MAX + 1);
	}
	out_close_array(cli->out);
	cli_attrs_free(attrs);
	if (bound && !cli->quiet)
		out_text(cli->out, "* bound to a VFIO driver by vfiobuf ('vfiobuf unbind' gives it back)\n");
	if (marked && !cli->quiet)
		out_text(cli->out, "! a VFIO driver without dma-buf export, ? one vfiobuf does not know "
				   "(Linux 7.3's drivers; 'vfiobuf info' probes)\n");
	vb_bind_state_free(&st);
	/* a bad function is listed with what could be read, and said once */
	cli_report_problems(cli, lp);
	list_unload(&src);
	return rc;
}
