/* uevent: kernel kobject uevents (NETLINK_KOBJECT_UEVENT, multicast group
 * 1) read through libnl, and a pure parser of their payload
 * ("ACTION@DEVPATH\0KEY=VALUE\0...").  Unprivileged processes may listen.
 * Only messages from the kernel (port id 0) are taken; udev's re-broadcasts
 * ("libudev" magic) are ignored. */
#ifndef VB_UEVENT_H
#define VB_UEVENT_H

#include <stdbool.h>
#include <stddef.h>

#include "vb_error.h"

struct vb_uevent {
	char action[16];     /* add remove bind unbind change move online offline */
	char devpath[256];
	char subsystem[32];
	char slot[32];       /* PCI_SLOT_NAME, "" for non-PCI */
	char driver[64];     /* DRIVER, "" when absent */
	unsigned long long seqnum;
};

/* Parse a kernel uevent payload.  Returns 0, or -1 when it is not one
 * (no ACTION@DEVPATH header, udev's format, truncated header). */
int vb_uevent_parse(const char *buf, size_t len, struct vb_uevent *ev);

struct vb_uevent_sock;

/* Open a non-blocking listener.  Returns NULL with e. */
struct vb_uevent_sock *vb_uevent_open(struct vb_err *e);
int vb_uevent_fd(const struct vb_uevent_sock *u);
/* Read one message: 1 with *ev filled, 0 when nothing (more) is pending or
 * the message was not a kernel uevent, -1 with e on error (ENOBUFS: events
 * were lost because the reader was too slow). */
int vb_uevent_read(struct vb_uevent_sock *u, struct vb_uevent *ev, struct vb_err *e);
void vb_uevent_close(struct vb_uevent_sock *u);

#endif
