/* prom: Prometheus text exposition format and its atomic file.  See prom.h. */
#include "prom.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
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

int vb_prom_write_file(const char *path, const char *text, size_t len, struct vb_err *e)
{
	char dir[PATH_MAX];
	const char *name;
	int dfd, rc;

	if (vb_atomic_split(path, dir, sizeof(dir), &name) < 0)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "%s: not a file name", path);
	dfd = vb_trusted_dir_open(dir, "metrics file", e);
	if (dfd < 0)
		return -1;
	rc = vb_atomic_write_at(dfd, name, path, text, len, 0644, e);
	close(dfd);
	return rc;
}
