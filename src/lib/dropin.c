/* dropin: atomic replacement of a configuration file (see dropin.h). */
#include "dropin.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
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

static int write_all(int fd, const char *text)
{
	size_t len = strlen(text), done = 0;

	while (done < len) {
		ssize_t put = write(fd, text + done, len - done);

		if (put < 0 && errno != EINTR)
			return -errno;
		if (put > 0)
			done += (size_t)put;
	}
	return 0;
}

/* A fresh file next to the final name: O_EXCL, never an existing one. */
static int make_temp(int dfd, const char *base, char *tmp, size_t n)
{
	for (int tries = 0; tries < 16; tries++) {
		unsigned rnd = 0;
		int fd;

		if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			rnd = (unsigned)getpid() * 2654435761u + (unsigned)tries;
		snprintf(tmp, n, ".%s.%08x", base, rnd);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

int vb_dropin_write(const char *path, const char *text, struct vb_err *e)
{
	char dir[PATH_MAX], tmp[NAME_MAX + 1];
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int dfd, fd, err;

	if (!*base || strlen(base) > NAME_MAX - 10)
		return vb_err_set(e, VB_EXIT_USAGE, EINVAL, NULL, "%s: not a file name", path);
	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	else
		snprintf(dir, sizeof(dir), ".");
	dfd = open_dir(dir, e);
	if (dfd < 0)
		return -1;
	fd = make_temp(dfd, base, tmp, sizeof(tmp));
	if (fd < 0) {
		fail(e, errno, dir, "cannot create a file there");
		close(dfd);
		return -1;
	}
	err = fchmod(fd, 0644) < 0 ? -errno : write_all(fd, text);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && renameat(dfd, tmp, dfd, base) < 0)
		err = -errno;
	if (err) {
		unlinkat(dfd, tmp, 0);
		close(dfd);
		return fail(e, -err, path, "cannot write");
	}
	fsync(dfd);
	close(dfd);
	return 0;
}
