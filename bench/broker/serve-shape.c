/* serve-shape: vfiobuf's daemon (src/daemon and src/lib, unchanged) for
 * bench/broker/native-shape (never part of vfiobuf).  This machine has no
 * device to give VFIO, so the few calls that reach the device are
 * replaced at link time (ld --wrap, see native-shape): opening gives no
 * fds, BAR 2 is 16 MiB, and the export is a memfd_create as in the floor
 * server and the raw loop it is compared with.  Everything else, from the
 * socket to the request parser, policy, leases, accounting and the reply,
 * is the daemon's own code.
 *   serve-shape SOCKET BDF      (SIGTERM or SIGINT stops it) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "broker.h"
#include "pci_model.h"
#include "vfio_dev.h"

int __wrap_vb_vfio_open(const struct vb_sys *s, const char *bdf, enum vb_vfio_mode mode,
			struct vb_vfio_dev *d, struct vb_err *e);
void __wrap_vb_vfio_close(struct vb_vfio_dev *d);
int __wrap_vb_vfio_export(const struct vb_vfio_dev *d, uint32_t bar, const struct vb_range *r,
			  size_t nr, const char *name, struct vb_err *e);
int __wrap_vb_vfio_memory_enabled(const struct vb_vfio_dev *d, struct vb_err *e);
int __wrap_vb_vfio_set_irq_eventfd(const struct vb_vfio_dev *d, uint32_t index, int efd,
				   struct vb_err *e);
int __wrap_vb_pci_read_bar(const struct vb_sys *s, const char *bdf, int index, struct vb_bar *out,
			   bool *present, struct vb_err *e);

int __wrap_vb_vfio_open(const struct vb_sys *s, const char *bdf, enum vb_vfio_mode mode,
			struct vb_vfio_dev *d, struct vb_err *e)
{
	(void)s, (void)mode, (void)e;
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", bdf);
	d->mode = VB_VFIO_GROUP;
	d->container_fd = d->group_fd = d->iommufd = d->device_fd = -1;
	return 0;
}

void __wrap_vb_vfio_close(struct vb_vfio_dev *d)
{
	(void)d;
}

int __wrap_vb_vfio_export(const struct vb_vfio_dev *d, uint32_t bar, const struct vb_range *r,
			  size_t nr, const char *name, struct vb_err *e)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	(void)d, (void)bar, (void)r, (void)nr;
	if (fd < 0)
		return vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "memfd_create failed");
	return fd;
}

int __wrap_vb_vfio_memory_enabled(const struct vb_vfio_dev *d, struct vb_err *e)
{
	(void)d, (void)e;
	return 1;
}

int __wrap_vb_vfio_set_irq_eventfd(const struct vb_vfio_dev *d, uint32_t index, int efd,
				   struct vb_err *e)
{
	(void)d, (void)index, (void)efd, (void)e;
	return 0;
}

int __wrap_vb_pci_read_bar(const struct vb_sys *s, const char *bdf, int index, struct vb_bar *out,
			   bool *present, struct vb_err *e)
{
	(void)s, (void)bdf, (void)e;
	memset(out, 0, sizeof(*out));
	*present = index == 2;
	out->size = *present ? 16 << 20 : 0;
	out->start = *present ? 0xe0000000u : 0;
	return 0;
}

int main(int argc, char **argv)
{
	const char *devs[1];
	struct vb_broker_opts o = { 0 };
	struct vb_sys sys;
	struct vb_err e = { 0 };
	struct vb_broker *b;
	int rc;

	if (argc != 3)
		return fprintf(stderr, "usage: serve-shape SOCKET BDF\n"), 2;
	if (vb_sys_init(&sys, NULL, &e) < 0)
		return fprintf(stderr, "serve-shape: %s\n", e.msg), 1;
	devs[0] = argv[2];
	o.socket_path = argv[1];
	o.listen_fd = -1;
	o.devices = devs;
	o.ndevices = 1;
	o.sys = &sys;
	b = vb_broker_new(&o, &e);
	rc = b ? vb_broker_run(b, &e) : -1;
	vb_broker_free(b);
	if (rc < 0)
		fprintf(stderr, "serve-shape: %s\n", e.msg);
	return rc < 0;
}
