/* vfio_dev: VFIO device access (see vfio_dev.h). */
#include "vfio_dev.h"
#include "vfio_driver.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h> /* PCI_COMMAND, PCI_COMMAND_MEMORY */

int vb_vfio_mode_parse(const char *text, enum vb_vfio_mode *m)
{
	if (strcmp(text, "auto") == 0)
		*m = VB_VFIO_AUTO;
	else if (strcmp(text, "cdev") == 0)
		*m = VB_VFIO_CDEV;
	else if (strcmp(text, "group") == 0)
		*m = VB_VFIO_GROUP;
	else
		return -1;
	return 0;
}

const char *vb_vfio_mode_name(enum vb_vfio_mode m)
{
	return m == VB_VFIO_CDEV ? "cdev" : m == VB_VFIO_GROUP ? "group" : "auto";
}

static int open_node(const struct vb_sys *s, const char *dev, const char *node, char *path,
		     size_t n, struct vb_err *e)
{
	int fd;

	vb_root_path(s, path, n, "%s", node);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	switch (errno) {
	case EACCES:
	case EPERM:
		return vb_err_set(e, VB_EXIT_PERM, errno, dev, "no permission to open %s", path);
	case EBUSY:
		return vb_err_set(e, VB_EXIT_BUSY, errno, dev,
				  "%s is already open: another process owns the device", path);
	case ENOENT:
		return vb_err_set(e, VB_EXIT_NOTSUP, errno, dev,
				  "%s does not exist (see 'vfiobuf doctor')", path);
	default:
		return vb_err_set(e, VB_EXIT_FAIL, errno, dev, "cannot open %s", path);
	}
}

void vb_vfio_group_culprits(const struct vb_sys *s, int group, char *buf, size_t n)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *de;
	size_t len = 0;

	buf[0] = '\0';
	if (vb_sys_path(s, dir, sizeof(dir), "kernel/iommu_groups/%d/devices", group) < 0 ||
	    !(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		char drv[64], cls[16];

		if (de->d_name[0] == '.')
			continue;
		if (vb_sys_read(s, cls, sizeof(cls), "bus/pci/devices/%s/class", de->d_name) > 0 &&
		    strncmp(cls, "0x0604", 6) == 0)
			continue;
		if (vb_sys_readlink_base(s, drv, sizeof(drv), "bus/pci/devices/%s/driver",
					 de->d_name) <= 0 ||
		    vb_vfio_driver_is_vfio(s, drv))
			continue;
		len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%s (%s)",
					len ? ", " : "", de->d_name, drv);
	}
	closedir(d);
}

static int check_driver(const struct vb_sys *s, const char *bdf, char *drv, size_t n,
			struct vb_err *e)
{
	if (!vb_sys_exists(s, "bus/pci/devices/%s", bdf))
		return vb_err_set(e, VB_EXIT_NOTFOUND, 0, bdf, "no such PCI device");
	if (vb_sys_readlink_base(s, drv, n, "bus/pci/devices/%s/driver", bdf) <= 0)
		return vb_err_set(e, VB_EXIT_NOTSUP, 0, bdf,
				  "is not bound to a VFIO driver (no driver): run 'vfiobuf bind %s' first",
				  bdf);
	if (!vb_vfio_driver_is_vfio(s, drv))
		return vb_err_set(e, VB_EXIT_NOTSUP, 0, bdf,
				  "is bound to %s, not a VFIO driver: run 'vfiobuf bind %s' first", drv, bdf);
	return 0;
}

static int open_group(const struct vb_sys *s, struct vb_vfio_dev *d, struct vb_err *e)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[PATH_MAX], node[32];
	int type = VFIO_TYPE1v2_IOMMU;

	d->container_fd = open_node(s, d->name, "/dev/vfio/vfio", path, sizeof(path), e);
	if (d->container_fd < 0)
		return -1;
	if (ioctl(d->container_fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(d->container_fd, VFIO_CHECK_EXTENSION, type) <= 0)
		return vb_err_set(e, VB_EXIT_NOTSUP, errno, d->name,
				  "the VFIO container does not offer the type1v2 IOMMU");
	vb_vfio_group_node(d->group, node, sizeof(node));
	d->group_fd = open_node(s, d->name, node, path, sizeof(path), e);
	if (d->group_fd < 0)
		return -1;
	snprintf(d->node, sizeof(d->node), "%s", node);
	if (ioctl(d->group_fd, VFIO_GROUP_GET_STATUS, &st) < 0)
		return vb_err_set(e, VB_EXIT_FAIL, errno, d->name, "VFIO_GROUP_GET_STATUS failed");
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		char culprits[512];

		vb_vfio_group_culprits(s, d->group, culprits, sizeof(culprits));
		return vb_err_set(e, VB_EXIT_BUSY, 0, d->name,
				  "IOMMU group %d is not viable: %s still on host drivers "
				  "(vfiobuf bind --group %s)",
				  d->group, culprits[0] ? culprits : "members", d->name);
	}
	if (ioctl(d->group_fd, VFIO_GROUP_SET_CONTAINER, &d->container_fd) < 0)
		return vb_err_set(e, vb_exit_from_errno(errno), errno, d->name,
				  "cannot attach group %d to a container", d->group);
	if (ioctl(d->container_fd, VFIO_SET_IOMMU, type) < 0)
		return vb_err_set(e, vb_exit_from_errno(errno), errno, d->name,
				  "cannot set the type1v2 IOMMU");
	d->device_fd = ioctl(d->group_fd, VFIO_GROUP_GET_DEVICE_FD, d->name);
	if (d->device_fd < 0)
		return vb_err_set(e, vb_exit_from_errno(errno), errno, d->name,
				  errno == EBUSY ? "the device is open elsewhere"
						 : "cannot get the device from its group");
	return 0;
}

/* The cdev name from sysfs vfio-dev/, or -1. */
static int cdev_name(const struct vb_sys *s, const char *bdf, char *buf, size_t n)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *de;
	int rc = -1;

	if (vb_sys_path(s, dir, sizeof(dir), "bus/pci/devices/%s/vfio-dev", bdf) < 0 ||
	    !(d = opendir(dir)))
		return -1;
	/* the class device exists on every kernel; the char device (its
	 * `dev` attribute) only with CONFIG_VFIO_DEVICE_CDEV */
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "vfio", 4) == 0 &&
		    vb_sys_exists(s, "bus/pci/devices/%s/vfio-dev/%.60s/dev", bdf, de->d_name)) {
			snprintf(buf, n, "%.60s", de->d_name);
			rc = 0;
			break;
		}
	closedir(d);
	return rc;
}

static int open_cdev(const struct vb_sys *s, struct vb_vfio_dev *d, const char *cdev,
		     struct vb_err *e)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	char path[PATH_MAX], node[96];

	snprintf(node, sizeof(node), "/dev/vfio/devices/%.60s", cdev);
	d->device_fd = open_node(s, d->name, node, path, sizeof(path), e);
	if (d->device_fd < 0)
		return -1;
	snprintf(d->node, sizeof(d->node), "%s", node);
	d->iommufd = open_node(s, d->name, "/dev/iommu", path, sizeof(path), e);
	if (d->iommufd < 0)
		return -1;
	bind.iommufd = d->iommufd;
	if (ioctl(d->device_fd, VFIO_DEVICE_BIND_IOMMUFD, &bind) < 0) {
		/* vfio_df_open: the cdev path allows one open of a device; a
		 * second one (another process owns it) is refused with EINVAL */
		if (errno == EINVAL)
			return vb_err_set(e, VB_EXIT_BUSY, EBUSY, d->name,
					  "another process owns the device (the VFIO cdev allows one "
					  "open at a time)");
		return vb_err_set(e, vb_exit_from_errno(errno), errno, d->name,
				  "VFIO_DEVICE_BIND_IOMMUFD failed");
	}
	d->devid = bind.out_devid;
	if (ioctl(d->iommufd, IOMMU_IOAS_ALLOC, &alloc) < 0)
		return vb_err_set(e, VB_EXIT_FAIL, errno, d->name, "IOMMU_IOAS_ALLOC failed");
	d->ioas_id = alloc.out_ioas_id;
	at.pt_id = d->ioas_id;
	if (ioctl(d->device_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) < 0)
		return vb_err_set(e, vb_exit_from_errno(errno), errno, d->name,
				  "VFIO_DEVICE_ATTACH_IOMMUFD_PT failed");
	return 0;
}

int vb_vfio_open(const struct vb_sys *s, const char *bdf, enum vb_vfio_mode mode,
		 struct vb_vfio_dev *d, struct vb_err *e)
{
	char cdev[64], iommu[PATH_MAX];
	int rc;

	memset(d, 0, sizeof(*d));
	d->container_fd = d->group_fd = d->iommufd = d->device_fd = -1;
	snprintf(d->name, sizeof(d->name), "%s", bdf);
	d->sys = s;
	if (check_driver(s, bdf, d->driver, sizeof(d->driver), e) < 0)
		return -1;
	d->group = vb_sys_iommu_group(s, bdf);
	if (d->group < 0)
		return vb_err_set(e, VB_EXIT_NOTSUP, 0, bdf,
				  "has no IOMMU group: no IOMMU is active (see 'vfiobuf doctor')");
	vb_root_path(s, iommu, sizeof(iommu), "/dev/iommu");
	if (mode == VB_VFIO_AUTO)
		mode = access(iommu, F_OK) == 0 && cdev_name(s, bdf, cdev, sizeof(cdev)) == 0
			       ? VB_VFIO_CDEV
			       : VB_VFIO_GROUP;
	d->mode = mode;
	if (mode == VB_VFIO_CDEV) {
		if (cdev_name(s, bdf, cdev, sizeof(cdev)) < 0) {
			vb_err_set(e, VB_EXIT_NOTSUP, 0, bdf,
				   "has no VFIO device node: this kernel lacks CONFIG_VFIO_DEVICE_CDEV "
				   "(use --vfio-mode group)");
			rc = -1;
		} else {
			rc = open_cdev(s, d, cdev, e);
		}
	} else {
		rc = open_group(s, d, e);
	}
	d->info.argsz = sizeof(d->info);
	if (rc == 0 && ioctl(d->device_fd, VFIO_DEVICE_GET_INFO, &d->info) < 0)
		rc = vb_err_set(e, VB_EXIT_FAIL, errno, bdf, "VFIO_DEVICE_GET_INFO failed");
	if (rc < 0)
		vb_vfio_close(d);
	return rc;
}

void vb_vfio_close(struct vb_vfio_dev *d)
{
	int *fds[] = { &d->device_fd, &d->group_fd, &d->container_fd, &d->iommufd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}

int vb_vfio_region(const struct vb_vfio_dev *d, uint32_t index, struct vfio_region_info *ri,
		   struct vb_err *e)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	if (ioctl(d->device_fd, VFIO_DEVICE_GET_REGION_INFO, ri) < 0)
		return vb_err_set(e, VB_EXIT_FAIL, errno, d->name,
				  "VFIO_DEVICE_GET_REGION_INFO for region %u failed", index);
	return 0;
}

/* EOPNOTSUPP: the bound driver sets no get_dmabuf_phys; say which and what
 * to do for this device. */
static int no_export(const struct vb_vfio_dev *d, struct vb_err *e)
{
	char fix[320];

	vb_vfio_export_fix(d->sys, d->name, fix, sizeof(fix));
	return vb_err_set(e, VB_EXIT_NOTSUP, EOPNOTSUPP, d->name,
			  "%s, the VFIO driver it is bound to, implements no dma-buf export: %s",
			  d->driver, fix);
}

int vb_vfio_probe_dmabuf(const struct vb_vfio_dev *d, struct vb_err *e)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
			 VFIO_DEVICE_FEATURE_DMA_BUF,
	};

	if (ioctl(d->device_fd, VFIO_DEVICE_FEATURE, &f) == 0)
		return 0;
	if (errno == EOPNOTSUPP)
		return no_export(d, e);
	return vb_err_set(e, vb_exit_from_errno(errno), errno, d->name,
			  errno == ENOTTY ? "this kernel cannot export dma-bufs from VFIO devices "
					    "(needs 6.19+ with CONFIG_PCI_P2PDMA; see 'vfiobuf doctor')"
			  : errno == EOPNOTSUPP ? "this device's VFIO driver cannot export dma-bufs"
						: "the dma-buf feature probe failed");
}

int vb_vfio_export(const struct vb_vfio_dev *d, uint32_t bar, const struct vb_range *r,
		   size_t nr, const char *name, struct vb_err *e)
{
	size_t argsz = VB_FEATURE_HDR_SIZE + VB_DMABUF_HDR_SIZE + nr * VB_DMA_RANGE_SIZE;
	/* a few ranges (the usual request) on the stack: no allocation */
	union {
		struct vfio_device_feature f;
		char b[VB_FEATURE_HDR_SIZE + VB_DMABUF_HDR_SIZE + 4 * VB_DMA_RANGE_SIZE];
	} small;
	struct vfio_device_feature *f = argsz <= sizeof(small) ? &small.f : calloc(1, argsz);
	struct vfio_device_feature_dma_buf *db;
	int fd, err;

	if (!f)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, d->name, "out of memory");
	f->argsz = (uint32_t)argsz;
	f->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db = (struct vfio_device_feature_dma_buf *)f->data;
	db->region_index = bar;
	db->open_flags = O_RDWR | O_CLOEXEC;
	db->flags = 0;
	db->nr_ranges = (uint32_t)nr;
	for (size_t i = 0; i < nr; i++) {
		db->dma_ranges[i].offset = r[i].offset;
		db->dma_ranges[i].length = r[i].length;
	}
	fd = ioctl(d->device_fd, VFIO_DEVICE_FEATURE, f);
	err = errno;
	if (f != &small.f)
		free(f);
	if (fd < 0 && err == EOPNOTSUPP && d->sys)
		return no_export(d, e);
	if (fd < 0) {
		const char *why = vb_export_errno_explain(err);

		return vb_err_set(e, vb_exit_from_errno(err), err, d->name,
				  "the kernel refused to export BAR %u%s%s", bar, why ? ": " : "",
				  why ? why : "");
	}
	if (name && ioctl(fd, DMA_BUF_SET_NAME_B, name) < 0) {
		err = errno;
		close(fd);
		return vb_err_set(e, VB_EXIT_FAIL, err, d->name, "cannot name the dma-buf '%s'", name);
	}
	return fd;
}

int vb_vfio_reset_buffers(const struct vb_vfio_dev *d, struct vb_reset_outcome *o,
			  struct vb_err *e)
{
	struct vb_err me = { 0 };
	int rc = vb_vfio_reset(d, e);

	/* refused before the kernel acted: no method (ours or its EINVAL) */
	o->revoked = rc == 0 || (e->errnum && e->errnum != EINVAL);
	o->restored = o->revoked && vb_vfio_memory_enabled(d, &me) == 1;
	return rc;
}

int vb_vfio_reset(const struct vb_vfio_dev *d, struct vb_err *e)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	if (!(d->info.flags & VFIO_DEVICE_FLAGS_RESET))
		return vb_err_set(e, VB_EXIT_NOTSUP, 0, d->name, "the device has no reset method");
	for (int i = 0; i < 20; i++) {
		if (ioctl(d->device_fd, VFIO_DEVICE_RESET) == 0)
			return 0;
		if (errno != EAGAIN)
			break;
		nanosleep(&ts, NULL);
	}
	return vb_err_set(e, vb_exit_from_errno(errno), errno, d->name, "VFIO_DEVICE_RESET failed");
}

/* Read len bytes of config space at off through the VFIO config region. */
static int vb_vfio_config_read(const struct vb_vfio_dev *d, uint32_t off, void *buf, size_t len,
			struct vb_err *e)
{
	struct vfio_region_info ri;

	if (vb_vfio_region(d, VFIO_PCI_CONFIG_REGION_INDEX, &ri, e) < 0)
		return -1;
	if (pread(d->device_fd, buf, len, (off_t)(ri.offset + off)) != (ssize_t)len)
		return vb_err_set(e, VB_EXIT_FAIL, errno, d->name, "cannot read config space");
	return 0;
}

/* Write len bytes of config space at off (the kernel virtualises what the
 * owner may change). */
static int vb_vfio_config_write(const struct vb_vfio_dev *d, uint32_t off, const void *buf, size_t len,
			 struct vb_err *e)
{
	struct vfio_region_info ri;

	if (vb_vfio_region(d, VFIO_PCI_CONFIG_REGION_INDEX, &ri, e) < 0)
		return -1;
	if (pwrite(d->device_fd, buf, len, (off_t)(ri.offset + off)) != (ssize_t)len)
		return vb_err_set(e, VB_EXIT_FAIL, errno, d->name, "cannot write config space");
	return 0;
}

int vb_vfio_set_memory_enabled(const struct vb_vfio_dev *d, bool on, struct vb_err *e)
{
	uint16_t cmd;

	if (vb_vfio_config_read(d, PCI_COMMAND, &cmd, sizeof(cmd), e) < 0)
		return -1;
	cmd = on ? (uint16_t)(cmd | PCI_COMMAND_MEMORY) : (uint16_t)(cmd & ~PCI_COMMAND_MEMORY);
	return vb_vfio_config_write(d, PCI_COMMAND, &cmd, sizeof(cmd), e);
}

int vb_vfio_memory_enabled(const struct vb_vfio_dev *d, struct vb_err *e)
{
	uint16_t cmd;

	if (vb_vfio_config_read(d, PCI_COMMAND, &cmd, sizeof(cmd), e) < 0)
		return -1;
	return (cmd & PCI_COMMAND_MEMORY) != 0;
}

int vb_vfio_set_irq_eventfd(const struct vb_vfio_dev *d, uint32_t index, int efd,
			    struct vb_err *e)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;
	int32_t fd = efd;

	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = index;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &fd, sizeof(fd));
	if (ioctl(d->device_fd, VFIO_DEVICE_SET_IRQS, set) < 0)
		return vb_err_set(e, VB_EXIT_FAIL, errno, d->name,
				  "cannot register the eventfd for irq index %u", index);
	return 0;
}
