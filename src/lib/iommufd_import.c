/* iommufd_import: map VFIO dma-bufs into an iommufd IOAS.  See the header. */
#include "iommufd_import.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfio_uapi.h"

/* What an errno of IOMMU_IOAS_MAP_FILE on a VFIO dma-buf means, or NULL. */
static const char *vb_map_file_errno_explain(int errnum)
{
	switch (errnum) {
	case ENODEV:
		return "the buffer is revoked (device reset, memory decode off, low power, or the "
		       "exporter closed the device)";
	case EOPNOTSUPP:
		return "iommufd maps only single-range VFIO dma-bufs (vfio_pci_dma_buf_iommufd_map), "
		       "or this fd is not one it can import";
	case ENOTTY:
		return "this kernel's iommufd has no IOMMU_IOAS_MAP_FILE (Linux 6.13 or later)";
	case EINVAL:
		return "the length or the flags do not fit the buffer";
	case EBADF:
		return "not an open file descriptor";
	case ENOSPC:
		return "no free IOVA range of that size in the IOAS";
	default:
		return NULL;
	}
}

int vb_ioas_open(const struct vb_sys *s, struct vb_ioas *a, struct vb_err *e)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	char path[PATH_MAX];

	a->iommufd = -1;
	if (vb_root_path(s, path, sizeof(path), "/dev/iommu") < 0)
		return vb_err_set(e, VB_EXIT_USAGE, ENAMETOOLONG, NULL, "path too long");
	a->iommufd = open(path, O_RDWR | O_CLOEXEC);
	if (a->iommufd < 0) {
		int err = errno;

		if (err == ENOENT)
			return vb_err_set(e, VB_EXIT_NOTSUP, err, NULL,
					  "%s is missing: this kernel has no iommufd (CONFIG_IOMMUFD), the "
					  "importer verify uses (see 'vfiobuf doctor')", path);
		return vb_err_set(e, vb_exit_from_errno(err), err, NULL, "cannot open %s", path);
	}
	if (ioctl(a->iommufd, IOMMU_IOAS_ALLOC, &alloc) < 0) {
		int err = errno;

		vb_ioas_close(a);
		return vb_err_set(e, vb_exit_from_errno(err), err, NULL, "IOMMU_IOAS_ALLOC failed");
	}
	a->ioas_id = alloc.out_ioas_id;
	return 0;
}

void vb_ioas_close(struct vb_ioas *a)
{
	if (a->iommufd >= 0)
		close(a->iommufd); /* destroys the IOAS and its mappings */
	a->iommufd = -1;
}

int vb_ioas_map_dmabuf(const struct vb_ioas *a, int fd, uint64_t length, uint64_t *iova,
		       struct vb_err *e)
{
	struct iommu_ioas_map_file m = {
		.size = sizeof(m),
		.flags = VB_IOAS_MAP_READABLE | VB_IOAS_MAP_WRITEABLE,
		.ioas_id = a->ioas_id,
		.fd = fd,
		.start = 0,
		.length = length,
	};

	if (ioctl(a->iommufd, IOMMU_IOAS_MAP_FILE, &m) < 0) {
		int err = errno;
		const char *why = vb_map_file_errno_explain(err);

		return vb_err_set(e, err == EOPNOTSUPP || err == ENOTTY ? VB_EXIT_NOTSUP : VB_EXIT_FAIL,
				  err, NULL, "iommufd refused to map the buffer%s%s", why ? ": " : "",
				  why ? why : "");
	}
	*iova = m.iova;
	return 0;
}

int vb_ioas_unmap(const struct vb_ioas *a, uint64_t iova, uint64_t length, struct vb_err *e)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = a->ioas_id, .iova = iova,
				      .length = length };

	if (ioctl(a->iommufd, IOMMU_IOAS_UNMAP, &u) < 0)
		return vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "IOMMU_IOAS_UNMAP failed");
	return 0;
}
