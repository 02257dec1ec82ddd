/* snapshot_tar: a gzip-compressed POSIX tar writer and a strict reader that
 * unpacks untrusted archives safely (see snapshot.h). */
#include "snapshot_tar.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define BLOCK 512
#define PAX_MAX (64 * 1024)   /* an extended header's data */
#define NAME_FIELD 100

const struct vb_tar_limits vb_tar_default_limits = {
	.max_total = 64ULL << 20,
	.max_file = 16ULL << 20,
	.max_entries = 200000,
	.max_depth = 64,
};

/* ---- writer -------------------------------------------------------------- */

struct vb_tar_writer {
	gzFile gz;
	time_t mtime;
	uint64_t bytes;
};

struct vb_tar_writer *vb_tar_writer_new(int fd, time_t mtime, struct vb_err *e)
{
	struct vb_tar_writer *w = calloc(1, sizeof(*w));
	int dfd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;

	if (!w || dfd < 0 || !(w->gz = gzdopen(dfd, "wb6"))) {
		vb_err_set(e, VB_EXIT_FAIL, w && dfd < 0 ? errno : ENOMEM, NULL,
			   "cannot start the archive");
		if (dfd >= 0)
			close(dfd);
		free(w);
		return NULL;
	}
	w->mtime = mtime;
	return w;
}

uint64_t vb_tar_writer_bytes(const struct vb_tar_writer *w)
{
	return w->bytes;
}

static int put(struct vb_tar_writer *w, const void *data, size_t len, struct vb_err *e)
{
	const char *p = data;

	while (len) {
		unsigned chunk = len > (1U << 30) ? 1U << 30 : (unsigned)len;
		int errnum = 0;
		int n = gzwrite(w->gz, p, chunk);

		if (n <= 0) {
			const char *msg = gzerror(w->gz, &errnum);

			return vb_err_set(e, VB_EXIT_FAIL, errnum == Z_ERRNO ? errno : 0, NULL,
					  "cannot write the archive%s%s",
					  errnum == Z_ERRNO ? "" : ": ", errnum == Z_ERRNO ? "" : msg);
		}
		p += n;
		len -= (size_t)n;
		w->bytes += (uint64_t)n;
	}
	return 0;
}

static int pad(struct vb_tar_writer *w, uint64_t size, struct vb_err *e)
{
	static const char zeros[BLOCK];
	size_t rest = (size_t)((BLOCK - size % BLOCK) % BLOCK);

	return rest ? put(w, zeros, rest, e) : 0;
}

static void octal(char *field, size_t width, uint64_t v)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%0*llo", (int)width - 1, (unsigned long long)v);
	memcpy(field, tmp, width - 1);
	field[width - 1] = '\0';
}

static void header(char *h, const char *name, unsigned mode, uint64_t size, time_t mtime,
		   char type, const char *link)
{
	unsigned sum = 0;

	memset(h, 0, BLOCK);
	memcpy(h, name, strnlen(name, NAME_FIELD));
	octal(h + 100, 8, mode & 07777);
	octal(h + 108, 8, 0);
	octal(h + 116, 8, 0);
	octal(h + 124, 12, size);
	octal(h + 136, 12, mtime > 0 ? (uint64_t)mtime : 0);
	h[156] = type;
	if (link)
		memcpy(h + 157, link, strnlen(link, NAME_FIELD));
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < BLOCK; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum & 0777777);
	h[155] = ' ';
}

/* One pax record "LEN key=value\n"; LEN counts the whole record. */
static int pax_record(char *buf, size_t n, const char *key, const char *val)
{
	size_t body = strlen(key) + strlen(val) + 3, len = body + 1;
	char digits[24];

	for (;;) {
		int d = snprintf(digits, sizeof(digits), "%zu", len);

		if (body + (size_t)d == len)
			break;
		len = body + (size_t)d;
	}
	return snprintf(buf, n, "%zu %s=%s\n", len, key, val);
}

static int add_entry(struct vb_tar_writer *w, const char *path, unsigned mode, char type,
		     const char *link, const void *data, size_t len, struct vb_err *e)
{
	char h[BLOCK];

	if (strlen(path) > NAME_FIELD || (link && strlen(link) > NAME_FIELD)) {
		size_t cap = strlen(path) + (link ? strlen(link) : 0) + 64;
		char *pax = malloc(cap);
		int a = 0, b = 0;

		if (!pax)
			return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
		if (strlen(path) > NAME_FIELD)
			a = pax_record(pax, cap, "path", path);
		if (link && strlen(link) > NAME_FIELD)
			b = pax_record(pax + a, cap - (size_t)a, "linkpath", link);
		header(h, "PaxHeaders/entry", 0644, (uint64_t)(a + b), w->mtime, 'x', NULL);
		if (put(w, h, BLOCK, e) < 0 || put(w, pax, (size_t)(a + b), e) < 0 ||
		    pad(w, (uint64_t)(a + b), e) < 0) {
			free(pax);
			return -1;
		}
		free(pax);
	}
	header(h, path, mode, len, w->mtime, type, link);
	if (put(w, h, BLOCK, e) < 0)
		return -1;
	if (len && (put(w, data, len, e) < 0 || pad(w, len, e) < 0))
		return -1;
	return 0;
}

int vb_tar_add_dir(struct vb_tar_writer *w, const char *path, unsigned mode, struct vb_err *e)
{
	char name[PATH_MAX];

	if ((size_t)snprintf(name, sizeof(name), "%s/", path) >= sizeof(name))
		return vb_err_set(e, VB_EXIT_FAIL, ENAMETOOLONG, NULL, "path too long: %.100s", path);
	return add_entry(w, name, mode, '5', NULL, NULL, 0, e);
}

int vb_tar_add_file(struct vb_tar_writer *w, const char *path, unsigned mode, const void *data,
		    size_t len, struct vb_err *e)
{
	return add_entry(w, path, mode, '0', NULL, data, len, e);
}

int vb_tar_add_symlink(struct vb_tar_writer *w, const char *path, const char *target,
		       struct vb_err *e)
{
	return add_entry(w, path, 0777, '2', target, NULL, 0, e);
}

int vb_tar_writer_finish(struct vb_tar_writer *w, struct vb_err *e)
{
	static const char zeros[2 * BLOCK];
	int rc = put(w, zeros, sizeof(zeros), e);
	int zrc = gzclose(w->gz);

	free(w);
	if (rc == 0 && zrc != Z_OK)
		rc = vb_err_set(e, VB_EXIT_FAIL, zrc == Z_ERRNO ? errno : 0, NULL,
				"cannot finish the archive");
	return rc;
}

void vb_tar_writer_abort(struct vb_tar_writer *w)
{
	if (!w)
		return;
	gzclose(w->gz);
	free(w);
}

/* ---- reader: the byte source (gzip or plain) ------------------------------ */

struct src {
	const unsigned char *buf;
	size_t len, pos;
	bool gz, zinit, zend;
	z_stream z;
	uint64_t total, max_total;
};

static int src_init(struct src *s, const void *buf, size_t len, uint64_t max_total,
		    struct vb_err *e)
{
	memset(s, 0, sizeof(*s));
	s->buf = buf;
	s->len = len;
	s->max_total = max_total;
	if (len >= 2 && s->buf[0] == 0x1f && s->buf[1] == 0x8b) {
		if (len > UINT32_MAX)
			return vb_err_set(e, VB_EXIT_USAGE, EFBIG, NULL, "archive too large");
		s->gz = true;
		if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK)
			return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "cannot start gzip decoding");
		s->zinit = true;
		s->z.next_in = (unsigned char *)s->buf;
		s->z.avail_in = (uInt)len;
	}
	return 0;
}

static void src_free(struct src *s)
{
	if (s->zinit)
		inflateEnd(&s->z);
}

/* Exactly n bytes, else an error: a truncated archive or a corrupt stream. */
static int src_read(struct src *s, void *out, size_t n, struct vb_err *e)
{
	if (n > s->max_total - s->total)
		return vb_err_set(e, VB_EXIT_USAGE, EFBIG, NULL,
				  "archive unpacks to more than %llu bytes",
				  (unsigned long long)s->max_total);
	s->total += n;
	if (!s->gz) {
		if (s->len - s->pos < n)
			return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "truncated archive");
		memcpy(out, s->buf + s->pos, n);
		s->pos += n;
		return 0;
	}
	s->z.next_out = out;
	s->z.avail_out = (uInt)n;
	while (s->z.avail_out) {
		int rc;

		if (s->zend)
			return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "truncated archive");
		rc = inflate(&s->z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			s->zend = true;
		else if (rc == Z_BUF_ERROR && s->z.avail_in == 0)
			return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "truncated archive");
		else if (rc != Z_OK)
			return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "corrupt gzip data%s%s",
					  s->z.msg ? ": " : "", s->z.msg ? s->z.msg : "");
	}
	return 0;
}

static int src_skip(struct src *s, uint64_t n, struct vb_err *e)
{
	char tmp[4096];

	while (n) {
		size_t chunk = n > sizeof(tmp) ? sizeof(tmp) : (size_t)n;

		if (src_read(s, tmp, chunk, e) < 0)
			return -1;
		n -= chunk;
	}
	return 0;
}

static uint64_t padded(uint64_t size)
{
	return (BLOCK - size % BLOCK) % BLOCK;
}

/* ---- reader: headers --------------------------------------------------- */

/* An octal field: optional leading spaces, digits, then NUL/space or the
 * field's end.  Base-256 (GNU large sizes) is refused. */
static int parse_octal(const char *f, size_t width, uint64_t *out)
{
	size_t i = 0;
	uint64_t v = 0;
	bool digits = false;

	if ((unsigned char)f[0] & 0x80)
		return -1;
	while (i < width && f[i] == ' ')
		i++;
	for (; i < width && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v > (UINT64_MAX >> 3))
			return -1;
		v = (v << 3) | (uint64_t)(f[i] - '0');
		digits = true;
	}
	for (; i < width; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	*out = digits ? v : 0;
	return 0;
}

static bool block_is_zero(const unsigned char *h)
{
	for (int i = 0; i < BLOCK; i++)
		if (h[i])
			return false;
	return true;
}

static bool checksum_ok(const unsigned char *h)
{
	uint64_t want;
	unsigned sum = 0;

	if (parse_octal((const char *)h + 148, 8, &want) < 0)
		return false;
	for (int i = 0; i < BLOCK; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return sum == want;
}

/* What the extended headers (pax 'x', GNU 'L'/'K') set for the next entry. */
struct pending {
	char *path, *link;
	uint64_t size;
	bool have_size;
};

static void pending_clear(struct pending *p)
{
	free(p->path);
	free(p->link);
	memset(p, 0, sizeof(*p));
}

static int set_string(char **dst, const char *val, size_t len, struct vb_err *e)
{
	char *s;

	if (memchr(val, '\0', len) || len >= PATH_MAX)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "bad name in an extended header");
	s = malloc(len + 1);
	if (!s)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	memcpy(s, val, len);
	s[len] = '\0';
	free(*dst);
	*dst = s;
	return 0;
}

/* Records "LEN key=value\n" (LEN in decimal, counting the whole record). */
static int parse_pax(const char *data, size_t n, struct pending *p, struct vb_err *e)
{
	size_t at = 0;

	while (at < n) {
		size_t len = 0, i = at;
		const char *rec, *eq, *end;

		while (i < n && data[i] >= '0' && data[i] <= '9' && len <= n)
			len = len * 10 + (size_t)(data[i++] - '0');
		if (i == at || i >= n || data[i] != ' ' || len > n - at || len < i - at + 2)
			return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "malformed pax header");
		rec = data + i + 1;
		end = data + at + len - 1;
		if (*end != '\n' || !(eq = memchr(rec, '=', (size_t)(end - rec))))
			return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "malformed pax header");
		if ((size_t)(eq - rec) == 4 && !memcmp(rec, "path", 4)) {
			if (set_string(&p->path, eq + 1, (size_t)(end - eq - 1), e) < 0)
				return -1;
		} else if ((size_t)(eq - rec) == 8 && !memcmp(rec, "linkpath", 8)) {
			if (set_string(&p->link, eq + 1, (size_t)(end - eq - 1), e) < 0)
				return -1;
		} else if ((size_t)(eq - rec) == 4 && !memcmp(rec, "size", 4)) {
			uint64_t v = 0;
			const char *q = eq + 1;

			if (q == end)
				return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "malformed pax size");
			for (; q < end; q++) {
				if (*q < '0' || *q > '9' || v > UINT64_MAX / 10 - 1)
					return vb_err_set(e, VB_EXIT_USAGE, 0, NULL,
							  "malformed pax size");
				v = v * 10 + (uint64_t)(*q - '0');
			}
			p->size = v;
			p->have_size = true;
		}
		at += len;
	}
	return 0;
}

/* ---- reader: names and creation ------------------------------------------ */

struct name {
	char buf[PATH_MAX];
	char *comp[128];
	size_t n;
};

/* Split a member name into components: relative, no '..', '.' and empty
 * components dropped, each at most NAME_MAX. */
static int split_name(const char *text, size_t max_depth, struct name *nm, struct vb_err *e)
{
	char *save = NULL;

	nm->n = 0;
	if ((size_t)snprintf(nm->buf, sizeof(nm->buf), "%s", text) >= sizeof(nm->buf))
		return vb_err_set(e, VB_EXIT_USAGE, ENAMETOOLONG, NULL, "entry name too long");
	if (text[0] == '/')
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "entry '%.200s': absolute name", text);
	for (char *c = strtok_r(nm->buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, ".."))
			return vb_err_set(e, VB_EXIT_USAGE, 0, NULL,
					  "entry '%.200s': '..' in a name", text);
		if (strlen(c) > NAME_MAX)
			return vb_err_set(e, VB_EXIT_USAGE, ENAMETOOLONG, NULL,
					  "entry '%.200s': component too long", text);
		if (nm->n >= max_depth || nm->n >= sizeof(nm->comp) / sizeof(nm->comp[0]))
			return vb_err_set(e, VB_EXIT_USAGE, 0, NULL,
					  "entry '%.200s': nested too deep", text);
		nm->comp[nm->n++] = c;
	}
	return 0;
}

bool vb_tar_link_target_ok(const char *target, size_t depth, const char **why)
{
	size_t up = 0, len = strlen(target);
	bool names = false;
	const char *p = target, *unused;

	if (!why)
		why = &unused;
	if (!len || len >= PATH_MAX)
		return *why = len ? "target too long" : "empty target", false;
	if (target[0] == '/')
		return *why = "absolute target", false;
	while (*p) {
		size_t c = strcspn(p, "/");

		if (c == 0)
			return *why = "empty component in the target", false;
		if (c == 1 && p[0] == '.')
			return *why = "'.' in the target", false;
		if (c == 2 && p[0] == '.' && p[1] == '.') {
			if (names)
				return *why = "'..' after a name in the target", false;
			up++;
		} else if (c > NAME_MAX) {
			return *why = "target component too long", false;
		} else {
			names = true;
		}
		p += c;
		if (*p == '/' && !*++p)
			return *why = "empty component in the target", false;
	}
	if (up > depth)
		return *why = "target climbs above the archive", false;
	return true;
}

/* The last parent directory opened: members come grouped by directory, so
 * most reuse it.  It stays the same directory: a later member of that name
 * is refused (a file or symlink) or reuses it (a directory). */
struct parent_cache {
	char path[PATH_MAX];
	int fd;
};

static int open_dir_at(int cur, const char *comp)
{
	int fd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(cur, comp, 0700) < 0 && errno != EEXIST)
			return -1;
		fd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	return fd;
}

/* Open (creating as needed) the directory holding the last component,
 * never following a symlink.  Returns an fd owned by the cache (dirfd
 * itself at the top), or -1. */
static int open_parent(int dirfd, const struct name *nm, struct parent_cache *pc,
		       const char *text, struct vb_err *e)
{
	char path[PATH_MAX];
	size_t len = 0;
	int cur = dirfd;

	path[0] = '\0';
	for (size_t i = 0; i + 1 < nm->n; i++)
		len += (size_t)snprintf(path + len, sizeof(path) - len, "%s%s", i ? "/" : "",
					nm->comp[i]);
	if (nm->n <= 1)
		return dirfd;
	if (pc->fd >= 0 && !strcmp(pc->path, path))
		return pc->fd;
	for (size_t i = 0; i + 1 < nm->n; i++) {
		int fd = open_dir_at(cur, nm->comp[i]);

		if (fd < 0) {
			int err = errno;

			if (err == ELOOP || err == ENOTDIR)
				vb_err_set(e, VB_EXIT_USAGE, 0, NULL,
					   "entry '%.200s': goes through a symlink or a file", text);
			else
				vb_err_set(e, VB_EXIT_FAIL, err, NULL, "entry '%.200s': cannot create",
					   text);
			if (cur != dirfd)
				close(cur);
			return -1;
		}
		if (cur != dirfd)
			close(cur);
		cur = fd;
	}
	if (pc->fd >= 0)
		close(pc->fd);
	pc->fd = cur;
	snprintf(pc->path, sizeof(pc->path), "%s", path);
	return cur;
}

static int make_dir(int pfd, const char *last, const char *text, struct vb_err *e)
{
	struct stat st;

	if (mkdirat(pfd, last, 0700) == 0)
		return 0;
	if (errno == EEXIST && fstatat(pfd, last, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode))
		return 0;
	return vb_err_set(e, VB_EXIT_USAGE, errno == EEXIST ? 0 : errno, NULL,
			  "entry '%.200s': %s", text,
			  errno == EEXIST ? "duplicate of a file or symlink" : "cannot create");
}

static int make_file(int pfd, const char *last, unsigned mode, struct src *s, uint64_t size,
		     const char *text, struct vb_err *e)
{
	char buf[16384];
	int fd = openat(pfd, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			(mode & 0600) | 0200);
	int rc = 0;

	if (fd < 0)
		return vb_err_set(e, errno == EEXIST ? VB_EXIT_USAGE : VB_EXIT_FAIL,
				  errno == EEXIST ? 0 : errno, NULL, "entry '%.200s': %s", text,
				  errno == EEXIST ? "duplicate entry" : "cannot create");
	while (size && rc == 0) {
		size_t chunk = size > sizeof(buf) ? sizeof(buf) : (size_t)size;

		if (src_read(s, buf, chunk, e) < 0)
			rc = -1;
		else if (write(fd, buf, chunk) != (ssize_t)chunk)
			rc = vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "entry '%.200s': cannot write",
					text);
		size -= chunk;
	}
	/* the owner-write bit was only for filling it */
	if (rc == 0 && !(mode & 0200))
		fchmod(fd, mode & 0400);
	close(fd);
	return rc;
}

static int make_link(int pfd, const char *last, const char *target, size_t depth,
		     const char *text, struct vb_err *e)
{
	const char *why;

	if (!vb_tar_link_target_ok(target, depth, &why))
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "symlink '%.200s' -> '%.200s': %s",
				  text, target, why);
	if (symlinkat(target, pfd, last) < 0)
		return vb_err_set(e, errno == EEXIST ? VB_EXIT_USAGE : VB_EXIT_FAIL,
				  errno == EEXIST ? 0 : errno, NULL, "entry '%.200s': %s", text,
				  errno == EEXIST ? "duplicate entry" : "cannot create");
	return 0;
}

/* ---- reader: the member loop ------------------------------------------- */

struct member {
	char type;
	unsigned mode;
	uint64_t size;
	char name[PATH_MAX];
	char link[PATH_MAX];
};

static int read_long_name(struct src *s, uint64_t size, char **dst, struct vb_err *e)
{
	char *buf;
	size_t len;
	int rc;

	if (size == 0 || size >= PATH_MAX)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "bad GNU long name");
	buf = malloc((size_t)size);
	if (!buf)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	rc = src_read(s, buf, (size_t)size, e);
	if (rc == 0) {
		len = strnlen(buf, (size_t)size);
		/* a NUL, then nothing but NULs */
		for (size_t i = len; i < size; i++)
			if (buf[i])
				rc = vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "bad GNU long name");
		if (rc == 0)
			rc = set_string(dst, buf, len, e);
	}
	free(buf);
	return rc < 0 || src_skip(s, padded(size), e) < 0 ? -1 : 0;
}

/* Extended headers update p and return 1; a member to create returns 0. */
static int read_header(struct src *s, const unsigned char *h, struct pending *p, struct member *m,
		       const struct vb_tar_limits *lim, struct vb_err *e)
{
	uint64_t size, mode;
	bool posix = !memcmp(h + 257, "ustar\0" "00", 8);

	if (!posix && memcmp(h + 257, "ustar  \0", 8))
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "not a tar archive (no ustar magic)");
	if (!checksum_ok(h))
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "tar header checksum mismatch");
	if (parse_octal((const char *)h + 124, 12, &size) < 0 ||
	    parse_octal((const char *)h + 100, 8, &mode) < 0)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "malformed tar header");
	m->type = (char)h[156];
	if (m->type == 'x' || m->type == 'g') {
		char *data;
		int rc;

		if (size > PAX_MAX)
			return vb_err_set(e, VB_EXIT_USAGE, EFBIG, NULL, "pax header too large");
		if (m->type == 'g')
			return src_skip(s, size + padded(size), e) < 0 ? -1 : 1;
		data = malloc((size_t)size + 1);
		if (!data)
			return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
		rc = src_read(s, data, (size_t)size, e);
		if (rc == 0)
			rc = parse_pax(data, (size_t)size, p, e);
		free(data);
		return rc < 0 || src_skip(s, padded(size), e) < 0 ? -1 : 1;
	}
	if (m->type == 'L' || m->type == 'K')
		return read_long_name(s, size, m->type == 'L' ? &p->path : &p->link, e) < 0 ? -1 : 1;
	if (p->have_size)
		size = p->size;
	if (p->path)
		snprintf(m->name, sizeof(m->name), "%s", p->path);
	else if (posix && h[345])
		snprintf(m->name, sizeof(m->name), "%.155s/%.100s", (const char *)h + 345,
			 (const char *)h);
	else
		snprintf(m->name, sizeof(m->name), "%.100s", (const char *)h);
	if (p->link)
		snprintf(m->link, sizeof(m->link), "%s", p->link);
	else
		snprintf(m->link, sizeof(m->link), "%.100s", (const char *)h + 157);
	pending_clear(p);
	m->mode = (unsigned)(mode & 07777);
	m->size = size;
	if (m->type == '\0')
		m->type = '0';
	if (m->type != '0' && m->type != '5' && m->type != '2')
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL,
				  "entry '%.200s': type '%c' not allowed (only files, directories "
				  "and symlinks)", m->name, m->type >= ' ' && m->type < 127 ? m->type : '?');
	if (m->type == '0' && size > lim->max_file)
		return vb_err_set(e, VB_EXIT_USAGE, EFBIG, NULL,
				  "entry '%.200s': %llu bytes, more than the %llu allowed", m->name,
				  (unsigned long long)size, (unsigned long long)lim->max_file);
	if (m->type != '0' && size)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "entry '%.200s': data on a %s",
				  m->name, m->type == '5' ? "directory" : "symlink");
	return 0;
}

static int create_member(int dirfd, struct src *s, const struct member *m,
			 struct parent_cache *pc, const struct vb_tar_limits *lim,
			 struct vb_tar_stats *st, struct vb_err *e)
{
	struct name nm;
	int pfd, rc;

	if (split_name(m->name, lim->max_depth, &nm, e) < 0)
		return -1;
	if (nm.n == 0) {
		if (m->type == '5')
			return 0; /* "./" */
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "entry '%.200s': empty name", m->name);
	}
	pfd = open_parent(dirfd, &nm, pc, m->name, e);
	if (pfd < 0)
		return -1;
	if (m->type == '5') {
		rc = make_dir(pfd, nm.comp[nm.n - 1], m->name, e);
		st->dirs += rc == 0;
	} else if (m->type == '2') {
		rc = make_link(pfd, nm.comp[nm.n - 1], m->link, nm.n - 1, m->name, e);
		st->links += rc == 0;
	} else {
		rc = make_file(pfd, nm.comp[nm.n - 1], m->mode, s, m->size, m->name, e);
		if (rc == 0) {
			st->files++;
			st->bytes += m->size;
			rc = src_skip(s, padded(m->size), e);
		}
	}
	return rc;
}

int vb_tar_extract(const void *buf, size_t len, int dirfd, const struct vb_tar_limits *lim,
		   struct vb_tar_stats *st, struct vb_err *e)
{
	struct src s;
	struct pending p = { 0 };
	struct parent_cache *pc = malloc(sizeof(*pc));
	struct member *m = malloc(sizeof(*m));
	unsigned char h[BLOCK];
	size_t entries = 0;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (!m || !pc) {
		free(m);
		free(pc);
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	}
	pc->fd = -1;
	if (src_init(&s, buf, len, lim->max_total, e) < 0) {
		free(m);
		free(pc);
		return -1;
	}
	if (len == 0) {
		vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "empty archive");
		goto out;
	}
	for (;;) {
		int r;

		if (src_read(&s, h, BLOCK, e) < 0)
			goto out;
		if (block_is_zero(h))
			break; /* end of archive */
		if (++entries > lim->max_entries) {
			vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "more than %zu entries",
				   lim->max_entries);
			goto out;
		}
		r = read_header(&s, h, &p, m, lim, e);
		if (r < 0)
			goto out;
		if (r == 1)
			continue;
		if (create_member(dirfd, &s, m, pc, lim, st, e) < 0)
			goto out;
	}
	if (p.path || p.link || p.have_size) {
		vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "extended header without an entry");
		goto out;
	}
	rc = 0;
out:
	if (pc->fd >= 0)
		close(pc->fd);
	pending_clear(&p);
	src_free(&s);
	free(pc);
	free(m);
	return rc;
}

/* ---- removal ------------------------------------------------------------- */

static int remove_at(int dfd, const char *name, int depth)
{
	DIR *d;
	struct dirent *de;
	int fd, rc = 0;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	if (depth > 256)
		return -ELOOP;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		int r;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		r = remove_at(dirfd(d), de->d_name, depth + 1);
		if (r < 0 && rc == 0)
			rc = r;
	}
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

int vb_remove_tree(const char *path)
{
	return remove_at(AT_FDCWD, path, 0);
}
