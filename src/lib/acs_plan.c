/* acs_plan: clearing ACS redirect for P2P, and what it costs (see acs_plan.h). */
#include "acs_plan.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the P2P part ------------------------------------------------------- */

/* Mark the nodes on the kernel's path for a pair with a common upstream:
 * the provider's chain up to and including the common node, then the
 * client's chain below it (calc_map_type_and_dist). */
static void mark_path(const struct vb_p2p_model *m, int a, int b, int common, int *onpath)
{
	int x;

	for (int i = 0; (x = vb_p2p_ancestor(m, a, i)) >= 0; i++) {
		onpath[x]++;
		if (x == common)
			break;
	}
	for (int j = 0; (x = vb_p2p_ancestor(m, b, j)) >= 0 && x != common; j++)
		onpath[x]++;
}

static int collect_ports(const struct vb_topo *t, const int *onpath, struct vb_acs_plan *p)
{
	size_t n = t->devs.n, k = 0;

	for (size_t i = 0; i < n; i++)
		k += onpath[i] > 0;
	p->ports = calloc(k ? k : 1, sizeof(*p->ports));
	if (!p->ports)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct vb_device *d = &t->devs.v[i];
		struct vb_acs_port *pt;

		if (!onpath[i])
			continue;
		pt = &p->ports[p->nports++];
		pt->node = (int)i;
		pt->npairs = onpath[i];
		pt->unknown = d->acs == VB_ACS_UNREADABLE;
		pt->redirect = d->acs == VB_ACS_PRESENT && (d->acs_ctrl & VB_ACS_REDIR_MASK);
		p->uncertain |= pt->unknown;
		if (pt->redirect) {
			pt->planned = true;
			pt->clear = d->acs_ctrl & VB_ACS_REDIR_MASK;
			pt->new_ctrl = d->acs_ctrl & (uint16_t)~VB_ACS_REDIR_MASK;
			p->nplanned++;
		}
	}
	return 0;
}

const struct vb_acs_port *vb_acs_plan_port(const struct vb_acs_plan *p, int node)
{
	size_t lo = 0, hi = p->nports;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->ports[mid].node == node)
			return &p->ports[mid];
		if (p->ports[mid].node < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The verdicts again on a copy of the model whose planned ports no longer
 * redirect. */
static int verify(const struct vb_topo *t, struct vb_acs_plan *p)
{
	struct vb_p2p_model copy = t->model;
	struct vb_p2p_result r;

	copy.nodes = malloc((t->model.n ? t->model.n : 1) * sizeof(*copy.nodes));
	if (!copy.nodes)
		return -1;
	memcpy(copy.nodes, t->model.nodes, t->model.n * sizeof(*copy.nodes));
	for (size_t i = 0; i < p->nports; i++)
		if (p->ports[i].planned)
			copy.nodes[p->ports[i].node].acs = VB_P2P_ACS_NONE;
	p->verified = true;
	for (size_t i = 0; i < p->npairs; i++) {
		struct vb_acs_pair *pr = &p->pairs[i];

		vb_p2p_pair(&copy, pr->a, pr->b, &r);
		pr->after = r.verdict;
		pr->uncertain_after = r.uncertain;
		if (pr->common && pr->after != VB_P2P_BUS_ADDR)
			p->verified = false;
	}
	free(copy.nodes);
	return 0;
}

/* ---- the isolation part ------------------------------------------------- */

static enum vb_tristate flags_enabled(const struct vb_device *d, uint16_t ctrl)
{
	uint16_t need;

	if (d->acs == VB_ACS_UNREADABLE)
		return VB_UNKNOWN;
	if (d->acs == VB_ACS_ABSENT)
		return VB_NO;
	/* bits the port lacks are hard-wired enabled (pci_acs_flags_enabled) */
	need = VB_ACS_ISOLATION_MASK & d->acs_cap;
	return (ctrl & need) == need ? VB_YES : VB_NO;
}

enum vb_tristate vb_acs_isolates(const struct vb_device *d, uint16_t ctrl)
{
	switch (d->pcie_type) {
	case VB_PCIE_UNKNOWN:
		return VB_UNKNOWN;
	case VB_PCIE_NOT_PCIE:
	case VB_PCIE_PCIE_TO_PCI:
	case VB_PCIE_PCI_TO_PCIE:
	case VB_PCIE_RC_EVENT_COLLECTOR:
		return VB_NO;
	case VB_PCIE_DOWNSTREAM:
	case VB_PCIE_ROOT_PORT:
		return flags_enabled(d, ctrl);
	case VB_PCIE_ENDPOINT:
	case VB_PCIE_UPSTREAM:
	case VB_PCIE_LEGACY_ENDPOINT:
	case VB_PCIE_RC_ENDPOINT:
		return d->multifunction ? flags_enabled(d, ctrl) : VB_YES;
	default:
		return VB_YES;
	}
}

struct group_sim {
	const struct vb_topo *t;
	const uint16_t *ctrl;   /* ACS control per node */
	enum vb_tristate *iso;  /* vb_acs_isolates per node */
	int *uf;                /* union-find parent */
	bool unknown;           /* a decision rested on an input not read */
};

static int uf_find(int *uf, int x)
{
	while (uf[x] != x) {
		uf[x] = uf[uf[x]];
		x = uf[x];
	}
	return x;
}

static void uf_union(int *uf, int a, int b)
{
	a = uf_find(uf, a);
	b = uf_find(uf, b);
	if (a != b)
		uf[a > b ? a : b] = a < b ? a : b;
}

/* pci_acs_path_enabled(bridge, NULL, REQ_ACS_FLAGS) */
static enum vb_tristate path_isolates(struct group_sim *g, int bridge)
{
	enum vb_tristate res = VB_YES;
	int x;

	for (int i = 0; (x = vb_p2p_ancestor(&g->t->model, bridge, i)) >= 0; i++) {
		if (g->iso[x] == VB_NO)
			return VB_NO;
		if (g->iso[x] == VB_UNKNOWN)
			res = VB_UNKNOWN;
	}
	return res;
}

/* The function whose group node i takes: the topmost bridge reached while
 * the path above is not isolated (pci_device_group's loop). */
static int group_owner(struct group_sim *g, int i)
{
	int x = i;

	for (;;) {
		int b = g->t->model.nodes[x].up;
		enum vb_tristate iso;

		if (b < 0)
			return x;
		iso = path_isolates(g, b);
		if (iso == VB_UNKNOWN)
			g->unknown = true;
		if (iso != VB_NO)
			return x;
		x = b;
	}
}

static bool same_slot(const struct vb_device *a, const struct vb_device *b)
{
	return a->bdf.domain == b->bdf.domain && a->bdf.bus == b->bdf.bus &&
	       a->bdf.dev == b->bdf.dev;
}

static void simulate_groups(struct group_sim *g)
{
	size_t n = g->t->devs.n;

	for (size_t i = 0; i < n; i++) {
		g->uf[i] = (int)i;
		g->iso[i] = vb_acs_isolates(&g->t->devs.v[i], g->ctrl[i]);
	}
	for (size_t i = 0; i < n; i++) {
		int owner = group_owner(g, (int)i);

		uf_union(g->uf, (int)i, owner);
		if (owner != (int)i || !g->t->devs.v[i].multifunction)
			continue;
		if (g->iso[i] == VB_UNKNOWN)
			g->unknown = true;
		if (g->iso[i] != VB_NO)
			continue;
		/* get_pci_function_alias_group: the other functions of the slot
		 * that are not isolated either (devices are sorted by BDF) */
		for (size_t j = i + 1; j < n && same_slot(&g->t->devs.v[i], &g->t->devs.v[j]); j++)
			if (g->iso[j] != VB_YES)
				uf_union(g->uf, (int)i, (int)j);
	}
}

struct grp_idx {
	int group, node;
};

static int cmp_grp(const void *a, const void *b)
{
	const struct grp_idx *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return (x->node > y->node) - (x->node < y->node);
}

/* Does the simulated partition equal the kernel's groups (functions with a
 * group only)?  Returns -1 when out of memory. */
static int compare_with_kernel(const struct vb_topo *t, int *uf, bool *same)
{
	size_t n = t->devs.n, k = 0;
	struct grp_idx *v = calloc(n ? n : 1, sizeof(*v));
	int *class_group = malloc((n ? n : 1) * sizeof(int));

	if (!v || !class_group) {
		free(v);
		free(class_group);
		return -1;
	}
	*same = true;
	for (size_t i = 0; i < n; i++) {
		class_group[i] = -1;
		if (t->devs.v[i].iommu_group >= 0)
			v[k++] = (struct grp_idx){ t->devs.v[i].iommu_group, (int)i };
	}
	qsort(v, k, sizeof(*v), cmp_grp);
	for (size_t i = 0; i < k && *same; i++) {
		int c = uf_find(uf, v[i].node);

		/* one kernel group, one class ... */
		if (i > 0 && v[i].group == v[i - 1].group && uf_find(uf, v[i - 1].node) != c)
			*same = false;
		/* ... and one class, one kernel group */
		if (class_group[c] >= 0 && class_group[c] != v[i].group)
			*same = false;
		class_group[c] = v[i].group;
	}
	free(v);
	free(class_group);
	return 0;
}

static int add_int(int **v, size_t *n, int x)
{
	int *nv;

	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == x)
			return 0;
	nv = realloc(*v, (*n + 1) * sizeof(int));
	if (!nv)
		return -1;
	nv[(*n)++] = x;
	*v = nv;
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* One merge per class after the change that joins classes of before (in
 * the order of their lowest group number, sorted by the caller). */
static int find_merges(const struct vb_topo *t, struct vb_acs_plan *p, int *before, int *after)
{
	size_t n = t->devs.n;

	for (size_t r = 0; r < n; r++) {
		struct vb_acs_merge mg = { 0 };
		int first_before = -1;
		bool joins = false;

		if (uf_find(after, (int)r) != (int)r)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (uf_find(after, (int)i) != (int)r)
				continue;
			if (first_before < 0)
				first_before = uf_find(before, (int)i);
			else if (uf_find(before, (int)i) != first_before)
				joins = true;
			if (add_int(&mg.members, &mg.nmembers, (int)i) < 0 ||
			    (t->devs.v[i].iommu_group >= 0 &&
			     add_int(&mg.groups, &mg.ngroups, t->devs.v[i].iommu_group) < 0) ||
			    (vb_acs_plan_port(p, (int)i) && vb_acs_plan_port(p, (int)i)->planned &&
			     add_int(&mg.ports, &mg.nports, (int)i) < 0))
				goto oom;
		}
		if (!joins || mg.ngroups < 2) {
			free(mg.members);
			free(mg.groups);
			free(mg.ports);
			continue;
		}
		qsort(mg.groups, mg.ngroups, sizeof(int), cmp_int);
		{
			struct vb_acs_merge *nm = realloc(p->merges, (p->nmerges + 1) * sizeof(*nm));

			if (!nm)
				goto oom;
			p->merges = nm;
			p->merges[p->nmerges++] = mg;
		}
		continue;
oom:
		free(mg.members);
		free(mg.groups);
		free(mg.ports);
		return -1;
	}
	return 0;
}

static int cmp_merge(const void *a, const void *b)
{
	const struct vb_acs_merge *x = a, *y = b;

	return cmp_int(&x->groups[0], &y->groups[0]);
}

static int isolation_cost(const struct vb_topo *t, struct vb_acs_plan *p)
{
	size_t n = t->devs.n, m = n ? n : 1;
	uint16_t *ctrl = calloc(m, sizeof(*ctrl));
	enum vb_tristate *iso = calloc(m, sizeof(*iso));
	int *before = calloc(m, sizeof(int)), *after = calloc(m, sizeof(int));
	struct group_sim g = { t, ctrl, iso, before, false };
	bool same = false;
	int rc = -1;

	if (!ctrl || !iso || !before || !after)
		goto out;
	p->groups_estimated = true;
	for (size_t i = 0; i < n; i++) {
		ctrl[i] = t->devs.v[i].acs_ctrl;
		p->iommu |= t->devs.v[i].iommu_group >= 0;
	}
	simulate_groups(&g);
	if (compare_with_kernel(t, before, &same) < 0)
		goto out;
	p->model_matches_kernel = !p->iommu || g.unknown ? VB_UNKNOWN : same ? VB_YES : VB_NO;
	for (size_t i = 0; i < p->nports; i++)
		if (p->ports[i].planned)
			ctrl[p->ports[i].node] = p->ports[i].new_ctrl;
	g.uf = after;
	simulate_groups(&g);
	rc = find_merges(t, p, before, after);
	if (p->nmerges > 1)
		qsort(p->merges, p->nmerges, sizeof(*p->merges), cmp_merge);
out:
	free(ctrl);
	free(iso);
	free(before);
	free(after);
	return rc;
}

/* ---- the plan ----------------------------------------------------------- */

int vb_acs_plan_make(const struct vb_topo *t, const int *endpoints, size_t n,
		     struct vb_acs_plan *p, struct vb_err *e)
{
	size_t nd = t->devs.n;
	int *onpath = NULL;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < n; i++)
		if (endpoints[i] < 0 || (size_t)endpoints[i] >= nd)
			return vb_err_set(e, VB_EXIT_FAIL, EINVAL, NULL, "bad endpoint index %d",
					  endpoints[i]);
	p->endpoints = malloc((n ? n : 1) * sizeof(int));
	p->pairs = calloc(n > 1 ? n * (n - 1) / 2 : 1, sizeof(*p->pairs));
	onpath = calloc(nd ? nd : 1, sizeof(int));
	if (!p->endpoints || !p->pairs || !onpath)
		goto oom;
	memcpy(p->endpoints, endpoints, n * sizeof(int));
	p->nendpoints = n;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			struct vb_acs_pair *pr = &p->pairs[p->npairs++];
			struct vb_p2p_result r;

			pr->a = endpoints[i];
			pr->b = endpoints[j];
			vb_p2p_pair(&t->model, pr->a, pr->b, &r);
			pr->common = r.common >= 0;
			pr->before = r.verdict;
			pr->uncertain_before = r.uncertain;
			if (pr->common)
				mark_path(&t->model, pr->a, pr->b, r.common, onpath);
		}
	}
	if (collect_ports(t, onpath, p) < 0 || verify(t, p) < 0 || isolation_cost(t, p) < 0)
		goto oom;
	free(onpath);
	return 0;
oom:
	free(onpath);
	vb_acs_plan_free(p);
	return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
}

void vb_acs_plan_free(struct vb_acs_plan *p)
{
	for (size_t i = 0; i < p->nmerges; i++) {
		free(p->merges[i].groups);
		free(p->merges[i].members);
		free(p->merges[i].ports);
	}
	free(p->merges);
	free(p->endpoints);
	free(p->ports);
	free(p->pairs);
	memset(p, 0, sizeof(*p));
}

/* ---- what to tell the kernel -------------------------------------------- */

const char *vb_acs_config_flags(const struct vb_device *d, const struct vb_acs_port *port,
				char *buf, size_t n)
{
	size_t k = 0;

	if (n < 8) {
		if (n)
			buf[0] = '\0';
		return buf;
	}
	for (int bit = 6; bit >= 0; bit--) {
		uint16_t b = (uint16_t)(1u << bit);
		char c = 'x';

		if (b & VB_ACS_REDIR_MASK) {
			if ((d->acs_cap & b) || (port->clear & b))
				c = '0';
		} else if (d->acs_cap & b) {
			c = (d->acs_ctrl & b) ? '1' : '0';
		}
		buf[k++] = c;
	}
	buf[k] = '\0';
	return buf;
}

/* Append to a growing string; -1 when out of memory. */
static int append(char **s, size_t *len, const char *a, const char *b)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0;
	char *ns = realloc(*s, *len + la + lb + 1);

	if (!ns)
		return -1;
	memcpy(ns + *len, a, la);
	if (b)
		memcpy(ns + *len + la, b, lb);
	*len += la + lb;
	ns[*len] = '\0';
	*s = ns;
	return 0;
}

static char *param(const struct vb_topo *t, const struct vb_acs_plan *p, bool config)
{
	char *s = calloc(1, 1), flags[16];
	size_t len = 0, k = 0;

	if (!s)
		return NULL;
	for (size_t i = 0; i < p->nports; i++) {
		const struct vb_acs_port *pt = &p->ports[i];
		const struct vb_device *d = &t->devs.v[pt->node];

		if (!pt->planned)
			continue;
		if ((k++ == 0 && append(&s, &len, config ? "pci=config_acs=" : "pci=disable_acs_redir=",
					NULL) < 0) ||
		    (k > 1 && append(&s, &len, ";", NULL) < 0) ||
		    (config && append(&s, &len, vb_acs_config_flags(d, pt, flags, sizeof(flags)), "@") < 0) ||
		    append(&s, &len, d->name, NULL) < 0) {
			free(s);
			return NULL;
		}
	}
	return s;
}

char *vb_acs_param_disable_redir(const struct vb_topo *t, const struct vb_acs_plan *p)
{
	return param(t, p, false);
}

char *vb_acs_param_config(const struct vb_topo *t, const struct vb_acs_plan *p)
{
	return param(t, p, true);
}

const char *vb_acs_setpci(const struct vb_topo *t, const struct vb_acs_port *port, char *buf,
			  size_t n)
{
	/* ECAP0d: the ACS capability by number, which every setpci with
	 * extended capabilities knows (ECAP_ACS is the same, by name) */
	snprintf(buf, n, "setpci -s %s ECAP0d+6.w=0000:%04x", t->devs.v[port->node].name,
		 port->clear);
	return buf;
}

char *vb_acs_grub_dropin_text(const char *param_text, const char *what)
{
	const char *eq = strchr(param_text, '=');
	const char *val = eq ? strchr(eq + 1, '=') : NULL;
	char *s = NULL;
	int len;

	if (!eq || !val)
		return NULL;
	/* pci=NAME="A;B": GRUB's script reads ';' as a command separator, so the
	 * device list is quoted; GRUB removes the quotes, the kernel gets A;B */
	len = asprintf(&s,
		       "# Written by vfiobuf acs: clears the ACS redirect bits on the P2P paths\n"
		       "# between %s.\n"
		       "# Takes effect after update-grub (or grub-mkconfig) and a reboot;\n"
		       "# removing this file and running update-grub undoes it.\n"
		       "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT %.*s=\\\"%s\\\"\"\n",
		       what, (int)(val - param_text), param_text, val + 1);
	return len < 0 ? NULL : s;
}

bool vb_acs_cmdline_param(const char *cmdline, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);
	bool found = false;
	const char *p = cmdline;

	while (*p) {
		const char *end;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		end = p + strcspn(p, " \t\n");
		if (end - p > 4 && strncmp(p, "pci=", 4) == 0) {
			/* pci_setup: options separated by commas */
			for (const char *o = p + 4; o < end;) {
				const char *oe = memchr(o, ',', (size_t)(end - o));

				if (!oe)
					oe = end;
				if ((size_t)(oe - o) > nl && strncmp(o, name, nl) == 0 && o[nl] == '=') {
					snprintf(out, n, "%.*s", (int)(oe - o - (ptrdiff_t)nl - 1), o + nl + 1);
					found = true;
				}
				o = oe + (oe < end);
			}
		}
		p = end;
	}
	return found;
}
