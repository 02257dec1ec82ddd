/* pci_device: what vfiobuf knows of one PCI function (struct vb_device)
 * and of a set of them (struct vb_devlist): plain values, filled by the
 * inventory (pci_model: sysfs or a dump) and read by everything above it.
 * Types only; no functions. */
#ifndef VB_PCI_DEVICE_H
#define VB_PCI_DEVICE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bdf.h"

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
	VB_ACS_UNREADABLE,  /* extended config space not read (needs root, not captured) */
};

/* What could not be read of a function (vb_device.problems); the rest of it
 * was read and the function is still listed. */
enum vb_dev_problem {
	VB_PROB_VENDOR = 1 << 0,      /* `vendor`/`device` missing or garbage (taken from config) */
	VB_PROB_CLASS = 1 << 1,       /* `class` missing or garbage (taken from config) */
	VB_PROB_RESOURCE = 1 << 2,    /* `resource` missing or a line unparsable */
	VB_PROB_BAR_WRAP = 1 << 3,    /* a BAR's range spans past 2^64 (ignored) */
	VB_PROB_CONFIG = 1 << 4,      /* not even the 64-byte header readable */
	VB_PROB_DRIVER_NAME = 1 << 5, /* driver link name too long */
	VB_PROB_PARENT_LOOP = 1 << 6, /* its sysfs ancestry loops back on itself */
	VB_PROB_NAME_MISMATCH = 1 << 7, /* bus/pci/devices/X resolves to a directory not named X */
	VB_PROB_IDENT = 1 << 8,       /* no identity at all: neither attributes nor config */
};
/* Longest sysfs ancestry kept (host bridge to function). */
#define VB_PATH_MAX 32

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
	char driver[128];               /* "" when no driver is bound */
	char driver_override[64];       /* "" when unset */
	int iommu_group;                /* -1: none */
	int numa_node;                  /* -1: none or unknown */
	int nbars;
	struct vb_bar bars[VB_MAX_BARS]; /* only BARs with a non-zero size */
	bool is_bridge;                 /* header type 1 */
	bool multifunction;             /* header type bit 7 (the kernel's
					   pdev->multifunction, for ACS) */
	int secondary_bus, subordinate_bus; /* type-1 bridges (and CardBus bridges
					   in a dump), else -1 */
	int pcie_type;                  /* enum vb_pcie_port; VB_PCIE_NOT_PCIE (-1),
					   VB_PCIE_UNKNOWN (-2): capability list not read */
	int cfg_size;                   /* config bytes read: 64 (not root), 256, 4096 */
	bool config_broken;             /* even the 64-byte header is unreadable
					   (truncated or missing config file) */
	bool is_vf;
	struct vb_bdf physfn;           /* valid when is_vf */
	bool has_parent;
	struct vb_bdf parent;           /* upstream bridge, as pci_upstream_bridge():
					   the bridge above the bus; for a VF, above its
					   PF's bus.  has_parent false on a root bus. */
	char host_bridge[32];           /* "pci0000:00": nearest pci<dom>:<bus> dir */
	bool host_bridge_synthesized;   /* the path names none: named from the root bus */
	bool port_services;             /* PCIe port-service children (BDF:pcie0NN) in sysfs
					   (looked for only on a bridge whose PCIe type is unknown) */
	bool synthesized;               /* absent from bus/pci/devices: built from the
					   sysfs path of a function below it */
	bool captured;                  /* read from an lspci dump (-F), not the live
					   kernel: config only as far as captured; no
					   driver, IOMMU group, NUMA node, VF links or BAR
					   sizes; parent and host bridge from pci_dump.h */
	unsigned problems;              /* enum vb_dev_problem */
	int bad_resource_line;          /* VB_PROB_RESOURCE: 1-based line, 0 file missing */
	unsigned wrapped_bars;          /* VB_PROB_BAR_WRAP: bit per BAR index */
	int npath;                      /* BDF directories between host bridge and it */
	struct vb_bdf path[VB_PATH_MAX]; /* top first; path[npath-1] == parent */
	enum vb_acs_state acs;
	uint16_t acs_offset, acs_cap, acs_ctrl; /* valid when acs == VB_ACS_PRESENT */
	char vfio_group_node[32];       /* "/dev/vfio/N" when on a VFIO driver, else "" */
	char vfio_cdev_node[sizeof("/dev/vfio/devices/") + NAME_MAX]; /* "/dev/vfio/devices/vfioN" if vfio-dev exists */
};

struct vb_devlist {
	struct vb_device *v; /* sorted by BDF */
	size_t n;
	/* entries of bus/pci/devices that are not PCI addresses (ignored) */
	char **bogus;
	size_t nbogus;
};

#endif
