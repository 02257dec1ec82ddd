/* sysfs: root-aware path building and attribute I/O (see sysfs.h). */
#include "sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void vb_sys_clear(struct vb_sys *s)
{
	s->sysfs[0] = '\0';
	s->fake = s->has_dump = false;
}

int vb_sys_init(struct vb_sys *s, const char *sysfs_root, struct vb_err *e)
{
	struct stat st;
	char tmp[PATH_MAX];

	vb_sys_clear(s); /* not a memset of 12 KiB: every command starts here */
	if (!sysfs_root || !*sysfs_root) {
		snprintf(s->sysfs, sizeof(s->sysfs), "/sys");
		return 0;
	}
	if (strlen(sysfs_root) >= sizeof(s->sysfs) - 64)
		return vb_err_set(e, VB_EXIT_USAGE, ENAMETOOLONG, NULL,
				  "sysfs root '%.200s' is too long", sysfs_root);
	if (stat(sysfs_root, &st) < 0)
		return vb_err_set(e, VB_EXIT_USAGE, errno, NULL,
				  "cannot use sysfs root '%s'", sysfs_root);
	if (!S_ISDIR(st.st_mode))
		return vb_err_set(e, VB_EXIT_USAGE, ENOTDIR, NULL,
				  "cannot use sysfs root '%s'", sysfs_root);
	if (access(sysfs_root, R_OK | X_OK) < 0)
		return vb_err_set(e, VB_EXIT_USAGE, errno, NULL,
				  "cannot read sysfs root '%s'", sysfs_root);
	snprintf(s->sysfs, sizeof(s->sysfs), "%s", sysfs_root);
	/* strip trailing slashes */
	for (size_t l = strlen(s->sysfs); l > 1 && s->sysfs[l - 1] == '/'; l--)
		s->sysfs[l - 1] = '\0';
	snprintf(tmp, sizeof(tmp), "%s", s->sysfs);
	snprintf(s->root, sizeof(s->root), "%s", dirname(tmp));
	if (strcmp(s->root, "/") == 0)
		s->root[0] = '\0';
	s->fake = strcmp(s->sysfs, "/sys") != 0;
	return 0;
}

int vb_sys_set_dump(struct vb_sys *s, const char *path, struct vb_err *e)
{
	struct stat st;

	if (!path || !*path)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "empty lspci dump file name");
	if (strlen(path) >= sizeof(s->dump))
		return vb_err_set(e, VB_EXIT_USAGE, ENAMETOOLONG, NULL,
				  "lspci dump file name '%.200s' is too long", path);
	if (stat(path, &st) < 0)
		return vb_err_set(e, VB_EXIT_USAGE, errno, NULL, "cannot read lspci dump '%s'", path);
	if (S_ISDIR(st.st_mode))
		return vb_err_set(e, VB_EXIT_USAGE, EISDIR, NULL, "cannot read lspci dump '%s'", path);
	if (access(path, R_OK) < 0)
		return vb_err_set(e, VB_EXIT_USAGE, errno, NULL, "cannot read lspci dump '%s'", path);
	snprintf(s->dump, sizeof(s->dump), "%s", path);
	s->has_dump = true;
	return 0;
}

static int vpath(char *buf, size_t n, const char *prefix, const char *sep,
		 const char *fmt, va_list ap)
{
	int a, b;

	a = snprintf(buf, n, "%s%s", prefix, sep);
	if (a < 0 || (size_t)a >= n)
		return -1;
	b = vsnprintf(buf + a, n - a, fmt, ap);
	if (b < 0 || (size_t)b >= n - a) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int vb_sys_path(const struct vb_sys *s, char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vpath(buf, n, s->sysfs, "/", fmt, ap);
	va_end(ap);
	return r;
}

int vb_root_path(const struct vb_sys *s, char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vpath(buf, n, s->fake ? s->root : "", "", fmt, ap);
	va_end(ap);
	return r;
}

int vb_read_file(const char *path, char *buf, size_t n)
{
	int fd, err;
	ssize_t got;
	size_t len;

	if (n == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = read(fd, buf, n - 1);
	err = errno;
	close(fd);
	if (got < 0)
		return -err;
	len = (size_t)got;
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return (int)len;
}

int vb_write_file(const char *path, const char *value)
{
	int fd, err = 0;
	size_t len = strlen(value);
	ssize_t put;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	put = write(fd, value, len);
	if (put < 0)
		err = errno;
	else if ((size_t)put != len)
		err = EIO;
	if (close(fd) < 0 && !err)
		err = errno;
	return err ? -err : 0;
}

#define WITH_SYS_PATH(path, fmt)                                       \
	char path[PATH_MAX];                                           \
	do {                                                           \
		va_list ap_;                                           \
		int r_;                                                \
		va_start(ap_, fmt);                                    \
		r_ = vpath(path, sizeof(path), s->sysfs, "/", fmt, ap_); \
		va_end(ap_);                                           \
		if (r_ < 0)                                            \
			return -ENAMETOOLONG;                          \
	} while (0)

int vb_sys_read(const struct vb_sys *s, char *buf, size_t n, const char *fmt, ...)
{
	WITH_SYS_PATH(path, fmt);
	return vb_read_file(path, buf, n);
}

int vb_readlink_base_at(int dirfd, const char *name, char *buf, size_t n)
{
	char target[PATH_MAX];
	ssize_t len = readlinkat(dirfd, name, target, sizeof(target) - 1);
	const char *base;

	if (len < 0)
		return -errno;
	target[len] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= n)
		return -ENAMETOOLONG;
	strcpy(buf, base);
	return (int)strlen(buf);
}

int vb_sys_readlink_base(const struct vb_sys *s, char *buf, size_t n, const char *fmt, ...)
{
	WITH_SYS_PATH(path, fmt);
	return vb_readlink_base_at(AT_FDCWD, path, buf, n);
}

int vb_sys_write(const struct vb_sys *s, const char *value, const char *fmt, ...)
{
	WITH_SYS_PATH(path, fmt);
	return vb_write_file(path, value);
}

bool vb_sys_exists(const struct vb_sys *s, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vpath(path, sizeof(path), s->sysfs, "/", fmt, ap);
	va_end(ap);
	return r == 0 && access(path, F_OK) == 0;
}

int vb_sys_iommu_group(const struct vb_sys *s, const char *bdf)
{
	char buf[32], *end;
	long g;

	if (vb_sys_readlink_base(s, buf, sizeof(buf), "bus/pci/devices/%s/iommu_group", bdf) <= 0)
		return -1;
	errno = 0;
	g = strtol(buf, &end, 10);
	return errno || *end || end == buf || g < 0 || g > INT_MAX ? -1 : (int)g;
}

const char *vb_sys_config_gap(const struct vb_sys *s)
{
	return !s->fake && !vb_sys_is_dump(s) && geteuid() != 0 ? "needs root" : "not captured";
}

size_t vb_read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

bool vb_sys_find_function_with(const struct vb_sys *s, const char *entry, char *bdf, size_t n)
{
	char dir[PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *d;

	if (vb_sys_path(s, dir, sizeof(dir), "bus/pci/devices") < 0 || !(d = opendir(dir)))
		return false;
	while (!found && (de = readdir(d)))
		if (de->d_name[0] != '.' && vb_sys_exists(s, "bus/pci/devices/%s/%s", de->d_name, entry)) {
			if (bdf)
				snprintf(bdf, n, "%.31s", de->d_name);
			found = true;
		}
	closedir(d);
	return found;
}
