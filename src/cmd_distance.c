/* cmd_distance: `vfiobuf distance PROVIDER CLIENT`: the kernel's P2P
 * verdict for one pair, with the path and the reasons. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_device.h"
#include "cli_p2p.h"
#include "topo.h"

struct distance_args {
	struct vb_bdf dev[2];
	int n;
	struct vb_err err;
};

static error_t distance_parser(int key, char *arg, struct argp_state *state)
{
	struct distance_args *a = state->input;

	switch (key) {
	case ARGP_KEY_ARG:
		if (a->n == 2)
			argp_error(state, "too many devices: give PROVIDER and CLIENT ('%s')", arg);
		else if (cli_parse_bdf(arg, &a->dev[a->n], &a->err) < 0)
			argp_error(state, "%s", a->err.msg);
		else
			a->n++;
		return 0;
	case ARGP_KEY_END:
		if (a->n != 2)
			argp_error(state, "give two devices: PROVIDER CLIENT");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp cmd_distance_argp = {
	NULL, distance_parser, "PROVIDER CLIENT",
	"Can CLIENT DMA into PROVIDER's BAR, by which path, and if not, why?  Computes the "
	"P2P distance and map type exactly as the kernel's pci_p2pdma_distance() does (common "
	"upstream bridge, ACS redirect, host-bridge whitelist, AMD Zen rule).  Reading ACS "
	"needs root; otherwise the verdict is marked uncertain.",
	NULL, NULL, NULL
};

static void print_chain(struct vb_out *o, const struct vb_topo *t, int node, int stop,
			const char *arrow)
{
	for (int i = 0;; i++) {
		int x = vb_p2p_ancestor(&t->model, node, i);

		if (x < 0 || x == stop)
			break;
		out_text(o, "%s%s", i ? arrow : "", t->devs.v[x].name);
	}
}

static void print_text(struct vb_out *o, const struct vb_topo *t, int a, int b,
		       const struct vb_p2p_result *r)
{
	char buf[2048];

	out_text(o, "provider:  %s\nclient:    %s\n", t->devs.v[a].name, t->devs.v[b].name);
	out_text(o, "verdict:   %s%s\n", vb_p2p_verdict_name(r->verdict),
		 r->uncertain ? " (uncertain: best inference, see why)" : "");
	out_text(o, "distance:  %d (pci_p2pdma_distance returns %d)\n", r->distance,
		 r->kernel_distance);
	out_text(o, "path:      ");
	print_chain(o, t, a, r->common, " -> ");
	if (r->common >= 0)
		out_text(o, "%s%s", a == r->common ? "" : " -> ", t->devs.v[r->common].name);
	else
		out_text(o, " -> %s", t->model.bridges[r->hb_provider].name);
	if (b != r->common) {
		out_text(o, " <- ");
		if (r->common < 0 && r->hb_client != r->hb_provider)
			out_text(o, "%s <- ", t->model.bridges[r->hb_client].name);
		/* client side, printed top-down */
		for (int i = t->model.nodes[b].depth - 1; i >= 0; i--) {
			int x = vb_p2p_ancestor(&t->model, b, i);

			if (r->common >= 0 && i >= t->model.nodes[b].depth - t->model.nodes[r->common].depth)
				continue;
			out_text(o, "%s%s", t->devs.v[x].name, i ? " <- " : "");
		}
	}
	out_text(o, "\n");
	out_text(o, "common:    %s\n", r->common >= 0 ? t->devs.v[r->common].name : "none");
	out_text(o, "why:       %s\n", cli_p2p_reason(t, r, buf, sizeof(buf)));
	if (r->nredir)
		out_text(o, "to lift:   add the kernel parameter %s\n",
			 vb_p2p_advice(&t->model, r, buf, sizeof(buf)));
}

int cmd_distance(struct vb_cli *cli, int argc, char **argv)
{
	struct distance_args a = { 0 };
	struct vb_err e = { 0 };
	struct vb_topo t;
	struct vb_p2p_result r;
	int idx[2], rc;

	rc = cli_parse_args(cli, &cmd_distance_argp, argc, argv, &a);
	if (rc)
		return rc;
	if (vb_topo_load(&cli->sys, 0, &t, &e) < 0)
		return cli_fail(cli, &e);
	for (int i = 0; i < 2; i++) {
		idx[i] = vb_topo_index(&t, &a.dev[i]);
		if (idx[i] < 0) {
			char name[VB_BDF_STRLEN];

			vb_err_set(&e, VB_EXIT_NOTFOUND, 0, vb_bdf_format(&a.dev[i], name),
				   "no such PCI device");
			vb_topo_free(&t);
			return cli_fail(cli, &e);
		}
	}
	cli_report_problems(cli, &t.devs);
	vb_p2p_pair(&t.model, idx[0], idx[1], &r);
	if (out_is_json(cli->out)) {
		out_open_object(cli->out, NULL);
		cli_p2p_pair_json(cli->out, &t, idx[0], idx[1], &r);
		out_close_object(cli->out);
	} else if (!cli->quiet) {
		print_text(cli->out, &t, idx[0], idx[1], &r);
	}
	vb_topo_free(&t);
	return 0;
}
