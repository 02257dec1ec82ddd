/* pci_model: the PCI device inventory, read through libpci and sysfs.
 *
 * Knows nothing of argv or printing.  All paths go through struct vb_sys, so
 * --sysfs-root works (libpci is pointed at ROOT/bus/pci).  A vb_device is a
 * plain value: copy it freely.
 */
#ifndef VB_PCI_MODEL_H
#define VB_PCI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bdf.h"
#include "sysfs.h"
#include "vb_error.h"

#define VB_MAX_BARS 6

struct vb_bar {
	int index;        /* 0..5 */
	uint64_t start;   /* address from sysfs `resource` */
	uint64_t size;    /* bytes, > 0 */
	bool is_io;       /* I/O-port BAR (cannot be exported) */
	bool is_64bit;
	bool prefetchable;
};

enum vb_acs_state {
	VB_ACS_ABSENT = 0,  /* extended config read, no ACS capability */
	VB_ACS_PRESENT,     /* acs_cap / acs_ctrl are valid */
	VB_ACS_UNREADABLE,  /* extended config space not readable (needs root), or
			       not in the dump (captured: see vb_device) */
};

/* ACS control bits that make the kernel route P2P through the root complex. */
#define VB_ACS_RR 0x0004
#define VB_ACS_CR 0x0008
#define VB_ACS_EC 0x0020
#define VB_ACS_REDIR_MASK (VB_ACS_RR | VB_ACS_CR | VB_ACS_EC)

struct vb_device {
	struct vb_bdf bdf;
	char name[VB_BDF_STRLEN];       /* "0000:03:00.0" */
	uint16_t vendor_id, device_id;
	uint16_t subsys_vendor_id, subsys_id;
	uint32_t class_code;            /* 0xCCSSPP */
	uint8_t revision;
	uint8_t header_type;            /* low 7 bits: 0 normal, 1 bridge, 2 cardbus */
	char vendor_name[128];          /* "" unless opened with VB_PCI_NAMES */
	char device_name[160];
	char class_name[96];
	char driver[64];                /* "" when no driver is bound */
	char driver_override[64];       /* "" when unset */
	int iommu_group;                /* -1: none */
	int numa_node;                  /* -1: none or unknown */
	int nbars;
	struct vb_bar bars[VB_MAX_BARS]; /* only BARs with a non-zero size */
	bool is_bridge;                 /* header type 1 */
	int secondary_bus, subordinate_bus; /* type-1 and CardBus bridges, else -1 */
	int pcie_type;                  /* PCIe cap port type (0 endpoint, 4 root port,
					   5 upstream, 6 downstream, ...), -1 not PCIe
					   or config unreadable */
	int cfg_size;                   /* config bytes readable: 64 (not root), 256, 4096 */
	bool config_broken;             /* even the 64-byte header is unreadable
					   (truncated or missing config file) */
	bool captured;                  /* read from an lspci dump (-F), not the live
					   kernel: config only as far as captured (ACS
					   unreadable means "not captured"); no driver,
					   IOMMU group, NUMA node, VF links or BAR sizes;
					   parent and host bridge from pci_dump.h */
	bool is_vf;
	struct vb_bdf physfn;           /* valid when is_vf */
	bool has_parent;
	struct vb_bdf parent;           /* upstream bridge, as pci_upstream_bridge():
					   the bridge above the bus; for a VF, above its
					   PF's bus.  has_parent false on a root bus. */
	char host_bridge[32];           /* "pci0000:00": nearest pci<dom>:<bus> dir */
	enum vb_acs_state acs;
	uint16_t acs_offset, acs_cap, acs_ctrl; /* valid when acs == VB_ACS_PRESENT */
	char vfio_group_node[32];       /* "/dev/vfio/N" when driver is vfio-pci, else "" */
	char vfio_cdev_node[64];        /* "/dev/vfio/devices/vfioN" if vfio-dev exists */
};

struct vb_devlist {
	struct vb_device *v; /* sorted by BDF */
	size_t n;
};

/* What to read besides identity, driver, group, NUMA, BARs and parent. */
enum vb_pci_flags {
	VB_PCI_NAMES = 1 << 0,  /* vendor/device/class names from pci.ids */
	VB_PCI_CONFIG = 1 << 1, /* PCIe type, ACS (extended config: needs root) */
};

struct vb_pci;

struct vb_pci *vb_pci_open(const struct vb_sys *s, unsigned flags, struct vb_err *e);
void vb_pci_close(struct vb_pci *p);

/* Every function on the system, sorted by BDF. */
int vb_pci_scan(struct vb_pci *p, struct vb_devlist *out, struct vb_err *e);

/* One function, without scanning the bus.  VB_EXIT_NOTFOUND when absent,
 * VB_EXIT_FAIL when its configuration header cannot be read.  (A scan keeps
 * such devices, flagged config_broken, so the rest can still be listed.) */
int vb_pci_lookup(struct vb_pci *p, const struct vb_bdf *bdf, struct vb_device *out,
		  struct vb_err *e);

void vb_devlist_free(struct vb_devlist *l);
const struct vb_device *vb_devlist_find(const struct vb_devlist *l, const struct vb_bdf *bdf);

/* One BAR straight from the device's sysfs `resource` file (one read, no
 * libpci): for paths that must stay cheap (export).  *present is false
 * for an unimplemented BAR.  VB_EXIT_NOTFOUND when the device is absent. */
int vb_pci_read_bar(const struct vb_sys *s, const char *bdf, int index, struct vb_bar *out,
		    bool *present, struct vb_err *e);

/* The memory/IO BAR with that index, or NULL. */
const struct vb_bar *vb_device_bar(const struct vb_device *d, int index);



/* "root-port", "endpoint", … for a PCIe port type; NULL for -1/unknown. */
const char *vb_pcie_type_name(int type);
/* "SV RR CR UF" for ACS control/capability bits, into buf. */
const char *vb_acs_bits_string(uint16_t bits, char *buf, size_t n);
#endif
