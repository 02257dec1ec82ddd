/* broker: lifecycle, the epoll loop and client I/O.  See broker.h. */
#include "broker_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdpass.h"
#include "sdnotify.h"

#define EPOLL_BATCH 64
/* Requests taken from one client per loop turn: epoll is level-triggered,
 * so more pending ones are reported again, and no read ends in EAGAIN. */
#define MSGS_PER_WAKE 1
/* SO_PASSRIGHTS (Linux 6.16): 0 makes the kernel refuse SCM_RIGHTS sent
 * to the socket (the sender's sendmsg fails with EPERM). */
#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83
#endif
/* A subscriber over half its queue pauses accepting new connections (a
 * connect flood waits in the backlog) for at most this long. */
#define CONGESTION_GRACE_MS 2000
/* Out of fds with no spare one: stop accepting for this long. */
#define NOFD_PAUSE_MS 100

static int64_t ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static void event_time(json_t *ev)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_set_new(ev, "time", json_real((double)ts.tv_sec + ts.tv_nsec / 1e9));
}

json_t *client_json(const struct client *c)
{
	return json_pack("{s:I, s:i, s:i, s:i}", "id", (json_int_t)c->id, "pid", (int)c->peer.pid,
			 "uid", (int)c->peer.uid, "gid", (int)c->peer.gid);
}

bool broker_has_listeners(const struct vb_broker *b)
{
	return b->opts.on_event || b->nsubscribers;
}

/* One epoll_ctl only when the interest changes, not per message. */
static void epoll_mod(struct vb_broker *b, struct client *c, bool want_out)
{
	struct epoll_event ev = { .events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c };

	if (c->want_out == want_out)
		return;
	c->want_out = want_out;
	epoll_ctl(b->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void kill_client(struct client *c, const char *reason)
{
	if (!c->dead) {
		c->dead = true;
		c->drop_reason = reason;
	}
}

/* Track subscribers whose queue is over half full (they pause accepting). */
static void note_queue(struct vb_broker *b, struct client *c)
{
	bool over = c->subscribed && !c->dead && c->qlen >= CLIENT_QUEUE_MAX / 2;

	if (over && !c->congested) {
		c->congested = true;
		clock_gettime(CLOCK_MONOTONIC, &c->congested_since);
		b->ncongested++;
	} else if (c->congested && (c->dead || c->qlen <= CLIENT_QUEUE_MAX / 4)) {
		c->congested = false;
		b->ncongested--;
	}
}

/* Send what is queued; false when the peer is gone. */
static bool client_flush(struct vb_broker *b, struct client *c)
{
	while (c->qlen) {
		struct outmsg *m = &c->queue[c->qhead];
		ssize_t w = vb_msg_send(c->fd, m->text, m->len, m->fd, MSG_DONTWAIT);

		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
			epoll_mod(b, c, true);
			note_queue(b, c);
			return true;
		}
		if (w < 0) {
			kill_client(c, "connection-error");
			note_queue(b, c);
			return false;
		}
		free(m->text);
		if (m->fd >= 0)
			close(m->fd);
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qlen--;
	}
	epoll_mod(b, c, false);
	note_queue(b, c);
	return true;
}

static bool queue_push(struct client *c, char *text, size_t len, int fd)
{
	if (c->qlen == c->qcap) {
		size_t cap = c->qcap ? c->qcap * 2 : 4;
		struct outmsg *q;

		if (cap > CLIENT_QUEUE_MAX)
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
	c->queue[(c->qhead + c->qlen) % c->qcap] = (struct outmsg){ text, len, fd };
	c->qlen++;
	return true;
}

/* Queue text (stolen; NULL: it could not be encoded) with fd (stolen) for
 * c, and send at once when nothing is waiting before it. */
void client_send_text(struct vb_broker *b, struct client *c, char *text, int fd)
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
		client_flush(b, c);
	else
		note_queue(b, c);
}

void client_send(struct vb_broker *b, struct client *c, json_t *msg, int fd)
{
	char *text = c->dead ? NULL : vb_proto_encode(msg, NULL);

	json_decref(msg);
	client_send_text(b, c, text, fd);
}

void client_push_event(struct vb_broker *b, struct client *c, const json_t *ev)
{
	char *text = c->dead ? NULL : vb_proto_encode(ev, NULL);

	client_send_text(b, c, text, -1);
}

static bool holds_lease_on(const struct client *c, const char *bdf)
{
	for (const struct lease *l = c->leases; l; l = l->next)
		if (!strcmp(l->dev->bdf, bdf))
			return true;
	return false;
}

/* Which subscribers see ev: root and monitor rules everything; others
 * the events about themselves, about devices their policy grants or
 * where they hold a lease, and "stopping". */
static bool event_visible(const struct vb_broker *b, const struct client *c, const json_t *ev)
{
	const char *name = json_string_value(json_object_get(ev, "event"));
	const char *dev = json_string_value(json_object_get(ev, "device"));
	const json_t *who = json_object_get(json_object_get(ev, "client"), "id");

	if (vb_policy_may_monitor(&b->policy, &c->peer))
		return true;
	if (name && !strcmp(name, "stopping"))
		return true;
	if (json_is_integer(who) && (uint64_t)json_integer_value(who) == c->id)
		return true;
	return dev && (vb_policy_grants_device(&b->policy, &c->peer, dev) || holds_lease_on(c, dev));
}

void broker_emit(struct vb_broker *b, json_t *ev)
{
	event_time(ev);
	if (b->opts.on_event)
		b->opts.on_event(ev, b->opts.ctx);
	if (b->nsubscribers) { /* encoded once for all of them */
		size_t len = 0;
		char *text = vb_proto_encode(ev, &len);

		for (struct client *c = b->clients; c; c = c->next)
			if (c->subscribed && !c->dead && event_visible(b, c, ev))
				client_send_text(b, c, text ? strndup(text, len) : NULL, -1);
		free(text);
	}
	json_decref(ev);
}

void broker_emit_leases(struct vb_broker *b, json_t *ev, json_t *ids)
{
	json_t *parts = vb_proto_lease_parts(ev, ids), *part;
	size_t i;

	json_array_foreach(parts, i, part)
		broker_emit(b, json_incref(part));
	json_decref(parts);
	json_decref(ids);
	json_decref(ev);
}

void client_push_leases(struct vb_broker *b, struct client *c, const json_t *ev, json_t *ids)
{
	json_t *parts = vb_proto_lease_parts(ev, ids), *part;
	size_t i;

	json_array_foreach(parts, i, part)
		client_push_event(b, c, part);
	json_decref(parts);
	json_decref(ids);
}

static void client_free_queue(struct client *c)
{
	for (; c->qlen; c->qlen--, c->qhead = (c->qhead + 1) % c->qcap) {
		free(c->queue[c->qhead].text);
		if (c->queue[c->qhead].fd >= 0)
			close(c->queue[c->qhead].fd);
	}
	free(c->queue);
	c->queue = NULL;
}

static void client_drop(struct vb_broker *b, struct client *c)
{
	json_t *ev = vb_proto_event("client-disconnected");
	uint64_t had = c->nleases;

	if (c->subscribed)
		b->nsubscribers--;
	if (c->congested)
		b->ncongested--;

	client_release_all(b, c, "client-disconnected");
	epoll_ctl(b->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	client_free_queue(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		b->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	b->nclients--;
	json_object_set_new(ev, "client", client_json(c));
	json_object_set_new(ev, "reason", json_string(c->drop_reason ? c->drop_reason : "closed"));
	json_object_set_new(ev, "leases_released", json_integer((json_int_t)had));
	uid_usage_put(b, c->usage);
	vb_peer_free(&c->peer);
	free(c);
	if (!b->stopping)
		broker_emit(b, ev);
	else
		json_decref(ev);
}

static void reap_dead_clients(struct vb_broker *b)
{
	struct client *c = b->clients, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->dead)
			client_drop(b, c);
	}
}

struct uid_usage *uid_usage_get(struct vb_broker *b, uid_t uid)
{
	struct uid_usage *u;

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
void uid_usage_put(struct vb_broker *b, struct uid_usage *u)
{
	if (!u || --u->nconns)
		return;
	for (struct uid_usage **p = &b->uids; *p; p = &(*p)->next)
		if (*p == u) {
			*p = u->next;
			break;
		}
	free(u);
}

/* Out of fds: give the spare one up to accept (and close) the waiting
 * connection, so level-triggered epoll does not spin on it.  True when
 * one was accepted (more may wait). */
static bool accept_at_fd_limit(struct vb_broker *b)
{
	static const char msg[] = "{\"ok\":false,\"error\":{\"message\":\"the daemon is out of file "
				  "descriptors\",\"errno\":24,\"errno_name\":\"EMFILE\",\"device\":null,"
				  "\"exit_code\":6}}";
	int fd;

	if (b->spare_fd < 0) {
		clock_gettime(CLOCK_MONOTONIC, &b->paused_until);
		b->paused_until.tv_nsec += NOFD_PAUSE_MS * 1000000L;
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
	}
	b->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd >= 0; /* EAGAIN: nothing was waiting after all */
}

/* Over its uid's connection limit: an error reply, then closed. */
static bool over_connection_limit(struct vb_broker *b, int fd, const struct vb_peer *peer,
				  const struct uid_usage *u)
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
	return true;
}

static void accept_clients(struct vb_broker *b)
{
	for (;;) {
		int fd = accept4(b->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), off = 0;
		struct epoll_event ev = { .events = EPOLLIN };
		struct uid_usage *u;
		struct client *c;
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
		c->tag.kind = EP_CLIENT;
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
		e = vb_proto_event("client-connected");
		json_object_set_new(e, "client", client_json(c));
		broker_emit(b, e);
	}
}

/* The closer thread: closes the fds written to its pipe, one by one. */
struct fd_closer {
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

static struct fd_closer *closer_start(void)
{
	struct fd_closer *cl = malloc(sizeof(*cl));
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

static void refuse_message(struct vb_broker *b, struct client *c, int errnum, const char *why)
{
	struct vb_err e = { 0 };

	vb_err_set(&e, VB_EXIT_USAGE, errnum, NULL, "%s", why);
	b->errors++;
	client_send(b, c, vb_proto_error_reply(NULL, &e), -1);
}

/* A 0-byte read: the peer closed, or sent an empty message. */
static bool peer_closed(int fd)
{
	struct pollfd p = { fd, POLLIN | POLLRDHUP, 0 };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR));
}

/* Read MSGS_PER_WAKE requests.  Fds a client sends (a kernel without
 * SO_PASSRIGHTS) are refused and closed by the closer thread. */
static void client_readable(struct vb_broker *b, struct client *c)
{
	for (int i = 0; i < MSGS_PER_WAKE && !c->dead; i++) {
		int nfds = 0, flags = 0, fds[VB_MSG_MAX_FDS];
		ssize_t n = vb_msg_recv_fds(c->fd, b->rxbuf, VB_PROTO_MAX_MSG, fds, &nfds, &flags,
					    MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		for (int k = 0; k < nfds && k < VB_MSG_MAX_FDS; k++)
			close_later(b, fds[k]);
		if (n < 0 || (n == 0 && !nfds && !(flags & MSG_CTRUNC) && peer_closed(c->fd))) {
			kill_client(c, n == 0 ? "closed" : "connection-error");
			return;
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
			broker_handle_request(b, c, b->rxbuf, (size_t)n);
	}
}

/* (Re)read the config file into b->policy; the policy is replaced only
 * when the file parses.  No file configured, or an optional one missing:
 * nothing to read, not an error. */
static int load_policy(struct vb_broker *b, struct vb_err *e)
{
	if (!b->opts.config_path)
		return 0;
	if (vb_policy_load(b->opts.config_path, &b->policy, e) == 0)
		return 0;
	if (b->opts.config_optional && e->errnum == ENOENT) {
		vb_err_clear(e);
		return 0;
	}
	return -1;
}

static int reload_policy(struct vb_broker *b)
{
	struct vb_err e = { 0 };
	json_t *ev;

	vb_sd_notify("RELOADING=1");
	if (load_policy(b, &e) < 0) {
		ev = vb_proto_event("config-error");
		json_object_set_new(ev, "message", vb_proto_text(e.msg));
		json_object_set_new(ev, "kept", json_string("the previous policy"));
	} else
		ev = vb_proto_event("config-reloaded");
	json_object_set_new(ev, "rules", json_integer((json_int_t)b->policy.nrules));
	json_object_set_new(ev, "quotas", json_integer((json_int_t)b->policy.nquotas));
	broker_emit(b, ev);
	vb_sd_notify("READY=1");
	return 0;
}

/* True when the loop must stop. */
static bool on_signal(struct vb_broker *b)
{
	struct signalfd_siginfo si;

	while (read(b->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			reload_policy(b);
		else {
			json_t *ev = vb_proto_event("stopping");

			json_object_set_new(ev, "signal",
					    json_string(si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM"));
			broker_emit(b, ev);
			return true;
		}
	}
	return false;
}

static void on_uevents(struct vb_broker *b)
{
	struct vb_uevent ev;
	struct vb_err e = { 0 };
	int rc;

	while ((rc = vb_uevent_read(b->uevents, &ev, &e)) != 0) {
		if (rc < 0) {
			json_t *j = vb_proto_event("uevent-error");

			json_object_set_new(j, "message", vb_proto_text(e.msg));
			broker_emit(b, j);
			return;
		}
		if (!strcmp(ev.subsystem, "pci"))
			device_on_uevent(b, &ev);
	}
}

static void dispatch(struct vb_broker *b, struct epoll_event *ev, bool *stop)
{
	struct ep_tag *t = ev->data.ptr;
	struct device *d;
	struct client *c;

	switch (t->kind) {
	case EP_LISTEN:
		accept_clients(b);
		break;
	case EP_SIGNAL:
		*stop = on_signal(b);
		break;
	case EP_UEVENT:
		on_uevents(b);
		break;
	case EP_DEV_REQ:
		d = (struct device *)((char *)t - offsetof(struct device, req_tag));
		device_on_request(b, d);
		break;
	case EP_DEV_ERR:
		d = (struct device *)((char *)t - offsetof(struct device, err_tag));
		device_on_error(b, d);
		break;
	case EP_CLIENT:
		c = (struct client *)t;
		if (ev->events & EPOLLOUT)
			client_flush(b, c);
		if (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			client_readable(b, c);
		break;
	}
}

/* Should accepting wait: a subscriber falling behind (within its grace),
 * or no fd to spare?  Returns the epoll timeout: -1, or ms to look again. */
static int listener_pause(struct vb_broker *b)
{
	struct timespec now;
	bool pause = false;
	int timeout = -1;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec < b->paused_until.tv_sec ||
	    (now.tv_sec == b->paused_until.tv_sec && now.tv_nsec < b->paused_until.tv_nsec)) {
		pause = true;
		timeout = NOFD_PAUSE_MS;
	}
	if (b->ncongested)
		for (struct client *c = b->clients; c && !pause; c = c->next)
			if (c->congested && ms_since(&c->congested_since) < CONGESTION_GRACE_MS) {
				pause = true;
				timeout = 50;
			}
	if (pause != b->listen_paused) {
		struct epoll_event ev = { .events = pause ? 0 : EPOLLIN, .data.ptr = &b->listen_tag };

		if (epoll_ctl(b->epfd, EPOLL_CTL_MOD, b->listen_fd, &ev) == 0)
			b->listen_paused = pause;
	}
	return timeout;
}

int vb_broker_run(struct vb_broker *b, struct vb_err *e)
{
	struct epoll_event evs[EPOLL_BATCH];
	bool stop = false;

	vb_sd_notify("READY=1");
	while (!stop) {
		int n = epoll_wait(b->epfd, evs, EPOLL_BATCH, listener_pause(b));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "epoll_wait failed");
		for (int i = 0; i < n && !stop; i++)
			dispatch(b, &evs[i], &stop);
		reap_dead_clients(b);
	}
	return 0;
}

static int add_watch(struct vb_broker *b, int fd, struct ep_tag *tag, struct vb_err *e)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "epoll_ctl failed");
	return 0;
}

static int setup_signals(struct vb_broker *b, struct vb_err *e)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	b->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (b->sig_fd < 0)
		return vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "signalfd failed");
	b->sig_tag.kind = EP_SIGNAL;
	return add_watch(b, b->sig_fd, &b->sig_tag, e);
}

/* The socket's directory: created 0755 when missing; refused when anyone
 * but root (or us) owns it or may write to it, unless it is a root-owned
 * sticky directory (/tmp: others can neither remove nor rename our
 * socket there). Checked on an fd opened without following a link. */
static int make_socket_dir(const char *path, struct vb_err *e)
{
	char *dir = strdup(path), *slash;
	struct stat st;
	int fd, rc = 0;

	if (!dir)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		rc = vb_err_set(e, vb_exit_from_errno(errno), errno, dir,
				"cannot create the socket's directory");
	else if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		rc = vb_err_set(e, vb_exit_from_errno(errno), errno, dir,
				"cannot open the socket's directory");
	else {
		if (fstat(fd, &st) < 0)
			rc = vb_err_set(e, VB_EXIT_FAIL, errno, dir, "cannot stat the socket's directory");
		else if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
			 ((st.st_mode & 022) && !((st.st_mode & S_ISVTX) && st.st_uid == 0)))
			rc = vb_err_set(e, VB_EXIT_PERM, 0, NULL,
					"untrusted socket directory %s: owner uid %u, mode %04o: "
					"others could replace the socket (use a directory only "
					"root may write to)",
					dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		close(fd);
	}
	free(dir);
	return rc;
}

static int setup_listener(struct vb_broker *b, struct vb_err *e)
{
	const char *path = b->opts.socket_path;
	int off = 0;

	if (b->opts.listen_fd >= 0) {
		b->listen_fd = b->opts.listen_fd;
	} else {
		if (make_socket_dir(path, e) < 0)
			return -1;
		b->listen_fd = vb_unix_listen_takeover(
			path, SOCK_SEQPACKET, b->policy.socket_mode,
			b->policy.has_socket_group ? b->policy.socket_gid : (gid_t)-1, e);
		if (b->listen_fd < 0)
			return -1;
		b->own_socket = true;
	}
	/* connections accepted from it inherit it (each is set again too) */
	setsockopt(b->listen_fd, SOL_SOCKET, SO_PASSRIGHTS, &off, sizeof(off));
	fcntl(b->listen_fd, F_SETFL, fcntl(b->listen_fd, F_GETFL) | O_NONBLOCK);
	b->listen_tag.kind = EP_LISTEN;
	return add_watch(b, b->listen_fd, &b->listen_tag, e);
}

/* 1,000 clients need more than the usual soft limit of 1,024 fds. */
static void raise_fd_limit(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max > 65536 ? 65536 : r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}


static int setup_uevents(struct vb_broker *b, struct vb_err *e)
{
	b->uevents = vb_uevent_open(e);
	if (!b->uevents)
		return -1;
	b->uevent_tag.kind = EP_UEVENT;
	return add_watch(b, vb_uevent_fd(b->uevents), &b->uevent_tag, e);
}

struct vb_broker *vb_broker_new(const struct vb_broker_opts *o, struct vb_err *e)
{
	struct vb_broker *b = calloc(1, sizeof(*b));

	if (!b) {
		vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
		return NULL;
	}
	b->opts = *o;
	b->listen_fd = b->sig_fd = -1;
	b->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	clock_gettime(CLOCK_MONOTONIC, &b->started);
	b->rxbuf = malloc(VB_PROTO_MAX_MSG + 1);
	b->rq = malloc(sizeof(*b->rq));
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!b->rxbuf || !b->rq || b->epfd < 0) {
		vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "cannot set up the event loop");
		goto fail;
	}
	raise_fd_limit();
	vb_policy_init(&b->policy);
	if (load_policy(b, e) < 0 || setup_signals(b, e) < 0 || setup_uevents(b, e) < 0 ||
	    devices_open_all(b, e) < 0 || setup_listener(b, e) < 0)
		goto fail;
	return b;
fail:
	vb_broker_free(b);
	return NULL;
}

void vb_broker_free(struct vb_broker *b)
{
	if (!b)
		return;
	b->stopping = true;
	vb_sd_notify("STOPPING=1");
	devices_close_all(b, "device-closed");
	for (struct client *c = b->clients; c; c = c->next)
		if (!c->dead) {
			client_send(b, c, vb_proto_event("shutdown"), -1);
			kill_client(c, "shutdown");
		}
	reap_dead_clients(b);
	if (b->listen_fd >= 0)
		close(b->listen_fd);
	if (b->own_socket)
		unlink(b->opts.socket_path);
	if (b->sig_fd >= 0)
		close(b->sig_fd);
	vb_uevent_close(b->uevents);
	if (b->epfd >= 0)
		close(b->epfd);
	free(b->devs);
	if (b->spare_fd >= 0)
		close(b->spare_fd);
	if (b->closer) {
		close(b->closer->wfd); /* the thread ends when the pipe is drained */
		free(b->closer);
	}
	while (b->uids) {
		struct uid_usage *u = b->uids;

		b->uids = u->next;
		free(u);
	}
	free(b->rxbuf);
	free(b->rq);
	vb_policy_free(&b->policy);
	free(b);
}
