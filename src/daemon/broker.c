/* broker: the daemon's top: lifecycle, the epoll loop, dispatch.  See
 * broker.h, and daemon.h for the layers below. */
#include "broker.h"
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
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

#include "clients.h"
#include "daemon.h"
#include "devices.h"
#include "events.h"
#include "fdpass.h"
#include "metrics.h"
#include "requests.h"
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

static int64_t ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* A dead client's leases are released (the devices' bookkeeping), then
 * the client itself goes. */
static void reap_dead_clients(struct vb_broker *b)
{
	struct srv_client *c = b->clients, *next;

	for (; c; c = next) {
		uint64_t had = c->nleases;

		next = c->next;
		if (!c->dead)
			continue;
		srv_leases_release_all(b, c, "client-disconnected");
		srv_client_drop(b, c, had);
	}
}

/* Take MSGS_PER_WAKE messages of c and handle the requests among them. */
static void client_readable(struct vb_broker *b, struct srv_client *c)
{
	for (int i = 0; i < MSGS_PER_WAKE; i++) {
		ssize_t n = srv_client_read_request(b, c);

		if (n < 0)
			return;
		if (n > 0)
			srv_handle_request(b, c, b->rxbuf, (size_t)n);
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
	bool loaded;
	json_t *ev;

	vb_sd_notify("RELOADING=1");
	loaded = load_policy(b, &e) == 0;
	ev = vb_event_config(loaded, e.msg, (int)b->policy.nrules, (int)b->policy.nquotas);
	srv_emit(b, ev);
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
			srv_emit(b, vb_event_stopping(si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM"));
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
			srv_emit(b, vb_event_uevent_error(e.msg));
			return;
		}
		if (!strcmp(ev.subsystem, "pci"))
			srv_device_on_uevent(b, &ev);
	}
}

static void emit_metrics_error(struct vb_broker *b, const struct vb_err *e)
{
	json_t *ev = vb_event_metrics_error(b->opts.metrics_path);

	json_object_set_new(ev, "error", vb_proto_error_object(e));
	srv_emit(b, ev);
}

static void on_metrics_timer(struct vb_broker *b)
{
	struct vb_err e = { 0 };

	if (srv_metrics_on_timer(b, &e) < 0)
		emit_metrics_error(b, &e);
}

static void dispatch(struct vb_broker *b, struct epoll_event *ev, bool *stop)
{
	struct srv_ep_tag *t = ev->data.ptr;
	struct srv_device *d;
	struct srv_client *c;

	switch (t->kind) {
	case SRV_EP_LISTEN:
		srv_clients_accept(b);
		break;
	case SRV_EP_SIGNAL:
		*stop = on_signal(b);
		break;
	case SRV_EP_UEVENT:
		on_uevents(b);
		break;
	case SRV_EP_METRICS:
		on_metrics_timer(b);
		break;
	case SRV_EP_DEV_REQ:
		d = (struct srv_device *)((char *)t - offsetof(struct srv_device, req_tag));
		srv_device_on_request(b, d);
		break;
	case SRV_EP_DEV_ERR:
		d = (struct srv_device *)((char *)t - offsetof(struct srv_device, err_tag));
		srv_device_on_error(b, d);
		break;
	case SRV_EP_CLIENT:
		c = (struct srv_client *)t;
		if (ev->events & EPOLLOUT)
			srv_client_flush(b, c);
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

	/* The clock is read only while an fd-limit pause is pending (it is
	 * forgotten once over): not once per loop turn, where it was a system
	 * call on a guest without a vDSO clock (bench/broker under TCG). */
	if (b->paused_until.tv_sec || b->paused_until.tv_nsec) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec < b->paused_until.tv_sec ||
		    (now.tv_sec == b->paused_until.tv_sec && now.tv_nsec < b->paused_until.tv_nsec)) {
			pause = true;
			timeout = SRV_NOFD_PAUSE_MS;
		} else {
			b->paused_until.tv_sec = b->paused_until.tv_nsec = 0;
		}
	}
	if (b->ncongested)
		for (struct srv_client *c = b->clients; c && !pause; c = c->next)
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
		if (b->metrics.dirty)
			srv_metrics_schedule(b);
	}
	return 0;
}

static int add_watch(struct vb_broker *b, int fd, struct srv_ep_tag *tag, struct vb_err *e)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "epoll_ctl failed");
	return 0;
}

static int setup_signals(struct vb_broker *b, struct vb_err *e)
{
	static const int taken[] = { SIGINT, SIGTERM, SIGHUP, 0 };

	signal(SIGPIPE, SIG_IGN);
	b->sig_fd = vb_signalfd(taken, true);
	if (b->sig_fd < 0)
		return vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "signalfd failed");
	b->sig_tag.kind = SRV_EP_SIGNAL;
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
	b->listen_tag.kind = SRV_EP_LISTEN;
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
	b->uevent_tag.kind = SRV_EP_UEVENT;
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
	b->listen_fd = b->sig_fd = b->metrics.timer_fd = -1;
	b->metrics_tag.kind = SRV_EP_METRICS;
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
	    srv_devices_open_all(b, e) < 0 || setup_listener(b, e) < 0 ||
	    /* after the listener: a second daemon refused there leaves the
	     * first one's file alone */
	    srv_metrics_start(b, &b->metrics_tag, e) < 0)
		goto fail;
	return b;
fail:
	vb_broker_free(b);
	return NULL;
}

/* The last metrics file (up 0): its failure is logged, not fatal. */
static void stop_metrics(struct vb_broker *b)
{
	struct vb_err e = { 0 };

	if (srv_metrics_stop(b, &e) < 0)
		emit_metrics_error(b, &e);
}

void vb_broker_free(struct vb_broker *b)
{
	if (!b)
		return;
	b->stopping = true;
	vb_sd_notify("STOPPING=1");
	srv_devices_close_all(b, "device-closed");
	srv_clients_shutdown(b);
	reap_dead_clients(b);
	stop_metrics(b);
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
	srv_clients_free(b);
	free(b->rxbuf);
	free(b->rq);
	vb_policy_free(&b->policy);
	free(b);
}
