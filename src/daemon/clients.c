/* clients: connections, their queues, event emission.  See clients.h. */
#include "clients.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "events.h"
#include "fdpass.h"

/* SO_PASSRIGHTS (Linux 6.16): 0 makes the kernel refuse SCM_RIGHTS sent
 * to the socket (the sender's sendmsg fails with EPERM). */
#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83
#endif

json_t *srv_client_json(const struct srv_client *c)
{
	return json_pack("{s:I, s:i, s:i, s:i}", "id", (json_int_t)c->id, "pid", (int)c->peer.pid,
			 "uid", (int)c->peer.uid, "gid", (int)c->peer.gid);
}

bool srv_has_listeners(const struct vb_broker *b)
{
	return b->opts.on_event || b->nsubscribers;
}

/* One epoll_ctl only when the interest changes, not per message. */
static void epoll_mod(struct vb_broker *b, struct srv_client *c, bool want_out)
{
	struct epoll_event ev = { .events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c };

	if (c->want_out == want_out)
		return;
	c->want_out = want_out;
	epoll_ctl(b->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void kill_client(struct srv_client *c, const char *cause)
{
	if (!c->dead) {
		c->dead = true;
		c->drop_cause = cause;
	}
}

/* Track subscribers whose queue is over half full (they pause accepting). */
static void note_queue(struct vb_broker *b, struct srv_client *c)
{
	bool over = c->subscribed && !c->dead && c->qlen >= SRV_CLIENT_QUEUE_MAX / 2;

	if (over && !c->congested) {
		c->congested = true;
		clock_gettime(CLOCK_MONOTONIC, &c->congested_since);
		b->ncongested++;
	} else if (c->congested && (c->dead || c->qlen <= SRV_CLIENT_QUEUE_MAX / 4)) {
		c->congested = false;
		b->ncongested--;
	}
}

/* A send that failed only because the socket is full for now. */
static bool would_block(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS;
}

void srv_client_flush(struct vb_broker *b, struct srv_client *c)
{
	while (c->qlen) {
		struct srv_outmsg *m = &c->queue[c->qhead];
		ssize_t w = vb_msg_send(c->fd, m->text, m->len, m->fd, MSG_DONTWAIT);

		if (w < 0 && would_block(errno)) {
			epoll_mod(b, c, true);
			note_queue(b, c);
			return;
		}
		if (w < 0) {
			kill_client(c, "connection-error");
			note_queue(b, c);
			return;
		}
		free(m->text);
		if (m->fd >= 0)
			close(m->fd);
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qlen--;
	}
	epoll_mod(b, c, false);
	note_queue(b, c);
}

static bool queue_push(struct srv_client *c, char *text, size_t len, int fd)
{
	if (c->qlen == c->qcap) {
		size_t cap = c->qcap ? c->qcap * 2 : 4;
		struct srv_outmsg *q;

		if (cap > SRV_CLIENT_QUEUE_MAX)
			return false;
		q = malloc(cap * sizeof(*q));
		if (!q)
			return false;
		for (size_t i = 0; i < c->qlen; i++)
			q[i] = c->queue[(c->qhead + i) % c->qcap];
		free(c->queue);
		c->queue = q;
		c->qcap = cap;
		c->qhead = 0;
	}
	c->queue[(c->qhead + c->qlen) % c->qcap] = (struct srv_outmsg){ text, len, fd };
	c->qlen++;
	return true;
}

/* Queue text for c, and send at once when nothing is waiting before it. */
void srv_client_send_text(struct vb_broker *b, struct srv_client *c, char *text, int fd)
{
	if (c->dead || !text || !queue_push(c, text, strlen(text), fd)) {
		if (!c->dead)
			kill_client(c, text ? "too-slow" : "connection-error");
		note_queue(b, c);
		free(text);
		if (fd >= 0)
			close(fd);
		return;
	}
	if (c->qlen == 1)
		srv_client_flush(b, c);
	else
		note_queue(b, c);
}

/* The hot path's send: text (len bytes, borrowed) goes out at once when
 * nothing is queued before it, and is copied only when it must wait. */
void srv_client_send_buf(struct vb_broker *b, struct srv_client *c, const char *text, size_t len,
			 int fd)
{
	ssize_t w;

	if (!c->dead && !c->qlen && len) {
		w = vb_msg_send(c->fd, text, len, fd, MSG_DONTWAIT);
		if (w >= 0) {
			if (fd >= 0)
				close(fd);
			return;
		}
		if (!would_block(errno)) {
			kill_client(c, "connection-error");
			note_queue(b, c);
			if (fd >= 0)
				close(fd);
			return;
		}
	}
	srv_client_send_text(b, c, len ? strndup(text, len) : NULL, fd);
}

void srv_client_send(struct vb_broker *b, struct srv_client *c, json_t *msg, int fd)
{
	char *text = c->dead ? NULL : vb_proto_encode(msg, NULL);

	json_decref(msg);
	srv_client_send_text(b, c, text, fd);
}

static void push_event(struct vb_broker *b, struct srv_client *c, const json_t *ev)
{
	char *text = c->dead ? NULL : vb_proto_encode(ev, NULL);

	srv_client_send_text(b, c, text, -1);
}

static bool holds_lease_on(const struct srv_client *c, const char *bdf)
{
	for (const struct srv_lease *l = c->leases; l; l = l->next)
		if (!strcmp(l->dev->bdf, bdf))
			return true;
	return false;
}

/* Which subscribers see ev: root and monitor rules everything; others
 * the events about themselves, about devices their policy grants or
 * where they hold a lease, and "stopping". */
static bool event_visible(const struct vb_broker *b, const struct srv_client *c, const json_t *ev)
{
	const char *name = json_string_value(json_object_get(ev, "event"));
	const char *bdf = json_string_value(json_object_get(ev, "bdf"));
	const json_t *who = json_object_get(json_object_get(ev, "client"), "id");

	if (vb_policy_may_monitor(&b->policy, &c->peer))
		return true;
	if (name && !strcmp(name, "stopping"))
		return true;
	if (json_is_integer(who) && (uint64_t)json_integer_value(who) == c->id)
		return true;
	return bdf && (vb_policy_grants_device(&b->policy, &c->peer, bdf) || holds_lease_on(c, bdf));
}

void srv_emit(struct vb_broker *b, json_t *ev)
{
	if (b->opts.on_event)
		b->opts.on_event(ev, b->opts.ctx);
	if (b->nsubscribers) { /* encoded once for all of them */
		size_t len = 0;
		char *text = vb_proto_encode(ev, &len);

		for (struct srv_client *c = b->clients; c; c = c->next)
			if (c->subscribed && !c->dead && event_visible(b, c, ev))
				srv_client_send_text(b, c, text ? strndup(text, len) : NULL, -1);
		free(text);
	}
	json_decref(ev);
}

void srv_emit_leases(struct vb_broker *b, json_t *ev, json_t *ids)
{
	json_t *parts = vb_proto_lease_parts(ev, ids), *part;
	size_t i;

	json_array_foreach(parts, i, part)
		srv_emit(b, json_incref(part));
	json_decref(parts);
	json_decref(ids);
	json_decref(ev);
}

void srv_client_push_leases(struct vb_broker *b, struct srv_client *c, const json_t *ev,
			    json_t *ids)
{
	json_t *parts = vb_proto_lease_parts(ev, ids), *part;
	size_t i;

	json_array_foreach(parts, i, part)
		push_event(b, c, part);
	json_decref(parts);
	json_decref(ids);
}

static void free_queue(struct srv_client *c)
{
	for (; c->qlen; c->qlen--, c->qhead = (c->qhead + 1) % c->qcap) {
		free(c->queue[c->qhead].text);
		if (c->queue[c->qhead].fd >= 0)
			close(c->queue[c->qhead].fd);
	}
	free(c->queue);
	c->queue = NULL;
}

static struct srv_uid_usage *uid_usage_get(struct vb_broker *b, uid_t uid)
{
	struct srv_uid_usage *u;

	for (u = b->uids; u; u = u->next)
		if (u->uid == uid)
			return u;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->uid = uid;
	u->next = b->uids;
	b->uids = u;
	return u;
}

/* One connection of u's uid is gone: forget u when it was the last. */
static void uid_usage_put(struct vb_broker *b, struct srv_uid_usage *u)
{
	if (!u || --u->nconns)
		return;
	for (struct srv_uid_usage **p = &b->uids; *p; p = &(*p)->next)
		if (*p == u) {
			*p = u->next;
			break;
		}
	free(u);
}

void srv_client_drop(struct vb_broker *b, struct srv_client *c, uint64_t leases_released)
{
	json_t *ev = vb_event_new("client-disconnected");

	if (c->subscribed)
		b->nsubscribers--;
	if (c->congested)
		b->ncongested--;
	epoll_ctl(b->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free_queue(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		b->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	b->nclients--;
	srv_metric_changed(&b->metrics);
	json_object_set_new(ev, "client", srv_client_json(c));
	json_object_set_new(ev, "cause", json_string(c->drop_cause ? c->drop_cause : "closed"));
	json_object_set_new(ev, "leases_released", json_integer((json_int_t)leases_released));
	uid_usage_put(b, c->usage);
	vb_peer_free(&c->peer);
	free(c);
	if (!b->stopping)
		srv_emit(b, ev);
	else
		json_decref(ev);
}

void srv_clients_shutdown(struct vb_broker *b)
{
	for (struct srv_client *c = b->clients; c; c = c->next)
		if (!c->dead) {
			srv_client_send(b, c, vb_event_shutdown(), -1);
			kill_client(c, "shutdown");
		}
}

/* Out of fds: give the spare one up to accept (and close) the waiting
 * connection, so level-triggered epoll does not spin on it.  True when
 * one was accepted (more may wait). */
static bool accept_at_fd_limit(struct vb_broker *b)
{
	static const char msg[] = "{\"ok\":false,\"error\":{\"message\":\"the daemon is out of file "
				  "descriptors\",\"errno\":24,\"errno_name\":\"EMFILE\",\"bdf\":null,"
				  "\"socket\":null,\"exit_code\":6}}";
	int fd;

	if (b->spare_fd < 0) {
		clock_gettime(CLOCK_MONOTONIC, &b->paused_until);
		b->paused_until.tv_nsec += SRV_NOFD_PAUSE_MS * 1000000L;
		if (b->paused_until.tv_nsec >= 1000000000L) {
			b->paused_until.tv_sec++;
			b->paused_until.tv_nsec -= 1000000000L;
		}
		return false;
	}
	close(b->spare_fd);
	fd = accept4(b->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0) {
		vb_msg_send(fd, msg, sizeof(msg) - 1, -1, MSG_DONTWAIT);
		close(fd);
		b->refused++;
		srv_metric_refused(&b->metrics, SRV_REFUSED_FD_LIMIT);
	}
	b->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd >= 0; /* EAGAIN: nothing was waiting after all */
}

/* Over its uid's connection limit: an error reply, then closed. */
static bool over_connection_limit(struct vb_broker *b, int fd, const struct vb_peer *peer,
				  const struct srv_uid_usage *u)
{
	struct vb_limits lim;
	struct vb_err e = { 0 };
	json_t *reply;
	char *text;

	vb_policy_limits(&b->policy, peer, &lim);
	if (u->nconns < lim.connections)
		return false;
	vb_err_set(&e, VB_EXIT_BUSY, EDQUOT, NULL,
		   "quota: uid %u has %llu connections (at most %llu): connection refused",
		   (unsigned)peer->uid, (unsigned long long)u->nconns,
		   (unsigned long long)lim.connections);
	reply = vb_proto_error_reply(NULL, &e);
	text = vb_proto_encode(reply, NULL);
	json_decref(reply);
	if (text)
		vb_msg_send(fd, text, strlen(text), -1, MSG_DONTWAIT);
	free(text);
	b->refused++;
	srv_metric_refused(&b->metrics, SRV_REFUSED_CONNECTION_QUOTA);
	return true;
}

void srv_clients_accept(struct vb_broker *b)
{
	for (;;) {
		int fd = accept4(b->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), off = 0;
		struct epoll_event ev = { .events = EPOLLIN };
		struct srv_uid_usage *u;
		struct srv_client *c;
		json_t *e;

		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			if (!accept_at_fd_limit(b))
				return;
			continue;
		}
		if (fd < 0)
			return; /* EAGAIN */
		/* fds sent to us are refused by the kernel where it can */
		setsockopt(fd, SOL_SOCKET, SO_PASSRIGHTS, &off, sizeof(off));
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		vb_peer_read(fd, &c->peer);
		u = uid_usage_get(b, c->peer.uid);
		if (!u || over_connection_limit(b, fd, &c->peer, u)) {
			vb_peer_free(&c->peer);
			free(c);
			close(fd);
			continue;
		}
		u->nconns++;
		c->usage = u;
		c->tag.kind = SRV_EP_CLIENT;
		c->fd = fd;
		c->id = ++b->next_client_id;
		ev.data.ptr = c;
		if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			uid_usage_put(b, u);
			vb_peer_free(&c->peer);
			close(fd);
			free(c);
			continue;
		}
		c->next = b->clients;
		if (b->clients)
			b->clients->prev = c;
		b->clients = c;
		b->nclients++;
		srv_metric_connection(&b->metrics);
		e = vb_event_new("client-connected");
		json_object_set_new(e, "client", srv_client_json(c));
		srv_emit(b, e);
	}
}

/* The closer thread: closes the fds written to its pipe, one by one. */
struct srv_fd_closer {
	int wfd;
};

static void *closer_main(void *arg)
{
	int rfd = (int)(intptr_t)arg, fd;

	while (read(rfd, &fd, sizeof(fd)) == sizeof(fd))
		close(fd);
	close(rfd);
	return NULL;
}

static struct srv_fd_closer *closer_start(void)
{
	struct srv_fd_closer *cl = malloc(sizeof(*cl));
	int p[2];
	pthread_t th;
	sigset_t all, old;

	if (!cl)
		return NULL;
	if (pipe2(p, O_CLOEXEC) < 0) {
		free(cl);
		return NULL;
	}
	/* 1 MiB holds more fds than the process may have open */
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&th, NULL, closer_main, (void *)(intptr_t)p[0]) != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		close(p[0]);
		close(p[1]);
		free(cl);
		return NULL;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_detach(th);
	cl->wfd = p[1];
	return cl;
}

/* Close fd off the loop (inline only when no thread could be started). */
static void close_later(struct vb_broker *b, int fd)
{
	if (!b->closer)
		b->closer = closer_start();
	if (!b->closer || write(b->closer->wfd, &fd, sizeof(fd)) != sizeof(fd))
		close(fd);
}

static void refuse_message(struct vb_broker *b, struct srv_client *c, int errnum, const char *why)
{
	struct vb_err e = { 0 };

	vb_err_set(&e, VB_EXIT_USAGE, errnum, NULL, "%s", why);
	b->errors++;
	srv_metric_refused(&b->metrics, SRV_REFUSED_INVALID);
	srv_client_send(b, c, vb_proto_error_reply(NULL, &e), -1);
}

/* A 0-byte read: the peer closed, or sent an empty message. */
static bool peer_closed(int fd)
{
	struct pollfd p = { fd, POLLIN | POLLRDHUP, 0 };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR));
}

/* Fds a client sends (a kernel without SO_PASSRIGHTS) are refused and
 * closed by the closer thread. */
ssize_t srv_client_read_request(struct vb_broker *b, struct srv_client *c)
{
	int nfds = 0, flags = 0, fds[VB_MSG_MAX_FDS];
	ssize_t n;

	if (c->dead)
		return -1;
	n = vb_msg_recv_fds(c->fd, b->rxbuf, VB_PROTO_MAX_MSG, fds, &nfds, &flags, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -1;
	for (int k = 0; k < nfds && k < VB_MSG_MAX_FDS; k++)
		close_later(b, fds[k]);
	if (n < 0 || (n == 0 && !nfds && !(flags & MSG_CTRUNC) && peer_closed(c->fd))) {
		kill_client(c, n == 0 ? "closed" : "connection-error");
		return -1;
	}
	b->requests++;
	if (nfds || (flags & MSG_CTRUNC))
		refuse_message(b, c, EBADMSG,
			       "file descriptors sent to the daemon are not accepted (closed)");
	else if ((size_t)n > VB_PROTO_MAX_MSG || (flags & MSG_TRUNC))
		refuse_message(b, c, EMSGSIZE, "request over the 65536-byte message limit");
	else if (n == 0)
		refuse_message(b, c, EBADMSG, "empty message (a request is one JSON object)");
	else
		return n;
	return 0;
}

void srv_clients_free(struct vb_broker *b)
{
	if (b->closer) {
		close(b->closer->wfd); /* the thread ends when the pipe is drained */
		free(b->closer);
		b->closer = NULL;
	}
	while (b->uids) {
		struct srv_uid_usage *u = b->uids;

		b->uids = u->next;
		free(u);
	}
}
