/* fdpass: SCM_RIGHTS send/receive of one fd plus a one-line description
 * (see fdpass.h). */
#include "fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/fsuid.h>
#include <sys/un.h>
#include <unistd.h>

/* Room for this many fds per message, so a sender passing a few extra ones
 * does not truncate the control data: they arrive and are closed. */
#define FDPASS_CMSG_FDS 16

/* Put fd (when >= 0) as SCM_RIGHTS into msg, using ctl (CMSG_SPACE of one
 * int, suitably aligned) as the control buffer. */
static void attach_fd(struct msghdr *msg, char *ctl, size_t ctl_len, int fd)
{
	struct cmsghdr *c;

	memset(ctl, 0, ctl_len);
	if (fd < 0)
		return;
	msg->msg_control = ctl;
	msg->msg_controllen = ctl_len;
	c = CMSG_FIRSTHDR(msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
}

int vb_fd_send(int sock, int fd, const char *text, struct vb_err *e)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	size_t len = strlen(text);
	struct iovec iov[2] = { { (void *)text, len }, { (void *)"\n", 1 } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	size_t sent = 0, want = len + 1;
	ssize_t w;

	if (memchr(text, '\n', len) || want > VB_FDPASS_MAX_TEXT)
		return vb_err_set(e, VB_EXIT_FAIL, EINVAL, NULL,
				  "description to send is not one line of at most %d bytes",
				  VB_FDPASS_MAX_TEXT - 1);
	attach_fd(&msg, ctl.buf, sizeof(ctl.buf), fd);
	/* A stream socket may take the message in pieces; the fd rides on
	 * the first one. */
	while (sent < want) {
		do
			w = sendmsg(sock, &msg, MSG_NOSIGNAL);
		while (w < 0 && errno == EINTR);
		if (w < 0)
			return vb_err_set(e, vb_exit_from_errno(errno), errno, NULL,
					  "cannot send the buffer over the socket");
		sent += (size_t)w;
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
		while (w > 0 && msg.msg_iovlen > 0) {
			size_t take = (size_t)w < msg.msg_iov->iov_len ? (size_t)w : msg.msg_iov->iov_len;

			msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + take;
			msg.msg_iov->iov_len -= take;
			w -= (ssize_t)take;
			if (msg.msg_iov->iov_len == 0) {
				msg.msg_iov++;
				msg.msg_iovlen--;
			}
		}
	}
	return 0;
}

/* Every fd of one received control buffer into fds (room for max). */
static int collect_fds(struct msghdr *msg, int *fds, int max)
{
	int count = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t nfds;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfds && count < max; i++)
			memcpy(&fds[count++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	return count;
}

/* Take the fds of one received control buffer: the first into *fd when
 * *fd is still -1, every other one closed.  Returns how many arrived. */
static int take_fds(struct msghdr *msg, int *fd)
{
	int count = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t nfds;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfds; i++) {
			int got;

			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fd < 0)
				*fd = got;
			else
				close(got);
			count++;
		}
	}
	return count;
}

static int sock_type(int sock)
{
	int type = 0;
	socklen_t len = sizeof(type);

	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -1;
	return type;
}

static int recv_fail(int *fd, struct vb_err *e, int errnum, const char *msg)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return vb_err_set(e, errnum == ECONNRESET ? VB_EXIT_FAIL : vb_exit_from_errno(errnum),
			  errnum, NULL, "%s", msg);
}

int vb_fd_recv(int sock, int *fd, char *buf, size_t n, struct vb_err *e)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FDPASS_CMSG_FDS)];
		struct cmsghdr align;
	} ctl;
	bool stream = sock_type(sock) == SOCK_STREAM;
	size_t len = 0;
	char *nl = NULL;

	*fd = -1;
	if (n < 2)
		return vb_err_set(e, VB_EXIT_FAIL, EINVAL, NULL, "receive buffer too small");
	while (!nl) {
		struct iovec iov = { buf + len, n - 1 - len };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
				      .msg_controllen = sizeof(ctl.buf) };
		ssize_t r;

		if (iov.iov_len == 0)
			return recv_fail(fd, e, EMSGSIZE, "description received is too long");
		do
			r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return recv_fail(fd, e, errno, "cannot receive from the socket");
		take_fds(&msg, fd);
		if (msg.msg_flags & MSG_CTRUNC)
			return recv_fail(fd, e, EMSGSIZE,
					 "control data truncated (peer sent too many fds)");
		if (r == 0)
			return recv_fail(fd, e, ECONNRESET,
					 len ? "peer closed the connection in the middle of a message"
					     : "peer closed the connection without sending anything");
		if (!stream && (msg.msg_flags & MSG_TRUNC))
			return recv_fail(fd, e, EMSGSIZE, "description received is too long");
		len += (size_t)r;
		buf[len] = '\0';
		nl = memchr(buf, '\n', len);
		if (!stream && !nl) {
			nl = buf + len; /* a record without newline is whole too */
			break;
		}
	}
	*nl = '\0';
	if (memchr(buf, '\0', (size_t)(nl - buf)))
		return recv_fail(fd, e, EBADMSG, "description contains a NUL byte");
	return (int)(nl - buf);
}

static int fill_addr(struct sockaddr_un *sa, const char *path, struct vb_err *e)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (!*path || strlen(path) >= sizeof(sa->sun_path))
		return vb_err_set_socket(e, VB_EXIT_USAGE, ENAMETOOLONG, path,
				  "socket path must be 1 to %zu bytes long", sizeof(sa->sun_path) - 1);
	memcpy(sa->sun_path, path, strlen(path));
	return 0;
}

static int connect_type(const struct sockaddr_un *sa, int type)
{
	int s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -1;
	if (connect(s, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		int err = errno;

		close(s);
		errno = err;
		return -1;
	}
	return s;
}

int vb_unix_connect(const char *path, struct vb_err *e)
{
	struct sockaddr_un sa;
	int s;

	if (fill_addr(&sa, path, e) < 0)
		return -1;
	s = connect_type(&sa, SOCK_SEQPACKET);
	if (s < 0 && errno == EPROTOTYPE)
		s = connect_type(&sa, SOCK_STREAM);
	if (s < 0) {
		int err = errno;

		return vb_err_set_socket(e, err == ENOENT ? VB_EXIT_NOTFOUND : vb_exit_from_errno(err),
				  err, path, "cannot connect to the socket%s",
				  err == ECONNREFUSED ? " (nobody is listening)" : "");
	}
	return s;
}

/* bind s to sa, creating the file with mode (umask around bind) and
 * group gid ((gid_t)-1: ours) without going by path afterwards: the file
 * system group is switched around bind when we may (root), else the file
 * is given to the group with fchownat(AT_SYMLINK_NOFOLLOW). */
static int bind_owned(int s, const struct sockaddr_un *sa, unsigned mode, gid_t gid)
{
	mode_t old_mask = umask(~mode & 0777);
	int old_fsgid = -1, rc, err;
	bool switched = false;

	if (gid != (gid_t)-1) {
		old_fsgid = setfsgid(gid);
		switched = setfsgid((gid_t)-1) == (int)gid;
	}
	rc = bind(s, (const struct sockaddr *)sa, sizeof(*sa));
	err = errno;
	if (gid != (gid_t)-1)
		setfsgid((gid_t)old_fsgid);
	umask(old_mask);
	if (rc == 0 && gid != (gid_t)-1 && !switched &&
	    fchownat(AT_FDCWD, sa->sun_path, (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW) < 0) {
		err = errno;
		unlink(sa->sun_path);
		rc = -1;
	}
	errno = err;
	return rc;
}

int vb_unix_listen_owned(const char *path, int type, unsigned mode, gid_t gid, struct vb_err *e)
{
	struct sockaddr_un sa;
	int s, err;

	if (fill_addr(&sa, path, e) < 0)
		return -1;
	s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (s < 0)
		return vb_err_set_socket(e, VB_EXIT_FAIL, errno, path, "cannot create a unix socket");
	/* No probing of an existing socket file: a test connection would be
	 * a spurious client for a live listener. */
	err = bind_owned(s, &sa, mode & 0777, gid) < 0 ? errno : 0;
	if (err) {
		close(s);
		if (err == EADDRINUSE)
			return vb_err_set_socket(e, VB_EXIT_BUSY, err, path,
					  "the path already exists (another listener, or a stale "
					  "socket file: remove it)");
		if (gid != (gid_t)-1 && err == EPERM)
			return vb_err_set_socket(e, VB_EXIT_PERM, err, path,
					  "cannot give the socket to group %u", (unsigned)gid);
		return vb_err_set_socket(e, vb_exit_from_errno(err), err, path, "cannot bind the socket");
	}
	if (listen(s, SOMAXCONN) < 0) {
		err = errno;
		close(s);
		unlink(path);
		return vb_err_set_socket(e, vb_exit_from_errno(err), err, path, "cannot listen on the socket");
	}
	return s;
}

int vb_unix_listen(const char *path, int type, unsigned mode, struct vb_err *e)
{
	return vb_unix_listen_owned(path, type, mode, (gid_t)-1, e);
}

int vb_wait_peer_close(int sock)
{
	char drop[256];

	for (;;) {
		struct pollfd p = { sock, POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, -1) < 0)
			return -1;
		r = recv(sock, drop, sizeof(drop), MSG_DONTWAIT);
		if (r == 0)
			return 0;
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			return errno == ECONNRESET ? 0 : -1;
		if (r < 0 && errno == EINTR)
			return -1;
	}
}

ssize_t vb_msg_send(int sock, const void *buf, size_t len, int fd, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t w;

	attach_fd(&msg, ctl.buf, sizeof(ctl.buf), fd);
	do
		w = sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	return w;
}

ssize_t vb_msg_recv(int sock, void *buf, size_t cap, int *fd, int *nfds, int *msg_flags, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FDPASS_CMSG_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, cap };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	int got = -1, count;
	ssize_t r;

	do
		r = recvmsg(sock, &msg, flags | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	count = take_fds(&msg, &got);
	if (fd)
		*fd = got;
	else if (got >= 0)
		close(got);
	if (nfds)
		*nfds = count;
	if (msg_flags)
		*msg_flags = msg.msg_flags;
	return r;
}

static int listen_takeover(const char *path, int type, unsigned mode, gid_t gid,
			   struct vb_err *e)
{
	struct sockaddr_un sa;
	struct stat st;
	int s, live;

	s = vb_unix_listen_owned(path, type, mode, gid, e);
	if (s >= 0 || e->errnum != EADDRINUSE)
		return s;
	if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return vb_err_set_socket(e, VB_EXIT_BUSY, EEXIST, path,
				  "the path exists and is not a socket: not replacing it");
	if (fill_addr(&sa, path, e) < 0)
		return -1;
	live = connect_type(&sa, type);
	if (live >= 0 || errno != ECONNREFUSED) {
		int err = live >= 0 ? EADDRINUSE : errno;

		if (live >= 0)
			close(live);
		return vb_err_set_socket(e, VB_EXIT_BUSY, err, path,
				  "another process is listening on this socket");
	}
	/* Nobody listens: a stale socket left by a crashed server. */
	if (unlink(path) < 0 && errno != ENOENT)
		return vb_err_set_socket(e, vb_exit_from_errno(errno), errno, path,
				  "cannot remove the stale socket");
	vb_err_clear(e);
	return vb_unix_listen_owned(path, type, mode, gid, e);
}

/* The socket's directory, locked (flock) while one server decides whether
 * a socket file is stale and binds and listens: a second server starting
 * at the same moment waits, then finds the first one listening, instead of
 * finding its socket bound but not yet listening and taking it for stale.
 * -1 when the directory cannot be opened (then no lock: as before). */
static int lock_socket_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if (snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path) >= (int)sizeof(dir))
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && flock(fd, LOCK_EX) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int vb_unix_listen_takeover(const char *path, int type, unsigned mode, gid_t gid,
			    struct vb_err *e)
{
	int lock = lock_socket_dir(path);
	int s = listen_takeover(path, type, mode, gid, e);

	if (lock >= 0)
		close(lock);
	return s;
}

ssize_t vb_msg_recv_fds(int sock, void *buf, size_t cap, int *fds, int *nfds, int *msg_flags,
			int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VB_MSG_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, cap };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	ssize_t r;

	*nfds = 0;
	do
		r = recvmsg(sock, &msg, flags | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	*nfds = collect_fds(&msg, fds, VB_MSG_MAX_FDS);
	if (msg_flags)
		*msg_flags = msg.msg_flags;
	return r;
}
