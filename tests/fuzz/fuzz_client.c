/* libFuzzer target: the client side of the broker protocol
 * (client.c, proto.c): a message from the daemon, parsed straight
 * from the buffer (vb_proto_parse_message) and read from a SOCK_SEQPACKET
 * socket as `export --server` reads it (vb_client_read), with or without
 * an fd attached.
 *
 * Input: one header byte (bit 0: attach an fd), then the message.
 * Properties (trap on violation): both paths give the same verdict; a
 * success reply is an object with "ok": true, an event an object with a
 * string "event"; an error (server refusal or malformed message) has a
 * message and an exit code 1..255, and *msg is NULL only when the message
 * was not a JSON object; the fd is handed over only with a success reply
 * and is close-on-exec; no descriptor leaks. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "fdpass.h"
#include "fuzz_tree.h"

static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0);
	close(fd);
	return fd;
}

static int check_verdict(int rc, json_t *msg, const struct vb_err *e)
{
	CHECK(rc >= -1 && rc <= 1);
	if (rc == 0)
		CHECK(json_is_object(msg) && json_is_true(json_object_get(msg, "ok")));
	else if (rc == 1)
		CHECK(json_is_object(msg) && json_is_string(json_object_get(msg, "event")));
	else
		CHECK(e->msg[0] && e->exit_code >= 1 && e->exit_code <= 255 &&
		      (!msg || json_is_object(msg)));
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vb_err e = { 0 }, e2 = { 0 };
	json_t *msg = NULL, *msg2 = NULL;
	int rc, rc2, sv[2], fd = -1, before, attach;
	const char *text;
	size_t len;

	if (size < 1)
		return 0;
	attach = data[0] & 1;
	text = (const char *)data + 1;
	len = size - 1;
	rc = check_verdict(vb_proto_parse_message(text, len, &msg, &e), msg, &e);

	before = lowest_free_fd();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (len > 0) {
		int dn = attach ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;

		vb_msg_send(sv[0], text, len, dn, MSG_DONTWAIT);
		if (dn >= 0)
			close(dn);
	}
	shutdown(sv[0], SHUT_WR);
	rc2 = vb_client_read(sv[1], 1000, &msg2, &fd, &e2);
	if (len > 0 && len <= VB_PROTO_MAX_MSG) {
		check_verdict(rc2, msg2, &e2);
		CHECK(rc2 == rc && !msg == !msg2);
		CHECK(msg == msg2 || json_equal(msg, msg2));
		CHECK(rc2 != -1 || strcmp(e.msg, e2.msg) == 0);
	} else {
		CHECK(rc2 == -1 && !msg2 && e2.msg[0]); /* closed, or too long */
	}
	CHECK(fd == -1 || (rc2 == 0 && attach));
	if (fd >= 0) {
		CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		close(fd);
	}
	json_decref(msg);
	json_decref(msg2);
	close(sv[0]);
	close(sv[1]);
	CHECK(lowest_free_fd() == before);
	return 0;
}
