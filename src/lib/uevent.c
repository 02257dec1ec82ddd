/* uevent: kernel kobject uevents through libnl.  See uevent.h. */
#include "uevent.h"

#include <errno.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UEVENT_GROUP 1
#define UEVENT_RCVBUF (1 << 20)

struct vb_uevent_sock {
	struct nl_sock *sk;
};

static void copy_field(char *dst, size_t n, const char *src, size_t len)
{
	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void take_pair(struct vb_uevent *ev, const char *kv, size_t len)
{
	static const struct {
		const char *key;
		size_t off, size;
	} keys[] = {
		{ "ACTION=", offsetof(struct vb_uevent, action), sizeof(ev->action) },
		{ "DEVPATH=", offsetof(struct vb_uevent, devpath), sizeof(ev->devpath) },
		{ "SUBSYSTEM=", offsetof(struct vb_uevent, subsystem), sizeof(ev->subsystem) },
		{ "PCI_SLOT_NAME=", offsetof(struct vb_uevent, slot), sizeof(ev->slot) },
		{ "DRIVER=", offsetof(struct vb_uevent, driver), sizeof(ev->driver) },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t kl = strlen(keys[i].key);

		if (len >= kl && !memcmp(kv, keys[i].key, kl)) {
			copy_field((char *)ev + keys[i].off, keys[i].size, kv + kl, len - kl);
			return;
		}
	}
	if (len > 7 && !memcmp(kv, "SEQNUM=", 7)) {
		char num[24];

		copy_field(num, sizeof(num), kv + 7, len - 7);
		ev->seqnum = strtoull(num, NULL, 10);
	}
}

int vb_uevent_parse(const char *buf, size_t len, struct vb_uevent *ev)
{
	const char *p = buf, *end = buf + len, *nul;

	memset(ev, 0, sizeof(*ev));
	nul = memchr(p, '\0', len);
	if (!nul || !memchr(p, '@', (size_t)(nul - p)) || (len >= 8 && !memcmp(buf, "libudev", 8)))
		return -1;
	for (p = nul + 1; p < end; p = nul + 1) {
		nul = memchr(p, '\0', (size_t)(end - p));
		if (!nul)
			nul = end;
		take_pair(ev, p, (size_t)(nul - p));
	}
	return ev->action[0] && ev->devpath[0] ? 0 : -1;
}

struct vb_uevent_sock *vb_uevent_open(struct vb_err *e)
{
	struct vb_uevent_sock *u = calloc(1, sizeof(*u));
	int err;

	if (!u || !(u->sk = nl_socket_alloc())) {
		free(u);
		vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
		return NULL;
	}
	nl_socket_disable_seq_check(u->sk);
	nl_join_groups(u->sk, UEVENT_GROUP);
	err = nl_connect(u->sk, NETLINK_KOBJECT_UEVENT);
	if (err < 0) {
		vb_err_set(e, VB_EXIT_FAIL, 0, NULL, "cannot listen to kernel uevents: %s",
			   nl_geterror(err));
		vb_uevent_close(u);
		return NULL;
	}
	nl_socket_set_nonblocking(u->sk);
	nl_socket_set_buffer_size(u->sk, UEVENT_RCVBUF, 0);
	return u;
}

int vb_uevent_fd(const struct vb_uevent_sock *u)
{
	return nl_socket_get_fd(u->sk);
}

int vb_uevent_read(struct vb_uevent_sock *u, struct vb_uevent *ev, struct vb_err *e)
{
	struct sockaddr_nl from;
	unsigned char *buf = NULL;
	int n, rc;

	n = nl_recv(u->sk, &from, &buf, NULL);
	if (n == 0 || n == -NLE_AGAIN) {
		free(buf);
		return 0;
	}
	if (n < 0)
		return vb_err_set(e, VB_EXIT_FAIL, n == -NLE_NOMEM ? ENOBUFS : 0, NULL,
				  "reading kernel uevents: %s", nl_geterror(n));
	rc = from.nl_pid == 0 && vb_uevent_parse((const char *)buf, (size_t)n, ev) == 0;
	free(buf);
	return rc;
}

void vb_uevent_close(struct vb_uevent_sock *u)
{
	if (!u)
		return;
	nl_socket_free(u->sk);
	free(u);
}
