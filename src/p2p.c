/* p2p: the kernel's P2P map type and distance (see p2p.h). */
#include "p2p.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQ_SAME_HOST_BRIDGE 1

/* drivers/pci/p2pdma.c: pci_p2pdma_whitelist[] (Linux 7.3) */
static const struct {
	uint16_t vendor, device;
	int flags;
} whitelist[] = {
	{ 0x8086, 0x3c00, REQ_SAME_HOST_BRIDGE }, /* Intel Xeon E5/Core i7 */
	{ 0x8086, 0x3c01, REQ_SAME_HOST_BRIDGE },
	{ 0x8086, 0x2f00, REQ_SAME_HOST_BRIDGE }, /* Intel Xeon E5/E7 v3/Core i7 */
	{ 0x8086, 0x2f01, REQ_SAME_HOST_BRIDGE },
	{ 0x8086, 0x2030, 0 },                    /* Intel Skylake-E */
	{ 0x8086, 0x2031, 0 },
	{ 0x8086, 0x2032, 0 },
	{ 0x8086, 0x2033, 0 },
	{ 0x8086, 0x2020, 0 },
	{ 0x8086, 0x09a2, 0 },
	{ 0x8086, 0x0b25, 0 },                    /* DSA SPR0 */
	{ 0x8086, 0x0cfe, 0 },                    /* IAX SPR0 */
	{ 0x8086, 0x11fb, 0 },                    /* DSA GNRD */
	{ 0x8086, 0x1212, 0 },                    /* DSA DMR */
	{ 0x8086, 0x1216, 0 },                    /* IAA DMR */
	{ 0x8086, 0x4940, 0 },                    /* QAT 4xxx family */
	{ 0x8086, 0x4942, 0 },
	{ 0x8086, 0x4944, 0 },
	{ 0x8086, 0x4946, 0 },
	{ 0x8086, 0x4948, 0 },
	{ 0x10de, 0x2f95, 0 },                    /* NVIDIA CPUs */
	{ 0x10de, 0x2f96, 0 },
	{ 0x10de, 0x2f97, 0 },
	{ 0x10de, 0x2f98, 0 },
};

#define GOOGLE_VENDOR 0x1ae0 /* every Google device is listed (PCI_ANY_ID) */

bool vb_p2p_whitelisted(uint16_t vendor, uint16_t device, bool *same_bridge_only)
{
	*same_bridge_only = false;
	if (vendor == GOOGLE_VENDOR)
		return true;
	for (size_t i = 0; i < sizeof(whitelist) / sizeof(whitelist[0]); i++) {
		if (whitelist[i].vendor == vendor && whitelist[i].device == device) {
			*same_bridge_only = whitelist[i].flags & REQ_SAME_HOST_BRIDGE;
			return true;
		}
	}
	return false;
}

const char *vb_p2p_verdict_name(enum vb_p2p_verdict v)
{
	switch (v) {
	case VB_P2P_BUS_ADDR:
		return "bus-addr";
	case VB_P2P_THRU_HOST_BRIDGE:
		return "thru-host-bridge";
	default:
		return "not-supported";
	}
}

int vb_p2p_model_finish(struct vb_p2p_model *m)
{
	free(m->chains);
	m->chains = calloc(m->n ? m->n : 1, sizeof(int) * VB_P2P_MAX_DEPTH);
	if (!m->chains)
		return -1;
	for (size_t i = 0; i < m->n; i++) {
		int *c = &m->chains[i * VB_P2P_MAX_DEPTH];
		int d = 0, x = (int)i;

		while (x >= 0) {
			if (d == VB_P2P_MAX_DEPTH)
				return -1; /* too deep, or a loop */
			c[d++] = x;
			x = m->nodes[x].up;
		}
		m->nodes[i].depth = d;
	}
	return 0;
}

void vb_p2p_model_free(struct vb_p2p_model *m)
{
	free(m->nodes);
	free(m->bridges);
	free(m->chains);
	memset(m, 0, sizeof(*m));
}

int vb_p2p_ancestor(const struct vb_p2p_model *m, int node, int i)
{
	if (node < 0 || i < 0 || i >= m->nodes[node].depth)
		return -1;
	return m->chains[(size_t)node * VB_P2P_MAX_DEPTH + i];
}

/* Chain position of the lowest common ancestor in a's chain, or -1.  The
 * kernel walks a's chain upwards and takes the first node that is also on
 * b's chain: that is the deepest common node. */
static int common_index(const struct vb_p2p_model *m, int a, int b, int *ib)
{
	int da = m->nodes[a].depth, db = m->nodes[b].depth;

	for (int i = 0; i < da; i++) {
		int x = vb_p2p_ancestor(m, a, i);
		int dx = m->nodes[x].depth;
		/* x is on b's chain iff b's ancestor at x's depth is x */
		int j = db - dx;

		if (j >= 0 && vb_p2p_ancestor(m, b, j) == x) {
			*ib = j;
			return i;
		}
	}
	return -1;
}

static void note_acs(const struct vb_p2p_model *m, int node, struct vb_p2p_result *r)
{
	if (m->nodes[node].acs == VB_P2P_ACS_REDIRECT && r->nredir < VB_P2P_MAX_REDIR)
		r->redir[r->nredir++] = node;
	else if (m->nodes[node].acs == VB_P2P_ACS_UNKNOWN && r->nunknown < VB_P2P_MAX_REDIR)
		r->unknown[r->nunknown++] = node;
}

/* A host bridge the whitelist consulted whose root device is an inference
 * makes the verdict uncertain. */
static void note_root_inferred(const struct vb_p2p_model *m, int hb, struct vb_p2p_result *r)
{
	if (hb < 0 || !m->bridges[hb].root_inferred)
		return;
	for (int i = 0; i < r->nroot_inferred; i++)
		if (r->root_inferred[i] == hb)
			return;
	if (r->nroot_inferred < 2)
		r->root_inferred[r->nroot_inferred++] = hb;
	r->uncertain = true;
}

/* __host_bridge_whitelist() for one host bridge. */
static bool bridge_allowed(const struct vb_p2p_model *m, int hb, bool same_bridge,
			   struct vb_p2p_result *r)
{
	const struct vb_p2p_host_bridge *b;
	bool same_only;

	if (hb < 0)
		return false;
	b = &m->bridges[hb];
	note_root_inferred(m, hb, r);
	if (!b->has_root || !vb_p2p_whitelisted(b->vendor, b->device, &same_only))
		return false;
	return same_bridge || !same_only;
}

/* host_bridge_whitelist(provider, client): one bridge must be listed; two
 * different bridges both, with entries not marked REQ_SAME_HOST_BRIDGE.
 * Only the bridges the kernel looks at count towards uncertainty. */
static bool bridges_allowed(const struct vb_p2p_model *m, struct vb_p2p_result *r)
{
	if (r->hb_provider == r->hb_client)
		return bridge_allowed(m, r->hb_provider, true, r);
	return bridge_allowed(m, r->hb_provider, false, r) &&
	       bridge_allowed(m, r->hb_client, false, r);
}

static enum vb_p2p_verdict via_host_bridge(const struct vb_p2p_model *m,
					   struct vb_p2p_result *r)
{
	r->host_bridge_checked = true;
	if (m->cpu_p2p) {
		r->zen_rule = true;
		return VB_P2P_THRU_HOST_BRIDGE;
	}
	r->hb_whitelisted = bridges_allowed(m, r);
	if (!r->hb_whitelisted && m->cpu_unknown)
		r->cpu_unknown = r->uncertain = true;
	return r->hb_whitelisted ? VB_P2P_THRU_HOST_BRIDGE : VB_P2P_NOT_SUPPORTED;
}

void vb_p2p_pair(const struct vb_p2p_model *m, int provider, int client,
		 struct vb_p2p_result *r)
{
	int ia, ib = 0;

	memset(r, 0, sizeof(*r));
	r->common = -1;
	r->hb_provider = m->nodes[provider].host_bridge;
	r->hb_client = m->nodes[client].host_bridge;
	ia = common_index(m, provider, client, &ib);
	if (ia < 0) {
		/* No common upstream: the kernel's loops ran to the end of
		 * both chains; ACS found on the way is not considered. */
		r->distance = m->nodes[provider].depth + m->nodes[client].depth;
		r->verdict = via_host_bridge(m, r);
		r->kernel_distance = r->verdict == VB_P2P_NOT_SUPPORTED ? -1 : r->distance;
		return;
	}
	r->common = vb_p2p_ancestor(m, provider, ia);
	r->distance = ia + ib;
	/* provider's chain up to and including the common node ... */
	for (int i = 0; i <= ia; i++)
		note_acs(m, vb_p2p_ancestor(m, provider, i), r);
	/* ... then the client's chain below it */
	for (int j = 0; j < ib; j++)
		note_acs(m, vb_p2p_ancestor(m, client, j), r);
	if (r->nredir == 0) {
		r->verdict = VB_P2P_BUS_ADDR;
		if (r->nunknown) {
			/* what it would be if an unreadable port redirects */
			struct vb_p2p_result alt = *r;

			r->uncertain = true;
			r->verdict_if_redirect = via_host_bridge(m, &alt);
			r->nroot_inferred = alt.nroot_inferred;
			memcpy(r->root_inferred, alt.root_inferred, sizeof(r->root_inferred));
		}
	} else {
		r->verdict = via_host_bridge(m, r);
	}
	r->kernel_distance = r->verdict == VB_P2P_NOT_SUPPORTED ? -1 : r->distance;
}

const char *vb_p2p_advice(const struct vb_p2p_model *m, const struct vb_p2p_result *r,
			  char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	if (r->nredir == 0)
		return buf;
	len = (size_t)snprintf(buf, n, "pci=disable_acs_redir=");
	for (int i = 0; i < r->nredir && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ";" : "",
					m->nodes[r->redir[i]].name);
	return buf;
}
