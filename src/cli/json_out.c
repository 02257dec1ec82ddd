/* json_out: text-or-JSON output context (see json_out.h).
 *
 * JSON mode keeps a small stack of open containers; every field call adds
 * to the innermost one.  Text mode prints with the caller's format.
 * Streaming JSON (out_stream) writes each field as it comes instead, in
 * the bytes jansson's dump would have written (compact, or indented by 2).
 */
#include "json_out.h"

#include "proto.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define OUT_MAX_DEPTH 32

/* One open container of a streamed value. */
struct stream_level {
	bool array;
	bool muted;      /* dropped, as the tree would drop it (no key in an object) */
	unsigned long n; /* members written so far */
};

struct vb_out {
	FILE *fp;
	bool json, pretty;
	int depth;
	json_t *stack[OUT_MAX_DEPTH];
	json_t *root; /* completed top-level value waiting for out_flush */
	bool stream;  /* JSON written as it is made (out_stream) */
	bool streamed; /* something was written that way */
	int sdepth;
	struct stream_level st[OUT_MAX_DEPTH];
	char *buf;    /* the stream's own buffer (any FILE: a memstream too) */
	size_t blen;
};

struct vb_out *out_new(FILE *fp, bool json, bool pretty)
{
	struct vb_out *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->fp = fp;
	o->json = json || pretty;
	o->pretty = pretty;
	return o;
}

bool out_is_json(const struct vb_out *o)
{
	return o->json;
}

FILE *out_fp(const struct vb_out *o)
{
	return o->fp;
}

/* Attach v under key to the innermost container, or make it the root. */
static void attach(struct vb_out *o, const char *key, json_t *v)
{
	json_t *top;

	if (!v)
		return;
	if (o->depth == 0) {
		json_decref(o->root);
		o->root = v;
		return;
	}
	top = o->stack[o->depth - 1];
	if (json_is_array(top))
		json_array_append_new(top, v);
	else if (key)
		json_object_set_new(top, key, v);
	else
		json_decref(v);
}

static void stream_open(struct vb_out *o, const char *key, bool array);
static void stream_close(struct vb_out *o);
static void stream_scalar(struct vb_out *o, const char *key, const char *lit);
static void stream_string(struct vb_out *o, const char *key, const char *val);
static void stream_json(struct vb_out *o, const char *key, json_t *v);
static void put_flush(struct vb_out *o);

static void open_container(struct vb_out *o, const char *key, json_t *c)
{
	if (o->stream) {
		stream_open(o, key, json_is_array(c));
		json_decref(c);
		return;
	}
	if (!o->json || o->depth >= OUT_MAX_DEPTH) {
		json_decref(c);
		return;
	}
	attach(o, key, json_incref(c));
	o->stack[o->depth++] = c;
}

static void close_container(struct vb_out *o)
{
	if (o->stream) {
		stream_close(o);
		return;
	}
	if (!o->json || o->depth == 0)
		return;
	json_decref(o->stack[--o->depth]);
}

void out_open_object(struct vb_out *o, const char *key)
{
	if (o->stream)
		stream_open(o, key, false);
	else
		open_container(o, key, json_object());
}

void out_close_object(struct vb_out *o)
{
	close_container(o);
}

void out_open_array(struct vb_out *o, const char *key)
{
	if (o->stream)
		stream_open(o, key, true);
	else
		open_container(o, key, json_array());
}

void out_close_array(struct vb_out *o)
{
	close_container(o);
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	unsigned min, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A malloc'd copy of s with every byte that is not part of well-formed
 * UTF-8 replaced by U+FFFD (NULL when out of memory). */
static char *out_utf8_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), j = 0;
	char *r;

	if (len > (SIZE_MAX - 1) / 3 || !(r = malloc(len * 3 + 1)))
		return NULL;
	while (*p) {
		size_t n = utf8_seq(p);

		if (n) {
			memcpy(r + j, p, n);
			j += n;
			p += n;
		} else {
			memcpy(r + j, "\xef\xbf\xbd", 3); /* U+FFFD for the stray byte */
			j += 3;
			p++;
		}
	}
	r[j] = '\0';
	return r;
}

/* A JSON string of any C string: text that is not UTF-8 (a name read from
 * sysfs, an argument, an errno text) has each bad byte as U+FFFD rather
 * than making the value, and with it the field, disappear. */
static json_t *json_text(const char *s)
{
	json_t *v = json_string(s);
	char *clean;

	if (v || !s)
		return v;
	clean = out_utf8_clean(s);
	v = clean ? json_string(clean) : NULL;
	free(clean);
	return v;
}

static void text(struct vb_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text(struct vb_out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(o->fp, fmt, ap);
	va_end(ap);
}

/* The format strings come from our own call sites: each has exactly one
 * conversion matching the value's type. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void out_str(struct vb_out *o, const char *key, const char *fmt, const char *val)
{
	if (o->stream) {
		if (key && !val)
			stream_scalar(o, key, "null");
		else if (key)
			stream_string(o, key, val);
	} else if (o->json) {
		if (key)
			attach(o, key, val ? json_text(val) : json_null());
	} else if (fmt) {
		text(o, fmt, val ? val : "-");
	}
}

void out_str_or_null(struct vb_out *o, const char *key, const char *fmt, const char *val)
{
	out_str(o, key, fmt, val && *val ? val : NULL);
}

/* v in decimal, '-' first when neg, ending at end[-1] (a NUL): its start. */
static char *decimal(unsigned long long v, bool neg, char *end)
{
	char *p = end;

	*--p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (neg)
		*--p = '-';
	return p;
}

void out_int(struct vb_out *o, const char *key, const char *fmt, long long val)
{
	char num[24];

	if (o->stream) {
		if (key)
			stream_scalar(o, key, decimal(val < 0 ? -(unsigned long long)val : (unsigned long long)val,
						      val < 0, num + sizeof(num)));
	} else if (o->json) {
		if (key)
			attach(o, key, json_integer(val));
	} else if (fmt) {
		text(o, fmt, val);
	}
}

void out_uint(struct vb_out *o, const char *key, const char *fmt, unsigned long long val)
{
	char num[24];

	if (o->stream) {
		/* as the tree writes it: above LLONG_MAX a string */
		char *d = decimal(val, false, num + sizeof(num));

		if (key && val > (unsigned long long)LLONG_MAX)
			stream_string(o, key, d);
		else if (key)
			stream_scalar(o, key, d);
	} else if (o->json) {
		/* jansson integers are signed 64-bit; larger values become
		 * strings rather than wrapping. */
		if (key)
			attach(o, key, val > (unsigned long long)LLONG_MAX
					       ? json_sprintf("%llu", val)
					       : json_integer((json_int_t)val));
	} else if (fmt) {
		text(o, fmt, val);
	}
}

void out_bool(struct vb_out *o, const char *key, const char *fmt, bool val)
{
	if (o->stream) {
		if (key)
			stream_scalar(o, key, val ? "true" : "false");
	} else if (o->json) {
		if (key)
			attach(o, key, json_boolean(val));
	} else if (fmt) {
		text(o, fmt, val ? "yes" : "no");
	}
}

void out_null(struct vb_out *o, const char *key, const char *fmt)
{
	if (o->stream) {
		if (key)
			stream_scalar(o, key, "null");
	} else if (o->json) {
		if (key)
			attach(o, key, json_null());
	} else if (fmt) {
		text(o, fmt, "-");
	}
}

void out_text(struct vb_out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->json)
		return;
	va_start(ap, fmt);
	vfprintf(o->fp, fmt, ap);
	va_end(ap);
}

#pragma GCC diagnostic pop

void out_json(struct vb_out *o, const char *key, json_t *val)
{
	if (o->stream) {
		stream_json(o, key, val);
		json_decref(val);
	} else if (o->json)
		attach(o, key, val);
	else
		json_decref(val);
}

/* Write the pending top-level JSON value (one line unless pretty). */
static void out_flush(struct vb_out *o)
{
	size_t flags = JSON_ENCODE_ANY | JSON_PRESERVE_ORDER;

	if (!o->json || !o->root || o->depth > 0) {
		fflush(o->fp);
		return;
	}
	flags |= o->pretty ? JSON_INDENT(2) : JSON_COMPACT;
	json_dumpf(o->root, o->fp, flags);
	fputc('\n', o->fp);
	fflush(o->fp);
	json_decref(o->root);
	o->root = NULL;
}

void out_discard(struct vb_out *o)
{
	if (o->stream)
		return; /* what was streamed is out: the caller checks first */
	while (o->depth > 0)
		json_decref(o->stack[--o->depth]);
	json_decref(o->root);
	o->root = NULL;
}

void out_free(struct vb_out *o)
{
	if (!o)
		return;
	while (o->stream && o->sdepth > 0)
		stream_close(o);
	if (o->stream)
		put_flush(o);
	while (o->depth > 0)
		close_container(o);
	out_flush(o);
	free(o->buf);
	free(o);
}

int out_error(struct vb_out *o, const struct vb_err *e)
{
	int code = e->exit_code ? e->exit_code : VB_EXIT_FAIL;
	const char *subject = e->device[0] ? e->device : e->socket;

	fprintf(stderr, "vfiobuf: %s%s%s%s%s\n", subject, subject[0] ? ": " : "", e->msg,
		e->errnum ? ": " : "", e->errnum ? strerror(e->errnum) : "");
	if (o && o->stream)
		put_flush(o);
	if (!o || !o->json || o->streamed)
		return code; /* a streamed value is out already: stderr says it */
	out_discard(o);
	o->root = json_pack("{s:o}", "error", vb_proto_error_object(e));
	out_flush(o);
	return code;
}

/* ---- streaming -------------------------------------------------------------- */

#define STREAM_BUF (64 * 1024)

void out_stream(struct vb_out *o)
{
	if (!o->json || o->stream || o->depth > 0)
		return;
	json_decref(o->root);
	o->root = NULL;
	o->stream = true;
	o->buf = malloc(STREAM_BUF); /* without it, straight to the FILE */
	o->blen = 0;
}

static void put_flush(struct vb_out *o)
{
	if (o->blen)
		fwrite(o->buf, 1, o->blen, o->fp);
	o->blen = 0;
}

static void put(struct vb_out *o, const char *s, size_t n)
{
	if (!o->buf) {
		fwrite(s, 1, n, o->fp);
		return;
	}
	if (o->blen + n > STREAM_BUF)
		put_flush(o);
	if (n > STREAM_BUF) {
		fwrite(s, 1, n, o->fp);
		return;
	}
	memcpy(o->buf + o->blen, s, n);
	o->blen += n;
}

static void put_char(struct vb_out *o, char c)
{
	if (o->buf && o->blen < STREAM_BUF)
		o->buf[o->blen++] = c;
	else
		put(o, &c, 1);
}

static void put_indent(struct vb_out *o, int level)
{
	static const char spaces[] = "                                ";

	put_char(o, '\n');
	for (int i = 2 * level; i > 0; i -= (int)sizeof(spaces) - 1)
		put(o, spaces, i < (int)sizeof(spaces) - 1 ? (size_t)i : sizeof(spaces) - 1);
}

/* A JSON string as jansson writes it: ", \ and control characters
 * escaped (\u00XX in upper case but for \b \f \n \r \t), every other byte
 * as it is, and a byte that is not well-formed UTF-8 as U+FFFD. */
/* Bytes that a JSON string writes as they are: printable ASCII but " and \ */
static const bool plain[256] = { [0x20 ... 0x21] = true, [0x23 ... 0x5b] = true,
				  [0x5d ... 0x7f] = true }; /* but 0x22 " and 0x5c \\ */
#define plain_byte(c) plain[(unsigned char)(c)]

static void put_string(struct vb_out *o, const char *str)
{
	const unsigned char *p = (const unsigned char *)str, *run;
	char esc[8];

	put_char(o, '"');
	for (;;) {
		/* the common case: a run of plain bytes, copied at once */
		for (run = p; plain_byte(*p) && plain_byte(p[1]) && plain_byte(p[2]) && plain_byte(p[3]);)
			p += 4;
		while (plain_byte(*p))
			p++;
		put(o, (const char *)run, (size_t)(p - run));
		if (!*p)
			break;
		if (*p >= 0x80) {
			size_t n = utf8_seq(p);

			if (n)
				put(o, (const char *)p, n);
			else
				put(o, "\xef\xbf\xbd", 3);
			p += n ? n : 1;
			continue;
		}
		switch (*p) {
		case '"': put(o, "\\\"", 2); break;
		case '\\': put(o, "\\\\", 2); break;
		case '\b': put(o, "\\b", 2); break;
		case '\f': put(o, "\\f", 2); break;
		case '\n': put(o, "\\n", 2); break;
		case '\r': put(o, "\\r", 2); break;
		case '\t': put(o, "\\t", 2); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04X", *p);
			put(o, esc, 6);
		}
		p++;
	}
	put_char(o, '"');
}

/* Before a member: the separator and, in an object, its key.  False when
 * the member is dropped (muted container, or no key in an object). */
static bool stream_member(struct vb_out *o, const char *key)
{
	struct stream_level *l;

	if (o->sdepth == 0)
		return true;
	l = &o->st[o->sdepth - 1];
	if (l->muted || (!l->array && !key))
		return false;
	if (l->n++)
		put_char(o, ',');
	if (o->pretty)
		put_indent(o, o->sdepth);
	if (!l->array) {
		put_string(o, key);
		put(o, o->pretty ? ": " : ":", o->pretty ? 2 : 1);
	}
	return true;
}

static void stream_open(struct vb_out *o, const char *key, bool array)
{
	bool muted = o->sdepth >= OUT_MAX_DEPTH || !stream_member(o, key);

	if (o->sdepth >= OUT_MAX_DEPTH)
		return;
	if (o->sdepth > 0 && o->st[o->sdepth - 1].muted)
		muted = true;
	o->st[o->sdepth++] = (struct stream_level){ .array = array, .muted = muted };
	if (!muted) {
		put_char(o, array ? '[' : '{');
		o->streamed = true;
	}
}

static void stream_close(struct vb_out *o)
{
	struct stream_level *l;

	if (o->sdepth == 0)
		return;
	l = &o->st[--o->sdepth];
	if (l->muted)
		return;
	if (o->pretty && l->n)
		put_indent(o, o->sdepth);
	put_char(o, l->array ? ']' : '}');
	if (o->sdepth == 0) {
		put_char(o, '\n');
		put_flush(o);
		fflush(o->fp);
	}
}

static void stream_scalar(struct vb_out *o, const char *key, const char *lit)
{
	if (!stream_member(o, key))
		return;
	put(o, lit, strlen(lit));
	if (o->sdepth == 0) {
		put_char(o, '\n');
		put_flush(o);
	}
	o->streamed = true;
}

static void stream_string(struct vb_out *o, const char *key, const char *val)
{
	if (!stream_member(o, key))
		return;
	put_string(o, val);
	if (o->sdepth == 0) {
		put_char(o, '\n');
		put_flush(o);
	}
	o->streamed = true;
}

/* A prebuilt value, member by member (so that it is indented in place). */
static void stream_json(struct vb_out *o, const char *key, json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;
	char *lit;

	if (!v)
		return;
	if (json_is_object(v)) {
		stream_open(o, key, false);
		json_object_foreach(v, k, x)
			stream_json(o, k, x);
		stream_close(o);
	} else if (json_is_array(v)) {
		stream_open(o, key, true);
		json_array_foreach(v, i, x)
			stream_json(o, OUT_ITEM, x);
		stream_close(o);
	} else if (json_is_string(v)) {
		stream_string(o, key, json_string_value(v));
	} else if ((lit = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT))) {
		stream_scalar(o, key, lit);
		free(lit);
	}
}
