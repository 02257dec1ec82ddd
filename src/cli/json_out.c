/* json_out: text-or-JSON output context (see json_out.h).
 *
 * JSON mode keeps a small stack of open containers; every field call adds
 * to the innermost one.  Text mode prints with the caller's format.
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

struct vb_out {
	FILE *fp;
	bool json, pretty;
	int depth;
	json_t *stack[OUT_MAX_DEPTH];
	json_t *root; /* completed top-level value waiting for out_flush */
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

static void open_container(struct vb_out *o, const char *key, json_t *c)
{
	if (!o->json || o->depth >= OUT_MAX_DEPTH) {
		json_decref(c);
		return;
	}
	attach(o, key, json_incref(c));
	o->stack[o->depth++] = c;
}

static void close_container(struct vb_out *o)
{
	if (!o->json || o->depth == 0)
		return;
	json_decref(o->stack[--o->depth]);
}

void out_open_object(struct vb_out *o, const char *key)
{
	open_container(o, key, json_object());
}

void out_close_object(struct vb_out *o)
{
	close_container(o);
}

void out_open_array(struct vb_out *o, const char *key)
{
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
	if (o->json) {
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

void out_int(struct vb_out *o, const char *key, const char *fmt, long long val)
{
	if (o->json) {
		if (key)
			attach(o, key, json_integer(val));
	} else if (fmt) {
		text(o, fmt, val);
	}
}

void out_uint(struct vb_out *o, const char *key, const char *fmt, unsigned long long val)
{
	if (o->json) {
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
	if (o->json) {
		if (key)
			attach(o, key, json_boolean(val));
	} else if (fmt) {
		text(o, fmt, val ? "yes" : "no");
	}
}

void out_null(struct vb_out *o, const char *key, const char *fmt)
{
	if (o->json) {
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
	if (o->json)
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
	while (o->depth > 0)
		json_decref(o->stack[--o->depth]);
	json_decref(o->root);
	o->root = NULL;
}

void out_free(struct vb_out *o)
{
	if (!o)
		return;
	while (o->depth > 0)
		close_container(o);
	out_flush(o);
	free(o);
}

int out_error(struct vb_out *o, const struct vb_err *e)
{
	int code = e->exit_code ? e->exit_code : VB_EXIT_FAIL;
	const char *subject = e->device[0] ? e->device : e->socket;

	fprintf(stderr, "vfiobuf: %s%s%s%s%s\n", subject, subject[0] ? ": " : "", e->msg,
		e->errnum ? ": " : "", e->errnum ? strerror(e->errnum) : "");
	if (!o || !o->json)
		return code;
	out_discard(o);
	o->root = json_pack("{s:o}", "error", vb_proto_error_object(e));
	out_flush(o);
	return code;
}
