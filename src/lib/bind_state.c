/* bind_state: the state file of vfiobuf's binds (see bind_state.h). */
#include "bind_state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

bool vb_driver_name_ok(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > VB_DRIVER_NAME_MAX || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.+:") ==
	       len;
}

static bool bdf_canonical(const char *text)
{
	struct vb_bdf b;
	char again[VB_BDF_STRLEN];

	return vb_bdf_parse(text, &b) == 0 && strcmp(vb_bdf_format(&b, again), text) == 0;
}

/* Every entry a canonical address with a valid (or no) driver. */
static int check_entries(const struct vb_bind_state *st, struct vb_err *e)
{
	const char *key;
	json_t *val;

	json_object_foreach(json_object_get(st->root, "devices"), key, val) {
		json_t *drv = json_object_get(val, "driver");

		if (!bdf_canonical(key))
			return vb_err_set(e, VB_EXIT_FAIL, 0, NULL,
					  "state file %s: entry '%s' is not a PCI address; move the file away to start afresh",
					  st->path, key);
		if (!json_is_object(val) || (drv && !json_is_null(drv) && !json_is_string(drv)))
			return vb_err_set(e, VB_EXIT_FAIL, 0, key,
					  "state file %s: its entry is not {\"driver\":NAME}", st->path);
		if (json_is_string(drv) && !vb_driver_name_ok(json_string_value(drv)))
			return vb_err_set(e, VB_EXIT_FAIL, 0, key,
					  "state file %s: recorded driver '%s' is not a driver name (1-%d letters, digits, _ - . + :); refusing to use it",
					  st->path, json_string_value(drv), VB_DRIVER_NAME_MAX);
	}
	return 0;
}

/* Take root (parsed, or NULL with je) as st's tree if it is valid state. */
static int adopt_root(struct vb_bind_state *st, json_t *root, const json_error_t *je,
		      struct vb_err *e)
{
	st->root = root;
	if (!st->root || !json_is_object(json_object_get(st->root, "devices"))) {
		json_decref(st->root);
		st->root = NULL;
		return vb_err_set(e, VB_EXIT_FAIL, 0, NULL,
				  "state file %s is not vfiobuf state (%s); move it away to start afresh",
				  st->path, je->text[0] ? je->text : "no \"devices\" object");
	}
	if (check_entries(st, e) < 0) {
		json_decref(st->root);
		st->root = NULL;
		return -1;
	}
	return 0;
}

/* Open a file vfiobuf trusts (state, overrides): not through a symlink,
 * owned by root (or by whoever runs us, for fixture roots), writable by
 * no one else.  The fd, -ENOENT when missing, or -1 with e. */
static int open_trusted(const char *path, const char *what, struct vb_err *e)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

	if (fd < 0 && errno == ENOENT)
		return -ENOENT;
	if (fd < 0)
		return vb_err_set(e, vb_exit_from_errno(errno), errno, NULL,
				  errno == ELOOP ? "%s %s is a symbolic link: refusing to follow it"
						 : "cannot read %s %s",
				  what, path);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    (sb.st_uid != 0 && sb.st_uid != geteuid()) || (sb.st_mode & 022)) {
		close(fd);
		return vb_err_set(e, VB_EXIT_FAIL, 0, NULL,
				  "%s %s (owner uid %u, mode %04o) is not a regular file owned by root and writable only by it: refusing to trust it",
				  what, path, (unsigned)sb.st_uid, (unsigned)(sb.st_mode & 07777));
	}
	return fd;
}

static int load_path(struct vb_bind_state *st, struct vb_err *e)
{
	json_error_t je = { 0 };
	int fd = open_trusted(st->path, "state file", e), rc;

	if (fd == -ENOENT) {
		st->root = json_pack("{s:i, s:{}}", "version", 1, "devices");
		return st->root ? 0 : vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	}
	if (fd < 0)
		return -1;
	rc = adopt_root(st, json_loadfd(fd, JSON_REJECT_DUPLICATES, &je), &je, e);
	close(fd);
	return rc;
}

int vb_bind_state_parse(const char *text, size_t len, struct vb_bind_state *st,
			struct vb_err *e)
{
	json_error_t je = { 0 };

	memset(st, 0, sizeof(*st));
	snprintf(st->path, sizeof(st->path), "(text)");
	return adopt_root(st, json_loadb(text, len, JSON_REJECT_DUPLICATES, &je), &je, e);
}

static int set_path(const struct vb_sys *s, const char *path, struct vb_bind_state *st,
		    struct vb_err *e)
{
	int rc;

	memset(st, 0, sizeof(*st));
	if (path)
		rc = snprintf(st->path, sizeof(st->path), "%s", path);
	else
		rc = vb_root_path(s, st->path, sizeof(st->path), "/run/vfiobuf/state.json") < 0
			     ? (int)sizeof(st->path)
			     : 0;
	if (rc < 0 || (size_t)rc >= sizeof(st->path))
		return vb_err_set(e, VB_EXIT_USAGE, ENAMETOOLONG, NULL, "state file path too long");
	return 0;
}

int vb_bind_state_load(const struct vb_sys *s, const char *path, struct vb_bind_state *st,
		       struct vb_err *e)
{
	if (set_path(s, path, st, e) < 0)
		return -1;
	return load_path(st, e);
}

static int mkdir_parents(const char *path)
{
	char dir[PATH_MAX];

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

/* flock path.lock (created 0600, never through a symlink), waiting at most
 * VB_STATE_LOCK_WAIT seconds.  Returns the fd or -1 with e. */
static int take_lock(const char *path, struct vb_err *e)
{
	char lock[PATH_MAX + 8];
	int fd;

	snprintf(lock, sizeof(lock), "%s.lock", path);
	if (mkdir_parents(lock) < 0 ||
	    (fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		int err = errno;

		return vb_err_set(e, vb_exit_from_errno(err), err, NULL, "cannot create lock file %s",
				  lock);
	}
	for (long waited_ms = 0;; waited_ms += 10) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int err = errno;

			close(fd);
			return vb_err_set(e, VB_EXIT_FAIL, err, NULL, "cannot lock %s", lock);
		}
		if (waited_ms >= VB_STATE_LOCK_WAIT * 1000L) {
			close(fd);
			return vb_err_set(e, VB_EXIT_BUSY, 0, NULL,
					  "another vfiobuf has held %s for %d s; try again later",
					  lock, VB_STATE_LOCK_WAIT);
		}
		nanosleep(&ts, NULL);
	}
}

int vb_bind_state_lock(const struct vb_sys *s, const char *path, struct vb_bind_state *st,
		       struct vb_err *e)
{
	int fd;

	if (set_path(s, path, st, e) < 0 || (fd = take_lock(st->path, e)) < 0)
		return -1;
	st->lock_fd = fd;
	st->locked = true;
	return load_path(st, e);
}

/* Replace path by text: mkstemp in the same directory, the mode set
 * explicitly, write, fsync, rename, fsync the directory.  -errno. */
static int replace_file(const char *path, const char *text, mode_t mode)
{
	char tmp[PATH_MAX + 16], dir[PATH_MAX];
	size_t len = strlen(text), done = 0;
	int fd, dfd, err = 0;
	char *slash;

	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if (mkdir_parents(path) < 0)
		return -errno;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)
		err = errno;
	while (!err && done < len) {
		ssize_t put = write(fd, text + done, len - done);

		if (put < 0 && errno != EINTR)
			err = errno;
		else if (put > 0)
			done += (size_t)put;
	}
	if (!err && fsync(fd) < 0)
		err = errno;
	if (close(fd) < 0 && !err)
		err = errno;
	if (!err && rename(tmp, path) < 0)
		err = errno;
	if (err) {
		unlink(tmp);
		return -err;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int vb_bind_state_save(struct vb_bind_state *st, struct vb_err *e)
{
	char *text;
	size_t len;
	int rc;

	if (!st->root)
		return vb_err_set(e, VB_EXIT_FAIL, 0, NULL, "no state loaded from %s", st->path);
	text = json_dumps(st->root, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	len = strlen(text);
	{
		char *nl = realloc(text, len + 2);

		if (!nl) {
			free(text);
			return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
		}
		text = nl;
		memcpy(text + len, "\n", 2);
	}
	rc = replace_file(st->path, text, 0644);
	free(text);
	if (rc < 0)
		return vb_err_set(e, vb_exit_from_errno(-rc), -rc, NULL, "cannot write state file %s",
				  st->path);
	return 0;
}

void vb_bind_state_free(struct vb_bind_state *st)
{
	json_decref(st->root);
	st->root = NULL;
	if (st->locked)
		close(st->lock_fd); /* releases the flock */
	st->locked = false;
}

bool vb_bind_state_get(const struct vb_bind_state *st, const char *bdf, char *driver, size_t n)
{
	json_t *d = json_object_get(json_object_get(st->root, "devices"), bdf);
	const char *drv;

	if (!json_is_object(d))
		return false;
	drv = json_string_value(json_object_get(d, "driver"));
	return snprintf(driver, n, "%s", drv ? drv : "") < (int)n;
}

void vb_bind_state_put(struct vb_bind_state *st, const char *bdf, const char *driver,
		       bool pending)
{
	json_t *devs = json_object_get(st->root, "devices");
	json_t *rec = json_pack("{s:s?, s:I}", "driver", driver && *driver ? driver : NULL, "time",
				(json_int_t)time(NULL));

	if (rec && pending)
		json_object_set_new(rec, "pending", json_true());
	json_object_set_new(devs, bdf, rec);
}

void vb_bind_state_drop(struct vb_bind_state *st, const char *bdf)
{
	json_object_del(json_object_get(st->root, "devices"), bdf);
}

static int persist_path(const struct vb_sys *s, char *buf, size_t n, struct vb_err *e)
{
	if (vb_root_path(s, buf, n, "/etc/vfiobuf/overrides") < 0)
		return vb_err_set(e, VB_EXIT_USAGE, ENAMETOOLONG, NULL, "overrides path too long");
	return 0;
}

/* One overrides line: 0 and the words (bdf "" for a blank or comment
 * line), or -1 when it is not "BDF DRIVER". */
static int persist_line(char *line, char **bdf, char **drv)
{
	char *save = NULL, *extra;

	*bdf = *drv = "";
	line[strcspn(line, "\n")] = '\0';
	if (line[strspn(line, " \t")] == '#' || line[strspn(line, " \t")] == '\0')
		return 0;
	*bdf = strtok_r(line, " \t", &save);
	*drv = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	if (!*drv || extra || !bdf_canonical(*bdf) || !vb_driver_name_ok(*drv))
		return -1;
	return 0;
}

static int persist_bad_line(const char *path, int lineno, struct vb_err *e)
{
	return vb_err_set(e, VB_EXIT_FAIL, 0, NULL,
			  "%s line %d is not 'BDF DRIVER' (a full PCI address and a driver name)",
			  path, lineno);
}

/* The entries of an overrides stream named path (messages). */
static int persist_read(FILE *f, const char *path, struct vb_persist_entry **bdfs,
			struct vb_err *e)
{
	char *line = NULL, *bdf, *drv;
	size_t cap = 0, n = 0, size = 0;
	ssize_t len;
	int lineno = 0, rc = 0;

	*bdfs = NULL;
	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (memchr(line, '\0', (size_t)len) || persist_line(line, &bdf, &drv) < 0) {
			rc = persist_bad_line(path, lineno, e);
		} else if (*bdf) {
			if (n == size) {
				struct vb_persist_entry *nb =
					realloc(*bdfs, (size = size ? 2 * size : 16) * sizeof(**bdfs));

				if (!nb) {
					rc = vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
					break;
				}
				*bdfs = nb;
			}
			vb_bdf_parse(bdf, &(*bdfs)[n].bdf);
			snprintf((*bdfs)[n++].driver, sizeof((*bdfs)[0].driver), "%s", drv);
		}
	}
	free(line);
	if (rc < 0) {
		free(*bdfs);
		*bdfs = NULL;
		return -1;
	}
	return (int)n;
}

int vb_persist_list(const struct vb_sys *s, struct vb_persist_entry **bdfs, struct vb_err *e)
{
	char path[PATH_MAX];
	FILE *f;
	int n;

	int fd;

	*bdfs = NULL;
	if (persist_path(s, path, sizeof(path), e) < 0)
		return -1;
	fd = open_trusted(path, "overrides file", e);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return -1;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "cannot read %s", path);
	}
	n = persist_read(f, path, bdfs, e);
	fclose(f);
	return n;
}

int vb_persist_parse(const char *text, size_t len, struct vb_persist_entry **bdfs,
		     struct vb_err *e)
{
	FILE *f;
	int n;

	*bdfs = NULL;
	if (len == 0)
		return 0;
	f = fmemopen((void *)text, len, "r");
	if (!f)
		return vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "cannot read the overrides text");
	n = persist_read(f, "overrides", bdfs, e);
	fclose(f);
	return n;
}

/* The overrides text with bdf's line replaced (driver) or removed (NULL). */
static char *persist_rewrite(const char *path, const char *bdf, const char *driver,
			     struct vb_err *e)
{
	char *text = NULL, *line = NULL, *copy = NULL, *b, *d;
	size_t tlen = 0, cap = 0;
	ssize_t len;
	int lineno = 0, rc = 0, fd;
	FILE *out = open_memstream(&text, &tlen), *in = NULL;

	if (!out) {
		vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
		return NULL;
	}
	fprintf(out, "# vfiobuf persistent driver overrides: BDF DRIVER (applied by 'vfiobuf bind --from-config')\n");
	fd = open_trusted(path, "overrides file", e);
	if (fd >= 0 && !(in = fdopen(fd, "r"))) {
		close(fd);
		fd = vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "cannot read %s", path);
	}
	if (fd == -1) {
		rc = -1;
	} else if (fd >= 0) {
		while (rc == 0 && (len = getline(&line, &cap, in)) >= 0) {
			lineno++;
			free(copy);
			copy = strdup(line);
			if (!copy || memchr(line, '\0', (size_t)len) || persist_line(copy, &b, &d) < 0)
				rc = persist_bad_line(path, lineno, e);
			else if (*b && strcmp(b, bdf) != 0)
				fprintf(out, "%s %s\n", b, d);
		}
		fclose(in);
	}
	if (driver)
		fprintf(out, "%s %s\n", bdf, driver);
	free(copy);
	free(line);
	if (fclose(out) != 0 || rc < 0) {
		if (rc == 0)
			vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
		free(text);
		return NULL;
	}
	return text;
}

int vb_persist_set(const struct vb_sys *s, const char *bdf, const char *driver,
		   struct vb_err *e)
{
	char path[PATH_MAX], *text;
	int fd, rc;

	if (persist_path(s, path, sizeof(path), e) < 0)
		return -1;
	if (driver && !vb_driver_name_ok(driver))
		return vb_err_set(e, VB_EXIT_USAGE, 0, bdf, "invalid driver name '%s'", driver);
	fd = take_lock(path, e);
	if (fd < 0)
		return -1;
	text = persist_rewrite(path, bdf, driver, e);
	rc = text ? replace_file(path, text, 0644) : 0;
	free(text);
	close(fd);
	if (!text)
		return -1;
	if (rc < 0)
		return vb_err_set(e, vb_exit_from_errno(-rc), -rc, bdf, "cannot write %s", path);
	return 0;
}
