/* fdpass: hand one file descriptor and its description to another process
 * over a unix socket (SCM_RIGHTS), in one message.
 *
 * Wire format (both socket types): the description is one line of text
 * (vfiobuf sends compact JSON) followed by '\n'; the fd travels as
 * SCM_RIGHTS ancillary data on that message.  On SOCK_SEQPACKET the line is
 * one record; on SOCK_STREAM the receiver reads up to the newline.  Any
 * client that can receive SCM_RIGHTS (Python's socket.recv_fds, ...) can be
 * a consumer.
 *
 * The receiver takes exactly one fd: extra fds are closed, a truncated
 * control message (MSG_CTRUNC) is an error after closing what arrived, and
 * received fds are close-on-exec.
 */
#ifndef VB_FDPASS_H
#define VB_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

#include "vb_error.h"

/* Largest description accepted (bytes, newline included). */
#define VB_FDPASS_MAX_TEXT 65536

/* Send fd with text (must not contain '\n'; the newline is added).
 * Returns 0, or -1 with e. */
int vb_fd_send(int sock, int fd, const char *text, struct vb_err *e);

/* Receive one message: the description into buf (NUL-terminated, newline
 * stripped), the fd into *fd (-1 when the message carried none).  Returns
 * the text length, or -1 with e (nothing left open).  A peer that closes
 * before sending anything is an error (ECONNRESET). */
int vb_fd_recv(int sock, int *fd, char *buf, size_t n, struct vb_err *e);

/* Connect to a unix socket at path: SOCK_SEQPACKET, or SOCK_STREAM when the
 * listener is a stream socket.  Returns the socket (close-on-exec) or -1
 * with e (ENOENT -> not found, EACCES -> permission, ECONNREFUSED -> fail). */
int vb_unix_connect(const char *path, struct vb_err *e);

/* Listen on path (SOCK_SEQPACKET or SOCK_STREAM as type), socket file mode
 * `mode` (e.g. 0600; 0666 lets other users connect).  The file is created
 * with that mode (umask set around bind), never chmod-ed by path
 * afterwards.  An existing file at path is an error (busy): it is never
 * probed nor replaced.  The caller unlinks path when done.  Returns the
 * listening socket or -1 with e. */
int vb_unix_listen(const char *path, int type, unsigned mode, struct vb_err *e);
/* The same, the socket file owned by group gid (gid_t -1: unchanged): the
 * socket is given to the group with fchown before bind, so the file is
 * created with that group (no chown by path). */
int vb_unix_listen_owned(const char *path, int type, unsigned mode, gid_t gid, struct vb_err *e);

/* Block until the peer closes the connection (or an error, or a signal
 * interrupts: returns -1 with errno EINTR).  Data the peer sends meanwhile
 * is read and dropped.  Returns 0 on close. */
int vb_wait_peer_close(int sock);

/* One record (SOCK_SEQPACKET message) with an optional fd (fd < 0: none).
 * flags are sendmsg flags (MSG_DONTWAIT...; MSG_NOSIGNAL is added).
 * Returns what sendmsg returns (-1 with errno). */
ssize_t vb_msg_send(int sock, const void *buf, size_t len, int fd, int flags);
/* Receive one record into buf (cap bytes).  Returns the record's real
 * length (greater than cap when it was truncated: MSG_TRUNC in
 * *msg_flags), 0 at end of stream, -1 with errno.  The first fd that came
 * with it goes to *fd (-1 when none; fd == NULL: closed at once), any
 * other is closed; *nfds (may be NULL) says how many arrived; MSG_CTRUNC
 * in *msg_flags says some were lost.  flags: recvmsg flags. */
ssize_t vb_msg_recv(int sock, void *buf, size_t cap, int *fd, int *nfds, int *msg_flags, int flags);
/* Most fds vb_msg_recv_fds returns (more in one message: MSG_CTRUNC). */
#define VB_MSG_MAX_FDS 16
/* Like vb_msg_recv, but every fd that came (up to VB_MSG_MAX_FDS) goes to
 * fds[0..*nfds), none closed: for a caller that must not block on a
 * close (a FUSE file's release can block). */
ssize_t vb_msg_recv_fds(int sock, void *buf, size_t cap, int *fds, int *nfds, int *msg_flags,
			int flags);
/* Like vb_unix_listen, but a socket file nobody listens on (a crashed
 * server's, ECONNREFUSED on connect) is removed and replaced.  A live
 * listener or a non-socket file at path is an error (busy). */
int vb_unix_listen_takeover(const char *path, int type, unsigned mode, gid_t gid,
			    struct vb_err *e);

#endif
