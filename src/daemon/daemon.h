/* daemon: the serve daemon's shared state (not an interface).  Its files
 * call one way, top to bottom:
 *
 *   broker.c    lifecycle, the epoll loop, dispatch          (broker.h)
 *   requests.c  one handler per protocol op                  (requests.h)
 *   devices.c   served devices, leases, revocation           (devices.h)
 *   clients.c   connections, queues, peers, event emission   (clients.h)
 *   daemon.h    this state; broker_opts.h, what it was asked to do
 *
 * Every name the daemon's files share starts with srv_. */
#ifndef VB_DAEMON_H
#define VB_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "broker_opts.h"
#include "metrics.h"
#include "pci_model.h"
#include "policy.h"
#include "proto.h"
#include "uevent.h"

/* What an epoll registration points at. */
enum srv_ep_kind {
	SRV_EP_LISTEN,
	SRV_EP_SIGNAL,
	SRV_EP_UEVENT,
	SRV_EP_CLIENT,
	SRV_EP_DEV_REQ,
	SRV_EP_DEV_ERR,
	SRV_EP_METRICS
};
struct srv_ep_tag {
	enum srv_ep_kind kind;
};

struct srv_outmsg {
	char *text;
	size_t len;
	int fd; /* sent with the message, then closed; -1 when none */
};

#define SRV_CLIENT_QUEUE_MAX 256 /* queued messages before a client counts as stuck */
/* Out of fds with no spare one: accepting waits this long. */
#define SRV_NOFD_PAUSE_MS 100

struct srv_lease;

/* What one uid holds, over all its connections: quotas count here. */
struct srv_uid_usage {
	uid_t uid;
	uint64_t nconns, nleases, bytes;
	struct srv_uid_usage *next;
};

/* Fds a client managed to send (kernels without SO_PASSRIGHTS): closed
 * by a thread, as a close can block (a FUSE file's release). */
struct srv_fd_closer;

struct srv_client {
	struct srv_ep_tag tag;
	int fd;
	uint64_t id;
	struct vb_peer peer;
	struct srv_uid_usage *usage; /* its uid's */
	bool subscribed;
	bool congested;         /* a subscriber over half its queue */
	struct timespec congested_since;
	bool dead;              /* to be dropped at the end of this loop turn */
	bool want_out;          /* EPOLLOUT is registered (a queue is waiting) */
	const char *drop_cause;
	struct srv_lease *leases; /* this client's, newest first */
	uint64_t nleases, bytes;
	struct srv_outmsg *queue; /* pending messages, oldest first */
	size_t qhead, qlen, qcap;
	struct srv_client *prev, *next;
};

enum srv_dev_state { SRV_DEV_OPEN, SRV_DEV_CLOSED };

struct srv_device {
	char bdf[VB_BDF_STRLEN];
	enum srv_dev_state state;
	bool revoked;           /* buffers revoked while open (memory disabled) */
	char closed_reason[32]; /* why it is closed: unbind-requested, removed, ... */
	struct vb_vfio_dev vd;
	struct vb_bar bars[VB_MAX_BARS];
	bool bar_present[VB_MAX_BARS];
	struct srv_ep_tag req_tag, err_tag;
	int req_efd, err_efd;
	uint64_t nleases;
	char last_error[512];
};

struct srv_lease {
	uint64_t id;
	struct srv_client *owner;
	struct srv_device *dev;
	int bar;
	uint64_t size;
	struct srv_lease *next; /* in the owner's list */
};

struct vb_broker {
	struct vb_broker_opts opts;
	struct vb_policy policy;
	int epfd, listen_fd, sig_fd;
	bool own_socket;        /* we created the socket file: remove it at exit */
	struct srv_ep_tag listen_tag, sig_tag, uevent_tag;
	struct vb_uevent_sock *uevents;
	struct srv_device *devs;
	size_t ndevs;
	struct srv_client *clients;
	uint64_t nclients, nsubscribers, next_client_id, next_lease_id;
	uint64_t nleases, bytes;
	uint64_t requests, errors, refused;
	struct timespec started;
	bool stopping;
	struct srv_uid_usage *uids;
	int spare_fd;           /* kept open to accept (and close) at EMFILE */
	bool listen_paused;     /* listener out of epoll: congested or no fds */
	struct timespec paused_until;
	uint64_t ncongested;    /* subscribers over half their queue */
	struct srv_fd_closer *closer;
	char *rxbuf;            /* one message buffer for every client: the request
				 * read into it, its export/release reply written
				 * over it once parsed (VB_PROTO_MAX_MSG + 1) */
	struct vb_request *rq;  /* the request being handled (one at a time) */
	struct srv_metrics metrics; /* serve --metrics (metrics.h) */
	struct srv_ep_tag metrics_tag;
};

#endif
