/* dropin: atomic replacement of a configuration file (see dropin.h). */
#include "dropin.h"

#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(struct vb_err *e, int err, const char *path, const char *what)
{
	return vb_err_set(e, err == EACCES || err == EPERM ? VB_EXIT_PERM : VB_EXIT_FAIL, err,
			  NULL, "%s: %s", path, what);
}

/* Open the directory of path (made when missing), checked as dropin.h says. */
static int open_dir(const char *dir, struct vb_err *e)
{
	struct stat st;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && mkdir(dir, 0755) == 0)
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail(e, errno, dir, errno == ELOOP || errno == ENOTDIR
					      ? "not a directory (a symlink?): refusing to write there"
					      : "cannot open the directory");
	if (fstat(fd, &st) < 0) {
		fail(e, errno, dir, "cannot stat the directory");
		close(fd);
		return -1;
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		vb_err_set(e, VB_EXIT_PERM, 0, NULL,
			   "%s: owned by uid %u or writable by others (mode %03o): refusing to write there",
			   dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
		close(fd);
		return -1;
	}
	return fd;
}

int vb_dropin_write(const char *path, const char *text, struct vb_err *e)
{
	char dir[PATH_MAX];
	const char *base;
	int dfd, rc;

	if (vb_atomic_split(path, dir, sizeof(dir), &base) < 0 || strlen(base) > NAME_MAX - 10)
		return vb_err_set(e, VB_EXIT_USAGE, EINVAL, NULL, "%s: not a file name", path);
	dfd = open_dir(dir, e);
	if (dfd < 0)
		return -1;
	rc = vb_atomic_write_at(dfd, base, path, text, strlen(text), 0644, e);
	close(dfd);
	return rc;
}
