/* vfio_uapi: the VFIO, iommufd and dma-buf uAPI vfiobuf needs, on top of the
 * system headers.
 *
 * Debian bookworm's linux-libc-dev (6.1) predates the dma-buf export feature
 * (Linux 6.19: VFIO_DEVICE_FEATURE_DMA_BUF = 11 and its two structs), the
 * VFIO device cdev ioctls (BIND_IOMMUFD, ATTACH/DETACH_IOMMUFD_PT, 6.6) and
 * has no <linux/iommufd.h> at all.  Everything below is guarded by the macro
 * the kernel header defines next to it, so a newer system header always
 * wins and this file then adds nothing.  Values and layouts are those of
 * include/uapi/linux/{vfio,iommufd}.h in Linux 7.3.
 */
#ifndef VB_VFIO_UAPI_H
#define VB_VFIO_UAPI_H

#include <linux/dma-buf.h>
#include <linux/types.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>

#if defined(__has_include)
#if __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#endif
#endif

/* ---- dma-buf export (feature 11, Linux 6.19) ---------------------------- */
#ifndef VFIO_DEVICE_FEATURE_DMA_BUF
#define VFIO_DEVICE_FEATURE_DMA_BUF 11

struct vfio_region_dma_range {
	__u64 offset; /* byte offset inside the BAR */
	__u64 length; /* byte length */
};

struct vfio_device_feature_dma_buf {
	__u32 region_index; /* BAR 0..5 */
	__u32 open_flags;   /* open(2) flags of the new fd */
	__u32 flags;        /* must be 0 */
	__u32 nr_ranges;    /* >= 1 entries follow */
	struct vfio_region_dma_range dma_ranges[];
};
#endif

/* ---- VFIO device cdev + iommufd (Linux 6.6) ----------------------------- */
#ifndef VFIO_DEVICE_BIND_IOMMUFD
#define VFIO_DEVICE_BIND_FLAG_TOKEN (1 << 0)
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
	__aligned_u64 token_uuid_ptr; /* newer field; argsz 16 leaves it out */
};
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)
#endif

#ifndef VFIO_DEVICE_ATTACH_IOMMUFD_PT
struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
	__u32 pasid; /* newer field; argsz 12 leaves it out */
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)

struct vfio_device_detach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pasid;
};
#define VFIO_DEVICE_DETACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 20)
#endif

/* ---- iommufd (Linux 6.2) ------------------------------------------------ */
#ifndef IOMMUFD_TYPE
#define IOMMUFD_TYPE (';')
#endif

#ifndef IOMMU_IOAS_ALLOC
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, 0x81)
#endif

#ifndef IOMMU_IOAS_UNMAP
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, 0x86)
#endif

/* Linux 6.13: map (part of) a file -- memfd or a VFIO dma-buf -- into an IOAS */
#ifndef IOMMU_IOAS_MAP_FILE
struct iommu_ioas_map_file {
	__u32 size;
	__u32 flags;   /* IOMMU_IOAS_MAP_* */
	__u32 ioas_id;
	__s32 fd;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP_FILE _IO(IOMMUFD_TYPE, 0x8f)
#endif
/* enum iommufd_ioas_map_flags values (an enum upstream, so not guardable) */
#define VB_IOAS_MAP_FIXED_IOVA (1 << 0)
#define VB_IOAS_MAP_WRITEABLE (1 << 1)
#define VB_IOAS_MAP_READABLE (1 << 2)

#ifndef IOMMU_DESTROY
struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, 0x80)
#endif

/* ---- dma-buf ------------------------------------------------------------ */
/* DMA_BUF_NAME_LEN lives in the kernel-internal header: 32 bytes with NUL. */
#define VB_DMABUF_NAME_LEN 32

#ifndef DMA_BUF_SET_NAME_B
#define DMA_BUF_SET_NAME_B _IOW(DMA_BUF_BASE, 1, __u64)
#endif

/* ---- sizes the kernel checks (argsz) ------------------------------------ */
#define VB_FEATURE_HDR_SIZE 8u   /* struct vfio_device_feature */
#define VB_DMABUF_HDR_SIZE 16u   /* struct vfio_device_feature_dma_buf */
#define VB_DMA_RANGE_SIZE 16u    /* struct vfio_region_dma_range */

_Static_assert(sizeof(struct vfio_device_feature) == VB_FEATURE_HDR_SIZE, "feature header");
_Static_assert(sizeof(struct vfio_device_feature_dma_buf) == VB_DMABUF_HDR_SIZE, "dma_buf header");
_Static_assert(sizeof(struct vfio_region_dma_range) == VB_DMA_RANGE_SIZE, "dma range");
_Static_assert(sizeof(struct vfio_region_info) == 32, "region info");
_Static_assert(VFIO_DEVICE_FEATURE == 0x3B75, "VFIO_DEVICE_FEATURE number");
_Static_assert(VFIO_DEVICE_BIND_IOMMUFD == 0x3B76, "BIND_IOMMUFD number");
_Static_assert(VFIO_DEVICE_ATTACH_IOMMUFD_PT == 0x3B77, "ATTACH_IOMMUFD_PT number");
_Static_assert(IOMMU_IOAS_ALLOC == 0x3B81, "IOAS_ALLOC number");
_Static_assert(IOMMU_IOAS_MAP_FILE == 0x3B8F, "IOAS_MAP_FILE number");
_Static_assert(IOMMU_IOAS_UNMAP == 0x3B86, "IOAS_UNMAP number");
_Static_assert(sizeof(struct iommu_ioas_map_file) == 40, "iommu_ioas_map_file layout");

#endif
