/* vfio_driver: the one rule for "is this a VFIO driver", and the names of
 * VFIO's nodes.  A driver is a VFIO driver when the kernel says so, not by
 * its name's shape: its module holds vfio_pci_core (a VFIO variant driver
 * such as mlx5_vfio_pci or nvgrace_gpu_vfio_pci is built on it), a function
 * bound to it shows a VFIO device (vfio-dev/), or it is vfio-pci itself
 * (whose identity is the kernel's, even built in with no function bound). */
#ifndef VB_VFIO_DRIVER_H
#define VB_VFIO_DRIVER_H

#include <stdbool.h>
#include <stddef.h>

#include "sysfs.h"

#define VB_VFIO_DRIVER "vfio-pci" /* the base VFIO PCI driver */

bool vb_vfio_driver_is_vfio(const struct vb_sys *s, const char *driver);

struct vb_modindex;

/* The same rule for a driver that may not be loaded yet: also true when
 * its module (the driver's module link, else its name with - as _)
 * depends on vfio_pci_core in modules.dep, or declares vfio_pci: aliases
 * in modules.alias (vfio_pci_core built in: no modules.dep line names it);
 * m may be NULL. */
bool vb_vfio_driver_is_vfio_or_loadable(const struct vb_sys *s, const struct vb_modindex *m,
					const char *driver);

/* The module behind a driver name: its module link when loaded, else the
 * name with - as _ (modprobe's spelling).  buf: VB_MODULE_NAME_MAX + 1. */
void vb_vfio_module_of_driver(const struct vb_sys *s, const char *driver, char *buf, size_t n);

/* The PCI driver a module registers (what driver_override takes): from
 * module/MOD/drivers/pci:NAME when loaded, else the name a 7.3 module of
 * that name registers (vfio_pci: vfio-pci, xe_vfio_pci: xe-vfio-pci), else
 * the module name itself (KBUILD_MODNAME, what most drivers use). */
void vb_vfio_driver_of_module(const struct vb_sys *s, const char *module, char *buf, size_t n);

/* Whether a driver implements dma-buf export (sets get_dmabuf_phys),
 * known from its name for the drivers of Linux 7.3's drivers/vfio/pci:
 * yes for vfio-pci and nvgrace_gpu_vfio_pci, no for mlx5_vfio_pci,
 * hisi_acc_vfio_pci, pds_vfio_pci, virtio_vfio_pci, qat_vfio_pci,
 * xe-vfio-pci and ism_vfio_pci.  Any other VFIO driver is unknown (only
 * opening the device and probing VFIO_DEVICE_FEATURE_DMA_BUF tells); a
 * driver that is not a VFIO driver cannot. */
enum vb_export_cap { VB_EXPORT_UNKNOWN = -1, VB_EXPORT_NO = 0, VB_EXPORT_YES = 1 };
enum vb_export_cap vb_vfio_driver_exports(const char *driver, bool is_vfio);

/* What to do when bdf's driver cannot export: into buf, the commands that
 * rebind it to the most specific driver for it that exports (a variant
 * whose alias matches, e.g. nvgrace_gpu_vfio_pci, else vfio-pci). */
void vb_vfio_export_fix(const struct vb_sys *s, const char *bdf, char *buf, size_t n);

/* "/dev/vfio/N", the group's node, into buf (at least VB_VFIO_GROUP_NODE_LEN). */
#define VB_VFIO_GROUP_NODE_LEN sizeof("/dev/vfio/2147483647")
const char *vb_vfio_group_node(int group, char *buf, size_t n);

#endif
