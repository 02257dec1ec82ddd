/* jtext against jansson: the text written directly must be byte for byte
 * what json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER) gives for the same
 * value built with jansson (reals, strings with every escape and bad
 * UTF-8, the "exported" event with export's extra keys). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "jtext.h"
#include "proto.h"
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>

/* A TAP comment line (the first differences found). */
static void __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static char *dumped(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}

static void test_reals(void)
{
	static const double fixed[] = { 0.0, -0.0, 1.0, -1.0, 5.0, 0.1, 1e-7, 1e21, 1.5e300, -2.5e-300,
					123456789012345678.0, 1764434324.1234567, 1e17, 1e16, 4.9e-324 };
	uint64_t s = 0x9e3779b97f4a7c15ull;
	int bad = 0, n = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) + 20000; i++) {
		double v;
		struct vb_jtext t;
		json_t *j;
		char *a, *b;

		if (i < sizeof(fixed) / sizeof(fixed[0])) {
			v = fixed[i];
		} else {
			uint64_t bits = rnd(&s);

			memcpy(&v, &bits, sizeof(v));
			if (!isfinite(v))
				continue;
			if (i % 3 == 0) /* times as the events carry them */
				v = 1.7e9 + (double)(rnd(&s) % 100000000) / 1e7;
		}
		j = json_real(v);
		a = dumped(j);
		vb_jt_init(&t);
		vb_jt_real(&t, v);
		b = vb_jt_take(&t, NULL);
		n++;
		if (!a || !b || strcmp(a, b)) {
			if (bad++ < 5)
				diag("real %.17g: jansson '%s', jtext '%s'", v, a ? a : "(null)",
				     b ? b : "(null)");
		}
		json_decref(j);
		free(a);
		free(b);
	}
	is_int(bad, 0, "%d reals written as jansson writes them", n);
}

/* A random string: printable ASCII, controls, quotes, backslashes, valid
 * and broken UTF-8. */
static void random_text(uint64_t *s, char *buf, size_t cap)
{
	static const char *const pieces[] = { "a", "Z", "0", " ", "\"", "\\", "/", "\x01", "\x1f",
					      "\b", "\f", "\n", "\r", "\t", "\x7f", "\xc3\xa9",
					      "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc3", "\xff",
					      "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", ":" };
	size_t len = 0, k = rnd(s) % 12;

	for (size_t i = 0; i < k; i++) {
		const char *p = pieces[rnd(s) % (sizeof(pieces) / sizeof(pieces[0]))];
		size_t n = strlen(p);

		if (len + n + 1 > cap)
			break;
		memcpy(buf + len, p, n);
		len += n;
	}
	buf[len] = '\0';
}

static void test_strings(void)
{
	uint64_t s = 12345;
	int bad = 0;

	for (int i = 0; i < 20000; i++) {
		char text[64], *a, *b;
		struct vb_jtext t;
		json_t *j;

		random_text(&s, text, sizeof(text));
		j = vb_proto_text(text);
		a = dumped(j);
		vb_jt_init(&t);
		vb_jt_string(&t, text);
		b = vb_jt_take(&t, NULL);
		if (!a || !b || strcmp(a, b))
			if (bad++ < 5)
				diag("string %d: jansson '%s', jtext '%s'", i, a ? a : "(null)",
				     b ? b : "(null)");
		json_decref(j);
		free(a);
		free(b);
	}
	is_int(bad, 0, "20000 strings (escapes, UTF-8 kept, bad bytes as U+FFFD) as jansson");
}

/* export's description both ways, at the time jansson's event carries. */
static void test_exported(void)
{
	uint64_t s = 777;
	int bad = 0;

	for (int i = 0; i < 3000; i++) {
		struct vb_range r[4];
		char name[64];
		struct vb_event_export x = { (i % 3) ? -1 : (int64_t)(rnd(&s) >> 1), "0000:04:00.0",
					     (int)(rnd(&s) % 6), r, rnd(&s) % 5, rnd(&s), name };
		struct vb_jtext t;
		json_t *ev;
		char *a, *b;

		for (size_t k = 0; k < 4; k++)
			r[k] = (struct vb_range){ rnd(&s) >> (rnd(&s) % 64), rnd(&s) >> (rnd(&s) % 64) };
		random_text(&s, name, sizeof(name));
		if (i % 7 == 0)
			x.name = NULL;
		ev = vb_event_exported(&x);
		json_object_set_new(ev, "fd", json_integer(5));
		json_object_set_new(ev, "ino", json_integer((json_int_t)rnd(&s)));
		json_object_set_new(ev, "vfio_mode", json_string("group"));
		a = dumped(ev);
		vb_jt_init(&t);
		vb_event_exported_write(&t, &x, json_real_value(json_object_get(ev, "time")));
		vb_jt_key(&t, "fd");
		vb_jt_int(&t, 5);
		vb_jt_key(&t, "ino");
		vb_jt_int(&t, json_integer_value(json_object_get(ev, "ino")));
		vb_jt_key(&t, "vfio_mode");
		vb_jt_string(&t, "group");
		vb_jt_end_object(&t);
		b = vb_jt_take(&t, NULL);
		if (!a || !b || strcmp(a, b))
			if (bad++ < 3)
				diag("event %d:\n jansson %s\n jtext   %s", i, a ? a : "(null)",
				     b ? b : "(null)");
		json_decref(ev);
		free(a);
		free(b);
	}
	is_int(bad, 0, "3000 exported events with export's keys as jansson dumps them");
}

static void test_nesting(void)
{
	struct vb_jtext t;
	char *p;

	vb_jt_init(&t);
	for (int i = 0; i < VB_JT_DEPTH + 1; i++)
		vb_jt_array(&t);
	p = vb_jt_take(&t, NULL);
	ok(p == NULL, "nesting deeper than %d is refused, not written wrong", VB_JT_DEPTH - 1);
	vb_jt_init(&t);
	vb_jt_object(&t);
	vb_jt_key(&t, "a");
	vb_jt_array(&t);
	vb_jt_key(&t, NULL);
	vb_jt_null(&t);
	vb_jt_key(&t, NULL);
	vb_jt_int(&t, INT64_MIN);
	vb_jt_end_array(&t);
	vb_jt_key(&t, "b");
	vb_jt_string(&t, NULL);
	vb_jt_end_object(&t);
	p = vb_jt_take(&t, NULL);
	is_str(p, "{\"a\":[null,-9223372036854775808],\"b\":null}", "arrays, null, INT64_MIN");
	free(p);
}

int main(void)
{
	test_reals();
	test_strings();
	test_exported();
	test_nesting();
	return tap_done();
}
