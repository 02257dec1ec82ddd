/* k8s_slices: ResourceSlices parsed and checked against this host (see
 * k8s_slices.h). */
#include "k8s_slices.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_attr.h"

#define API_VERSION "resource.k8s.io/v1"

/* ---- parsing ------------------------------------------------------------------ */

static const char *jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* One attribute value: exactly one known, non-null member. */
static void parse_value(json_t *v, struct vb_k8s_value *out)
{
	static const struct {
		const char *key;
		enum vb_k8s_vtype type;
	} forms[] = {
		{ "int", VB_K8S_INT }, { "bool", VB_K8S_BOOL }, { "string", VB_K8S_STRING },
		{ "version", VB_K8S_VERSION }, { "ints", VB_K8S_INTS }, { "bools", VB_K8S_OTHER_LIST },
		{ "strings", VB_K8S_OTHER_LIST }, { "versions", VB_K8S_OTHER_LIST },
	};
	const char *key;
	json_t *m;
	int n = 0;

	memset(out, 0, sizeof(*out));
	if (!v)
		return;
	out->raw = v;
	out->type = VB_K8S_MALFORMED;
	if (!json_is_object(v))
		return;
	json_object_foreach(v, key, m) {
		size_t k, nforms = sizeof(forms) / sizeof(forms[0]);

		if (json_is_null(m))
			continue;
		for (k = 0; k < nforms && strcmp(forms[k].key, key) != 0; k++)
			;
		if (k == nforms || n++) {
			out->type = VB_K8S_MALFORMED;
			return;
		}
		out->type = forms[k].type;
		switch (forms[k].type) {
		case VB_K8S_INT:
			if (!json_is_integer(m))
				out->type = VB_K8S_MALFORMED;
			out->num = json_integer_value(m);
			break;
		case VB_K8S_BOOL:
			if (!json_is_boolean(m))
				out->type = VB_K8S_MALFORMED;
			break;
		case VB_K8S_STRING:
		case VB_K8S_VERSION:
			out->str = json_string_value(m);
			if (!out->str)
				out->type = VB_K8S_MALFORMED;
			break;
		case VB_K8S_INTS:
			if (!json_is_array(m) || !json_is_integer(json_array_get(m, 0)))
				out->type = VB_K8S_MALFORMED;
			out->num = json_integer_value(json_array_get(m, 0));
			break;
		default:
			if (!json_is_array(m) || json_array_size(m) == 0)
				out->type = VB_K8S_MALFORMED;
			break;
		}
	}
	if (n == 0)
		out->type = VB_K8S_MALFORMED;
}

static int skip(struct vb_k8s_slices *s, const char *slice, const char *fmt, const char *arg)
{
	struct vb_k8s_skipped *k = realloc(s->skipped, (s->nskipped + 1) * sizeof(*k));

	if (!k)
		return -1;
	s->skipped = k;
	k = &s->skipped[s->nskipped++];
	k->slice = slice ? slice : "";
	snprintf(k->reason, sizeof(k->reason), fmt, arg);
	return 0;
}

struct candidate {
	json_t *item;
	const char *name, *driver, *pool;
	json_int_t gen;
};

/* A slice of this node, or a reason to skip it (1), or -1 (memory). */
static int screen(struct vb_k8s_slices *s, json_t *item, const char *node, struct candidate *c)
{
	const json_t *spec, *pool, *gen;
	const char *kind, *api, *nn;

	c->item = item;
	c->name = jstr(json_object_get(item, "metadata"), "name");
	if (!json_is_object(item))
		return skip(s, NULL, "not an object%s", "") < 0 ? -1 : 1;
	kind = jstr(item, "kind");
	api = jstr(item, "apiVersion");
	if (!kind || strcmp(kind, "ResourceSlice") != 0)
		return skip(s, c->name, "kind %.60s: not a ResourceSlice", kind ? kind : "missing") < 0 ? -1 : 1;
	if (!api || strcmp(api, API_VERSION) != 0)
		return skip(s, c->name, "apiVersion %.60s: only " API_VERSION " is read", api ? api : "missing") < 0 ? -1 : 1;
	spec = json_object_get(item, "spec");
	nn = jstr(spec, "nodeName");
	if (!json_is_object(spec))
		return skip(s, c->name, "no spec%s", "") < 0 ? -1 : 1;
	if (!nn)
		return skip(s, c->name, "not node-local (no spec.nodeName)%s", "") < 0 ? -1 : 1;
	if (strcmp(nn, node) != 0) {
		s->nother_nodes++;
		return 1;
	}
	c->driver = jstr(spec, "driver");
	pool = json_object_get(spec, "pool");
	c->pool = jstr(pool, "name");
	gen = json_object_get(pool, "generation");
	if (!c->driver || !c->pool || !json_is_integer(gen))
		return skip(s, c->name, "spec.driver, spec.pool.name or spec.pool.generation missing%s", "") < 0 ? -1 : 1;
	c->gen = json_integer_value(gen);
	return 0;
}

static int cmp_candidate(const void *pa, const void *pb)
{
	const struct candidate *a = pa, *b = pb;
	int r = strcmp(a->driver, b->driver);

	if (!r)
		r = strcmp(a->pool, b->pool);
	if (!r)
		r = a->gen < b->gen ? 1 : a->gen > b->gen ? -1 : 0; /* highest first */
	return r;
}

static void parse_device(json_t *d, const struct candidate *c, struct vb_k8s_device *out)
{
	json_t *attrs = json_object_get(d, "attributes");

	memset(out, 0, sizeof(*out));
	out->slice = c->name ? c->name : "";
	out->driver = c->driver;
	out->pool = c->pool;
	out->name = jstr(d, "name");
	if (!out->name)
		out->name = "";
	if (!json_is_object(attrs))
		return;
	parse_value(json_object_get(attrs, VB_K8S_ATTR_PCI_BUS_ID), &out->bus_id);
	parse_value(json_object_get(attrs, VB_K8S_ATTR_PCIE_ROOT), &out->pcie_root);
	parse_value(json_object_get(attrs, VB_K8S_ATTR_NUMA_NODE), &out->numa_node);
	parse_value(json_object_get(attrs, VB_ATTR_P2P_DOMAIN), &out->p2p_domain);
}

static int add_devices(struct vb_k8s_slices *s, const struct candidate *c)
{
	json_t *devs = json_object_get(json_object_get(c->item, "spec"), "devices"), *d;
	size_t i, n;
	struct vb_k8s_device *v;

	if (!devs)
		return 0;
	if (!json_is_array(devs))
		return skip(s, c->name, "spec.devices is not a list%s", "");
	n = json_array_size(devs);
	v = realloc(s->dev, (s->ndev + n + 1) * sizeof(*v));
	if (!v)
		return -1;
	s->dev = v;
	json_array_foreach(devs, i, d) {
		if (!json_is_object(d)) {
			if (skip(s, c->name, "a device is not an object%s", "") < 0)
				return -1;
			continue;
		}
		parse_device(d, c, &s->dev[s->ndev++]);
	}
	return 0;
}

static int oom(struct vb_k8s_slices *s, struct vb_err *e)
{
	vb_k8s_slices_free(s);
	return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
}

int vb_k8s_slices_parse(const char *buf, size_t len, const char *node,
			struct vb_k8s_slices *out, struct vb_err *e)
{
	json_error_t jerr;
	json_t *items, *it;
	const char *kind;
	struct candidate *c;
	size_t n, nc = 0, i;

	memset(out, 0, sizeof(*out));
	out->doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!out->doc)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "not JSON: line %d: %s", jerr.line, jerr.text);
	kind = jstr(out->doc, "kind");
	items = json_object_get(out->doc, "items");
	if (kind && strcmp(kind, "ResourceSlice") == 0) {
		items = json_array();
		if (!items || json_array_append(items, out->doc) < 0) {
			json_decref(items);
			return oom(out, e);
		}
		json_decref(out->doc);
		out->doc = items;
	} else if (!json_is_array(items) || !kind || strlen(kind) < 4 ||
		   strcmp(kind + strlen(kind) - 4, "List") != 0) {
		vb_k8s_slices_free(out);
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL,
				  "not a ResourceSlice or a List of them (kubectl get resourceslices -o json)");
	}
	n = json_array_size(items);
	c = calloc(n + 1, sizeof(*c));
	if (!c)
		return oom(out, e);
	json_array_foreach(items, i, it) {
		int r = screen(out, it, node, &c[nc]);

		if (r < 0) {
			free(c);
			return oom(out, e);
		}
		nc += r == 0;
	}
	qsort(c, nc, sizeof(*c), cmp_candidate);
	for (i = 0; i < nc; i++) {
		char gen[32];

		/* sorted highest generation first within a pool */
		if (i > 0 && strcmp(c[i].driver, c[i - 1].driver) == 0 &&
		    strcmp(c[i].pool, c[i - 1].pool) == 0 && c[i].gen < c[i - 1].gen) {
			snprintf(gen, sizeof(gen), "%lld", (long long)c[i - 1].gen);
			if (skip(out, c[i].name, "superseded: its pool has generation %s", gen) < 0) {
				free(c);
				return oom(out, e);
			}
			c[i].gen = c[i - 1].gen; /* the rest of the run is older still */
			continue;
		}
		out->nslices++;
		if (add_devices(out, &c[i]) < 0) {
			free(c);
			return oom(out, e);
		}
	}
	free(c);
	return 0;
}

void vb_k8s_slices_free(struct vb_k8s_slices *s)
{
	json_decref(s->doc);
	free(s->dev);
	free(s->skipped);
	memset(s, 0, sizeof(*s));
}

/* ---- the check ----------------------------------------------------------------- */

static const char *vtype_name(enum vb_k8s_vtype t)
{
	static const char *const names[] = { "absent", "a string", "an int", "a bool", "a version",
					     "a list of ints", "a list", "malformed" };

	return names[t];
}

static struct vb_k8s_issue *add_issue(struct vb_k8s_report *r, enum vb_k8s_issue_kind kind,
				      size_t dev, int node)
{
	struct vb_k8s_issue *v;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;

		v = realloc(r->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		r->v = v;
		r->cap = cap;
	}
	v = &r->v[r->n++];
	memset(v, 0, sizeof(*v));
	v->kind = kind;
	v->dev = v->dev2 = dev;
	v->node = v->node2 = node;
	return v;
}

/* An attribute issue: computed is stolen (NULL: null). */
static int attr_issue(struct vb_k8s_report *r, size_t dev, int node, const char *attr,
		      json_t *computed, bool uncertain, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static int attr_issue(struct vb_k8s_report *r, size_t dev, int node, const char *attr,
		      json_t *computed, bool uncertain, const char *fmt, ...)
{
	struct vb_k8s_issue *v = add_issue(r, VB_K8S_ISSUE_ATTR, dev, node);
	va_list ap;

	if (!v) {
		json_decref(computed);
		return -1;
	}
	v->attr = attr;
	v->computed = computed;
	v->uncertain = uncertain;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
	return 0;
}

/* A published string attribute against Kubernetes' own value. */
static int check_string(struct vb_k8s_report *r, size_t i, int node, const char *attr,
			const struct vb_k8s_value *pub, const struct vb_k8s_attr *k)
{
	json_t *mine = k->present ? json_string(k->str) : NULL;

	if (pub->type == VB_K8S_ABSENT) {
		json_decref(mine);
		return 0;
	}
	if (pub->type != VB_K8S_STRING)
		return attr_issue(r, i, node, attr, mine, false, "published as %s, not a string",
				  vtype_name(pub->type));
	if (!k->present)
		return attr_issue(r, i, node, attr, NULL, false,
				  "Kubernetes' helper publishes none here: %s", k->reason);
	if (strcmp(pub->str, k->str) != 0)
		return attr_issue(r, i, node, attr, mine, false, "Kubernetes computes %s here", k->str);
	json_decref(mine);
	return 0;
}

static int check_numa(struct vb_k8s_report *r, size_t i, int node, const struct vb_k8s_value *pub,
		      const struct vb_k8s_attr *k)
{
	json_t *mine = k->present ? json_integer(k->num) : NULL;
	const char *a = VB_K8S_ATTR_NUMA_NODE;

	if (pub->type == VB_K8S_ABSENT) {
		json_decref(mine);
		return 0;
	}
	if (pub->type != VB_K8S_INT && pub->type != VB_K8S_INTS)
		return attr_issue(r, i, node, a, mine, false, "published as %s, not an int",
				  vtype_name(pub->type));
	if (!k->present)
		return attr_issue(r, i, node, a, NULL, false, "Kubernetes' helper publishes none here: %s",
				  k->reason);
	if (pub->num != k->num)
		return attr_issue(r, i, node, a, mine, false, "the function's numa_node is %lld%s", k->num,
				  pub->type == VB_K8S_INTS ? " (the first element of the list)" : "");
	json_decref(mine);
	return 0;
}

/* Is name on node's chain from the node up to head (both included)? */
static bool on_chain_below(const struct vb_p2p_model *m, int node, int head, const char *name)
{
	for (int k = 0; k < m->nodes[node].depth; k++) {
		int x = vb_p2p_ancestor(m, node, k);

		if (strcmp(m->nodes[x].name, name) == 0)
			return true;
		if (x == head)
			break;
	}
	return false;
}

static int check_domain(struct vb_k8s_report *r, const struct vb_topo *t, size_t i, int node,
			const struct vb_k8s_value *pub, const struct vb_p2p_domain *d)
{
	const struct vb_p2p_model *m = &t->model;
	const char *a = VB_ATTR_P2P_DOMAIN, *mine = vb_p2p_domain_name(m, d);

	if (pub->type == VB_K8S_ABSENT)
		return 0;
	if (pub->type != VB_K8S_STRING)
		return attr_issue(r, i, node, a, mine && !d->uncertain ? json_string(mine) : NULL, false,
				  "published as %s, not a string", vtype_name(pub->type));
	if (!mine)
		return attr_issue(r, i, node, a, NULL, false, "not a P2P endpoint (a bridge or class-06 function)");
	if (!d->uncertain) {
		if (strcmp(pub->str, mine) == 0)
			return 0;
		return attr_issue(r, i, node, a, json_string(mine), false, "vfiobuf computes %s here", mine);
	}
	/* in truth the domain is on the chain at or below the optimistic one */
	if (!on_chain_below(m, node, d->head, pub->str))
		return attr_issue(r, i, node, a, NULL, false,
				  "the domain is at most %s (ACS of %d function%s not read): %s cannot be it",
				  mine, d->nunknown, d->nunknown == 1 ? "" : "s", pub->str);
	return attr_issue(r, i, node, a, NULL, true,
			  "uncertain: the ACS of %d function%s on its paths was not read (%s), e.g. %s; assuming no redirect it is %s",
			  d->nunknown, d->nunknown == 1 ? "" : "s", vb_topo_missing_reason(t, d->unknown_first),
			  m->nodes[d->unknown_first].name, mine);
}

/* Match device i to a function; check pciBusID.  Returns the node or -1
 * (-2: out of memory). */
static int match(struct vb_k8s_report *r, const struct vb_sys *s, const struct vb_topo *t,
		 const struct vb_k8s_device *dv, size_t i, struct vb_k8s_attrs *ka)
{
	const char *a = VB_K8S_ATTR_PCI_BUS_ID;
	struct vb_bdf b;
	int node;

	if (dv->bus_id.type == VB_K8S_ABSENT) {
		struct vb_k8s_issue *v = add_issue(r, VB_K8S_ISSUE_UNMATCHED, i, -1);

		if (!v)
			return -2;
		snprintf(v->reason, sizeof(v->reason), "no " VB_K8S_ATTR_PCI_BUS_ID ": not checked");
		return -1;
	}
	if (dv->bus_id.type != VB_K8S_STRING)
		return attr_issue(r, i, -1, a, NULL, false, "published as %s, not a string",
				  vtype_name(dv->bus_id.type)) < 0 ? -2 : -1;
	node = vb_bdf_parse(dv->bus_id.str, &b) < 0 ? -1 : vb_topo_index(t, &b);
	if (node < 0)
		return attr_issue(r, i, -1, a, NULL, false, "no PCI function %.64s on this host",
				  dv->bus_id.str) < 0 ? -2 : -1;
	r->nmatched++;
	vb_k8s_attrs_read(s, t->devs.v[node].name, ka);
	if (strcmp(dv->bus_id.str, t->devs.v[node].name) != 0)
		return attr_issue(r, i, node, a, json_string(t->devs.v[node].name), false,
				  "the function is named %s here", t->devs.v[node].name) < 0 ? -2 : node;
	if (!ka->pci_bus_id.present)
		return attr_issue(r, i, node, a, NULL, false, "Kubernetes' helper publishes none: %s",
				  ka->pci_bus_id.reason) < 0 ? -2 : node;
	return node;
}

static void pair_reason(const struct vb_topo *t, const struct vb_p2p_result *p, char *buf, size_t n)
{
	const struct vb_p2p_model *m = &t->model;
	char adv[512];

	if (p->common < 0)
		snprintf(buf, n, "no common upstream bridge: %s, through the host bridge%s%s",
			 vb_p2p_verdict_name(p->verdict), p->hb_provider == p->hb_client ? " " : "s ",
			 m->bridges[p->hb_provider].name);
	else
		snprintf(buf, n, "%s: ACS redirect on the path (%s)", vb_p2p_verdict_name(p->verdict),
			 vb_p2p_advice(m, p, adv, sizeof(adv)));
}

static const char *root_of(const struct vb_k8s_slices *sl, size_t i)
{
	return sl->dev[i].pcie_root.type == VB_K8S_STRING ? sl->dev[i].pcie_root.str : NULL;
}

/* Every pair of matched devices with the same published pcieRoot. */
static int check_pairs(const struct vb_topo *t, const struct vb_k8s_slices *sl, const int *nodes,
		       struct vb_k8s_report *r)
{
	for (size_t a = 0; a < sl->ndev; a++) {
		if (nodes[a] < 0 || !root_of(sl, a))
			continue;
		for (size_t b = a + 1; b < sl->ndev; b++) {
			struct vb_p2p_result p;
			struct vb_k8s_issue *v;

			if (nodes[b] < 0 || nodes[b] == nodes[a] || !root_of(sl, b) ||
			    strcmp(root_of(sl, a), root_of(sl, b)) != 0)
				continue;
			vb_p2p_pair(&t->model, nodes[a], nodes[b], &p);
			if (p.verdict == VB_P2P_BUS_ADDR && !p.uncertain)
				continue;
			v = add_issue(r, VB_K8S_ISSUE_PAIR, a, nodes[a]);
			if (!v)
				return -1;
			v->dev2 = b;
			v->node2 = nodes[b];
			v->r = p;
			if (p.verdict == VB_P2P_BUS_ADDR) {
				v->uncertain = true;
				snprintf(v->reason, sizeof(v->reason),
					 "bus-addr only if the ACS of %d function%s not read (%s) does not redirect",
					 p.nunknown, p.nunknown == 1 ? "" : "s",
					 vb_topo_missing_reason(t, p.unknown[0]));
			} else {
				pair_reason(t, &p, v->reason, sizeof(v->reason));
			}
		}
	}
	return 0;
}

int vb_k8s_check(const struct vb_sys *s, const struct vb_topo *t, const struct vb_p2p_domain *dom,
		 const struct vb_k8s_slices *sl, struct vb_k8s_report *out, struct vb_err *e)
{
	int *nodes = calloc(sl->ndev + 1, sizeof(int));
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!nodes)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	for (size_t i = 0; i < sl->ndev && rc == 0; i++) {
		const struct vb_k8s_device *dv = &sl->dev[i];
		struct vb_k8s_attrs ka;
		int node = match(out, s, t, dv, i, &ka);

		nodes[i] = node < 0 ? -1 : node;
		if (node == -2)
			rc = -1;
		if (node < 0)
			continue;
		if (check_string(out, i, node, VB_K8S_ATTR_PCIE_ROOT, &dv->pcie_root, &ka.pcie_root) < 0 ||
		    check_numa(out, i, node, &dv->numa_node, &ka.numa_node) < 0 ||
		    check_domain(out, t, i, node, &dv->p2p_domain, &dom[node]) < 0)
			rc = -1;
	}
	if (rc == 0)
		rc = check_pairs(t, sl, nodes, out);
	free(nodes);
	for (size_t i = 0; i < out->n; i++) {
		if (out->v[i].kind == VB_K8S_ISSUE_UNMATCHED)
			continue;
		if (out->v[i].uncertain)
			out->nuncertain++;
		else
			out->nfindings++;
	}
	if (rc < 0)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	return 0;
}

void vb_k8s_report_free(struct vb_k8s_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		json_decref(r->v[i].computed);
	free(r->v);
	memset(r, 0, sizeof(*r));
}
