/* k8s_attr: Kubernetes' standard DRA device attributes of a PCI function,
 * computed the way Kubernetes' own helper computes them
 * (k8s.io/dynamic-resource-allocation/deviceattribute: pci_linux.go,
 * numa_linux.go), failures included, through struct vb_sys so that
 * --sysfs-root fixtures drive it.  Never prints.
 *
 *   resource.kubernetes.io/pciBusID  string  the BDF, after a strict check:
 *        ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f]$  (lower case, a
 *        4-digit domain: "10000:e0:00.0" of an Intel VMD domain is refused)
 *   resource.kubernetes.io/pcieRoot  string  the first path component under
 *        devices/ of bus/pci/devices/<BDF>'s link target, resolved relative
 *        to the link's directory and cleaned lexically; the target must
 *        start with "devices/pci" and end with the BDF.  An absolute target
 *        fails (Kubernetes resolves it inside its sysfs file system, where
 *        "/sys/devices/..." does not start with "devices/pci").  Not
 *        vfiobuf's host_bridge: a function behind a nested root (a VMD
 *        domain "pci10000:e0" below "pci0000:00") gets the outer one, and a
 *        path through ACPI nodes (Hyper-V: devices/LNXSYSTM:00/...) fails.
 *   resource.kubernetes.io/numaNode  int     bus/pci/devices/<BDF>/numa_node
 *        parsed like Go's strconv.Atoi after trimming white space; a
 *        negative node (-1: no NUMA affinity) is not published.  The scalar
 *        form (the list form needs the DRAListTypeAttributes gate).
 *
 * An attribute Kubernetes would not publish has present == false and a
 * reason; no value is ever invented.
 */
#ifndef VB_K8S_ATTR_H
#define VB_K8S_ATTR_H

#include <limits.h>
#include <stdbool.h>

#include "sysfs.h"

#define VB_K8S_ATTR_PCI_BUS_ID "resource.kubernetes.io/pciBusID"
#define VB_K8S_ATTR_PCIE_ROOT "resource.kubernetes.io/pcieRoot"
#define VB_K8S_ATTR_NUMA_NODE "resource.kubernetes.io/numaNode"
/* vfiobuf's own attribute: the P2P domain (p2p_domain.h), a BDF string. */
#define VB_ATTR_P2P_DOMAIN "vfiobuf.io/p2pDomain"

#define VB_K8S_REASON_LEN 256

struct vb_k8s_attr {
	bool present;                  /* Kubernetes would publish it */
	char str[NAME_MAX + 1];        /* pciBusID, pcieRoot */
	long long num;                 /* numaNode */
	char reason[VB_K8S_REASON_LEN]; /* why not, when !present */
};

struct vb_k8s_attrs {
	struct vb_k8s_attr pci_bus_id, pcie_root, numa_node;
};

/* Kubernetes' strict PCI Bus ID check. */
bool vb_k8s_bdf_valid(const char *bdf);

/* The three attributes of the function named bdf (as bus/pci/devices names
 * it).  From an lspci dump (-F) only pciBusID can be known. */
void vb_k8s_attrs_read(const struct vb_sys *s, const char *bdf, struct vb_k8s_attrs *a);

/* Go's strconv.Atoi on the bytes p[0..n-1] after trimming ASCII white
 * space: an optional sign and decimal digits, within 64 bits.  Returns 0
 * or -1. */
int vb_k8s_atoi(const char *p, size_t n, long long *out);

/* Lexically clean a slash-separated path in place, as Go's path.Clean
 * does (no "." components, ".." folded, no trailing or double slashes;
 * "" becomes ".").  Exposed for the unit tests. */
void vb_k8s_clean_path(char *p);

#endif
