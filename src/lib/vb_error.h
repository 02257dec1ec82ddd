/* vb_error: one error record carried from the core to the CLI.
 *
 * Core modules never print.  They fill a struct vb_err and return -1; the
 * CLI layer (cli_report.c) prints one line on stderr and, in -j mode, the
 * JSON error object on stdout.  Exit codes are defined here once and
 * documented in man/vfiobuf.1 (EXIT STATUS).
 */
#ifndef VB_ERROR_H
#define VB_ERROR_H

#include <stdarg.h>
#include <stddef.h>

enum vb_exit {
	VB_EXIT_OK = 0,       /* success */
	VB_EXIT_FAIL = 1,     /* the operation failed (kernel refused, I/O error) */
	VB_EXIT_USAGE = 2,    /* usage error or invalid input, nothing was changed */
	VB_EXIT_NOTFOUND = 3, /* device (or other named object) not found */
	VB_EXIT_PERM = 4,     /* permission denied (not root, node mode) */
	VB_EXIT_NOTSUP = 5,   /* not supported by this kernel or device */
	VB_EXIT_BUSY = 6,     /* device busy or in use: refused for safety */
};

struct vb_err {
	int exit_code;   /* enum vb_exit */
	int errnum;      /* errno the kernel gave, 0 if none */
	char device[32]; /* BDF (or other object) the error is about, "" if none */
	char socket[108]; /* unix socket path the error is about, "" if none
			   * (the size of sockaddr_un's sun_path) */
	char msg[512];   /* reason, without device prefix or errno text */
};

/* Fill *e and return -1, so callers can write `return vb_err_set(...)`.
 * e may be NULL (the error is dropped). device may be NULL; a new device
 * clears the socket (passing e->device keeps both).  A device or message
 * too long for its field ends in "..." (cut between characters). */
int vb_err_set(struct vb_err *e, int exit_code, int errnum, const char *device,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* As vb_err_set, for an error about the unix socket at path (the error
 * object's "socket"; device is cleared). */
int vb_err_set_socket(struct vb_err *e, int exit_code, int errnum, const char *path,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The exit code that best describes a kernel errno
 * (EACCES/EPERM -> PERM, ENOENT -> NOTFOUND, ENOTTY/EOPNOTSUPP -> NOTSUP,
 * EBUSY -> BUSY, anything else -> FAIL). */
int vb_exit_from_errno(int errnum);

/* Symbolic name of an errno ("EINVAL"), or NULL when unknown. */
const char *vb_errno_name(int errnum);

/* Clear an error record. */
void vb_err_clear(struct vb_err *e);

/* An empty record as every reader sees { 0 } (no error, empty texts),
 * written without zeroing its 660 bytes: `= { 0 }` compiles to a rep
 * stosq, which TCG runs one iteration at a time, and the daemon starts
 * each request with one (bench/broker). */
void vb_err_empty(struct vb_err *e);

#endif
