/* clients: the bottom of the daemon (daemon.h).  Connections (accept,
 * peer credentials, per-uid connection limits), their outgoing queues,
 * reading one request, and the emission of events: to the log callback
 * and to each subscriber whose scope shows it.  Calls nothing of the
 * daemon's other files. */
#ifndef VB_SRV_CLIENTS_H
#define VB_SRV_CLIENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "daemon.h"

/* Accept every waiting connection (refusing those over their uid's
 * connection limit); each accepted one is announced (client-connected). */
void srv_clients_accept(struct vb_broker *b);

/* Read one message of c into b->rxbuf.  Returns its length (> 0) when it
 * is a request to handle; 0 when it was refused here (fds attached, too
 * long, empty: c got the error reply); -1 when there is nothing to read,
 * or c is gone (marked dead). */
ssize_t srv_client_read_request(struct vb_broker *b, struct srv_client *c);

/* Send what is queued for c (the socket is writable again). */
void srv_client_flush(struct vb_broker *b, struct srv_client *c);

/* Queue msg (stolen) with fd (stolen, -1: none) for c. */
void srv_client_send(struct vb_broker *b, struct srv_client *c, json_t *msg, int fd);
/* Queue text already encoded (NUL-terminated, stolen; NULL: it could not
 * be encoded) with fd (stolen). */
void srv_client_send_text(struct vb_broker *b, struct srv_client *c, char *text, int fd);
/* Send text (len bytes, borrowed; 0: it could not be written) with fd
 * (stolen): at once when nothing waits before it, else queued as a copy. */
void srv_client_send_buf(struct vb_broker *b, struct srv_client *c, const char *text, size_t len,
			 int fd);

/* c's "client" object: id and the peer's pid, uid, gid. */
json_t *srv_client_json(const struct srv_client *c);

/* Would an event reach anyone (the log or a subscriber)?  Lets hot paths
 * skip building routine events (exported, released) nobody reads. */
bool srv_has_listeners(const struct vb_broker *b);
/* ev (stolen) to the log and to the subscribers whose scope shows it. */
void srv_emit(struct vb_broker *b, json_t *ev);
/* Emit ev (stolen) with ids (stolen) as its "leases", in parts when long
 * (vb_proto_lease_parts): every part fits in a message. */
void srv_emit_leases(struct vb_broker *b, json_t *ev, json_t *ids);
/* The same, pushed to c only (ev borrowed, ids stolen). */
void srv_client_push_leases(struct vb_broker *b, struct srv_client *c, const json_t *ev,
			    json_t *ids);

/* Close c and free it: c's leases are released already (leases_released
 * says how many it had); announced unless the daemon is stopping. */
void srv_client_drop(struct vb_broker *b, struct srv_client *c, uint64_t leases_released);
/* Tell every client the daemon is going away ("shutdown") and mark it to
 * be dropped. */
void srv_clients_shutdown(struct vb_broker *b);
/* Free what the clients' bookkeeping holds beyond the clients (per-uid
 * usage, the fd closer thread's pipe). */
void srv_clients_free(struct vb_broker *b);

#endif
