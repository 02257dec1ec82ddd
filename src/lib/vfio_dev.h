/* vfio_dev: open a PCI function through VFIO and use it: the cdev + iommufd
 * way when the kernel offers it (/dev/vfio/devices/vfioN, /dev/iommu), the
 * legacy container + group way otherwise; region info, the dma-buf feature
 * probe and export, reset, config reads, the REQ/ERR eventfds, clean close.
 * Closing the device revokes every buffer exported from it, for good. */
#ifndef VB_VFIO_DEV_H
#define VB_VFIO_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bdf.h"
#include "ranges.h"
#include "sysfs.h"
#include "vb_error.h"
#include "vfio_uapi.h"

enum vb_vfio_mode { VB_VFIO_AUTO = 0, VB_VFIO_CDEV, VB_VFIO_GROUP };

struct vb_vfio_dev {
	char name[VB_BDF_STRLEN];
	enum vb_vfio_mode mode; /* the way it was opened */
	int group;              /* IOMMU group number */
	int container_fd, group_fd, iommufd, device_fd;
	uint32_t ioas_id, devid;
	struct vfio_device_info info;
	char node[96];          /* /dev/vfio/N or /dev/vfio/devices/vfioN */
	char driver[NAME_MAX + 1]; /* the VFIO driver it is bound to */
	const struct vb_sys *sys; /* the system it was opened on (outlives d) */
};

/* Parse "auto", "cdev", "group". */
int vb_vfio_mode_parse(const char *text, enum vb_vfio_mode *m);
const char *vb_vfio_mode_name(enum vb_vfio_mode m);

/* Open bdf.  Errors say what to do: not on vfio-pci (bind it), group not
 * viable (the culprits), busy (another owner), permission on the node,
 * no IOMMU. */
int vb_vfio_open(const struct vb_sys *s, const char *bdf, enum vb_vfio_mode mode,
		 struct vb_vfio_dev *d, struct vb_err *e);
void vb_vfio_close(struct vb_vfio_dev *d);

int vb_vfio_region(const struct vb_vfio_dev *d, uint32_t index, struct vfio_region_info *ri,
		   struct vb_err *e);
/* 0 when VFIO_DEVICE_FEATURE_DMA_BUF is supported; -1 with e otherwise
 * (ENOTTY: kernel without it; EOPNOTSUPP: this driver cannot export). */
int vb_vfio_probe_dmabuf(const struct vb_vfio_dev *d, struct vb_err *e);
/* Export ranges of BAR `bar` as a dma-buf named `name` (may be NULL).
 * No validation here: callers validate with vb_ranges_validate first.
 * Returns the new fd (O_RDWR | O_CLOEXEC) or -1 with e (errno explained). */
int vb_vfio_export(const struct vb_vfio_dev *d, uint32_t bar, const struct vb_range *r,
		   size_t nr, const char *name, struct vb_err *e);
/* VFIO_DEVICE_RESET, retrying while the device lock is contended. */
int vb_vfio_reset(const struct vb_vfio_dev *d, struct vb_err *e);

/* What a reset did to the device's dma-bufs.  The kernel revokes them for
 * every reset it attempts, even one that then fails, and restores them
 * when memory decode is on afterwards; a device without a reset method is
 * refused (EINVAL) before anything is revoked. */
struct vb_reset_outcome {
	bool revoked, restored;
};
/* vb_vfio_reset, and *o says what happened to the buffers (also when it
 * fails). */
int vb_vfio_reset_buffers(const struct vb_vfio_dev *d, struct vb_reset_outcome *o,
			  struct vb_err *e);
/* Set or clear PCI_COMMAND_MEMORY: clearing it revokes every buffer of the
 * device until it is set again (the kernel's command-register write in
 * vfio_pci_config.c calls vfio_pci_dma_buf_move). */
int vb_vfio_set_memory_enabled(const struct vb_vfio_dev *d, bool on, struct vb_err *e);
/* Is memory decode enabled (PCI_COMMAND_MEMORY in the virtual command
 * register)?  Buffers are revoked while it is off.  -1 on error. */
int vb_vfio_memory_enabled(const struct vb_vfio_dev *d, struct vb_err *e);
/* Register efd (or -1 to unregister) as the trigger of irq index
 * (VFIO_PCI_REQ_IRQ_INDEX, VFIO_PCI_ERR_IRQ_INDEX). */
int vb_vfio_set_irq_eventfd(const struct vb_vfio_dev *d, uint32_t index, int efd,
			    struct vb_err *e);

/* The members of IOMMU group `group` that keep it from being viable (on a
 * host driver; bridges and driverless functions do not count), as
 * "0000:03:00.1 (snd_hda_intel), ..." into buf ("" when viable). */
void vb_vfio_group_culprits(const struct vb_sys *s, int group, char *buf, size_t n);

#endif
