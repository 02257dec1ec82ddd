/* metrics: what `serve --metrics FILE` publishes for Prometheus (through
 * node_exporter's textfile collector): counters the other daemon files
 * bump through one-line hooks (srv_metric_*), gauges read from the state
 * when the file is written, the text (a pure function), and the file,
 * rewritten atomically at most once a second (a timerfd in the epoll
 * loop) and at shutdown.  Called by broker.c, requests.c, devices.c and
 * clients.c; calls only the core (prom.h). */
#ifndef VB_SRV_METRICS_H
#define VB_SRV_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "prom.h"
#include "vb_error.h"

/* Why a request (or a connection) was turned down or failed. */
enum srv_refusal {
	SRV_REFUSED_INVALID,          /* malformed, unknown op, bad fields, fds sent, too long */
	SRV_REFUSED_NOT_FOUND,        /* device not served, lease not held */
	SRV_REFUSED_DENIED,           /* the policy does not allow it */
	SRV_REFUSED_QUOTA,            /* a lease or byte quota */
	SRV_REFUSED_BUSY,             /* device closed, busy */
	SRV_REFUSED_NOT_SUPPORTED,    /* the kernel or device cannot */
	SRV_REFUSED_FAILED,           /* the kernel refused, out of memory */
	SRV_REFUSED_CONNECTION_QUOTA, /* a connection over its uid's limit */
	SRV_REFUSED_FD_LIMIT,         /* a connection closed at the daemon's fd limit */
	SRV_REFUSED_COUNT
};

#define SRV_RELEASE_CAUSES 4 /* client-request, client-disconnected, device-closed, other */
#define SRV_REVOKE_CAUSES 5  /* reset, unbind-requested, removed, device-closed, other */

struct srv_metrics {
	uint64_t exports, connections;
	uint64_t releases[SRV_RELEASE_CAUSES];
	uint64_t revocations[SRV_REVOKE_CAUSES];
	uint64_t refused[SRV_REFUSED_COUNT];
	bool dirty;             /* changed since the file was written */
	/* the file (none when not asked for) */
	int timer_fd;           /* -1: no metrics file */
	bool armed;
	struct timespec last_write; /* CLOCK_MONOTONIC */
	int64_t start_time;     /* the daemon's start, Unix seconds */
	char last_error[512];   /* the failure last reported, "" after a success */
};

/* What the gauges show, read from the daemon's state. */
struct srv_metrics_state {
	uint64_t leases, lease_bytes, clients, subscribers, requests;
	uint64_t devices_open, devices_revoked, devices_closed;
	int64_t start_time;
	bool up;                /* false in the file written at shutdown */
};

/* Hooks: one call where it happens. */
void srv_metric_export(struct srv_metrics *m);
void srv_metric_release(struct srv_metrics *m, const char *cause);
void srv_metric_revoke(struct srv_metrics *m, const char *cause);
void srv_metric_refused(struct srv_metrics *m, enum srv_refusal why);
/* A failed request, its reason taken from e's exit code (and EDQUOT). */
void srv_metric_refused_err(struct srv_metrics *m, const struct vb_err *e);
void srv_metric_connection(struct srv_metrics *m);
/* A gauge's input changed (a client came or went, a device's state). */
void srv_metric_changed(struct srv_metrics *m);

enum srv_refusal srv_refusal_of(const struct vb_err *e);

/* The exposition text of m and s (pure; every label value of every
 * family is present, zeros included, so series exist from the start). */
void srv_metrics_format(const struct srv_metrics *m, const struct srv_metrics_state *s,
			struct vb_prom *p);

struct vb_broker;
/* broker.c: with opts.metrics_path, create the timer (watched in the
 * epoll loop with tag) and write the file once; -1 with e (an untrusted
 * directory: exit 4).  No path: nothing, 0. */
struct srv_ep_tag;
int srv_metrics_start(struct vb_broker *b, struct srv_ep_tag *tag, struct vb_err *e);
/* After each loop turn: something changed, arm the timer (at most one
 * write a second). */
void srv_metrics_schedule(struct vb_broker *b);
/* The timer fired: write the file.  -1 with e when the write failed and
 * this failure is new (report it; it is tried again a second later). */
int srv_metrics_on_timer(struct vb_broker *b, struct vb_err *e);
/* At shutdown: the last file (up 0), the timer closed.  -1 with e. */
int srv_metrics_stop(struct vb_broker *b, struct vb_err *e);

#endif
