/* sdnotify: socket activation and readiness, see sdnotify.h. */
#include "sdnotify.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define SD_LISTEN_FDS_START 3

static long env_long(const char *name)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	return errno || *end || n < 0 ? -1 : n;
}

int vb_sd_listen_fd(struct vb_err *e)
{
	long pid = env_long("LISTEN_PID"), n = env_long("LISTEN_FDS");
	int fd = SD_LISTEN_FDS_START, type = 0, listening = 0;
	struct sockaddr_un sa;
	socklen_t len = sizeof(type), salen = sizeof(sa);

	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (pid != (long)getpid() || n <= 0)
		return -1;
	if (n != 1)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL,
				  "socket activation passed %ld sockets, serve takes one", n), -2;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) < 0 || sa.sun_family != AF_UNIX)
		return vb_err_set(e, VB_EXIT_USAGE, errno, NULL,
				  "the activated socket is not a unix SOCK_SEQPACKET socket "
				  "(ListenSequentialPacket= in the .socket unit)"), -2;
	len = sizeof(listening);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening)
		return vb_err_set(e, VB_EXIT_USAGE, errno, NULL,
				  "the activated socket is not listening (Accept=no expected)"), -2;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

int vb_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t plen;
	socklen_t salen;
	int fd, rc;

	if (!path || !*path)
		return 0;
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sa.sun_path)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(sa.sun_path, path, plen);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + (path[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	rc = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen) < 0 ? -1 : 1;
	close(fd);
	return rc;
}
