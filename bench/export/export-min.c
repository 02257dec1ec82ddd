/* Baseline for bench/export: only the open + ioctls an export needs, on the
 * legacy group path: container, group, viability, type1v2, device fd,
 * VFIO_DEVICE_FEATURE_DMA_BUF for a whole BAR, close.  No validation, no
 * sysfs reads beyond the group link, no output.  With a fifth argument
 * "exec" it also hands the fd to `true` (posix_spawn, fd inherited), the
 * same hand-on vfiobuf does for --exec true.
 *   export-min BDF GROUP BAR SIZE [exec] */
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <linux/vfio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../../src/lib/vfio_uapi.h"

int main(int argc, char **argv)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64], buf[64];
	struct vfio_device_feature *f = (struct vfio_device_feature *)buf;
	struct vfio_device_feature_dma_buf *db = (struct vfio_device_feature_dma_buf *)f->data;
	int c, g, d, fd;

	if (argc != 5 && argc != 6)
		return 2;
	c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	snprintf(path, sizeof(path), "/dev/vfio/%s", argv[2]);
	g = open(path, O_RDWR | O_CLOEXEC);
	if (c < 0 || g < 0 || ioctl(g, VFIO_GROUP_GET_STATUS, &st) < 0 ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE) || ioctl(g, VFIO_GROUP_SET_CONTAINER, &c) < 0 ||
	    ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
		return 1;
	d = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, argv[1]);
	if (d < 0)
		return 1;
	memset(buf, 0, sizeof(buf));
	f->argsz = 8 + 16 + 16;
	f->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db->region_index = (uint32_t)atoi(argv[3]);
	db->open_flags = O_RDWR | O_CLOEXEC;
	db->nr_ranges = 1;
	db->dma_ranges[0].offset = 0;
	db->dma_ranges[0].length = strtoull(argv[4], NULL, 0);
	fd = ioctl(d, VFIO_DEVICE_FEATURE, f);
	if (fd < 0)
		return 1;
	if (argc == 6) {
		extern char **environ;
		char *targv[] = { "true", NULL };
		posix_spawn_file_actions_t fa;
		pid_t pid;
		int status;

		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, fd, fd);
		if (posix_spawnp(&pid, "true", &fa, NULL, targv, environ) != 0 ||
		    waitpid(pid, &status, 0) < 0)
			return 1;
	}
	close(fd);
	close(d);
	close(g);
	close(c);
	return 0;
}
