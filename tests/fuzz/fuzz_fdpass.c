/* libFuzzer target: receiving an fd and its description (fdpass.c):
 * vb_fd_recv (the description record: one line, or one SOCK_SEQPACKET
 * record) and vb_msg_recv, over a socketpair the harness fills.
 *
 * Input: a 4-byte header, then the bytes to send.  Header: [0] bit 0
 * stream (else seqpacket), bit 1 use vb_msg_recv instead; [1] receive
 * buffer size (2 + 61 * value); [2] how many pieces the bytes are sent in
 * (1..4); [3] fds attached to each piece: 2 bits each (0, 1, 2 or 17:
 * more than the receiver's control buffer takes).  The writer side is
 * shut down after sending, so a receiver never blocks.
 * Properties (trap on violation): an accepted description is
 * NUL-terminated at the returned length, shorter than the buffer, without
 * newline or NUL byte; a refusal has a message and leaves no fd; the
 * received fd (if any) is close-on-exec; nothing leaks: after closing what
 * the call returned, the lowest free descriptor is what it was before. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"
#include "fuzz_tree.h"

static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0);
	close(fd);
	return fd;
}

static void send_piece(int sock, const uint8_t *p, size_t n, int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 17)];
		struct cmsghdr align;
	} ctl;
	int fds[17];
	struct iovec iov = { (void *)p, n };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	for (int i = 0; i < nfds; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nfds) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
}

static void check_fd(int fd)
{
	if (fd < 0)
		return;
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int fd_counts[] = { 0, 1, 2, 17 };
	uint8_t h[4] = { 0 };
	int sv[2], before, fd = -1, pieces;
	size_t cap, body, at = 0;
	const uint8_t *p;
	char *buf;

	memcpy(h, data, size < 4 ? size : 4);
	p = data + (size < 4 ? size : 4);
	body = size < 4 ? 0 : size - 4;
	if (body > 60000)
		return 0; /* stays within one socket buffer: the sender never blocks */
	cap = 2 + 61 * (size_t)h[1];
	pieces = 1 + h[2] % 4;
	before = lowest_free_fd();
	if (socketpair(AF_UNIX, ((h[0] & 1) ? SOCK_STREAM : SOCK_SEQPACKET) | SOCK_CLOEXEC, 0,
		       sv) < 0)
		abort();
	for (int i = 0; i < pieces; i++) {
		size_t n = i == pieces - 1 ? body - at : (body - at) / 2;

		send_piece(sv[0], p + at, n, fd_counts[(h[3] >> (2 * i)) & 3]);
		at += n;
	}
	shutdown(sv[0], SHUT_WR);
	buf = malloc(cap);
	if (!buf)
		abort();
	if (h[0] & 2) {
		int nfds = 0, flags = 0;
		ssize_t r = vb_msg_recv(sv[1], buf, cap, &fd, &nfds, &flags, MSG_DONTWAIT);

		CHECK(r >= -1 && nfds >= 0 && (fd >= 0) == (nfds > 0));
		CHECK(r < 0 || (size_t)r <= cap || (flags & MSG_TRUNC));
		check_fd(fd);
	} else {
		struct vb_err e = { 0 };
		int len = vb_fd_recv(sv[1], &fd, buf, cap, &e);

		if (len < 0) {
			CHECK(fd == -1 && e.msg[0]);
		} else {
			CHECK((size_t)len < cap && buf[len] == '\0' && strlen(buf) == (size_t)len);
			CHECK(!memchr(buf, '\n', (size_t)len));
			check_fd(fd);
		}
	}
	free(buf);
	close(sv[0]);
	close(sv[1]);
	CHECK(lowest_free_fd() == before);
	return 0;
}
