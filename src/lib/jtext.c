/* jtext: JSON text written directly (see jtext.h). */
#include "jtext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"

const bool vb_json_escaped[256] = {
	[0 ... 0x1f] = true, ['"'] = true, ['\\'] = true,
};

size_t vb_json_escape(unsigned char ch, char out[8])
{
	static const char short_form[] = { ['"'] = '"', ['\\'] = '\\', ['\b'] = 'b', ['\f'] = 'f',
					   ['\n'] = 'n',  ['\r'] = 'r',   ['\t'] = 't' };
	static const char hex[] = "0123456789ABCDEF";

	out[0] = '\\';
	if (ch < sizeof(short_form) && short_form[ch]) {
		out[1] = short_form[ch];
		return 2;
	}
	memcpy(out + 1, "u00", 3);
	out[4] = hex[ch >> 4];
	out[5] = hex[ch & 0xf];
	return 6;
}

size_t vb_utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

void vb_jt_init(struct vb_jtext *t)
{
	memset(t, 0, sizeof(*t));
}

void vb_jt_free(struct vb_jtext *t)
{
	free(t->p);
	vb_jt_init(t);
}

/* Room for n more bytes and a NUL. */
static bool room(struct vb_jtext *t, size_t n)
{
	size_t cap = t->cap ? t->cap : 256;
	char *p;

	if (t->failed)
		return false;
	while (cap < t->len + n + 1)
		cap *= 2;
	if (cap == t->cap)
		return true;
	p = realloc(t->p, cap);
	if (!p) {
		t->failed = true;
		return false;
	}
	t->p = p;
	t->cap = cap;
	return true;
}

static void put(struct vb_jtext *t, const char *s, size_t n)
{
	if (!room(t, n))
		return;
	memcpy(t->p + t->len, s, n);
	t->len += n;
}

#define PUT_LIT(t, lit) put((t), (lit), sizeof(lit) - 1)

static void open_level(struct vb_jtext *t, char c)
{
	put(t, &c, 1);
	if (t->depth + 1 >= VB_JT_DEPTH) {
		t->failed = true;
		return;
	}
	t->first[++t->depth] = true;
}

static void close_level(struct vb_jtext *t, char c)
{
	put(t, &c, 1);
	if (t->depth)
		t->depth--;
}

void vb_jt_object(struct vb_jtext *t)
{
	open_level(t, '{');
}

void vb_jt_array(struct vb_jtext *t)
{
	open_level(t, '[');
}

void vb_jt_end_object(struct vb_jtext *t)
{
	close_level(t, '}');
}

void vb_jt_end_array(struct vb_jtext *t)
{
	close_level(t, ']');
}

/* The quoted, escaped text of s (NUL-terminated, any bytes): what jansson
 * writes for vb_proto_text(s). */
static void put_string(struct vb_jtext *t, const char *s)
{
	PUT_LIT(t, "\"");
	for (;;) {
		const char *run = s;
		unsigned char ch;
		char esc[8];
		size_t k;

		while (!vb_json_escaped[ch = (unsigned char)*s] && ch < 0x80)
			s++;
		put(t, run, (size_t)(s - run));
		if (!ch)
			break;
		if (ch >= 0x80) { /* UTF-8 kept whole, a bad byte as U+FFFD */
			k = vb_utf8_seq((const unsigned char *)s, strnlen(s, 4));
			if (k)
				put(t, s, k);
			else
				PUT_LIT(t, "\xef\xbf\xbd");
			s += k ? k : 1;
			continue;
		}
		put(t, esc, vb_json_escape(ch, esc));
		s++;
	}
	PUT_LIT(t, "\"");
}

void vb_jt_key(struct vb_jtext *t, const char *key)
{
	if (!t->first[t->depth])
		PUT_LIT(t, ",");
	t->first[t->depth] = false;
	if (key) {
		put_string(t, key);
		PUT_LIT(t, ":");
	}
}

void vb_jt_string(struct vb_jtext *t, const char *s)
{
	if (s)
		put_string(t, s);
	else
		vb_jt_null(t);
}

void vb_jt_int(struct vb_jtext *t, int64_t v)
{
	char num[VB_NUM_MAX];

	put(t, num, vb_fmt_sdec(num, v));
}

/* As jansson prints a real: "%.17g", ".0" added when it has neither a
 * point nor an exponent, the exponent without '+' or leading zeros. */
void vb_jt_real(struct vb_jtext *t, double v)
{
	char buf[64], *e;
	int n = snprintf(buf, sizeof(buf) - 3, "%.17g", v);
	size_t len;

	if (n < 0 || (size_t)n >= sizeof(buf) - 3) {
		t->failed = true;
		return;
	}
	len = (size_t)n;
	if (!strchr(buf, '.') && !strchr(buf, 'e')) {
		memcpy(buf + len, ".0", 3);
		len += 2;
	}
	e = strchr(buf, 'e');
	if (e) {
		char *from = e + 2, *to = e + 1;

		if (*to == '-')
			to++;
		while (*from == '0')
			from++;
		if (from != to) {
			memmove(to, from, len - (size_t)(from - buf) + 1);
			len -= (size_t)(from - to);
		}
	}
	put(t, buf, len);
}

void vb_jt_null(struct vb_jtext *t)
{
	PUT_LIT(t, "null");
}

char *vb_jt_take(struct vb_jtext *t, size_t *len)
{
	char *p = t->p;

	if (t->failed || !p) {
		vb_jt_free(t);
		return NULL;
	}
	p[t->len] = '\0';
	if (len)
		*len = t->len;
	vb_jt_init(t);
	return p;
}
