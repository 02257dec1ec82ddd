/* iommufd_import: the importer's side of a VFIO dma-buf.  iommufd is the one
 * importer that runs on emulated hardware: IOMMU_IOAS_MAP_FILE maps a
 * single-range VFIO dma-buf into an IO address space (the kernel's
 * vfio_pci_dma_buf_iommufd_map: more than one range is EOPNOTSUPP), and
 * refuses a revoked one with ENODEV -- so mapping is how vfiobuf proves a
 * buffer is importable P2P memory and watches revocation from the other
 * side. */
#ifndef VB_IOMMUFD_IMPORT_H
#define VB_IOMMUFD_IMPORT_H

#include <stdint.h>

#include "sysfs.h"
#include "vb_error.h"

struct vb_ioas {
	int iommufd;
	uint32_t ioas_id;
};

/* Open /dev/iommu and allocate a fresh IOAS.  No iommufd in the kernel:
 * exit code 5 with the config option named. */
int vb_ioas_open(const struct vb_sys *s, struct vb_ioas *a, struct vb_err *e);
void vb_ioas_close(struct vb_ioas *a);

/* Map bytes [0, length) of dma-buf fd, readable and writeable, at an IOVA
 * the kernel picks (*iova, out).  Errors are explained
 * (vb_map_file_errno_explain); e->errnum keeps the kernel's errno. */
int vb_ioas_map_dmabuf(const struct vb_ioas *a, int fd, uint64_t length, uint64_t *iova,
		       struct vb_err *e);
int vb_ioas_unmap(const struct vb_ioas *a, uint64_t iova, uint64_t length, struct vb_err *e);

#endif
