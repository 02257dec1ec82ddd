/* metrics: the daemon's Prometheus textfile.  See metrics.h. */
#include "metrics.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "daemon.h"

static const char *const release_causes[SRV_RELEASE_CAUSES] = {
	"client-request", "client-disconnected", "device-closed", "other"
};
static const char *const revoke_causes[SRV_REVOKE_CAUSES] = {
	"reset", "unbind-requested", "removed", "device-closed", "other"
};
static const char *const refusal_names[SRV_REFUSED_COUNT] = {
	[SRV_REFUSED_INVALID] = "invalid-request",
	[SRV_REFUSED_NOT_FOUND] = "not-found",
	[SRV_REFUSED_DENIED] = "denied",
	[SRV_REFUSED_QUOTA] = "quota",
	[SRV_REFUSED_BUSY] = "busy",
	[SRV_REFUSED_NOT_SUPPORTED] = "not-supported",
	[SRV_REFUSED_FAILED] = "failed",
	[SRV_REFUSED_CONNECTION_QUOTA] = "connection-quota",
	[SRV_REFUSED_FD_LIMIT] = "fd-limit",
};

/* The index of cause in names[n] (the last one, "other", when unknown). */
static size_t cause_index(const char *const *names, size_t n, const char *cause)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (cause && !strcmp(names[i], cause))
			return i;
	return n - 1;
}

void srv_metric_export(struct srv_metrics *m)
{
	m->exports++;
	m->dirty = true;
}

void srv_metric_release(struct srv_metrics *m, const char *cause)
{
	m->releases[cause_index(release_causes, SRV_RELEASE_CAUSES, cause)]++;
	m->dirty = true;
}

void srv_metric_revoke(struct srv_metrics *m, const char *cause)
{
	m->revocations[cause_index(revoke_causes, SRV_REVOKE_CAUSES, cause)]++;
	m->dirty = true;
}

void srv_metric_refused(struct srv_metrics *m, enum srv_refusal why)
{
	m->refused[why]++;
	m->dirty = true;
}

enum srv_refusal srv_refusal_of(const struct vb_err *e)
{
	switch (e->exit_code) {
	case VB_EXIT_USAGE:
		return SRV_REFUSED_INVALID;
	case VB_EXIT_NOTFOUND:
		return SRV_REFUSED_NOT_FOUND;
	case VB_EXIT_PERM:
		return SRV_REFUSED_DENIED;
	case VB_EXIT_BUSY:
		return e->errnum == EDQUOT ? SRV_REFUSED_QUOTA : SRV_REFUSED_BUSY;
	case VB_EXIT_NOTSUP:
		return SRV_REFUSED_NOT_SUPPORTED;
	default:
		return SRV_REFUSED_FAILED;
	}
}

void srv_metric_refused_err(struct srv_metrics *m, const struct vb_err *e)
{
	srv_metric_refused(m, srv_refusal_of(e));
}

void srv_metric_connection(struct srv_metrics *m)
{
	m->connections++;
	m->dirty = true;
}

void srv_metric_changed(struct srv_metrics *m)
{
	m->dirty = true;
}

/* A family whose samples carry one label. */
static void labelled(struct vb_prom *p, const char *name, const char *type, const char *help,
		     const char *label, const char *const *values, const uint64_t *counts,
		     size_t n)
{
	vb_prom_family(p, name, type, help);
	for (size_t i = 0; i < n; i++) {
		struct vb_prom_label l = { label, values[i] };

		vb_prom_sample(p, name, &l, 1, counts[i]);
	}
}

static void single(struct vb_prom *p, const char *name, const char *type, const char *help,
		   uint64_t value)
{
	vb_prom_family(p, name, type, help);
	vb_prom_sample(p, name, NULL, 0, value);
}

void srv_metrics_format(const struct srv_metrics *m, const struct srv_metrics_state *s,
			struct vb_prom *p)
{
	static const char *const states[] = { "open", "revoked", "closed" };
	const uint64_t devices[] = { s->devices_open, s->devices_revoked, s->devices_closed };

	single(p, "vfiobuf_serve_up", "gauge",
	       "1 while the daemon runs; 0 in the file it leaves at shutdown", s->up);
	single(p, "vfiobuf_serve_start_time_seconds", "gauge",
	       "When the daemon started, in seconds since the Unix epoch",
	       s->start_time > 0 ? (uint64_t)s->start_time : 0);
	single(p, "vfiobuf_exports_total", "counter", "dma-buf exports passed to clients",
	       m->exports);
	labelled(p, "vfiobuf_releases_total", "counter", "Leases released, by cause", "cause",
		 release_causes, m->releases, SRV_RELEASE_CAUSES);
	labelled(p, "vfiobuf_revocations_total", "counter",
		 "Devices' buffers revoked (reset, unbind, removal, shutdown), by cause", "cause",
		 revoke_causes, m->revocations, SRV_REVOKE_CAUSES);
	single(p, "vfiobuf_requests_total", "counter", "Requests received", s->requests);
	labelled(p, "vfiobuf_requests_refused_total", "counter",
		 "Requests (and connections) refused or failed, by reason", "reason",
		 refusal_names, m->refused, SRV_REFUSED_COUNT);
	single(p, "vfiobuf_connections_total", "counter", "Client connections accepted",
	       m->connections);
	single(p, "vfiobuf_leases", "gauge", "Live leases (dma-bufs handed out and not released)",
	       s->leases);
	single(p, "vfiobuf_lease_bytes", "gauge", "Bytes of BAR memory under live leases",
	       s->lease_bytes);
	single(p, "vfiobuf_clients", "gauge", "Connected clients", s->clients);
	single(p, "vfiobuf_subscribers", "gauge", "Connected clients subscribed to events",
	       s->subscribers);
	labelled(p, "vfiobuf_devices", "gauge", "Served devices, by state", "state", states,
		 devices, 3);
}

static void state_of(const struct vb_broker *b, bool up, struct srv_metrics_state *s)
{
	*s = (struct srv_metrics_state){ .leases = b->nleases, .lease_bytes = b->bytes,
					 .clients = b->nclients, .subscribers = b->nsubscribers,
					 .requests = b->requests, .start_time = b->metrics.start_time,
					 .up = up };
	for (size_t i = 0; i < b->ndevs; i++) {
		if (b->devs[i].state == SRV_DEV_CLOSED)
			s->devices_closed++;
		else if (b->devs[i].revoked)
			s->devices_revoked++;
		else
			s->devices_open++;
	}
}

static int write_file(struct vb_broker *b, bool up, struct vb_err *e)
{
	struct srv_metrics_state s;
	struct vb_prom p;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &b->metrics.last_write);
	b->metrics.dirty = false;
	state_of(b, up, &s);
	vb_prom_init(&p);
	srv_metrics_format(&b->metrics, &s, &p);
	if (p.oom)
		rc = vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	else
		rc = vb_prom_write_file(b->opts.metrics_path, p.text, p.len, e);
	vb_prom_free(&p);
	if (rc < 0)
		b->metrics.dirty = true; /* tried again a second later */
	return rc;
}

int srv_metrics_start(struct vb_broker *b, struct srv_ep_tag *tag, struct vb_err *e)
{
	struct srv_metrics *m = &b->metrics;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	if (!b->opts.metrics_path)
		return 0;
	m->start_time = (int64_t)time(NULL);
	if (write_file(b, true, e) < 0)
		return -1;
	m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (m->timer_fd < 0 || epoll_ctl(b->epfd, EPOLL_CTL_ADD, m->timer_fd, &ev) < 0)
		return vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "cannot set up the metrics timer");
	return 0;
}

void srv_metrics_schedule(struct vb_broker *b)
{
	struct srv_metrics *m = &b->metrics;
	struct itimerspec due = { .it_value = m->last_write };

	if (!m->dirty || m->armed || m->timer_fd < 0)
		return;
	/* one second after the last write (already past: fires at once) */
	due.it_value.tv_sec++;
	if (timerfd_settime(m->timer_fd, TFD_TIMER_ABSTIME, &due, NULL) == 0)
		m->armed = true;
}

int srv_metrics_on_timer(struct vb_broker *b, struct vb_err *e)
{
	struct srv_metrics *m = &b->metrics;
	uint64_t expired;

	if (read(m->timer_fd, &expired, sizeof(expired)) != sizeof(expired))
		return 0;
	m->armed = false;
	if (write_file(b, true, e) == 0) {
		m->last_error[0] = '\0';
		return 0;
	}
	if (!strcmp(m->last_error, e->msg))
		return 0; /* reported already */
	snprintf(m->last_error, sizeof(m->last_error), "%s", e->msg);
	return -1;
}

int srv_metrics_stop(struct vb_broker *b, struct vb_err *e)
{
	struct srv_metrics *m = &b->metrics;

	if (m->timer_fd < 0)
		return 0;
	close(m->timer_fd);
	m->timer_fd = -1;
	return write_file(b, false, e);
}
