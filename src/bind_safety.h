/* bind_safety: is a PCI function in use by the host?  Checked before its
 * driver is taken away (unless --force): block devices under it with mounted
 * filesystems, swap or holders, the root filesystem, network interfaces that
 * are up, the boot VGA device.  Everything through struct vb_sys, so
 * fixtures can express it. */
#ifndef VB_BIND_SAFETY_H
#define VB_BIND_SAFETY_H

#include <stddef.h>

#include "sysfs.h"

/* Reasons found, "; "-separated, into *why (malloc'd, every reason whole;
 * "" when the device is free; NULL when out of memory).  Returns the
 * number of reasons, -1 when out of memory. */
int vb_device_in_use(const struct vb_sys *s, const char *bdf, char **why);

#endif
