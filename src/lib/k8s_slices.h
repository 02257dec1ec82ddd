/* k8s_slices: Kubernetes ResourceSlices (resource.k8s.io/v1) as
 * `kubectl get resourceslices -o json` prints them, and their check against
 * this host: the PCI functions they name, Kubernetes' standard attributes
 * (k8s_attr.h), vfiobuf's P2P domain (p2p_domain.h) and the P2P verdict of
 * every pair the scheduler would take for close (same pcieRoot).
 *
 * Parsing (a parser of untrusted input: tests/fuzz/fuzz_slices.c): a List
 * (any kind ending in "List" with items[]) or one ResourceSlice.  Kept:
 * apiVersion resource.k8s.io/v1, kind ResourceSlice, spec.nodeName equal to
 * the node asked for, and of each pool (spec.driver, spec.pool.name) only
 * the slices of its highest spec.pool.generation (what a consumer must use).
 * Every other item is counted as skipped, with a reason.  Of each device,
 * spec.devices[].name and its attributes map: a value is an object with
 * exactly one of int, bool, string, version (or the list forms ints, bools,
 * strings, versions of the DRAListTypeAttributes gate).
 */
#ifndef VB_K8S_SLICES_H
#define VB_K8S_SLICES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "p2p_domain.h"
#include "sysfs.h"
#include "topo.h"
#include "vb_error.h"

enum vb_k8s_vtype {
	VB_K8S_ABSENT = 0, /* not published */
	VB_K8S_STRING,
	VB_K8S_INT,
	VB_K8S_BOOL,
	VB_K8S_VERSION,
	VB_K8S_INTS,       /* list form: num holds the first element */
	VB_K8S_OTHER_LIST, /* bools, strings, versions */
	VB_K8S_MALFORMED,  /* not exactly one value of a known form */
};

struct vb_k8s_value {
	enum vb_k8s_vtype type;
	const char *str; /* STRING, VERSION (points into raw) */
	long long num;   /* INT, INTS */
	json_t *raw;     /* the published value object, NULL when absent */
};

struct vb_k8s_device {
	const char *slice, *driver, *pool, *name; /* point into the document */
	struct vb_k8s_value bus_id, pcie_root, numa_node, p2p_domain;
};

struct vb_k8s_skipped {
	const char *slice; /* metadata.name, "" when none */
	char reason[160];
};

struct vb_k8s_slices {
	json_t *doc;
	struct vb_k8s_device *dev;
	size_t ndev;
	size_t nslices;       /* slices kept */
	size_t nother_nodes;  /* slices of other nodes (not listed) */
	struct vb_k8s_skipped *skipped;
	size_t nskipped;
};

/* Parse len bytes for node.  Returns 0, or -1 (e: VB_EXIT_USAGE, the
 * document is not JSON or not a ResourceSlice / List; VB_EXIT_FAIL out of
 * memory). */
int vb_k8s_slices_parse(const char *buf, size_t len, const char *node,
			struct vb_k8s_slices *out, struct vb_err *e);
void vb_k8s_slices_free(struct vb_k8s_slices *s);

/* ---- the check ------------------------------------------------------------- */

enum vb_k8s_issue_kind {
	VB_K8S_ISSUE_PAIR,      /* same published pcieRoot, not bus-addr here */
	VB_K8S_ISSUE_ATTR,      /* an attribute vfiobuf computes differently */
	VB_K8S_ISSUE_UNMATCHED, /* a device with no pciBusID: not checked */
};

struct vb_k8s_issue {
	enum vb_k8s_issue_kind kind;
	bool uncertain;       /* rests on inputs not read: not a finding */
	size_t dev, dev2;     /* devices (dev2: PAIR) */
	int node, node2;      /* their functions here, -1 when none */
	const char *attr;     /* ATTR: the attribute's name */
	json_t *computed;     /* ATTR: vfiobuf's value, NULL for null (owned) */
	struct vb_p2p_result r; /* PAIR */
	char reason[640];
};

struct vb_k8s_report {
	struct vb_k8s_issue *v;
	size_t n, cap;
	size_t nmatched;      /* devices whose pciBusID names a function here */
	size_t nfindings;     /* issues that are not uncertain (UNMATCHED excluded) */
	size_t nuncertain;
};

/* Check every device of sl against this host: t its topology, dom its P2P
 * domains (vb_p2p_domains), s for Kubernetes' attributes.  Returns 0 or -1
 * (out of memory). */
int vb_k8s_check(const struct vb_sys *s, const struct vb_topo *t, const struct vb_p2p_domain *dom,
		 const struct vb_k8s_slices *sl, struct vb_k8s_report *out, struct vb_err *e);
void vb_k8s_report_free(struct vb_k8s_report *r);

#endif
