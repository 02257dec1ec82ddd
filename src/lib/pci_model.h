/* pci_model: the PCI device inventory, read through libpci and sysfs.
 *
 * Knows nothing of argv or printing.  All paths go through struct vb_sys, so
 * --sysfs-root works (libpci is pointed at ROOT/bus/pci).  A vb_device is a
 * plain value: copy it freely.
 */
#ifndef VB_PCI_MODEL_H
#define VB_PCI_MODEL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bdf.h"
#include "pci_device.h"
#include "pcicfg.h"
#include "sysfs.h"
#include "vb_error.h"

/* What to read besides identity, driver, group, NUMA, BARs and parent. */
enum vb_pci_flags {
	VB_PCI_NAMES = 1 << 0,  /* vendor/device/class names from pci.ids */
	VB_PCI_CONFIG = 1 << 1, /* PCIe type, ACS (extended config: needs root) */
	/* Leave out what an output does not show (each a file or a link
	 * per function, for listings of thousands of functions): */
	VB_PCI_NO_EXTRA = 1 << 2, /* revision, subsystem IDs, driver_override */
	VB_PCI_NO_VFIO = 1 << 3,  /* IOMMU group, VFIO group and cdev nodes */
};

struct vb_pci;

struct vb_pci *vb_pci_open(const struct vb_sys *s, unsigned flags, struct vb_err *e);
void vb_pci_close(struct vb_pci *p);

/* Every function on the system, sorted by BDF. */
int vb_pci_scan(struct vb_pci *p, struct vb_devlist *out, struct vb_err *e);
/* Only top (a BDF) and the functions whose sysfs directory lies below its
 * own (every function, top NULL or an lspci dump). */
int vb_pci_scan_under(struct vb_pci *p, const char *top, struct vb_devlist *out,
		      struct vb_err *e);

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

/* Ancestor k (0 = topmost) of d's sysfs path: looked up, or synthesized
 * from the path when it is not in bus/pci/devices. */
int vb_pci_lookup_ancestor(struct vb_pci *p, const struct vb_device *d, int k,
			   struct vb_device *out, struct vb_err *e);

/* Add the bridges that appear in the functions' sysfs paths but not in the
 * list (a partial bus/pci/devices), read from their directories as far as
 * they can be, flagged synthesized; the list stays sorted.  Returns the
 * number added, or -1 (out of memory). */
int vb_devlist_add_ancestors(const struct vb_sys *s, struct vb_devlist *l, struct vb_err *e);

/* The k-th (0, 1, ...) problem of a function as text ("BAR 0 spans past
 * 2^64 (ignored)"); false when it has no k-th.  256 bytes always suffice. */
bool vb_device_problem(const struct vb_device *d, int k, char *buf, size_t n);

/* "root-port", "endpoint", … for a PCIe port type; NULL for -1/unknown. */
const char *vb_pcie_type_name(int type);
/* "SV RR CR UF" for ACS control/capability bits, into buf. */
const char *vb_acs_bits_string(uint16_t bits, char *buf, size_t n);
/* The names of the set bits (bit i: names[i]) joined by sep, or none when
 * no bit is set, into buf.  Returns buf. */
const char *vb_bit_names(unsigned bits, const char *const *names, size_t count, const char *sep,
			 const char *none, char *buf, size_t n);
#endif
