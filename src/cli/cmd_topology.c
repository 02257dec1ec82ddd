/* cmd_topology: `vfiobuf topology [DEVICE…] [--all] [--matrix] [--pairs] [--format F]`:
 * the PCI tree annotated for P2P (switches, root ports, host bridges, NUMA,
 * ACS), an N x N verdict matrix, JSON (the tree; every pair with --pairs,
 * streamed), or Graphviz DOT. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_attributes.h"
#include "cli_device.h"
#include "cli_nfd.h"
#include "cli_p2p.h"
#include "topo.h"

enum topo_format { FMT_TEXT, FMT_JSON, FMT_DOT, FMT_NFD };

struct topology_args {
	struct cli_devsel sel;
	bool all, matrix, pairs;
	enum topo_format format;
	const char *output; /* -o FILE (nfd) */
	long expiry;        /* --expiry SECONDS (nfd) */
};

enum { OPT_FORMAT = 0x2000, OPT_PAIRS, OPT_EXPIRY };

static const struct argp_option topology_options[] = {
	{ "all", 'a', 0, 0, "Every function, bridges and host bridges included", 0 },
	{ "matrix", 'm', 0, 0, "An N x N matrix of verdicts between the endpoints", 0 },
	{ "pairs", OPT_PAIRS, 0, 0,
	  "Every pair of endpoints with its verdict (JSON: a streamed \"pairs\" array; text: a line each)",
	  0 },
	{ "format", OPT_FORMAT, "text|json|dot|nfd", 0,
	  "Output format (json is the same as -j; dot is Graphviz; nfd a Node Feature Discovery feature file)", 0 },
	{ "output", 'o', "FILE", 0, "--format nfd: write FILE atomically instead of standard output", 0 },
	{ "expiry", OPT_EXPIRY, "SECONDS", 0, "--format nfd: labels expire this long after the run (default 86400)", 0 },
	{ 0 }
};

static error_t topology_parser(int key, char *arg, struct argp_state *state)
{
	struct topology_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->sel;
		return 0;
	case 'a':
		a->all = true;
		return 0;
	case 'm':
		a->matrix = true;
		return 0;
	case OPT_PAIRS:
		a->pairs = true;
		return 0;
	case OPT_FORMAT:
		if (strcmp(arg, "text") == 0)
			a->format = FMT_TEXT;
		else if (strcmp(arg, "json") == 0)
			a->format = FMT_JSON;
		else if (strcmp(arg, "dot") == 0)
			a->format = FMT_DOT;
		else if (strcmp(arg, "nfd") == 0)
			a->format = FMT_NFD;
		else
			argp_error(state, "invalid --format '%s' (expected text, json, dot or nfd)", arg);
		return 0;
	case 'o':
		a->output = arg;
		return 0;
	case OPT_EXPIRY:
		if (cli_parse_decimal(arg, 10L * 366 * 86400, &a->expiry) < 0 || a->expiry == 0)
			argp_error(state, "invalid --expiry '%s' (seconds, 1 to 10 years)", arg);
		return 0;
	case ARGP_KEY_END:
		if ((a->output || a->expiry) && a->format != FMT_NFD)
			argp_error(state, "-o and --expiry go with --format nfd");
		return 0;
	case ARGP_KEY_ARG:
		if (cli_devsel_add(&a->sel, arg) < 0)
			argp_error(state, "%s", a->sel.err.msg);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child topology_children[] = { CLI_DEVSEL_CHILD(0), { 0 } };

const struct argp cmd_topology_argp = {
	topology_options, topology_parser, "[DEVICE...]",
	"The PCI tree annotated for peer-to-peer DMA: host bridges (and whether the kernel "
	"whitelists them), root ports, switches, NUMA nodes and ACS state, with the kernel's "
	"P2P verdict between the endpoints (non-bridge functions; --all for everything).",
	topology_children, NULL, NULL
};

struct view {
	const struct vb_topo *t;
	bool *endpoint; /* selected for pairs/matrix */
	bool *shown;    /* in the tree: selected, or an ancestor of one */
	int *eps;       /* indexes of the selected endpoints */
	int neps;
	/* the shown tree as lists, in BDF order: a node's first child and
	 * next sibling, a host bridge's first function on its root bus */
	int *child, *sibling, *root;
	struct cli_attrs *attrs; /* JSON: DRA attributes and P2P domains */
};

static bool is_endpoint(const struct vb_device *d)
{
	return !d->is_bridge && (d->class_code >> 16) != 0x06;
}

static bool matches(const struct topology_args *a, const struct vb_device *d)
{
	if (!vb_selector_match(&a->sel.sel, d->vendor_id, d->device_id, d->class_code))
		return false;
	if (a->sel.nbdfs == 0)
		return a->all || is_endpoint(d);
	for (int i = 0; i < a->sel.nbdfs; i++)
		if (vb_bdf_equal(&a->sel.bdfs[i], &d->bdf))
			return true;
	return false;
}

/* Children and roots of the shown tree as linked lists (built backwards
 * so that each list runs in BDF order): printing walks them instead of
 * scanning every function for each node's children. */
static int link_shown(const struct vb_topo *t, struct view *v, struct vb_err *e)
{
	const struct vb_p2p_model *m = &t->model;
	size_t n = t->devs.n;

	v->child = malloc((n + 1) * sizeof(int));
	v->sibling = malloc((n + 1) * sizeof(int));
	v->root = malloc((m->nbridges + 1) * sizeof(int));
	if (!v->child || !v->sibling || !v->root)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	for (size_t i = 0; i < n; i++)
		v->child[i] = v->sibling[i] = -1;
	for (size_t h = 0; h < m->nbridges; h++)
		v->root[h] = -1;
	for (size_t k = n; k-- > 0;) {
		int *head;

		if (!v->shown[k])
			continue;
		head = m->nodes[k].up >= 0 ? &v->child[m->nodes[k].up] : &v->root[m->nodes[k].host_bridge];
		v->sibling[k] = *head;
		*head = (int)k;
	}
	return 0;
}

static int make_view(const struct topology_args *a, const struct vb_topo *t, struct view *v,
		     struct vb_err *e)
{
	size_t n = t->devs.n;

	v->t = t;
	v->endpoint = calloc(n + 1, sizeof(bool));
	v->shown = calloc(n + 1, sizeof(bool));
	v->eps = calloc(n + 1, sizeof(int));
	v->neps = 0;
	if (!v->endpoint || !v->shown || !v->eps)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	for (int i = 0; i < a->sel.nbdfs; i++) {
		if (vb_topo_index(t, &a->sel.bdfs[i]) < 0) {
			char name[VB_BDF_STRLEN];

			return vb_err_set(e, VB_EXIT_NOTFOUND, 0, vb_bdf_format(&a->sel.bdfs[i], name),
					  "no such PCI device");
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!matches(a, &t->devs.v[i]))
			continue;
		v->endpoint[i] = true;
		v->eps[v->neps++] = (int)i;
		for (int x = (int)i; x >= 0 && !v->shown[x]; x = t->model.nodes[x].up)
			v->shown[x] = true;
	}
	if (v->neps == 0 && !vb_selector_empty(&a->sel.sel))
		return vb_err_set(e, VB_EXIT_NOTFOUND, 0, NULL, "no PCI function matches the selection");
	return link_shown(t, v, e);
}

static void free_view(struct view *v)
{
	free(v->endpoint);
	free(v->shown);
	free(v->eps);
	free(v->child);
	free(v->sibling);
	free(v->root);
	cli_attrs_free(v->attrs);
}

static const char *acs_word(const struct vb_device *d, const char *reason, char *buf, size_t n)
{
	char bits[64];

	if (d->acs == VB_ACS_UNREADABLE)
		snprintf(buf, n, "ACS ? (%s)", reason);
	else if (d->acs == VB_ACS_ABSENT)
		buf[0] = '\0';
	else if (d->acs_ctrl & VB_ACS_REDIR_MASK)
		snprintf(buf, n, "ACS redirect [%s]",
			 vb_acs_bits_string(d->acs_ctrl & VB_ACS_REDIR_MASK, bits, sizeof(bits)));
	else
		snprintf(buf, n, "ACS no redirect");
	return buf;
}

static const char *role(const struct vb_device *d)
{
	const char *t = vb_pcie_type_name(d->pcie_type);

	if (d->pcie_type == VB_PCIE_UPSTREAM)
		return "switch upstream-port";
	if (d->pcie_type == VB_PCIE_DOWNSTREAM)
		return "switch downstream-port";
	if (t)
		return t;
	if (d->synthesized)
		return "bridge (not in bus/pci/devices)";
	return d->is_bridge ? "bridge" : "device";
}

/* ---- text tree ----------------------------------------------------------- */

static void tree_node(struct vb_out *o, const struct view *v, int i, char *prefix, bool last)
{
	const struct vb_topo *t = v->t;
	const struct vb_device *d = &t->devs.v[i];
	char acs[64], numa[16] = "";
	size_t plen = strlen(prefix);

	if (d->numa_node >= 0)
		snprintf(numa, sizeof(numa), "NUMA %d", d->numa_node);
	out_text(o, "%s%s %s %s [%04x:%04x] %s%s%s%s%s%s\n", prefix, last ? "`-" : "|-", d->name,
		 role(d), d->vendor_id, d->device_id, d->driver[0] ? d->driver : "-",
		 d->device_name[0] ? "  " : "", d->device_name,
		 acs_word(d, vb_topo_missing_reason(t, i), acs, sizeof(acs))[0] ? "  " : "",
		 acs, "");
	(void)numa;
	strcat(prefix, last ? "  " : "| ");
	for (int c = v->child[i]; c >= 0; c = v->sibling[c])
		tree_node(o, v, c, prefix, v->sibling[c] < 0);
	prefix[plen] = '\0';
}

static void print_tree(struct vb_out *o, const struct view *v)
{
	const struct vb_topo *t = v->t;
	const struct vb_p2p_model *m = &t->model;
	char prefix[2 * VB_P2P_MAX_DEPTH + 8];

	for (size_t h = 0; h < m->nbridges; h++) {
		const struct vb_p2p_host_bridge *b = &m->bridges[h];
		bool same;

		if (v->root[h] < 0)
			continue;
		out_text(o, "%s host bridge%s", b->name,
			 !b->synthesized ? ""
			 : t->devs.n && t->devs.v[0].captured ? " (synthesized from the dump)"
							      : " (name synthesized: no pci<domain>:<bus> in sysfs)");
		if (b->has_root)
			out_text(o, ", root %s %04x:%04x%s", b->root_name, b->vendor, b->device,
				 b->root_inferred ? " (inferred root port: PCIe type not read)" : "");
		else
			out_text(o, ", no qualifying root device%s", b->root_name[0] ? "" : " (root bus empty)");
		out_text(o, " (%s)",
			 m->cpu_p2p ? "any bridge allowed: AMD Zen"
				    : (b->has_root && vb_p2p_whitelisted(b->vendor, b->device, &same)
					       ? "P2PDMA whitelisted"
					       : "not P2PDMA whitelisted"));
		if (b->numa_node >= 0)
			out_text(o, ", NUMA %d", b->numa_node);
		out_text(o, "\n");
		for (int i = v->root[h]; i >= 0; i = v->sibling[i]) {
			prefix[0] = '\0';
			tree_node(o, v, i, prefix, v->sibling[i] < 0);
		}
	}
}

/* ---- matrix --------------------------------------------------------------- */

/* prefix, the distance in decimal, suffix: "HB4", "2?" (no printf: a
 * matrix has N^2 cells) */
static void cell_text(char *buf, const char *prefix, int distance, const char *suffix)
{
	char digits[12];
	int n = 0;
	unsigned d = distance < 0 ? 0 : (unsigned)distance;

	do {
		digits[n++] = (char)('0' + d % 10);
		d /= 10;
	} while (d && n < (int)sizeof(digits));
	buf = stpcpy(buf, prefix);
	while (n)
		*buf++ = digits[--n];
	strcpy(buf, suffix);
}

/* buf: at least 16 bytes */
static void cell(const struct vb_p2p_result *r, int a, int b, char *buf)
{
	if (a == b)
		strcpy(buf, "SELF");
	else if (r->verdict == VB_P2P_BUS_ADDR)
		cell_text(buf, "", r->distance, r->uncertain ? "?" : "");
	else if (r->verdict == VB_P2P_THRU_HOST_BRIDGE)
		cell_text(buf, "HB", r->distance, "");
	else
		strcpy(buf, r->uncertain ? "X?" : "X");
}

/* " %-5s" of a cell, appended at *len (a row is written at once: a
 * printf per cell was most of what the matrix added to the tree). */
static void put_cell(char *row, size_t *len, const char *c)
{
	size_t n = strlen(c);

	row[(*len)++] = ' ';
	memcpy(row + *len, c, n);
	*len += n;
	for (; n < 5; n++)
		row[(*len)++] = ' ';
}

static void print_matrix(struct vb_out *o, const struct view *v)
{
	const struct vb_topo *t = v->t;
	struct vb_p2p_result r;
	char buf[16];
	/* a cell is at most 1 + 15 bytes (buf) */
	char *row = malloc((size_t)v->neps * 16 + 64);
	size_t len;

	if (!row)
		return;
	out_text(o, "%-6s", "");
	for (int j = 0; j < v->neps; j++)
		out_text(o, " %-5s", (snprintf(buf, sizeof(buf), "D%d", j), buf));
	out_text(o, "  DEVICE\n");
	for (int i = 0; i < v->neps; i++) {
		len = (size_t)snprintf(row, 64, "%-6s", (snprintf(buf, sizeof(buf), "D%d", i), buf));
		for (int j = 0; j < v->neps; j++) {
			vb_p2p_pair(&t->model, v->eps[i], v->eps[j], &r);
			cell(&r, i, j, buf);
			put_cell(row, &len, buf);
		}
		row[len] = '\0';
		out_text(o, "%s  %s %s\n", row, t->devs.v[v->eps[i]].name, t->devs.v[v->eps[i]].driver);
	}
	free(row);
	out_text(o, "\nLegend:\n"
		    "  SELF  the same function\n"
		    "  N     bus-addr: P2P stays in the PCIe fabric, N = the kernel's distance\n"
		    "  N?    bus-addr assuming unreadable ACS does not redirect (run as root)\n"
		    "  HBN   thru-host-bridge: allowed through the host bridge (whitelist or AMD Zen)\n"
		    "  X     not-supported: the kernel refuses P2P between these two\n"
		    "  X?    not-supported as far as was read: uncertain (missing inputs in -j)\n");
}

/* ---- JSON ------------------------------------------------------------------ */

static void node_json(struct vb_out *o, const struct view *v, int i)
{
	const struct vb_device *d = &v->t->devs.v[i];
	const struct vb_p2p_model *m = &v->t->model;
	char buf[16];

	out_open_object(o, OUT_ITEM);
	out_str(o, "bdf", NULL, d->name);
	snprintf(buf, sizeof(buf), "%04x", d->vendor_id);
	out_str(o, "vendor_id", NULL, buf);
	snprintf(buf, sizeof(buf), "%04x", d->device_id);
	out_str(o, "device_id", NULL, buf);
	snprintf(buf, sizeof(buf), "%04x", d->class_code >> 8);
	out_str(o, "class_id", NULL, buf);
	out_str_or_null(o, "driver", NULL, d->driver);
	out_str_or_null(o, "pcie_type", NULL, vb_pcie_type_name(d->pcie_type));
	out_bool(o, "is_bridge", NULL, d->is_bridge);
	out_bool(o, "endpoint", NULL, v->endpoint[i]);
	out_str_or_null(o, "parent", NULL, m->nodes[i].up >= 0 ? m->nodes[m->nodes[i].up].name : NULL);
	out_str(o, "host_bridge", NULL, m->bridges[m->nodes[i].host_bridge].name);
	if (d->captured || d->numa_node < 0)
		out_null(o, "numa_node", NULL); /* a dump has none; -1: no NUMA */
	else
		out_int(o, "numa_node", NULL, d->numa_node);
	out_str(o, "acs", NULL,
		m->nodes[i].acs == VB_P2P_ACS_REDIRECT ? "redirect"
		: m->nodes[i].acs == VB_P2P_ACS_UNKNOWN ? "unknown" : "none");
	if (m->nodes[i].acs == VB_P2P_ACS_UNKNOWN)
		out_str(o, "acs_missing_reason", NULL, vb_topo_missing_reason(v->t, i));
	else
		out_null(o, "acs_missing_reason", NULL);
	out_bool(o, "synthesized", NULL, d->synthesized);
	if (v->attrs) {
		cli_attrs_json(o, v->attrs, d->name);
		cli_attrs_domain_json(o, v->attrs, i);
	}
	cli_device_problems_json(o, d);
	out_close_object(o);
}

static void root_evidence_json(struct vb_out *o, const struct vb_p2p_host_bridge *b)
{
	static const char *const words[] = { "type1-header", "class-0604", "port-services",
					     "pcieport-driver" };

	out_open_array(o, "root_evidence");
	for (unsigned i = 0; b->root_inferred && i < sizeof(words) / sizeof(words[0]); i++)
		if (b->root_evidence & (1u << i))
			out_str(o, OUT_ITEM, NULL, words[i]);
	out_close_array(o);
}

/* Every entry and function that could not be read fully, as text. */
static void warnings_json(struct vb_out *o, const struct vb_topo *t)
{
	char buf[320], line[400];

	out_open_array(o, "warnings");
	for (size_t i = 0; i < t->devs.nbogus; i++) {
		snprintf(line, sizeof(line), "bus/pci/devices/%.64s: not a PCI address, ignored",
			 t->devs.bogus[i]);
		out_str(o, OUT_ITEM, NULL, line);
	}
	for (size_t i = 0; i < t->devs.n; i++) {
		const struct vb_device *d = &t->devs.v[i];

		if (d->synthesized) {
			snprintf(line, sizeof(line), "%s: not in bus/pci/devices: taken from the sysfs path", d->name);
			out_str(o, OUT_ITEM, NULL, line);
		}
		for (int k = 0; vb_device_problem(d, k, buf, sizeof(buf)); k++) {
			snprintf(line, sizeof(line), "%s: %s", d->name, buf);
			out_str(o, OUT_ITEM, NULL, line);
		}
	}
	out_close_array(o);
}

static void print_json(struct vb_out *o, const struct view *v, bool with_pairs)
{
	const struct vb_topo *t = v->t;
	const struct vb_p2p_model *m = &t->model;
	struct vb_p2p_result r;
	bool same;
	char id[16];

	out_open_object(o, NULL);
	out_open_object(o, "cpu");
	out_str_or_null(o, "vendor", NULL, t->cpu.vendor);
	if (t->cpu.family >= 0)
		out_int(o, "family", NULL, t->cpu.family);
	else
		out_null(o, "family", NULL); /* cpuinfo had none */
	out_bool(o, "p2p_any_host_bridge", NULL, m->cpu_p2p);
	out_close_object(o);
	out_open_array(o, "host_bridges");
	for (size_t h = 0; h < m->nbridges; h++) {
		const struct vb_p2p_host_bridge *b = &m->bridges[h];

		out_open_object(o, OUT_ITEM);
		out_str(o, "name", NULL, b->name);
		out_bool(o, "synthesized", NULL, b->synthesized);
		out_str_or_null(o, "root_device", NULL, b->has_root ? b->root_name : NULL);
		snprintf(id, sizeof(id), "%04x:%04x", b->vendor, b->device);
		out_str_or_null(o, "root_id", NULL, b->has_root ? id : NULL);
		out_bool(o, "root_inferred", NULL, b->root_inferred);
		root_evidence_json(o, b);
		out_bool(o, "whitelisted", NULL, b->has_root && vb_p2p_whitelisted(b->vendor, b->device, &same));
		if (b->numa_node >= 0)
			out_int(o, "numa_node", NULL, b->numa_node);
		else
			out_null(o, "numa_node", NULL);
		out_close_object(o);
	}
	out_close_array(o);
	out_open_array(o, "nodes");
	for (size_t i = 0; i < t->devs.n; i++)
		if (v->shown[i])
			node_json(o, v, (int)i);
	out_close_array(o);
	out_open_array(o, "edges");
	for (size_t i = 0; i < t->devs.n; i++) {
		if (!v->shown[i] || m->nodes[i].up < 0)
			continue;
		out_open_object(o, OUT_ITEM);
		out_str(o, "from", NULL, m->nodes[m->nodes[i].up].name);
		out_str(o, "to", NULL, m->nodes[i].name);
		out_close_object(o);
	}
	out_close_array(o);
	/* the verdict is symmetric (the path and its ACS ports are the same
	 * both ways), so each unordered pair once; N^2/2 of them, streamed */
	if (with_pairs) {
		out_open_array(o, "pairs");
		for (int i = 0; i < v->neps; i++)
			for (int j = i + 1; j < v->neps; j++) {
				vb_p2p_pair(m, v->eps[i], v->eps[j], &r);
				out_open_object(o, OUT_ITEM);
				cli_p2p_pair_json_brief(o, t, v->eps[i], v->eps[j], &r);
				out_close_object(o);
			}
		out_close_array(o);
	}
	warnings_json(o, t);
	out_close_object(o);
}

/* The pairs as text, a line each after the tree or the matrix. */
static void print_pairs(struct vb_out *o, const struct view *v)
{
	const struct vb_p2p_model *m = &v->t->model;
	struct vb_p2p_result r;

	out_text(o, "\nPairs (provider -- client: verdict, distance):\n");
	for (int i = 0; i < v->neps; i++)
		for (int j = i + 1; j < v->neps; j++) {
			vb_p2p_pair(m, v->eps[i], v->eps[j], &r);
			out_text(o, "%s -- %s: %s, %d%s\n", m->nodes[v->eps[i]].name,
				 m->nodes[v->eps[j]].name, vb_p2p_verdict_name(r.verdict), r.distance,
				 r.uncertain ? " (uncertain)" : "");
		}
}

/* ---- DOT --------------------------------------------------------------------- */

static void print_dot(FILE *f, const struct view *v)
{
	const struct vb_topo *t = v->t;
	const struct vb_p2p_model *m = &t->model;
	struct vb_p2p_result r;
	static const char *const colour[] = { [VB_P2P_NOT_SUPPORTED] = "red",
					      [VB_P2P_BUS_ADDR] = "darkgreen",
					      [VB_P2P_THRU_HOST_BRIDGE] = "orange" };

	fprintf(f, "graph vfiobuf_p2p {\n  rankdir=TB;\n  node [fontsize=10, fontname=\"monospace\"];\n");
	for (size_t h = 0; h < m->nbridges; h++)
		fprintf(f, "  \"%s\" [shape=house, label=\"%s\\n%04x:%04x\"];\n", m->bridges[h].name,
			m->bridges[h].name, m->bridges[h].vendor, m->bridges[h].device);
	for (size_t i = 0; i < t->devs.n; i++) {
		const struct vb_device *d = &t->devs.v[i];

		if (!v->shown[i])
			continue;
		fprintf(f, "  \"%s\" [shape=%s, label=\"%s\\n%s %s\"%s];\n", d->name,
			v->endpoint[i] ? "ellipse" : "box", d->name, role(d), d->driver,
			m->nodes[i].acs == VB_P2P_ACS_REDIRECT ? ", color=red" : "");
		fprintf(f, "  \"%s\" -- \"%s\";\n",
			m->nodes[i].up >= 0 ? m->nodes[m->nodes[i].up].name
					    : m->bridges[m->nodes[i].host_bridge].name,
			d->name);
	}
	for (int i = 0; i < v->neps; i++)
		for (int j = i + 1; j < v->neps; j++) {
			vb_p2p_pair(m, v->eps[i], v->eps[j], &r);
			fprintf(f, "  \"%s\" -- \"%s\" [style=dashed, constraint=false, color=%s, label=\"%s %d\"];\n",
				m->nodes[v->eps[i]].name, m->nodes[v->eps[j]].name, colour[r.verdict],
				vb_p2p_verdict_name(r.verdict), r.distance);
		}
	fprintf(f, "}\n");
}

int cmd_topology(struct vb_cli *cli, int argc, char **argv)
{
	struct topology_args a = { 0 };
	struct vb_err e = { 0 };
	struct vb_topo t;
	struct view v = { 0 };
	int rc;

	rc = cli_parse_args(cli, &cmd_topology_argp, argc, argv, &a);
	if (rc)
		return rc;
	if (out_is_json(cli->out) && a.format != FMT_NFD) /* nfd: -j only for errors */
		a.format = FMT_JSON;
	if (a.format == FMT_JSON && !out_is_json(cli->out)) {
		cli->json = true;
		out_free(cli->out);
		cli->out = out_new(stdout, true, cli->pretty);
	}
	/* names only where they are printed: the text tree */
	if (vb_topo_load(&cli->sys, VB_PCI_NO_EXTRA | VB_PCI_NO_VFIO | (a.format == FMT_TEXT && !a.matrix ? VB_PCI_NAMES : 0),
			 &t, &e) < 0)
		return cli_fail(cli, &e);
	if (make_view(&a, &t, &v, &e) < 0) {
		free_view(&v);
		vb_topo_free(&t);
		return cli_fail(cli, &e);
	}
	cli_report_problems(cli, &t.devs);
	if (a.format == FMT_JSON && !cli->quiet)
		v.attrs = cli_attrs_new(&cli->sys, &t);
	if (a.format == FMT_NFD) /* cli_nfd_write honours -q; -o FILE is written all the same */
		rc = cli_nfd_write(cli, &t, v.eps, v.neps, a.output,
				   a.expiry ? a.expiry : CLI_NFD_EXPIRY_DEFAULT);
	else if (cli->quiet)
		; /* -q prints nothing but errors: the exit status says it all */
	else if (a.format == FMT_JSON) {
		/* nothing can fail from here on: write as it is made */
		out_stream(cli->out);
		print_json(cli->out, &v, a.pairs);
	} else if (a.format == FMT_DOT)
		print_dot(out_fp(cli->out), &v);
	else {
		if (a.matrix)
			print_matrix(cli->out, &v);
		else
			print_tree(cli->out, &v);
		if (a.pairs)
			print_pairs(cli->out, &v);
	}
	free_view(&v);
	vb_topo_free(&t);
	return rc;
}
