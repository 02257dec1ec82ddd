/* broker: the `vfiobuf serve` daemon.  It owns VFIO devices (closing one
 * revokes its buffers for good, so the owner must outlive its consumers),
 * serves the protocol of proto.h on a SOCK_SEQPACKET unix socket, passes
 * dma-buf fds to clients the policy allows (policy.h), and reports what
 * happens to the buffers as events.
 *
 * One thread, one epoll loop: the listening socket, every client, a
 * signalfd (SIGTERM/SIGINT stop, SIGHUP reloads the policy), each device's
 * VFIO request and error eventfds, and a kobject uevent socket (uevent.h).
 * Never prints: events go to the on_event callback (the CLI writes them as
 * JSON Lines) and to the clients that subscribed or hold affected leases.
 */
#ifndef VB_BROKER_H
#define VB_BROKER_H

#include "broker_opts.h"
#include "vb_error.h"

struct vb_broker;

/* Load the policy, open every device, listen.  Nothing is left open on
 * failure.  Returns NULL with e. */
struct vb_broker *vb_broker_new(const struct vb_broker_opts *o, struct vb_err *e);
/* Serve until SIGTERM or SIGINT (blocked by vb_broker_new and read through
 * a signalfd).  Returns 0 after a clean stop, -1 with e on a fatal error. */
int vb_broker_run(struct vb_broker *b, struct vb_err *e);
/* Tell every client, revoke and close every device, remove the socket we
 * created.  NULL is fine. */
void vb_broker_free(struct vb_broker *b);

#endif
