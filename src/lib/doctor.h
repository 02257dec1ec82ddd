/* doctor: why this host can or cannot export PCI BARs as dma-bufs through
 * VFIO.  Each check yields a status, a message and, when something is
 * wrong, a hint.  Reads sysfs, /proc, /boot, /dev and /lib/modules through
 * the root of struct vb_sys (fixtures work); opens a device through VFIO
 * only to probe the dma-buf feature of a device the caller named. */
#ifndef VB_DOCTOR_H
#define VB_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "bdf.h"
#include "sysfs.h"
#include "vb_error.h"
#include "vfio_dev.h"

enum vb_check_status { VB_CHECK_OK, VB_CHECK_INFO, VB_CHECK_WARN, VB_CHECK_FAIL };

struct vb_check {
	char name[32];        /* stable id: "kernel", "iommu", "bar2"... */
	char device[VB_BDF_STRLEN]; /* "" for host-wide checks */
	enum vb_check_status status;
	char message[320];
	char hint[320];       /* "" when there is nothing to do */
};

struct vb_checks {
	struct vb_check *v;
	size_t n, cap;
};

struct vb_doctor_opts {
	bool probe;           /* open devices on vfio-pci to probe the feature */
	enum vb_vfio_mode mode;
};

const char *vb_check_status_name(enum vb_check_status s);

/* Host-wide checks: kernel version, IOMMU, modules, VFIO nodes and their
 * permissions, iommufd/cdev, the kernel's dma-buf export and P2PDMA
 * support (config), memlock limit. */
void vb_doctor_host(const struct vb_sys *s, struct vb_checks *out);

/* Checks of one device: driver, IOMMU group and its viability, node
 * permission, each BAR's readiness, and (opts->probe) the feature probe.
 * Returns -1 with e when the device does not exist (exit code 3). */
int vb_doctor_device(const struct vb_sys *s, const char *bdf, const struct vb_doctor_opts *o,
		     struct vb_checks *out, struct vb_err *e);

void vb_checks_free(struct vb_checks *c);

/* The kernel and feature facts the host checks rest on, for an info
 * metric (doctor --format prom).  A value not read is "" (unknown), never
 * a guess. */
struct vb_host_facts {
	char kernel[128];       /* the release, "" when neither osrelease nor version was read */
	bool have_config;       /* a kernel config (/boot/config-R, /proc/config.gz) was read */
	/* CONFIG_VFIO_PCI_DMABUF, _PCI_P2PDMA, _IOMMUFD, _VFIO_DEVICE_CDEV:
	 * "y", "m", "n" (the config does not set it), "" (no config) */
	char dmabuf_export[16], p2pdma[16], iommufd[16], vfio_cdev[16];
	int iommu_groups;       /* entries of /sys/kernel/iommu_groups */
};
void vb_doctor_facts(const struct vb_sys *s, struct vb_host_facts *f);

/* Parsers of what a host or a capture holds (tests/fuzz/fuzz_proc.c drives
 * them). */
/* Parse "6.19.0-rc1", "7.3.4+deb13-amd64": 0 with major/minor, -1. */
int vb_kernel_version_parse(const char *release, int *major, int *minor);

/* The value of CONFIG_name in a kernel config text ("y", "m", or NULL when
 * not set), into buf. */
const char *vb_kconfig_value(const char *config, const char *name, char *buf, size_t n);

#endif
