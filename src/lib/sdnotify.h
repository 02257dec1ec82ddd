/* sdnotify: the two systemd service protocols `serve` speaks, without
 * libsystemd: socket activation (LISTEN_PID/LISTEN_FDS, fds from 3) and
 * readiness notification (a datagram "READY=1" to $NOTIFY_SOCKET, which
 * may be an abstract socket "@name").  Both are no-ops outside systemd. */
#ifndef VB_SDNOTIFY_H
#define VB_SDNOTIFY_H

#include "vb_error.h"

/* The socket passed by socket activation: returns the fd (made
 * close-on-exec), -1 when none was passed, -2 with e when the passed fds
 * are not one listening SOCK_SEQPACKET unix socket.  Unsets the LISTEN_*
 * variables so children do not see them. */
int vb_sd_listen_fd(struct vb_err *e);

/* Send state ("READY=1", "STOPPING=1", "RELOADING=1\nMONOTONIC_USEC=...")
 * to the service manager.  Returns 1 when sent, 0 when not under a
 * manager, -1 on error (errno set). */
int vb_sd_notify(const char *state);

#endif
