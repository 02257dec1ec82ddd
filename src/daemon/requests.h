/* requests: one handler per protocol op (proto.h).  Each queues a reply
 * (with the dma-buf fd for export) or an error reply; nothing here ends a
 * connection.  Above devices.h and clients.h, below broker.c. */
#ifndef VB_SRV_REQUESTS_H
#define VB_SRV_REQUESTS_H

#include <stddef.h>

#include "daemon.h"

/* Parse the request buf[0..len) of c, handle it, queue the reply. */
void srv_handle_request(struct vb_broker *b, struct srv_client *c, const char *buf, size_t len);

#endif
