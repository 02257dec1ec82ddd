/* export: the one sequence that turns a BAR range request into a dma-buf,
 * used by `export`/`verify` (the CLI) and by the daemon: the whole BAR when
 * no range is given, the ranges validated against the BAR, the buffer
 * named, the export ioctl.  What lies between validation and the ioctl
 * (the daemon's policy and quota) stays with the caller. */
#ifndef VB_EXPORT_H
#define VB_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ranges.h"
#include "vb_error.h"
#include "vfio_dev.h"

/* *nr == 0 asks for the whole BAR: *r then points at whole, filled in, and
 * *nr is 1.  Then every range is checked against the BAR (vb_ranges_validate);
 * *total (may be NULL) is the buffer's size.  Returns 0 or -1 with e. */
int vb_export_ranges(const char *bdf, int bar, const struct vb_bar_info *bi,
		     const struct vb_range **r, size_t *nr, struct vb_range *whole, uint64_t *total,
		     struct vb_err *e);

/* Name the buffer (into name, VB_DMABUF_NAME_LEN bytes) and export it from
 * an open device.  Returns the dma-buf fd, or -1 with e. */
int vb_export_named(struct vb_vfio_dev *d, const char *bdf, int bar, const struct vb_range *r,
		    size_t nr, char *name, struct vb_err *e);

#endif
