/* broker_impl: the broker's internal state, shared by broker.c (loop,
 * clients, I/O), broker_devices.c (devices, leases, revocation) and
 * broker_ops.c (one handler per protocol op).  Not a public interface. */
#ifndef VB_BROKER_IMPL_H
#define VB_BROKER_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "broker.h"
#include "pci_model.h"
#include "policy.h"
#include "proto.h"
#include "uevent.h"

/* What an epoll registration points at. */
enum ep_kind { EP_LISTEN, EP_SIGNAL, EP_UEVENT, EP_CLIENT, EP_DEV_REQ, EP_DEV_ERR };
struct ep_tag {
	enum ep_kind kind;
};

struct outmsg {
	char *text;
	size_t len;
	int fd; /* sent with the message, then closed; -1 when none */
};

#define CLIENT_QUEUE_MAX 256 /* queued messages before a client counts as stuck */

struct lease;

/* What one uid holds, over all its connections: quotas count here. */
struct uid_usage {
	uid_t uid;
	uint64_t nconns, nleases, bytes;
	struct uid_usage *next;
};

/* Fds a client managed to send (kernels without SO_PASSRIGHTS): closed
 * by a thread, as a close can block (a FUSE file's release). */
struct fd_closer;

struct client {
	struct ep_tag tag;
	int fd;
	uint64_t id;
	struct vb_peer peer;
	struct uid_usage *usage; /* its uid's */
	bool subscribed;
	bool congested;         /* a subscriber over half its queue */
	struct timespec congested_since;
	bool dead;              /* to be dropped at the end of this loop turn */
	bool want_out;          /* EPOLLOUT is registered (a queue is waiting) */
	const char *drop_reason;
	struct lease *leases;   /* this client's, newest first */
	uint64_t nleases, bytes;
	struct outmsg *queue;   /* pending messages, oldest first */
	size_t qhead, qlen, qcap;
	struct client *prev, *next;
};

enum dev_state { DEV_OPEN, DEV_CLOSED };

struct device {
	char bdf[VB_BDF_STRLEN];
	enum dev_state state;
	bool revoked;           /* buffers revoked while open (memory disabled) */
	char closed_reason[32]; /* why it is closed: unbind-requested, removed, ... */
	struct vb_vfio_dev vd;
	struct vb_bar bars[VB_MAX_BARS];
	bool bar_present[VB_MAX_BARS];
	struct ep_tag req_tag, err_tag;
	int req_efd, err_efd;
	uint64_t nleases;
	char last_error[512];
};

struct lease {
	uint64_t id;
	struct client *owner;
	struct device *dev;
	int bar;
	uint64_t size;
	struct lease *next; /* in the owner's list */
};

struct vb_broker {
	struct vb_broker_opts opts;
	struct vb_policy policy;
	int epfd, listen_fd, sig_fd;
	bool own_socket;        /* we created the socket file: remove it at exit */
	struct ep_tag listen_tag, sig_tag, uevent_tag;
	struct vb_uevent_sock *uevents;
	struct device *devs;
	size_t ndevs;
	struct client *clients;
	uint64_t nclients, nsubscribers, next_client_id, next_lease_id;
	uint64_t nleases, bytes;
	uint64_t requests, errors, refused;
	struct timespec started;
	bool stopping;
	struct uid_usage *uids;
	int spare_fd;           /* kept open to accept (and close) at EMFILE */
	bool listen_paused;     /* listener out of epoll: congested or no fds */
	struct timespec paused_until;
	uint64_t ncongested;    /* subscribers over half their queue */
	struct fd_closer *closer;
	char *rxbuf;            /* one receive buffer for every client */
	struct vb_request *rq;  /* the request being handled (one at a time) */
};

/* broker.c */
void broker_emit(struct vb_broker *b, json_t *ev);   /* log + subscribers; steals ev */
/* Would an event reach anyone (the log or a subscriber)?  Lets hot paths
 * skip building routine events (exported, released) nobody reads. */
bool broker_has_listeners(const struct vb_broker *b);
void client_send(struct vb_broker *b, struct client *c, json_t *msg, int fd); /* steals msg, fd */
/* Queue text already encoded (NUL-terminated, stolen; NULL: it could not
 * be encoded) with fd (stolen). */
void client_send_text(struct vb_broker *b, struct client *c, char *text, int fd);
void client_push_event(struct vb_broker *b, struct client *c, const json_t *ev);
/* Emit ev (stolen) with ids (stolen) as its "leases", in parts when long
 * (vb_proto_lease_parts): every part fits in a message. */
void broker_emit_leases(struct vb_broker *b, json_t *ev, json_t *ids);
/* The same, pushed to c only. */
void client_push_leases(struct vb_broker *b, struct client *c, const json_t *ev, json_t *ids);
json_t *client_json(const struct client *c);
struct uid_usage *uid_usage_get(struct vb_broker *b, uid_t uid);
void uid_usage_put(struct vb_broker *b, struct uid_usage *u);

/* broker_devices.c */
int devices_open_all(struct vb_broker *b, struct vb_err *e);
void devices_close_all(struct vb_broker *b, const char *cause);
struct device *device_find(struct vb_broker *b, const char *bdf);
int device_open(struct vb_broker *b, struct device *d, struct vb_err *e);
/* Revoke: emit "revoked" with the leases (holders get it pushed);
 * permanent closes the device and releases its leases. */
void device_revoke(struct vb_broker *b, struct device *d, const char *cause, bool permanent);
void device_restore(struct vb_broker *b, struct device *d, const char *cause);
void device_on_request(struct vb_broker *b, struct device *d);
void device_on_error(struct vb_broker *b, struct device *d);
void device_on_uevent(struct vb_broker *b, const struct vb_uevent *ev);
json_t *device_json(struct vb_broker *b, struct device *d, const struct vb_peer *peer);
const char *device_state_name(const struct device *d); /* open, revoked, closed */
struct lease *lease_add(struct vb_broker *b, struct client *c, struct device *d, int bar,
			uint64_t size);
void lease_release(struct vb_broker *b, struct lease *l, const char *cause);
void client_release_all(struct vb_broker *b, struct client *c, const char *cause);

/* broker_ops.c */
void broker_handle_request(struct vb_broker *b, struct client *c, const char *buf, size_t len);

#endif
