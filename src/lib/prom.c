/* prom: Prometheus text exposition format and its atomic file.  See prom.h. */
#include "prom.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"

void vb_prom_init(struct vb_prom *p)
{
	memset(p, 0, sizeof(*p));
}

void vb_prom_free(struct vb_prom *p)
{
	free(p->text);
	vb_prom_init(p);
}

/* Room for n more bytes and the NUL. */
static bool reserve(struct vb_prom *p, size_t n)
{
	size_t want;
	char *t;

	if (p->oom)
		return false;
	if (n < p->cap - p->len && p->text)
		return true;
	want = p->cap ? p->cap : 1024;
	while (want - p->len <= n) {
		if (want > SIZE_MAX / 2) {
			p->oom = true;
			return false;
		}
		want *= 2;
	}
	t = realloc(p->text, want);
	if (!t) {
		p->oom = true;
		return false;
	}
	p->text = t;
	p->cap = want;
	return true;
}

static void put(struct vb_prom *p, const char *s, size_t n)
{
	if (!reserve(p, n))
		return;
	memcpy(p->text + p->len, s, n);
	p->len += n;
	p->text[p->len] = '\0';
}

static void puts_(struct vb_prom *p, const char *s)
{
	put(p, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (1..4), 0 when invalid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* no overlong forms, surrogates or code points past U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* Append s escaped: backslash and newline always, '"' when quote. */
static void put_escaped(struct vb_prom *p, const char *s, bool quote)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u) {
		size_t n = utf8_len(u);

		if (n == 0) {
			puts_(p, "\xef\xbf\xbd"); /* U+FFFD */
			u++;
		} else if (*u == '\\') {
			puts_(p, "\\\\");
			u++;
		} else if (*u == '\n') {
			puts_(p, "\\n");
			u++;
		} else if (*u == '"' && quote) {
			puts_(p, "\\\"");
			u++;
		} else {
			put(p, (const char *)u, n);
			u += n;
		}
	}
}

void vb_prom_label_value(struct vb_prom *p, const char *v)
{
	put_escaped(p, v ? v : "", true);
}

void vb_prom_family(struct vb_prom *p, const char *name, const char *type, const char *help)
{
	puts_(p, "# HELP ");
	puts_(p, name);
	puts_(p, " ");
	put_escaped(p, help, false);
	puts_(p, "\n# TYPE ");
	puts_(p, name);
	puts_(p, " ");
	puts_(p, type);
	puts_(p, "\n");
}

void vb_prom_sample(struct vb_prom *p, const char *name, const struct vb_prom_label *l,
		    size_t nl, uint64_t value)
{
	char num[24];

	puts_(p, name);
	for (size_t i = 0; i < nl; i++) {
		puts_(p, i ? "," : "{");
		puts_(p, l[i].name);
		puts_(p, "=\"");
		vb_prom_label_value(p, l[i].value);
		puts_(p, "\"");
	}
	if (nl)
		puts_(p, "}");
	snprintf(num, sizeof(num), " %" PRIu64 "\n", value);
	puts_(p, num);
}

static int write_all(int fd, const char *text, size_t len)
{
	while (len) {
		ssize_t w = write(fd, text, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		text += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Write the temporary file tmp in dfd and rename it to name. */
static int replace_in(int dfd, const char *tmp, const char *name, const char *path,
		      const char *text, size_t len, struct vb_err *e)
{
	int fd;

	/* a stale one (a crash between create and rename) is ours: the
	 * directory is trusted */
	if (unlinkat(dfd, tmp, 0) < 0 && errno != ENOENT)
		return vb_err_set(e, vb_exit_from_errno(errno), errno, NULL, "cannot remove %s's "
				  "stale temporary file %s", path, tmp);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return vb_err_set(e, vb_exit_from_errno(errno), errno, NULL,
				  "cannot create a temporary file for %s", path);
	if (fchmod(fd, 0644) < 0 || write_all(fd, text, len) < 0 || fsync(fd) < 0) {
		vb_err_set(e, vb_exit_from_errno(errno), errno, NULL, "cannot write %s", path);
		close(fd);
		unlinkat(dfd, tmp, 0);
		return -1;
	}
	close(fd);
	if (renameat(dfd, tmp, dfd, name) < 0) {
		vb_err_set(e, vb_exit_from_errno(errno), errno, NULL, "cannot rename into %s", path);
		unlinkat(dfd, tmp, 0);
		return -1;
	}
	fsync(dfd);
	return 0;
}

int vb_prom_write_file(const char *path, const char *text, size_t len, struct vb_err *e)
{
	const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
	char *dir, *tmp;
	int dfd, rc;

	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "%s: not a file name", path);
	dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	tmp = malloc(strlen(name) + 6);
	if (!dir || !tmp) {
		free(dir);
		free(tmp);
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	}
	sprintf(tmp, ".%s.tmp", name);
	dfd = vb_trusted_dir_open(dir, "metrics file", e);
	rc = dfd < 0 ? -1 : replace_in(dfd, tmp, name, path, text, len, e);
	if (dfd >= 0)
		close(dfd);
	free(dir);
	free(tmp);
	return rc;
}
