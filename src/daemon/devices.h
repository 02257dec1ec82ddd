/* devices: the devices the daemon serves, the leases on them, and what
 * revokes them (its own resets, the VFIO request and error eventfds,
 * uevents).  Above clients.h (it emits through it), below requests.h. */
#ifndef VB_SRV_DEVICES_H
#define VB_SRV_DEVICES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"

/* Open every device of the options and the policy; each opened one is
 * announced (device-opened).  On failure none stays open. */
int srv_devices_open_all(struct vb_broker *b, struct vb_err *e);
/* Revoke (permanently) and close every open device. */
void srv_devices_close_all(struct vb_broker *b, const char *cause);
struct srv_device *srv_device_find(struct vb_broker *b, const char *bdf);

/* Revoke: emit "revoked" with the leases (holders get it pushed);
 * permanent releases its leases and closes the device. */
void srv_device_revoke(struct vb_broker *b, struct srv_device *d, const char *cause,
		       bool permanent);
void srv_device_restore(struct vb_broker *b, struct srv_device *d, const char *cause);

/* What the epoll loop hands over: d's request or error eventfd fired, a
 * uevent about a PCI function arrived. */
void srv_device_on_request(struct vb_broker *b, struct srv_device *d);
void srv_device_on_error(struct vb_broker *b, struct srv_device *d);
void srv_device_on_uevent(struct vb_broker *b, const struct vb_uevent *u);

/* d as the list reply shows it to peer (what it may export and reset). */
json_t *srv_device_json(struct vb_broker *b, const struct srv_device *d,
			const struct vb_peer *peer);
const char *srv_device_state_name(const struct srv_device *d); /* open, revoked, closed */

struct srv_lease *srv_lease_add(struct vb_broker *b, struct srv_client *c, struct srv_device *d,
				int bar, uint64_t size);
void srv_lease_release(struct vb_broker *b, struct srv_lease *l, const char *cause);
/* Release every lease c holds. */
void srv_leases_release_all(struct vb_broker *b, struct srv_client *c, const char *cause);

#endif
