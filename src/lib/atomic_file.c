/* atomic_file: dotfile + fsync + rename, relative to one directory fd.
 * See atomic_file.h. */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int vb_atomic_split(const char *path, char *dir, size_t dn, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		snprintf(dir, dn, ".");
		*base = path;
	} else if (slash == path) {
		snprintf(dir, dn, "/");
		*base = slash + 1;
	} else if ((size_t)(slash - path) >= dn) {
		return -1;
	} else {
		snprintf(dir, dn, "%.*s", (int)(slash - path), path);
		*base = slash + 1;
	}
	return **base && strcmp(*base, ".") && strcmp(*base, "..") ? 0 : -1;
}

/* Create ".BASE.XXXXXX" in dfd with random letters, exclusively (never
 * through an existing name or symlink).  Returns the fd or -1 (errno). */
static int create_temp(int dfd, const char *base, char *tmp, size_t n)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

	for (int tries = 0; tries < 16; tries++) {
		unsigned char r[6];
		char suffix[7];
		int fd;

		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			return -1;
		for (size_t i = 0; i < sizeof(r); i++)
			suffix[i] = letters[r[i] % (sizeof(letters) - 1)];
		suffix[6] = '\0';
		if ((size_t)snprintf(tmp, n, ".%s.%s", base, suffix) >= n) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

static int write_all(int fd, const char *text, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t put = write(fd, text + done, len - done);

		if (put < 0 && errno != EINTR)
			return -1;
		if (put > 0)
			done += (size_t)put;
	}
	return 0;
}

int vb_atomic_write_at(int dfd, const char *base, const char *path, const char *text, size_t len,
		       mode_t mode, struct vb_err *e)
{
	char tmp[NAME_MAX + 1];
	const char *step = "create a temporary file for";
	int fd, err = 0;

	fd = create_temp(dfd, base, tmp, sizeof(tmp));
	if (fd < 0) {
		err = errno;
		return vb_err_set(e, vb_exit_from_errno(err), err, NULL, "cannot %s '%s'", step, path);
	}
	step = "write";
	if (fchmod(fd, mode) < 0 || write_all(fd, text, len) < 0 || fsync(fd) < 0)
		err = errno;
	if (close(fd) < 0 && !err)
		err = errno;
	if (!err) {
		step = "rename the temporary file onto";
		if (renameat(dfd, tmp, dfd, base) < 0)
			err = errno;
	}
	if (err) {
		unlinkat(dfd, tmp, 0);
		return vb_err_set(e, vb_exit_from_errno(err), err, NULL, "cannot %s '%s'", step, path);
	}
	fsync(dfd); /* the rename itself reaches the disk */
	return 0;
}

int vb_atomic_write(const char *path, const char *text, size_t len, mode_t mode,
		    struct vb_err *e)
{
	char dir[PATH_MAX];
	const char *base;
	int dfd, rc;

	if (vb_atomic_split(path, dir, sizeof(dir), &base) < 0)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "'%s' does not name a file", path);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return vb_err_set(e, vb_exit_from_errno(errno), errno, NULL, "cannot open directory '%s'",
				  dir);
	rc = vb_atomic_write_at(dfd, base, path, text, len, mode, e);
	close(dfd);
	return rc;
}
