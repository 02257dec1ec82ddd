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

/* "/dev/vfio/N", the group's node, into buf (at least VB_VFIO_GROUP_NODE_LEN). */
#define VB_VFIO_GROUP_NODE_LEN sizeof("/dev/vfio/2147483647")
const char *vb_vfio_group_node(int group, char *buf, size_t n);

#endif
