/* cli_attributes: Kubernetes DRA attributes in the JSON of list, show and
 * topology (see cli_attributes.h). */
#include "cli_attributes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_attr.h"

struct cli_attrs {
	const struct vb_sys *sys;
	const struct vb_topo *t;  /* NULL when it could not be loaded */
	struct vb_topo own;       /* loaded here when the command had none */
	bool owned;
	struct vb_p2p_domain *dom; /* per node of t */
	char topo_error[640];
};

static struct cli_attrs *attrs_new(const struct vb_sys *s, const struct vb_topo *t,
				   const char *top)
{
	struct cli_attrs *c = calloc(1, sizeof(*c));
	struct vb_err e = { 0 };

	if (!c)
		return NULL;
	c->sys = s;
	if (!t) {
		if (vb_topo_load_under(s, 0, top, &c->own, &e) < 0) {
			snprintf(c->topo_error, sizeof(c->topo_error), "the PCI tree could not be read: %s",
				 e.msg);
			return c;
		}
		c->owned = true;
		t = &c->own;
	}
	c->t = t;
	c->dom = vb_p2p_domains_of(&t->model, t->devs.v);
	if (!c->dom) {
		cli_attrs_free(c);
		return NULL;
	}
	return c;
}

struct cli_attrs *cli_attrs_new(const struct vb_sys *s, const struct vb_topo *t)
{
	return attrs_new(s, t, NULL);
}

struct cli_attrs *cli_attrs_new_under(const struct vb_sys *s, const char *top)
{
	return attrs_new(s, NULL, top);
}

void cli_attrs_free(struct cli_attrs *c)
{
	if (!c)
		return;
	if (c->owned)
		vb_topo_free(&c->own);
	free(c->dom);
	free(c);
}

const struct vb_topo *cli_attrs_topo(const struct cli_attrs *c)
{
	return c->t;
}

const struct vb_p2p_domain *cli_attrs_domain(const struct cli_attrs *c, int i)
{
	if (!c->t || !c->dom || i < 0 || (size_t)i >= c->t->devs.n)
		return NULL;
	return &c->dom[i];
}

static int node_of(const struct cli_attrs *c, const char *bdf)
{
	struct vb_bdf b;

	if (!c->t || vb_bdf_parse(bdf, &b) < 0)
		return -1;
	return vb_topo_index(c->t, &b);
}

/* The domain as published (NULL unless certain), or why not into why. */
static const char *published_domain(const struct cli_attrs *c, int i, char *why, size_t n)
{
	const struct vb_p2p_domain *d = cli_attrs_domain(c, i);
	const struct vb_p2p_model *m;

	if (!c->t) {
		snprintf(why, n, "%s", c->topo_error);
		return NULL;
	}
	if (!d) {
		snprintf(why, n, "not in the PCI tree");
		return NULL;
	}
	m = &c->t->model;
	if (d->kind == VB_P2P_DOMAIN_NONE) {
		snprintf(why, n, "not a P2P endpoint (a bridge or class-06 function)");
		return NULL;
	}
	if (d->uncertain) {
		snprintf(why, n,
			 "uncertain: the ACS of %d function%s on its paths was not read (%s), e.g. %s; assuming no redirect it is %s",
			 d->nunknown, d->nunknown == 1 ? "" : "s",
			 vb_topo_missing_reason(c->t, d->unknown_first),
			 m->nodes[d->unknown_first].name, vb_p2p_domain_name(m, d));
		return NULL;
	}
	return vb_p2p_domain_name(m, d);
}

static void str_attr(struct vb_out *o, const char *name, const struct vb_k8s_attr *a)
{
	if (a->present)
		out_str(o, name, NULL, a->str);
	else
		out_null(o, name, NULL);
}

void cli_attrs_json(struct vb_out *o, const struct cli_attrs *c, const char *bdf)
{
	struct vb_k8s_attrs a;
	char why[VB_K8S_REASON_LEN + 640];
	const char *domain;

	vb_k8s_attrs_read(c->sys, bdf, &a);
	domain = published_domain(c, node_of(c, bdf), why, sizeof(why));
	out_open_object(o, "attributes");
	str_attr(o, VB_K8S_ATTR_PCI_BUS_ID, &a.pci_bus_id);
	str_attr(o, VB_K8S_ATTR_PCIE_ROOT, &a.pcie_root);
	if (a.numa_node.present)
		out_int(o, VB_K8S_ATTR_NUMA_NODE, NULL, a.numa_node.num);
	else
		out_null(o, VB_K8S_ATTR_NUMA_NODE, NULL);
	out_str_or_null(o, VB_ATTR_P2P_DOMAIN, NULL, domain);
	out_close_object(o);
	out_open_object(o, "attribute_reasons");
	if (!a.pci_bus_id.present)
		out_str(o, VB_K8S_ATTR_PCI_BUS_ID, NULL, a.pci_bus_id.reason);
	if (!a.pcie_root.present)
		out_str(o, VB_K8S_ATTR_PCIE_ROOT, NULL, a.pcie_root.reason);
	if (!a.numa_node.present)
		out_str(o, VB_K8S_ATTR_NUMA_NODE, NULL, a.numa_node.reason);
	if (!domain)
		out_str(o, VB_ATTR_P2P_DOMAIN, NULL, why);
	out_close_object(o);
}

static const char *kind_name(enum vb_p2p_domain_kind k)
{
	return k == VB_P2P_DOMAIN_BRIDGE ? "bridge" : k == VB_P2P_DOMAIN_SELF ? "self" : NULL;
}

void cli_attrs_domain_json(struct vb_out *o, const struct cli_attrs *c, int i)
{
	const struct vb_p2p_domain *d = cli_attrs_domain(c, i);
	const struct vb_p2p_model *m = c->t ? &c->t->model : NULL;

	out_str_or_null(o, "p2p_domain", NULL, d ? vb_p2p_domain_name(m, d) : NULL);
	out_str_or_null(o, "p2p_domain_kind", NULL, d ? kind_name(d->kind) : NULL);
	out_bool(o, "p2p_domain_uncertain", NULL, d && d->uncertain);
	if (!d || !d->uncertain) {
		out_null(o, "p2p_domain_missing", NULL);
		return;
	}
	out_open_object(o, "p2p_domain_missing");
	out_int(o, "acs_unread", NULL, d->nunknown);
	out_str(o, "first", NULL, m->nodes[d->unknown_first].name);
	out_str(o, "reason", NULL, vb_topo_missing_reason(c->t, d->unknown_first));
	out_close_object(o);
}

static void text_line(struct vb_out *o, const char *name, const char *val, const char *why)
{
	if (val)
		out_text(o, "    %-33s %s\n", name, val);
	else
		out_text(o, "    %-33s - (%s)\n", name, why);
}

void cli_attrs_text(struct vb_out *o, const struct cli_attrs *c, const char *bdf)
{
	struct vb_k8s_attrs a;
	char why[VB_K8S_REASON_LEN + 640], num[24];
	const char *domain;

	vb_k8s_attrs_read(c->sys, bdf, &a);
	domain = published_domain(c, node_of(c, bdf), why, sizeof(why));
	snprintf(num, sizeof(num), "%lld", a.numa_node.num);
	out_text(o, "  DRA attributes:\n");
	text_line(o, VB_K8S_ATTR_PCI_BUS_ID, a.pci_bus_id.present ? a.pci_bus_id.str : NULL,
		  a.pci_bus_id.reason);
	text_line(o, VB_K8S_ATTR_PCIE_ROOT, a.pcie_root.present ? a.pcie_root.str : NULL,
		  a.pcie_root.reason);
	text_line(o, VB_K8S_ATTR_NUMA_NODE, a.numa_node.present ? num : NULL, a.numa_node.reason);
	text_line(o, VB_ATTR_P2P_DOMAIN, domain, why);
}
