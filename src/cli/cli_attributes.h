/* cli_attributes: the Kubernetes DRA `attributes` object of a function in
 * list -j, show -j and topology -j, and show's lines for it.
 *
 *   "attributes": {
 *     "resource.kubernetes.io/pciBusID": "0000:41:00.0",   string or null
 *     "resource.kubernetes.io/pcieRoot": "pci0000:40",     string or null
 *     "resource.kubernetes.io/numaNode": 1,                integer or null
 *     "vfiobuf.io/p2pDomain": "0000:40:01.1"               string or null
 *   },
 *   "attribute_reasons": { NAME: "why it is null", ... }
 *
 * The values are what a DRA driver would publish: Kubernetes' own result
 * (k8s_attr.h), null where Kubernetes' helper fails; vfiobuf's P2P domain
 * (p2p_domain.h) is null for a bridge and while it is uncertain (unread
 * ACS), so that the object can be copied into a ResourceSlice as it is.
 * Topology nodes also carry p2p_domain with its uncertainty. */
#ifndef VB_CLI_ATTRIBUTES_H
#define VB_CLI_ATTRIBUTES_H

#include "cli.h"
#include "json_out.h"
#include "p2p_domain.h"
#include "topo.h"

struct cli_attrs;

/* For a command with a topology already loaded (t kept, not owned), or,
 * with t NULL, one loaded here (its failure only leaves the P2P domain
 * null, with the reason).  NULL when out of memory. */
struct cli_attrs *cli_attrs_new(const struct vb_sys *s, const struct vb_topo *t);
/* For the functions below top (a BDF, the topmost bridge of their sysfs
 * path, or a function with none): the tree loaded is that subtree, which
 * holds all that their P2P domains depend on (show: one function, not the
 * whole bus). */
struct cli_attrs *cli_attrs_new_under(const struct vb_sys *s, const char *top);
void cli_attrs_free(struct cli_attrs *c);

/* "attributes" and "attribute_reasons" of the function named bdf. */
void cli_attrs_json(struct vb_out *o, const struct cli_attrs *c, const char *bdf);
/* "p2p_domain", "p2p_domain_kind", "p2p_domain_uncertain",
 * "p2p_domain_missing" of topology node i. */
void cli_attrs_domain_json(struct vb_out *o, const struct cli_attrs *c, int i);
/* Human lines for show. */
void cli_attrs_text(struct vb_out *o, const struct cli_attrs *c, const char *bdf);

/* The domain of node i (NULL before a topology could be loaded). */
const struct vb_p2p_domain *cli_attrs_domain(const struct cli_attrs *c, int i);
const struct vb_topo *cli_attrs_topo(const struct cli_attrs *c);

#endif
