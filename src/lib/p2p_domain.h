/* p2p_domain: each function's P2P domain, vfiobuf's finer companion to
 * Kubernetes' resource.kubernetes.io/pcieRoot.  Pure: a finished
 * vb_p2p_model (p2p.h) in, one vb_p2p_domain per node out.
 *
 * The P2P domain of an endpoint E is the highest upstream bridge D of E
 * (on E's chain, as pci_upstream_bridge() gives it) under which every pair
 * of endpoints is bus-addr by the kernel's rules (vb_p2p_pair): no port
 * with ACS redirect on any path between two endpoints below D.  It is
 * named by D's BDF.
 *
 * Conservative: two endpoints with the same domain are bus-addr with each
 * other; two with different domains may still be (a pair is bus-addr
 * whenever its own path has no redirect, while a domain needs every pair
 * below it to be).
 *
 * Conventions:
 *   - an endpoint whose parent bridge already fails (or that has none: a
 *     root-bus function) is its own domain, named by its own BDF, shared
 *     with nobody (VB_P2P_DOMAIN_SELF);
 *   - a non-endpoint (a bridge, or any class-06 function) has no domain
 *     (VB_P2P_DOMAIN_NONE): the kernel does no P2P with a bridge.
 *
 * ACS that was not read (VB_P2P_ACS_UNKNOWN) is taken as not redirecting,
 * as vb_p2p_pair does for its bus-addr verdict, and the domain is then
 * uncertain: it may be lower (smaller) in truth, never higher.  nunknown
 * counts the unread nodes it depends on, unknown_first names one.
 *
 * Cost: O(n * depth) time and O(n) memory (never the n^2 pairs).
 */
#ifndef VB_P2P_DOMAIN_H
#define VB_P2P_DOMAIN_H

#include <stdbool.h>

#include "p2p.h"
#include "pci_device.h"

enum vb_p2p_domain_kind {
	VB_P2P_DOMAIN_NONE = 0, /* not an endpoint: no domain */
	VB_P2P_DOMAIN_BRIDGE,   /* an upstream bridge heads it */
	VB_P2P_DOMAIN_SELF,     /* alone: named by the function's own BDF */
};

struct vb_p2p_domain {
	enum vb_p2p_domain_kind kind;
	int head;          /* node naming the domain (BRIDGE: the bridge, SELF: the
			      function itself), -1 for NONE */
	bool uncertain;    /* rests on ACS that was not read */
	int nunknown;      /* nodes with unread ACS it depends on */
	int unknown_first; /* the lowest-indexed of them, -1 when none */
};

/* The functions that take part in P2P: not a bridge (type-1 header) and not
 * of class 06 (host, ISA, PCI bridges, ...): topology's "endpoints". */
bool vb_p2p_is_endpoint(const struct vb_device *d);

/* Fill out[0 .. m->n-1].  endpoint[i] says whether node i is an endpoint.
 * Returns 0, or -1 when out of memory. */
int vb_p2p_domains(const struct vb_p2p_model *m, const bool *endpoint,
		   struct vb_p2p_domain *out);

/* The domains of every node of m, whose node i is devs[i], with the
 * endpoints vb_p2p_is_endpoint() names: a malloc'd array of m->n entries
 * (free it), or NULL when out of memory. */
struct vb_p2p_domain *vb_p2p_domains_of(const struct vb_p2p_model *m,
					 const struct vb_device *devs);

/* The domain's name (a BDF), or NULL for VB_P2P_DOMAIN_NONE. */
const char *vb_p2p_domain_name(const struct vb_p2p_model *m, const struct vb_p2p_domain *d);

#endif
