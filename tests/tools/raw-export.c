/* raw-export: test-only (never part of the vfiobuf binary).  Opens a device on
 * the legacy group path and issues VFIO_DEVICE_FEATURE_DMA_BUF with exactly
 * the ranges given, without any validation, so the lab can check that the
 * kernel refuses every range vfiobuf refuses.
 *   raw-export BDF BAR OFFSET LENGTH [OFFSET LENGTH ...]
 * Prints "exported size=N" (exit 0) or "refused errno=NAME (text)" (exit 1);
 * exit 2 when the device cannot be opened. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../../src/lib/vfio_uapi.h"
#include "raw_vfio_open.h"

int main(int argc, char **argv)
{
	struct vfio_device_feature *f;
	struct vfio_device_feature_dma_buf *db;
	size_t nr, sz;
	int dev, fd;

	if (argc < 5 || (argc - 3) % 2) {
		fprintf(stderr, "usage: raw-export BDF BAR OFFSET LENGTH [OFFSET LENGTH ...]\n");
		return 2;
	}
	nr = (size_t)(argc - 3) / 2;
	dev = raw_vfio_open(argv[1]);
	if (dev < 0) {
		printf("cannot open %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	sz = VB_FEATURE_HDR_SIZE + VB_DMABUF_HDR_SIZE + nr * VB_DMA_RANGE_SIZE;
	f = calloc(1, sz);
	if (!f)
		return 2;
	f->argsz = (uint32_t)sz;
	f->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db = (struct vfio_device_feature_dma_buf *)f->data;
	db->region_index = (uint32_t)strtoul(argv[2], NULL, 0);
	db->open_flags = O_RDWR | O_CLOEXEC;
	db->nr_ranges = (uint32_t)nr;
	for (size_t i = 0; i < nr; i++) {
		db->dma_ranges[i].offset = strtoull(argv[3 + 2 * i], NULL, 0);
		db->dma_ranges[i].length = strtoull(argv[4 + 2 * i], NULL, 0);
	}
	fd = ioctl(dev, VFIO_DEVICE_FEATURE, f);
	if (fd < 0) {
		printf("refused errno=%s (%s)\n", strerrorname_np(errno), strerror(errno));
		return 1;
	}
	printf("exported size=%lld\n", (long long)lseek(fd, 0, SEEK_END));
	return 0;
}
