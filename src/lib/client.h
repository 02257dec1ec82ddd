/* client: the client side of the daemon protocol (proto.h), used
 * by `export --server`, `reset --server`, `list --server` and `monitor`. */
#ifndef VB_CLIENT_H
#define VB_CLIENT_H

#include <jansson.h>

#include "proto.h"
#include "vb_error.h"

/* Connect to a daemon's SOCK_SEQPACKET socket.  Returns the socket or -1
 * with e (not found: no daemon there; refused: a stale socket). */
int vb_client_connect(const char *path, struct vb_err *e);

/* Wait up to timeout_ms (-1: forever) for one message.  Returns 0 for a
 * success reply, 1 for an event, 2 on timeout, -1 with e for an error
 * reply (*msg set) or a failure (the daemon closed the connection:
 * ECONNRESET).  *fd (may be NULL: closed) receives an attached fd. */
int vb_client_read(int sock, int timeout_ms, json_t **msg, int *fd, struct vb_err *e);

typedef void (*vb_client_event_fn)(json_t *ev, void *ctx); /* ev borrowed */

/* Send req (stolen, given an id here) and wait for its reply; events that
 * arrive meanwhile go to on_event (may be NULL).  Returns 0 with *reply
 * (caller decrefs) and *fd (may be NULL), or -1 with e. */
int vb_client_call(int sock, json_t *req, json_t **reply, int *fd, vb_client_event_fn on_event,
		   void *ctx, struct vb_err *e);

#endif
