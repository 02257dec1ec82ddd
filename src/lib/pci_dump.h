/* pci_dump: the PCI tree of an `lspci -x` dump (vfiobuf -F FILE).
 *
 * A dump has configuration bytes and nothing else: no sysfs paths, so no
 * parent links and no host bridge names.  The tree is grown the way
 * lspci -t grows it: a function's upstream bridge is the bridge (type 1 or
 * CardBus header, class 06xx) of the same domain whose secondary..subordinate
 * bus range holds the function's bus, the innermost one when they nest.  A
 * function no bridge claims sits on a root bus, and each root bus
 * (domain, bus) gets one host bridge named "pciDDDD:BB", synthesized from the
 * dump.  Pure: a device list in, fields of the same list out, no I/O.
 */
#ifndef VB_PCI_DUMP_H
#define VB_PCI_DUMP_H

#include "pci_device.h"

/* Set has_parent, parent, path/npath (ancestors, top first; the nearest
 * VB_PATH_MAX kept), host_bridge and host_bridge_synthesized of every device
 * in l (sorted by BDF, as vb_pci_scan leaves it) from the bridges' bus
 * numbers.  A bridge counts only with secondary > its own bus and
 * subordinate >= secondary (so no function is its own ancestor and the tree
 * has no loop); a device whose configuration header is unreadable is never
 * a bridge.  Whether ACS was captured is pcicfg's business (ext_complete). */
void vb_dump_build_tree(struct vb_devlist *l);

/* True when the device counts as a bridge for the tree: its bus range,
 * else false. */
bool vb_dump_bridge_range(const struct vb_device *d, int *secondary, int *subordinate);

#endif
