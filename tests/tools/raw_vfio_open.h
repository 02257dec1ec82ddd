/* raw_vfio_open.h: test and benchmark tools only (never part of vfiobuf):
 * open a PCI function on the legacy VFIO group path with no checks beyond
 * the kernel's, so the tools measure or probe the kernel itself. */
#ifndef VB_RAW_VFIO_OPEN_H
#define VB_RAW_VFIO_OPEN_H

#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../../src/lib/vfio_uapi.h"

/* The device fd of bdf, or -1 (errno set). */
static inline int raw_vfio_open(const char *bdf)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char link[256], target[256], node[64];
	ssize_t n;
	int c, g;

	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	snprintf(node, sizeof(node), "/dev/vfio/%s", basename(target));
	c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	g = open(node, O_RDWR | O_CLOEXEC);
	if (c < 0 || g < 0 || ioctl(g, VFIO_GROUP_GET_STATUS, &st) < 0 ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE) || ioctl(g, VFIO_GROUP_SET_CONTAINER, &c) < 0 ||
	    ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
		return -1;
	return ioctl(g, VFIO_GROUP_GET_DEVICE_FD, bdf);
}

#endif
