/* floor-server: the second baseline of bench/broker (never part of
 * vfiobuf): the least a broker can do in the daemon's place.  One epoll
 * loop, non-blocking clients; per message: one recv, and for a message
 * naming "export" the export ioctl on an open VFIO device (legacy group
 * path), DMA_BUF_SET_NAME, one sendmsg with the fd attached and a fixed
 * reply {"ok":true,"lease":N}, close.  Other messages get the reply alone.
 * No parsing, no policy, no accounting, no events: what is left is the
 * cost of the shape (round trips between processes), which no daemon can
 * go below.
 *   floor-server BDF SOCKET      (runs until killed)
 * BDF "memfd": a memfd_create instead of the export (see native-shape). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "../../src/lib/vfio_uapi.h"
#include "../../tests/tools/raw_vfio_open.h"

struct exporter {
	int dev;
	struct vfio_device_feature *f;
};

static int export_one(struct exporter *x)
{
	int fd = x->dev < 0 ? memfd_create("vfiobuf:shape", MFD_CLOEXEC)
			    : ioctl(x->dev, VFIO_DEVICE_FEATURE, x->f);

	if (fd < 0) {
		perror("export");
		exit(1);
	}
	if (x->dev >= 0)
		ioctl(fd, DMA_BUF_SET_NAME_B, "vfiobuf:floor");
	return fd;
}

static void reply(int s, long lease, int fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr a;
	} ctl;
	char text[64];
	struct iovec iov = { text, (size_t)snprintf(text, sizeof(text),
						 "{\"ok\":true,\"lease\":%ld}", lease) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *c;

		m.msg_control = ctl.b;
		m.msg_controllen = sizeof(ctl.b);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	sendmsg(s, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (fd >= 0)
		close(fd);
}

static void accept_all(int ep, int l)
{
	int c;

	while ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = c };

		epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
	}
}

int main(int argc, char **argv)
{
	size_t sz = VB_FEATURE_HDR_SIZE + VB_DMABUF_HDR_SIZE + VB_DMA_RANGE_SIZE;
	struct exporter x = { -1, calloc(1, sz) };
	struct vfio_device_feature_dma_buf *db = (void *)x.f->data;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];
	int l, ep;
	long lease = 0;

	if (argc != 3 || strlen(argv[2]) >= sizeof(sa.sun_path))
		return fprintf(stderr, "usage: floor-server BDF SOCKET\n"), 2;
	if (strcmp(argv[1], "memfd"))
		x.dev = raw_vfio_open(argv[1]);
	if (strcmp(argv[1], "memfd") && x.dev < 0)
		return fprintf(stderr, "cannot open %s: %s\n", argv[1], strerror(errno)), 1;
	x.f->argsz = (uint32_t)sz;
	x.f->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db->region_index = 2;
	db->open_flags = O_RDWR | O_CLOEXEC;
	db->nr_ranges = 1;
	db->dma_ranges[0].length = 4096;
	strcpy(sa.sun_path, argv[2]);
	unlink(argv[2]);
	l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (l < 0 || ep < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1024) < 0)
		return perror("floor-server"), 1;
	ev.data.fd = l;
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);

		for (int i = 0; i < n; i++) {
			char buf[4096];
			int s = evs[i].data.fd;
			ssize_t r;

			if (s == l) {
				accept_all(ep, l);
				continue;
			}
			r = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
			if (r == 0 || (r < 0 && errno != EAGAIN)) {
				close(s);
				continue;
			}
			if (r > 0)
				reply(s, ++lease, memmem(buf, (size_t)r, "\"export\"", 8) ? export_one(&x) : -1);
		}
	}
}
