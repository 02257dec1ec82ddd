/* vb_error: error records and errno helpers (see vb_error.h). */
#include "vb_error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A text that did not fit in buf (n bytes) ends in "...", never cut
 * silently, and not in the middle of a UTF-8 sequence. */
static void mark_cut(char *buf, size_t n, int wanted)
{
	size_t at;

	if (wanted < 0 || (size_t)wanted < n || n < 4)
		return;
	at = n - 4;
	while (at > 0 && ((unsigned char)buf[at] & 0xc0) == 0x80)
		at--;
	memcpy(buf + at, "...", 4);
}

static int err_vset(struct vb_err *e, int exit_code, int errnum, const char *device,
		    const char *fmt, va_list ap)
{
	if (!e)
		return -1;
	e->exit_code = exit_code;
	e->errnum = errnum;
	if (device != e->device) { /* callers pass e->device to keep it */
		mark_cut(e->device, sizeof(e->device),
			 snprintf(e->device, sizeof(e->device), "%s", device ? device : ""));
		e->socket[0] = '\0';
	}
	mark_cut(e->msg, sizeof(e->msg), vsnprintf(e->msg, sizeof(e->msg), fmt, ap));
	return -1;
}

int vb_err_set(struct vb_err *e, int exit_code, int errnum, const char *device,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, exit_code, errnum, device, fmt, ap);
	va_end(ap);
	return -1;
}

int vb_err_set_socket(struct vb_err *e, int exit_code, int errnum, const char *path,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, exit_code, errnum, NULL, fmt, ap);
	va_end(ap);
	if (e && path)
		mark_cut(e->socket, sizeof(e->socket),
			 snprintf(e->socket, sizeof(e->socket), "%s", path));
	return -1;
}

void vb_err_empty(struct vb_err *e)
{
	e->exit_code = 0;
	e->errnum = 0;
	e->device[0] = e->socket[0] = e->msg[0] = '\0';
}

void vb_err_clear(struct vb_err *e)
{
	if (e)
		memset(e, 0, sizeof(*e));
}

int vb_exit_from_errno(int errnum)
{
	switch (errnum) {
	case EPERM:
	case EACCES:
		return VB_EXIT_PERM;
	case ENOENT:
		return VB_EXIT_NOTFOUND;
	case ENOTTY:
	case EOPNOTSUPP:
		return VB_EXIT_NOTSUP;
	case EBUSY:
		return VB_EXIT_BUSY;
	default:
		return VB_EXIT_FAIL;
	}
}

const char *vb_errno_name(int errnum)
{
	static const struct {
		int num;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" },     { ENOENT, "ENOENT" },   { EIO, "EIO" },
		{ E2BIG, "E2BIG" },     { EBADF, "EBADF" },     { EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" },   { EACCES, "EACCES" },   { EFAULT, "EFAULT" },
		{ EBUSY, "EBUSY" },     { EEXIST, "EEXIST" },   { ENODEV, "ENODEV" },
		{ ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" },   { EINVAL, "EINVAL" },
		{ EMFILE, "EMFILE" },   { ENOTTY, "ENOTTY" },   { ENOSPC, "ENOSPC" },
		{ EROFS, "EROFS" },     { ERANGE, "ERANGE" },   { ENOSYS, "ENOSYS" },
		{ EOVERFLOW, "EOVERFLOW" }, { EBADFD, "EBADFD" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { ECONNREFUSED, "ECONNREFUSED" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { EPROTO, "EPROTO" }, { EMSGSIZE, "EMSGSIZE" },
		{ EPIPE, "EPIPE" },     { ENXIO, "ENXIO" },     { EDQUOT, "EDQUOT" },
		{ EBADMSG, "EBADMSG" }, { EADDRINUSE, "EADDRINUSE" }, { EPROTOTYPE, "EPROTOTYPE" },
		{ ECONNRESET, "ECONNRESET" }, { ENAMETOOLONG, "ENAMETOOLONG" },
		{ ELOOP, "ELOOP" },     { ENOEXEC, "ENOEXEC" }, { ECHILD, "ECHILD" },
		{ ESRCH, "ESRCH" },     { EINTR, "EINTR" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].num == errnum)
			return names[i].name;
	return NULL;
}
