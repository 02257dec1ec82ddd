/* ranges: BAR ranges for dma-buf export.  Pure: no I/O, no kernel.
 *
 * Parses `OFFSET:LENGTH` (decimal or 0x hex, optional K/M/G/T binary
 * suffix: `0x1000:64K`), validates a set of ranges against one BAR with
 * overflow-safe arithmetic, in the order the 7.3 kernel checks them
 * (vfio_pci_dmabuf.c), so that vfiobuf refuses every bad request itself,
 * with a precise message, before any ioctl.  Also the table that explains
 * what an errno from the export ioctl means.
 */
#ifndef VB_RANGES_H
#define VB_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vb_error.h"

/* Most ranges one export takes.  The kernel itself has no explicit cap (it
 * copies 16*nr bytes with one allocation, ENOMEM near 4 MiB); ours keeps
 * the request, the environment and the description small. */
#define VB_RANGES_MAX 256

/* The kernel's region indexes 0..5 are the BARs; 6 is the ROM. */
#define VB_BAR_COUNT 6

struct vb_range {
	uint64_t offset;
	uint64_t length;
};

/* What the validation needs to know about the BAR (from sysfs `resource`
 * or VFIO region info). */
struct vb_bar_info {
	bool present;   /* implemented, non-zero size */
	bool is_io;     /* I/O-port BAR */
	uint64_t start; /* CPU address (0 when unknown) */
	uint64_t size;  /* bytes */
};

/* Parse a byte count or offset: "4096", "0x1000", "64K", "0x10M", "1G"
 * (suffixes K M G T, either case, powers of 1024).  No sign, no spaces, no
 * octal.  what names the value in the message ("offset", "length").
 * Returns 0, or -1 with e (exit code 2). */
/* A size as vb_parse_size reads it back: "16M", "4K", "1536" (exact: a
 * suffix only when the size is a whole number of units).  Returns buf. */
const char *vb_size_format(unsigned long long bytes, char *buf, size_t n);

int vb_parse_size(const char *text, const char *what, uint64_t *out, struct vb_err *e);

/* Parse "OFFSET:LENGTH".  Returns 0, or -1 with e (exit code 2). */
int vb_range_parse(const char *text, struct vb_range *out, struct vb_err *e);

/* The whole BAR as one range (the default when no --range is given). */
struct vb_range vb_range_whole(const struct vb_bar_info *bar);

/* Validate nr ranges for region bar_index of device (for messages only)
 * against bar, with pages of page_size bytes (a power of two).  Checks, in
 * this order: range count (1..VB_RANGES_MAX); index is a BAR (0..5); the
 * BAR exists; it is a memory BAR; per range: length non-zero, offset and
 * length page aligned; the total does not overflow and stays below 2^63;
 * per range: BAR start + offset + length does not wrap 64 bits and the range
 * ends inside the BAR.  On success *total (may be NULL) is the buffer size.
 * Returns 0, or -1 with e (exit code 2, device named). */
int vb_ranges_validate(const char *device, int bar_index, const struct vb_bar_info *bar,
		       const struct vb_range *r, size_t nr, uint64_t page_size,
		       uint64_t *total, struct vb_err *e);

/* "0x1000:0x10000" into buf. Returns buf. */
const char *vb_range_format(const struct vb_range *r, char *buf, size_t n);

/* "0x0:0x1000,0x2000:0x1000" for every range. Returns buf (truncated
 * output ends in "..."; a buffer of VB_RANGES_TEXT_LEN never truncates
 * VB_RANGES_MAX ranges). */
#define VB_RANGES_TEXT_LEN (VB_RANGES_MAX * sizeof("0x0123456789abcdef:0x0123456789abcdef,") + 1)
const char *vb_ranges_format(const struct vb_range *r, size_t nr, char *buf, size_t n);

/* The dma-buf name vfiobuf gives an export: "0000:03:00.0/bar2+0x0" (first
 * range's offset; "#N" appended when there are N > 1 ranges), cut to fit
 * the kernel's 32 bytes with the NUL.  Returns buf. */
const char *vb_dmabuf_name(const char *device, int bar_index, const struct vb_range *r,
			   size_t nr, char *buf, size_t n);

/* What an errno from VFIO_DEVICE_FEATURE_DMA_BUF means (kernel 7.3), or
 * NULL when the errno is not one the export path returns. */
const char *vb_export_errno_explain(int errnum);

/* The exit code for an export errno (EOPNOTSUPP/ENOTTY -> 5, EINVAL/
 * EOVERFLOW/ENODEV -> 2 when the request itself was bad, ...). */
int vb_export_errno_exit(int errnum);

#endif
