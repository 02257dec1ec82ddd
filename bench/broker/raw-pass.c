/* raw-pass: the baseline of bench/broker (never part of vfiobuf): a C loop
 * doing what the daemon does per request at the least cost: the export
 * ioctl on an open VFIO device (legacy group path), then the fd passed with
 * SCM_RIGHTS over a socketpair, received, and both ends closed.
 *   raw-pass BDF COUNT   ->  "fds=N seconds=S rate=R"
 * BDF "memfd": a memfd_create per iteration instead of the export, for
 * bench/broker/native-shape on a machine without a VFIO device. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../src/lib/vfio_uapi.h"
#include "../../tests/tools/raw_vfio_open.h"

static void pass(int from, int to, int fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr a;
	} ctl;
	char data[64] = "{\"lease\":1}";
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			    .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	int got;

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(from, &m, 0) < 0 || recvmsg(to, &m, MSG_CMSG_CLOEXEC) < 0) {
		perror("pass");
		exit(1);
	}
	memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
	close(got);
}

int main(int argc, char **argv)
{
	size_t sz = VB_FEATURE_HDR_SIZE + VB_DMABUF_HDR_SIZE + VB_DMA_RANGE_SIZE;
	struct vfio_device_feature *f = calloc(1, sz);
	struct vfio_device_feature_dma_buf *db = (struct vfio_device_feature_dma_buf *)f->data;
	struct timespec t0, t1;
	long count = argc > 2 ? atol(argv[2]) : 0;
	int dev = -1, sp[2];
	int memfd = argc > 1 && !strcmp(argv[1], "memfd");
	double secs;

	if (argc != 3 || count <= 0)
		return fprintf(stderr, "usage: raw-pass BDF COUNT\n"), 2;
	if (!memfd)
		dev = raw_vfio_open(argv[1]);
	if ((!memfd && dev < 0) || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return fprintf(stderr, "cannot open %s: %s\n", argv[1], strerror(errno)), 1;
	f->argsz = (uint32_t)sz;
	f->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db->region_index = 2;
	db->open_flags = O_RDWR | O_CLOEXEC;
	db->nr_ranges = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < count; i++) {
		int fd;

		db->dma_ranges[0].offset = (uint64_t)(i % 256) * 4096;
		db->dma_ranges[0].length = 4096;
		fd = memfd ? memfd_create("vfiobuf:shape", MFD_CLOEXEC)
			   : ioctl(dev, VFIO_DEVICE_FEATURE, f);
		if (fd < 0)
			return perror("export"), 1;
		pass(sp[0], sp[1], fd);
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("fds=%ld seconds=%.3f rate=%.0f\n", count, secs, count / secs);
	return 0;
}
