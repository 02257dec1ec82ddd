/* p2p_domain: P2P domains in O(n * depth) (see p2p_domain.h).
 *
 * A pair of endpoints (a, b) with deepest common node c is bus-addr when no
 * node on a's chain from a up to c (c included) nor on b's chain below c
 * redirects (vb_p2p_pair).  So a node x matters to the pairs below a bridge
 * D (x in D's subtree) exactly when some pair below D has x on its path:
 *   - x heads two branches holding endpoints (x is an endpoint with
 *     endpoints below it, or two of its children hold endpoints): a pair
 *     meets at x;
 *   - or D holds an endpoint outside x's subtree (cnt[D] > cnt[x]) while x
 *     holds one: that pair meets above x.
 * With cnt[] (endpoints at or below a node) and branches[] computed once,
 * each redirecting or unread node marks the ancestors it matters to, a
 * walk up its chain.  "Every pair below D is bus-addr" only gets harder
 * going up (a node that matters to D matters to D's parent), so an
 * endpoint's domain is found walking up from its parent to the first
 * bridge that fails. */
#include "p2p_domain.h"

#include <stdlib.h>
#include <string.h>

bool vb_p2p_is_endpoint(const struct vb_device *d)
{
	return !d->is_bridge && (d->class_code >> 16) != 0x06;
}

struct marks {
	int *cnt;       /* endpoints at or below the node */
	int *branches;  /* the node itself if an endpoint, + children holding endpoints */
	bool *bad;      /* a redirecting node matters to a pair below it */
	int *nunknown;  /* unread nodes that matter to the pairs below it */
	int *unknown_first;
};

static void marks_free(struct marks *k)
{
	free(k->cnt);
	free(k->branches);
	free(k->bad);
	free(k->nunknown);
	free(k->unknown_first);
}

static int marks_alloc(struct marks *k, size_t n)
{
	size_t c = n ? n : 1;

	k->cnt = calloc(c, sizeof(int));
	k->branches = calloc(c, sizeof(int));
	k->bad = calloc(c, sizeof(bool));
	k->nunknown = calloc(c, sizeof(int));
	k->unknown_first = malloc(c * sizeof(int));
	if (!k->cnt || !k->branches || !k->bad || !k->nunknown || !k->unknown_first) {
		marks_free(k);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		k->unknown_first[i] = -1;
	return 0;
}

static void count_endpoints(const struct vb_p2p_model *m, const bool *endpoint, struct marks *k)
{
	for (size_t i = 0; i < m->n; i++) {
		if (!endpoint[i])
			continue;
		for (int d = 0; d < m->nodes[i].depth; d++)
			k->cnt[vb_p2p_ancestor(m, (int)i, d)]++;
	}
	for (size_t i = 0; i < m->n; i++) {
		int up = m->nodes[i].up;

		if (endpoint[i])
			k->branches[i]++;
		if (k->cnt[i] > 0 && up >= 0)
			k->branches[up]++;
	}
}

/* Node x redirects or was not read: mark the ancestors D (x included)
 * whose pairs it lies between. */
static void mark_ancestors(const struct vb_p2p_model *m, int x, struct marks *k)
{
	bool redirect = m->nodes[x].acs == VB_P2P_ACS_REDIRECT;

	for (int d = 0; d < m->nodes[x].depth; d++) {
		int D = vb_p2p_ancestor(m, x, d);

		if (k->branches[x] < 2 && k->cnt[D] <= k->cnt[x])
			continue;
		if (redirect) {
			k->bad[D] = true;
		} else {
			k->nunknown[D]++;
			if (k->unknown_first[D] < 0 || x < k->unknown_first[D])
				k->unknown_first[D] = x;
		}
	}
}

static void domain_of(const struct vb_p2p_model *m, int e, const struct marks *k,
		      struct vb_p2p_domain *out)
{
	out->kind = VB_P2P_DOMAIN_SELF;
	out->head = e;
	for (int d = 1; d < m->nodes[e].depth; d++) {
		int D = vb_p2p_ancestor(m, e, d);

		if (k->bad[D])
			break;
		out->kind = VB_P2P_DOMAIN_BRIDGE;
		out->head = D;
	}
	if (out->kind == VB_P2P_DOMAIN_BRIDGE) {
		out->nunknown = k->nunknown[out->head];
		out->unknown_first = k->unknown_first[out->head];
		out->uncertain = out->nunknown > 0;
	}
}

int vb_p2p_domains(const struct vb_p2p_model *m, const bool *endpoint,
		   struct vb_p2p_domain *out)
{
	struct marks k;

	if (marks_alloc(&k, m->n) < 0)
		return -1;
	count_endpoints(m, endpoint, &k);
	for (size_t x = 0; x < m->n; x++)
		if (m->nodes[x].acs != VB_P2P_ACS_NONE && k.cnt[x] > 0)
			mark_ancestors(m, (int)x, &k);
	for (size_t i = 0; i < m->n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].head = -1;
		out[i].unknown_first = -1;
		if (endpoint[i])
			domain_of(m, (int)i, &k, &out[i]);
	}
	marks_free(&k);
	return 0;
}

const char *vb_p2p_domain_name(const struct vb_p2p_model *m, const struct vb_p2p_domain *d)
{
	if (d->kind == VB_P2P_DOMAIN_NONE || d->head < 0 || (size_t)d->head >= m->n)
		return NULL;
	return m->nodes[d->head].name;
}

struct vb_p2p_domain *vb_p2p_domains_of(const struct vb_p2p_model *m,
					 const struct vb_device *devs)
{
	struct vb_p2p_domain *dom = calloc(m->n + 1, sizeof(*dom));
	bool *ep = calloc(m->n + 1, sizeof(bool));

	if (dom && ep) {
		for (size_t i = 0; i < m->n; i++)
			ep[i] = vb_p2p_is_endpoint(&devs[i]);
		if (vb_p2p_domains(m, ep, dom) == 0) {
			free(ep);
			return dom;
		}
	}
	free(ep);
	free(dom);
	return NULL;
}
