/* cmd_check_slices: `vfiobuf check-slices FILE [--node NAME]`: the
 * ResourceSlices of `kubectl get resourceslices -o json` for this node,
 * checked against this host (k8s_slices.h): pairs of devices on one
 * pcieRoot that cannot do P2P through the fabric, attributes that disagree
 * with what vfiobuf computes, and what is uncertain. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_device.h"
#include "k8s_attr.h"
#include "k8s_slices.h"
#include "p2p_domain.h"
#include "topo.h"

/* The largest document read (a List of every slice of a big cluster). */
#define SLICES_MAX_BYTES (512u << 20)

struct check_args {
	const char *file;
	const char *node;
};

enum { OPT_NODE = 0x4800 };

static const struct argp_option check_options[] = {
	{ "node", OPT_NODE, "NAME", 0,
	  "The Kubernetes node this host is (default: its host name, lower case)", 0 },
	{ 0 }
};

static error_t check_parser(int key, char *arg, struct argp_state *state)
{
	struct check_args *a = state->input;

	switch (key) {
	case OPT_NODE:
		if (!arg[0])
			argp_error(state, "--node needs a name");
		a->node = arg;
		return 0;
	case ARGP_KEY_ARG:
		if (a->file)
			argp_error(state, "one FILE only ('%s')", arg);
		a->file = arg;
		return 0;
	case ARGP_KEY_END:
		if (!a->file)
			argp_error(state, "give the FILE of `kubectl get resourceslices -o json` (- for standard input)");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp cmd_check_slices_argp = {
	check_options, check_parser, "FILE",
	"Read `kubectl get resourceslices -o json` (FILE, or - for standard input), keep the "
	"resource.k8s.io/v1 ResourceSlices of this node, match their devices to PCI functions by "
	"resource.kubernetes.io/pciBusID, and report every pair with the same pcieRoot that is not "
	"bus-addr here (the scheduler takes them for close), every attribute that disagrees with "
	"what vfiobuf computes (pciBusID, pcieRoot, numaNode, vfiobuf.io/p2pDomain), and what is "
	"uncertain.  Exit status 0: consistent; 1: findings.",
	NULL, NULL, NULL
};

/* The whole input, NUL-terminated. */
static char *read_input(const char *file, size_t *len, struct vb_err *e)
{
	int fd = strcmp(file, "-") == 0 ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC);
	size_t cap = 1 << 16;
	char *buf = NULL, *nb;
	ssize_t got;

	*len = 0;
	if (fd < 0) {
		vb_err_set(e, vb_exit_from_errno(errno), errno, NULL, "%s: cannot open", file);
		return NULL;
	}
	for (;;) {
		if (*len + 1 >= cap || !buf) {
			if (buf)
				cap *= 2;
			if (cap > SLICES_MAX_BYTES + 1)
				cap = SLICES_MAX_BYTES + 1;
			nb = realloc(buf, cap);
			if (!nb) {
				vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
				break;
			}
			buf = nb;
		}
		if (*len + 1 >= cap) {
			vb_err_set(e, VB_EXIT_USAGE, EFBIG, NULL, "%s: larger than %u MiB", file,
				   SLICES_MAX_BYTES >> 20);
			break;
		}
		got = read(fd, buf + *len, cap - 1 - *len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "%s: cannot read", file);
			break;
		}
		if (got == 0) {
			if (fd != STDIN_FILENO)
				close(fd);
			buf[*len] = '\0';
			return buf;
		}
		*len += (size_t)got;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	free(buf);
	return NULL;
}

static int host_node_name(char *buf, size_t n, struct vb_err *e)
{
	if (gethostname(buf, n) < 0 || !buf[0])
		return vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "cannot read the host name: give --node");
	buf[n - 1] = '\0';
	for (char *p = buf; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return 0;
}

/* ---- printing ------------------------------------------------------------------ */

struct ctx {
	struct vb_out *o;
	const struct vb_topo *t;
	const struct vb_k8s_slices *sl;
	const struct vb_k8s_report *r;
};

static const char *node_name(const struct ctx *c, int node)
{
	return node >= 0 ? c->t->devs.v[node].name : NULL;
}

static void device_json(const struct ctx *c, const char *key, size_t i, int node)
{
	const struct vb_k8s_device *d = &c->sl->dev[i];

	out_open_object(c->o, key);
	out_str(c->o, "driver", NULL, d->driver);
	out_str(c->o, "pool", NULL, d->pool);
	out_str_or_null(c->o, "slice", NULL, d->slice);
	out_str(c->o, "name", NULL, d->name);
	out_str_or_null(c->o, "bdf", NULL, node_name(c, node));
	out_close_object(c->o);
}

static void device_text(const struct ctx *c, size_t i, int node)
{
	const struct vb_k8s_device *d = &c->sl->dev[i];

	out_text(c->o, "%s/%s", d->driver, d->name[0] ? d->name : "(unnamed)");
	if (node >= 0)
		out_text(c->o, " (%s)", node_name(c, node));
}

static void print_value_text(struct vb_out *o, const json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	out_text(o, "%s", s ? s : "null");
	free(s);
}

static void pair_json(const struct ctx *c, const struct vb_k8s_issue *v)
{
	out_open_object(c->o, OUT_ITEM);
	device_json(c, "a", v->dev, v->node);
	device_json(c, "b", v->dev2, v->node2);
	out_str(c->o, "pcie_root", NULL, c->sl->dev[v->dev].pcie_root.str);
	out_str(c->o, "verdict", NULL, vb_p2p_verdict_name(v->r.verdict));
	out_bool(c->o, "uncertain", NULL, v->uncertain);
	out_bool(c->o, "verdict_uncertain", NULL, v->r.uncertain);
	out_str(c->o, "reason", NULL, v->reason);
	out_close_object(c->o);
}

static void attr_json(const struct ctx *c, const struct vb_k8s_issue *v)
{
	const struct vb_k8s_device *d = &c->sl->dev[v->dev];
	const struct vb_k8s_value *pub = strcmp(v->attr, VB_K8S_ATTR_PCI_BUS_ID) == 0 ? &d->bus_id
					 : strcmp(v->attr, VB_K8S_ATTR_PCIE_ROOT) == 0 ? &d->pcie_root
					 : strcmp(v->attr, VB_K8S_ATTR_NUMA_NODE) == 0 ? &d->numa_node
					 : &d->p2p_domain;

	out_open_object(c->o, OUT_ITEM);
	device_json(c, "device", v->dev, v->node);
	out_str(c->o, "attribute", NULL, v->attr);
	out_json(c->o, "published", json_incref(pub->raw));
	if (v->computed)
		out_json(c->o, "computed", json_incref(v->computed));
	else
		out_null(c->o, "computed", NULL);
	out_bool(c->o, "uncertain", NULL, v->uncertain);
	out_str(c->o, "reason", NULL, v->reason);
	out_close_object(c->o);
}

static void print_json(const struct ctx *c, const char *node)
{
	struct vb_out *o = c->o;

	out_open_object(o, NULL);
	out_str(o, "node", NULL, node);
	out_int(o, "slices", NULL, (long long)c->sl->nslices);
	out_int(o, "other_node_slices", NULL, (long long)c->sl->nother_nodes);
	out_open_array(o, "skipped");
	for (size_t i = 0; i < c->sl->nskipped; i++) {
		out_open_object(o, OUT_ITEM);
		out_str_or_null(o, "slice", NULL, c->sl->skipped[i].slice);
		out_str(o, "reason", NULL, c->sl->skipped[i].reason);
		out_close_object(o);
	}
	out_close_array(o);
	out_int(o, "devices", NULL, (long long)c->sl->ndev);
	out_int(o, "matched", NULL, (long long)c->r->nmatched);
	out_bool(o, "consistent", NULL, c->r->nfindings == 0);
	out_int(o, "findings", NULL, (long long)c->r->nfindings);
	out_int(o, "uncertainties", NULL, (long long)c->r->nuncertain);
	out_open_array(o, "pairs");
	for (size_t i = 0; i < c->r->n; i++)
		if (c->r->v[i].kind == VB_K8S_ISSUE_PAIR)
			pair_json(c, &c->r->v[i]);
	out_close_array(o);
	out_open_array(o, "attributes");
	for (size_t i = 0; i < c->r->n; i++)
		if (c->r->v[i].kind == VB_K8S_ISSUE_ATTR)
			attr_json(c, &c->r->v[i]);
	out_close_array(o);
	out_open_array(o, "unmatched");
	for (size_t i = 0; i < c->r->n; i++) {
		if (c->r->v[i].kind != VB_K8S_ISSUE_UNMATCHED)
			continue;
		out_open_object(o, OUT_ITEM);
		device_json(c, "device", c->r->v[i].dev, -1);
		out_str(o, "reason", NULL, c->r->v[i].reason);
		out_close_object(o);
	}
	out_close_array(o);
	out_close_object(o);
}

static void issue_text(const struct ctx *c, const struct vb_k8s_issue *v)
{
	const struct vb_k8s_device *d = &c->sl->dev[v->dev];

	out_text(c->o, "  ");
	device_text(c, v->dev, v->node);
	if (v->kind == VB_K8S_ISSUE_PAIR) {
		out_text(c->o, " and ");
		device_text(c, v->dev2, v->node2);
		out_text(c->o, ", pcieRoot %s: %s\n", d->pcie_root.str, v->reason);
		return;
	}
	if (v->kind == VB_K8S_ISSUE_UNMATCHED) {
		out_text(c->o, ": %s\n", v->reason);
		return;
	}
	out_text(c->o, " %s: published ", v->attr);
	print_value_text(c->o, strcmp(v->attr, VB_K8S_ATTR_PCI_BUS_ID) == 0 ? d->bus_id.raw
			       : strcmp(v->attr, VB_K8S_ATTR_PCIE_ROOT) == 0 ? d->pcie_root.raw
			       : strcmp(v->attr, VB_K8S_ATTR_NUMA_NODE) == 0 ? d->numa_node.raw
			       : d->p2p_domain.raw);
	out_text(c->o, ", vfiobuf: ");
	print_value_text(c->o, v->computed);
	out_text(c->o, " (%s)\n", v->reason);
}

static void section(const struct ctx *c, const char *title, enum vb_k8s_issue_kind kind, int uncertain)
{
	bool any = false;

	for (size_t i = 0; i < c->r->n; i++) {
		const struct vb_k8s_issue *v = &c->r->v[i];

		if (v->kind != kind || (uncertain >= 0 && v->uncertain != (uncertain == 1)))
			continue;
		if (!any)
			out_text(c->o, "%s:\n", title);
		any = true;
		issue_text(c, v);
	}
}

static void print_text(const struct ctx *c, const char *node)
{
	out_text(c->o, "node %s: %zu ResourceSlice%s, %zu device%s, %zu matched to PCI functions here\n",
		 node, c->sl->nslices, c->sl->nslices == 1 ? "" : "s", c->sl->ndev,
		 c->sl->ndev == 1 ? "" : "s", c->r->nmatched);
	for (size_t i = 0; i < c->sl->nskipped; i++)
		out_text(c->o, "  skipped %s: %s\n",
			 c->sl->skipped[i].slice[0] ? c->sl->skipped[i].slice : "(unnamed)",
			 c->sl->skipped[i].reason);
	section(c, "pairs on one pcieRoot that are not bus-addr here", VB_K8S_ISSUE_PAIR, 0);
	section(c, "attributes that disagree", VB_K8S_ISSUE_ATTR, 0);
	section(c, "uncertain pairs", VB_K8S_ISSUE_PAIR, 1);
	section(c, "uncertain attributes", VB_K8S_ISSUE_ATTR, 1);
	section(c, "not checked", VB_K8S_ISSUE_UNMATCHED, -1);
	if (c->r->nfindings)
		out_text(c->o, "%zu finding%s\n", c->r->nfindings, c->r->nfindings == 1 ? "" : "s");
	else
		out_text(c->o, "consistent%s\n", c->r->nuncertain ? " as far as could be read" : "");
}

/* ---- the command ----------------------------------------------------------------- */

static int check(struct vb_cli *cli, const struct vb_k8s_slices *sl, const char *node,
		 struct vb_err *e)
{
	struct vb_topo t;
	struct vb_p2p_domain *dom;
	struct vb_k8s_report r;
	int rc = -1;

	if (vb_topo_load(&cli->sys, 0, &t, e) < 0)
		return -1;
	dom = vb_p2p_domains_of(&t.model, t.devs.v);
	if (!dom) {
		vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
		goto out;
	}
	if (vb_k8s_check(&cli->sys, &t, dom, sl, &r, e) < 0)
		goto out;
	{
		struct ctx c = { cli->out, &t, sl, &r };

		if (cli->quiet)
			;
		else if (out_is_json(cli->out))
			print_json(&c, node);
		else
			print_text(&c, node);
	}
	rc = r.nfindings ? VB_EXIT_FAIL : VB_EXIT_OK;
	vb_k8s_report_free(&r);
out:
	free(dom);
	vb_topo_free(&t);
	return rc;
}

int cmd_check_slices(struct vb_cli *cli, int argc, char **argv)
{
	struct check_args a = { 0 };
	struct vb_err e = { 0 };
	struct vb_k8s_slices sl;
	char host[256];
	const char *node;
	char *buf;
	size_t len;
	int rc;

	rc = cli_parse_args(cli, &cmd_check_slices_argp, argc, argv, &a);
	if (rc)
		return rc;
	node = a.node;
	if (!node) {
		if (host_node_name(host, sizeof(host), &e) < 0)
			return cli_fail(cli, &e);
		node = host;
	}
	buf = read_input(a.file, &len, &e);
	if (!buf)
		return cli_fail(cli, &e);
	rc = vb_k8s_slices_parse(buf, len, node, &sl, &e);
	free(buf);
	if (rc < 0)
		return cli_fail(cli, &e);
	if (sl.nslices == 0) {
		vb_err_set(&e, VB_EXIT_NOTFOUND, 0, NULL,
			   "no resource.k8s.io/v1 ResourceSlice of node %.64s (%zu of other nodes, %zu skipped; --node NAME?)",
			   node, sl.nother_nodes, sl.nskipped);
		vb_k8s_slices_free(&sl);
		return cli_fail(cli, &e);
	}
	rc = check(cli, &sl, node, &e);
	vb_k8s_slices_free(&sl);
	if (rc < 0)
		return cli_fail(cli, &e);
	return rc;
}
