/* broker_client: see broker_client.h. */
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdpass.h"

int vb_client_connect(const char *path, struct vb_err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s, err;

	if (!*path || strlen(path) >= sizeof(sa.sun_path))
		return vb_err_set_socket(e, VB_EXIT_USAGE, ENAMETOOLONG, path, "invalid socket path");
	memcpy(sa.sun_path, path, strlen(path));
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return vb_err_set_socket(e, VB_EXIT_FAIL, errno, path, "cannot create a socket");
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return s;
	err = errno;
	close(s);
	if (err == ENOENT)
		return vb_err_set_socket(e, VB_EXIT_NOTFOUND, err, path,
				  "no daemon socket here (is 'vfiobuf serve' running?)");
	if (err == ECONNREFUSED)
		return vb_err_set_socket(e, VB_EXIT_FAIL, err, path,
				  "nobody listens on this socket (a stopped daemon's)");
	if (err == EPROTOTYPE)
		return vb_err_set_socket(e, VB_EXIT_FAIL, err, path, "not a vfiobuf daemon socket");
	return vb_err_set_socket(e, vb_exit_from_errno(err), err, path, "cannot connect to the daemon");
}

/* Send one request (reference stolen). */
static int vb_client_send(int sock, json_t *req, struct vb_err *e)
{
	size_t len = 0;
	char *text = vb_proto_encode(req, &len);
	ssize_t w;

	json_decref(req);
	if (!text)
		return vb_err_set(e, VB_EXIT_USAGE, EMSGSIZE, NULL, "request too large");
	w = vb_msg_send(sock, text, len, -1, 0);
	free(text);
	if (w < 0)
		return vb_err_set(e, errno == EPIPE || errno == ECONNRESET ? VB_EXIT_FAIL
									    : vb_exit_from_errno(errno),
				  errno, NULL, "cannot send to the daemon");
	return 0;
}

int vb_client_read(int sock, int timeout_ms, json_t **msg, int *fd, struct vb_err *e)
{
	struct pollfd p = { sock, POLLIN, 0 };
	char *buf;
	int flags = 0, got = -1, rc;
	ssize_t n;

	*msg = NULL;
	if (fd)
		*fd = -1;
	rc = poll(&p, 1, timeout_ms);
	if (rc == 0)
		return 2;
	if (rc < 0)
		return vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "waiting for the daemon");
	buf = malloc(VB_PROTO_MAX_MSG + 1);
	if (!buf)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	n = vb_msg_recv(sock, buf, VB_PROTO_MAX_MSG, &got, NULL, &flags, 0);
	if (n <= 0 || (flags & (MSG_TRUNC | MSG_CTRUNC))) {
		int err = n < 0 ? errno : n == 0 ? ECONNRESET : EMSGSIZE;

		free(buf);
		if (got >= 0)
			close(got);
		return vb_err_set(e, VB_EXIT_FAIL, err, NULL,
				  err == ECONNRESET ? "the daemon closed the connection"
						    : "cannot read from the daemon");
	}
	rc = vb_proto_parse_message(buf, (size_t)n, msg, e);
	free(buf);
	if (fd && rc == 0)
		*fd = got;
	else if (got >= 0)
		close(got);
	return rc;
}

int vb_client_call(int sock, json_t *req, json_t **reply, int *fd, vb_client_event_fn on_event,
		   void *ctx, struct vb_err *e)
{
	static const json_int_t id = 1; /* one call in flight per connection */
	int rc;

	json_object_set_new(req, "id", json_integer(id));
	if (vb_client_send(sock, req, e) < 0)
		return -1;
	for (;;) {
		json_t *msg;

		rc = vb_client_read(sock, -1, &msg, fd, e);
		if (rc == 1) {
			if (on_event)
				on_event(msg, ctx);
			json_decref(msg);
			continue;
		}
		if (rc == 0) {
			*reply = msg;
			return 0;
		}
		json_decref(msg);
		return -1;
	}
}
