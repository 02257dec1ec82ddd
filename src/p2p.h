/* p2p: the kernel's peer-to-peer DMA verdict (drivers/pci/p2pdma.c,
 * calc_map_type_and_dist and host_bridge_whitelist, Linux 7.3), computed
 * from a topology model.  Pure: a model in, a result out, no I/O.
 *
 * A node's chain is the node itself, then each upstream bridge as
 * pci_upstream_bridge() gives it (a VF's chain jumps to its PF's bridge).
 * Chains are precomputed once (vb_p2p_model_finish), so a pair costs
 * O(depth) memory steps and an N x N matrix O(N^2) with small constants.
 */
#ifndef VB_P2P_H
#define VB_P2P_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bdf.h"

#define VB_P2P_MAX_DEPTH 32
#define VB_P2P_MAX_REDIR 16

enum vb_p2p_acs {
	VB_P2P_ACS_NONE = 0, /* no ACS capability, or no RR/CR/EC in its control */
	VB_P2P_ACS_REDIRECT, /* RR, CR or EC set: traffic goes up to the root */
	VB_P2P_ACS_UNKNOWN,  /* extended config unreadable (not root) */
};

enum vb_p2p_verdict {
	VB_P2P_NOT_SUPPORTED = 2,    /* PCI_P2PDMA_MAP_NOT_SUPPORTED */
	VB_P2P_BUS_ADDR = 3,         /* PCI_P2PDMA_MAP_BUS_ADDR */
	VB_P2P_THRU_HOST_BRIDGE = 4, /* PCI_P2PDMA_MAP_THRU_HOST_BRIDGE */
};

#define VB_P2P_NAME_LEN 20

struct vb_p2p_node {
	char name[VB_P2P_NAME_LEN]; /* BDF, for messages and advice */
	int up;               /* index of the upstream bridge, -1 on a root bus */
	int host_bridge;      /* index into the model's host bridges */
	enum vb_p2p_acs acs;
	/* filled by vb_p2p_model_finish */
	int depth;            /* chain length: 1 on a root bus */
};

/* Evidence for the root device when its PCIe capability was not read. */
enum vb_root_evidence {
	VB_ROOT_EV_TYPE1 = 1 << 0,         /* type-1 (bridge) header */
	VB_ROOT_EV_CLASS_BRIDGE = 1 << 1,  /* class 0604 */
	VB_ROOT_EV_PORT_SERVICES = 1 << 2, /* PCIe port-service children in sysfs */
	VB_ROOT_EV_PCIEPORT = 1 << 3,      /* bound to pcieport */
};

struct vb_p2p_host_bridge {
	char name[32];        /* "pci0000:00" */
	bool synthesized;     /* no pci<domain>:<bus> in sysfs: named from the root bus */
	bool has_root;        /* a qualifying root device (devfn 00.0 or root port) */
	bool root_inferred;   /* has_root rests on an inference: the first device's
				 PCIe type was not read (root_evidence says why) */
	unsigned root_evidence; /* enum vb_root_evidence */
	uint16_t vendor, device; /* of the first device on the root bus */
	char root_name[VB_P2P_NAME_LEN]; /* that device, "" when none */
	int numa_node;        /* of any function below it, -1 when none says */
};

struct vb_p2p_model {
	struct vb_p2p_node *nodes;
	size_t n;
	struct vb_p2p_host_bridge *bridges;
	size_t nbridges;
	bool cpu_p2p;         /* x86 AMD family >= 0x17: every host bridge allowed */
	bool cpu_unknown;     /* no cpuinfo (an lspci dump): the AMD rule may apply */
	int *chains;          /* n * VB_P2P_MAX_DEPTH ancestor table (finish) */
};

struct vb_p2p_result {
	enum vb_p2p_verdict verdict;
	int distance;          /* as calc_map_type_and_dist computes it */
	int kernel_distance;   /* what pci_p2pdma_distance() returns: -1 if not supported */
	int common;            /* common upstream node, -1 when none */
	int nredir;            /* redirecting nodes on the path, kernel's order */
	int redir[VB_P2P_MAX_REDIR];
	int nunknown;          /* nodes on the path whose ACS is unknown */
	int unknown[VB_P2P_MAX_REDIR];
	bool uncertain;        /* the verdict depends on inputs not read */
	enum vb_p2p_verdict verdict_if_redirect; /* when ACS is unknown (nunknown > 0) */
	int nroot_inferred;    /* host bridges consulted whose root device was inferred */
	int root_inferred[2];
	bool host_bridge_checked; /* the host-bridge rule decided the verdict */
	bool zen_rule;         /* allowed by the AMD Zen CPU rule */
	int hb_provider, hb_client;
	bool hb_whitelisted;   /* the whitelist allowed it */
	bool cpu_unknown;      /* refused by the host bridges, but the CPU is unknown:
				  on AMD family >= 0x17 it is thru-host-bridge
				  (uncertain is set) */
};

/* Compute depths and the ancestor table.  Returns 0, or -1 when a chain is
 * deeper than VB_P2P_MAX_DEPTH or loops (a broken model). */
int vb_p2p_model_finish(struct vb_p2p_model *m);
void vb_p2p_model_free(struct vb_p2p_model *m);

/* The verdict for provider -> client (indexes into m->nodes). */
void vb_p2p_pair(const struct vb_p2p_model *m, int provider, int client,
		 struct vb_p2p_result *r);

/* The kernel's host-bridge allow-list: true when vendor:device is listed;
 * *same_bridge_only set for entries marked REQ_SAME_HOST_BRIDGE. */
bool vb_p2p_whitelisted(uint16_t vendor, uint16_t device, bool *same_bridge_only);

/* "bus-addr", "thru-host-bridge", "not-supported". */
const char *vb_p2p_verdict_name(enum vb_p2p_verdict v);

/* "pci=disable_acs_redir=0000:00:02.0;0000:02:00.0" into buf, or "" when
 * nothing redirects.  Returns buf. */
const char *vb_p2p_advice(const struct vb_p2p_model *m, const struct vb_p2p_result *r,
			  char *buf, size_t n);

/* The node at position i of a node's chain (0 = itself), or -1. */
int vb_p2p_ancestor(const struct vb_p2p_model *m, int node, int i);

#endif
