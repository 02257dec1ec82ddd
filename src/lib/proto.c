/* proto: the broker protocol codec.  See proto.h. */
#include "proto.h"
#include "jtext.h"
#include "numfmt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[VB_OP_COUNT] = {
	[VB_OP_HELLO] = "hello",     [VB_OP_LIST] = "list",     [VB_OP_EXPORT] = "export",
	[VB_OP_RELEASE] = "release", [VB_OP_RESET] = "reset",   [VB_OP_SUBSCRIBE] = "subscribe",
	[VB_OP_STATUS] = "status",
};

/* The fields each op takes besides "op" and "id". */
static const char *const op_fields[VB_OP_COUNT][4] = {
	[VB_OP_HELLO] = { "version" },
	[VB_OP_EXPORT] = { "bdf", "bar", "ranges", "release" },
	[VB_OP_RELEASE] = { "lease" },
	[VB_OP_RESET] = { "bdf" },
};

const char *vb_op_name(enum vb_op op)
{
	return (unsigned)op < VB_OP_COUNT ? op_names[op] : "unknown";
}

static int bad(struct vb_err *e, const char *fmt, const char *what)
{
	return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, fmt, what);
}

static bool op_takes(enum vb_op op, const char *key)
{
	if (!strcmp(key, "op") || !strcmp(key, "id"))
		return true;
	for (size_t i = 0; i < 4 && op_fields[op][i]; i++)
		if (!strcmp(op_fields[op][i], key))
			return true;
	return false;
}

static int parse_op(json_t *root, struct vb_request *rq, struct vb_err *e)
{
	json_t *v = json_object_get(root, "op");

	if (!v)
		return bad(e, "request has no %s", "\"op\"");
	if (!json_is_string(v))
		return bad(e, "%s must be a string", "\"op\"");
	for (int i = 0; i < VB_OP_COUNT; i++)
		if (!strcmp(json_string_value(v), op_names[i])) {
			rq->op = (enum vb_op)i;
			return 0;
		}
	vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "unknown op '%.64s'", json_string_value(v));
	rq->op = VB_OP_COUNT;
	return -1;
}

static int parse_id(json_t *root, struct vb_request *rq, struct vb_err *e)
{
	json_t *v = json_object_get(root, "id");

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad(e, "%s must be a non-negative integer", "\"id\"");
	rq->has_id = true;
	rq->id = json_integer_value(v);
	return 0;
}

/* An integer field in [min, max]; absent is an error when required. */
static int get_int(json_t *root, const char *key, bool required, long long min, long long max,
		   long long *out, struct vb_err *e)
{
	json_t *v = json_object_get(root, key);

	if (!v) {
		if (required)
			return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "request has no \"%s\"", key);
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "\"%s\" must be an integer %lld-%lld", key,
				  min, max);
	*out = json_integer_value(v);
	return 0;
}

static int parse_device(json_t *root, struct vb_request *rq, struct vb_err *e)
{
	json_t *v = json_object_get(root, "bdf");
	struct vb_bdf b;

	if (!v)
		return bad(e, "request has no %s", "\"bdf\"");
	if (!json_is_string(v))
		return bad(e, "%s must be a string", "\"bdf\"");
	if (vb_bdf_parse(json_string_value(v), &b) < 0)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "\"bdf\" '%.32s' is not a PCI address",
				  json_string_value(v));
	vb_bdf_format(&b, rq->device);
	return 0;
}

/* A size given as a JSON integer or as text ("64K", "0x1000"). */
static int parse_size_value(json_t *v, const char *what, uint64_t *out, struct vb_err *e)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v))
		return vb_parse_size(json_string_value(v), what, out, e);
	return vb_err_set(e, VB_EXIT_USAGE, 0, NULL,
			  "range %s must be a non-negative integer or a size string", what);
}

static int parse_range(json_t *v, struct vb_range *r, struct vb_err *e)
{
	const char *key;
	json_t *val;

	if (json_is_string(v))
		return vb_range_parse(json_string_value(v), r, e);
	if (!json_is_object(v))
		return bad(e, "%s must be objects {\"offset\",\"length\"} or \"OFFSET:LENGTH\" strings",
			   "\"ranges\" elements");
	json_object_foreach(v, key, val)
		if (strcmp(key, "offset") && strcmp(key, "length"))
			return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "unknown range field \"%.32s\"", key);
	if (!json_object_get(v, "offset") || !json_object_get(v, "length"))
		return bad(e, "a range needs %s", "\"offset\" and \"length\"");
	if (parse_size_value(json_object_get(v, "offset"), "offset", &r->offset, e) < 0)
		return -1;
	return parse_size_value(json_object_get(v, "length"), "length", &r->length, e);
}

static int parse_ranges(json_t *root, struct vb_request *rq, struct vb_err *e)
{
	json_t *v = json_object_get(root, "ranges"), *el;
	size_t i;

	if (!v)
		return 0;
	if (!json_is_array(v))
		return bad(e, "%s must be an array", "\"ranges\"");
	if (json_array_size(v) > VB_RANGES_MAX)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "too many ranges (%zu, at most %d)",
				  json_array_size(v), VB_RANGES_MAX);
	json_array_foreach(v, i, el) {
		if (parse_range(el, &rq->ranges[i], e) < 0)
			return -1;
	}
	rq->nranges = json_array_size(v);
	return 0;
}

/* Is ids[i] among ids[0..i-1]? */
static bool listed_before(const uint64_t *ids, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (ids[k] == ids[i])
			return true;
	return false;
}

/* export's "release": distinct lease ids, at most VB_RELEASE_MAX. */
static int parse_release_list(json_t *root, struct vb_request *rq, struct vb_err *e)
{
	json_t *v = json_object_get(root, "release"), *el;
	size_t i;

	if (!v)
		return 0;
	if (!json_is_array(v))
		return bad(e, "%s must be an array of lease ids", "\"release\"");
	if (json_array_size(v) > VB_RELEASE_MAX)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "too many leases to release (%zu, at most %d)",
				  json_array_size(v), VB_RELEASE_MAX);
	json_array_foreach(v, i, el) {
		if (!json_is_integer(el) || json_integer_value(el) < 1)
			return bad(e, "%s must hold lease ids (integers >= 1)", "\"release\"");
		rq->release[i] = (uint64_t)json_integer_value(el);
		if (listed_before(rq->release, i))
			return vb_err_set(e, VB_EXIT_USAGE, 0, NULL,
					  "lease %llu is listed twice in \"release\"",
					  (unsigned long long)rq->release[i]);
	}
	rq->nrelease = json_array_size(v);
	return 0;
}

static int parse_fields(json_t *root, struct vb_request *rq, struct vb_err *e)
{
	long long n = 0;

	switch (rq->op) {
	case VB_OP_HELLO:
		if (get_int(root, "version", false, 1, 1000000, &n, e) < 0)
			return -1;
		rq->version = (int)n;
		return 0;
	case VB_OP_EXPORT:
		if (parse_device(root, rq, e) < 0 || get_int(root, "bar", true, 0, 5, &n, e) < 0)
			return -1;
		rq->bar = (int)n;
		if (parse_ranges(root, rq, e) < 0)
			return -1;
		return parse_release_list(root, rq, e);
	case VB_OP_RELEASE:
		if (get_int(root, "lease", true, 1, INT64_MAX, &n, e) < 0)
			return -1;
		rq->lease = (uint64_t)n;
		return 0;
	case VB_OP_RESET:
		return parse_device(root, rq, e);
	default:
		return 0;
	}
}

/* Empty rq for a parse: every field, the arrays only as far as their
 * counts say they hold anything (nothing reads past nranges or nrelease).
 * Zeroing the whole 4.6 KB struct per request was a rep stosb that TCG
 * runs byte by byte, in the daemon's hot path (bench/broker). */
static void request_reset(struct vb_request *rq)
{
	rq->op = VB_OP_COUNT;
	rq->has_id = false;
	rq->id = 0;
	rq->version = 0;
	memset(rq->device, 0, sizeof(rq->device));
	rq->bar = 0;
	rq->nranges = 0;
	rq->nrelease = 0;
	rq->lease = 0;
}

/* ---- the plain fast path ------------------------------------------------
 * A busy client repeats export and release requests written plainly: keys
 * and strings without escapes, integers without sign, fraction or
 * exponent.  Those are read here without building a JSON tree.  Anything
 * else, and every error, is left to the general parser (jansson), which
 * stays the reference: a test and the fuzz target check that the two
 * agree on whatever the fast path accepts. */

struct scan {
	const char *p, *end;
};

/* JSON's four white-space characters are all <= ' ': one comparison
 * tells the usual case (none) apart. */
static inline void skip_space(struct scan *s)
{
	while (s->p < s->end && (unsigned char)*s->p <= ' ' &&
	       (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static inline bool take(struct scan *s, char c)
{
	skip_space(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return true;
	}
	return false;
}

/* A string of printable ASCII without escapes, copied NUL-terminated. */
static bool plain_string(struct scan *s, char *out, size_t cap)
{
	size_t n = 0;

	if (!take(s, '"'))
		return false;
	for (; s->p < s->end && *s->p != '"'; s->p++) {
		unsigned char ch = (unsigned char)*s->p;

		if (ch < 0x20 || ch >= 0x7f || ch == '\\' || n + 1 >= cap)
			return false;
		out[n++] = (char)ch;
	}
	if (s->p >= s->end)
		return false;
	s->p++;
	out[n] = '\0';
	return true;
}

/* An integer 0..max written as JSON writes one (no sign, no leading zero,
 * no fraction or exponent).  At most 19 digits, which cannot overflow 64
 * bits: longer numbers are left to the general parser (no check per digit). */
static bool plain_uint(struct scan *s, uint64_t max, uint64_t *v)
{
	const char *start, *p;
	uint64_t n = 0;

	skip_space(s);
	start = p = s->p;
	while (p < s->end && (unsigned)(*p - '0') < 10 && p - start < 20)
		n = n * 10 + (unsigned)(*p++ - '0');
	if (p == start || p - start > 19 || (*start == '0' && p - start > 1) || n > max)
		return false;
	if (p < s->end && (*p == '.' || *p == 'e' || *p == 'E'))
		return false;
	s->p = p;
	*v = n;
	return true;
}

/* [elem, ...] with at most max elements; elem reads one. */
static bool plain_array(struct scan *s, size_t max, size_t *count,
			bool (*elem)(struct scan *s, struct vb_request *rq, size_t i),
			struct vb_request *rq)
{
	*count = 0;
	if (!take(s, '['))
		return false;
	if (take(s, ']'))
		return true;
	do {
		if (*count == max || !elem(s, rq, *count))
			return false;
		(*count)++;
	} while (take(s, ','));
	return take(s, ']');
}

/* The quoted literal q ("\"offset\"") at the cursor, matched in place: a
 * literal without escapes or control characters stands for itself, so
 * no copy and no check per character. */
static inline bool take_quoted(struct scan *s, const char *q, size_t n)
{
	skip_space(s);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, q, n))
		return false;
	s->p += n;
	return true;
}
#define TAKE_QUOTED(s, lit) take_quoted((s), (lit), sizeof(lit) - 1)

static bool plain_range(struct scan *s, struct vb_request *rq, size_t i)
{
	struct vb_range *r = &rq->ranges[i];
	char text[64];
	struct vb_err e;
	bool off = false, len = false;

	skip_space(s);
	if (s->p < s->end && *s->p == '"')
		return plain_string(s, text, sizeof(text)) && vb_range_parse(text, r, &e) == 0;
	if (!take(s, '{'))
		return false;
	do {
		bool *seen;
		uint64_t *v;

		if (TAKE_QUOTED(s, "\"offset\""))
			seen = &off, v = &r->offset;
		else if (TAKE_QUOTED(s, "\"length\""))
			seen = &len, v = &r->length;
		else
			return false;
		if (!take(s, ':') || *seen || !plain_uint(s, INT64_MAX, v))
			return false;
		*seen = true;
	} while (take(s, ','));
	return off && len && take(s, '}');
}

static bool plain_release_id(struct scan *s, struct vb_request *rq, size_t i)
{
	return plain_uint(s, INT64_MAX, &rq->release[i]) && rq->release[i] > 0 &&
	       !listed_before(rq->release, i);
}

enum plain_key { PK_OP, PK_ID, PK_BDF, PK_BAR, PK_RANGES, PK_RELEASE, PK_LEASE, PK_COUNT };

/* The keys each plain op takes, as plain_key bits: "op", "id" and its
 * op_fields, restated as constants (a lookup per request was a tenth of
 * the daemon's work per request); test_proto's plain-path cases and the
 * request fuzz target check that the fast path and the general parser,
 * which reads op_fields, accept the same keys. */
#define PK_BIT(k) (1u << (k))
static const unsigned plain_op_keys[VB_OP_COUNT] = {
	[VB_OP_EXPORT] = PK_BIT(PK_OP) | PK_BIT(PK_ID) | PK_BIT(PK_BDF) | PK_BIT(PK_BAR) |
			 PK_BIT(PK_RANGES) | PK_BIT(PK_RELEASE),
	[VB_OP_RELEASE] = PK_BIT(PK_OP) | PK_BIT(PK_ID) | PK_BIT(PK_LEASE),
};

/* The quoted key at the cursor, matched in place (PK_COUNT for any other
 * key: the general parser reads it): the candidate told apart by its
 * first letters, then one comparison of a known length. */
static enum plain_key plain_key_at(struct scan *s)
{
	skip_space(s);
	if (s->end - s->p < 4 || s->p[0] != '"')
		return PK_COUNT;
	switch (s->p[1]) {
	case 'o': return TAKE_QUOTED(s, "\"op\"") ? PK_OP : PK_COUNT;
	case 'i': return TAKE_QUOTED(s, "\"id\"") ? PK_ID : PK_COUNT;
	case 'b':
		return TAKE_QUOTED(s, "\"bdf\"") ? PK_BDF : TAKE_QUOTED(s, "\"bar\"") ? PK_BAR : PK_COUNT;
	case 'r':
		return TAKE_QUOTED(s, "\"ranges\"")	 ? PK_RANGES
		       : TAKE_QUOTED(s, "\"release\"") ? PK_RELEASE
							: PK_COUNT;
	case 'l': return TAKE_QUOTED(s, "\"lease\"") ? PK_LEASE : PK_COUNT;
	default: return PK_COUNT;
	}
}

/* "dddd:bb:dd.f" (12 characters at t) exactly as vb_bdf_format writes a
 * domain below 0x10000: what clients send nearly always, copied without a
 * parse and a format (a fifth of the parser's work per export). */
static bool bdf_is_short_canonical(const char *t)
{
	static const int hex_at[] = { 0, 1, 2, 3, 5, 6, 9 };

	if (t[4] != ':' || t[7] != ':' || t[10] != '.' || (t[8] != '0' && t[8] != '1') ||
	    t[11] < '0' || t[11] > '7')
		return false;
	for (size_t i = 0; i < sizeof(hex_at) / sizeof(hex_at[0]); i++) {
		char c = t[hex_at[i]];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

/* "bdf": the canonical short form read in place, any other form copied,
 * parsed and formatted. */
static bool plain_bdf(struct scan *s, struct vb_request *rq)
{
	char text[40];
	struct vb_bdf bdf;

	skip_space(s);
	if (s->end - s->p >= 14 && s->p[0] == '"' && s->p[13] == '"' &&
	    bdf_is_short_canonical(s->p + 1)) {
		memcpy(rq->device, s->p + 1, 12);
		rq->device[12] = '\0';
		s->p += 14;
		return true;
	}
	if (!plain_string(s, text, sizeof(text)) || vb_bdf_parse(text, &bdf) < 0)
		return false;
	vb_bdf_format(&bdf, rq->device);
	return true;
}

static bool plain_member(struct scan *s, enum plain_key k, struct vb_request *rq)
{
	uint64_t v;

	switch (k) {
	case PK_OP:
		rq->op = TAKE_QUOTED(s, "\"export\"")	 ? VB_OP_EXPORT
			 : TAKE_QUOTED(s, "\"release\"") ? VB_OP_RELEASE
							 : VB_OP_COUNT;
		return rq->op != VB_OP_COUNT;
	case PK_ID:
		if (!plain_uint(s, INT64_MAX, &v))
			return false;
		rq->has_id = true;
		rq->id = (json_int_t)v;
		return true;
	case PK_BDF:
		return plain_bdf(s, rq);
	case PK_BAR:
		if (!plain_uint(s, 5, &v))
			return false;
		rq->bar = (int)v;
		return true;
	case PK_RANGES:
		return plain_array(s, VB_RANGES_MAX, &rq->nranges, plain_range, rq);
	case PK_RELEASE:
		return plain_array(s, VB_RELEASE_MAX, &rq->nrelease, plain_release_id, rq);
	case PK_LEASE:
		return plain_uint(s, INT64_MAX, &rq->lease) && rq->lease > 0;
	default:
		return false;
	}
}

int vb_proto_parse_plain(const char *buf, size_t len, struct vb_request *rq)
{
	struct scan s = { buf, buf + len };
	unsigned seen = 0;

	request_reset(rq);
	if (!take(&s, '{'))
		return 0;
	do {
		enum plain_key k = plain_key_at(&s);

		if (k == PK_COUNT || (seen & 1u << k) || !take(&s, ':') || !plain_member(&s, k, rq))
			return 0;
		seen |= 1u << k;
	} while (take(&s, ','));
	if (!take(&s, '}'))
		return 0;
	skip_space(&s);
	if (s.p != s.end)
		return 0;
	if (rq->op == VB_OP_EXPORT)
		return !(seen & ~plain_op_keys[VB_OP_EXPORT]) && (seen & PK_BIT(PK_BDF)) &&
		       (seen & PK_BIT(PK_BAR));
	return rq->op == VB_OP_RELEASE && !(seen & ~plain_op_keys[VB_OP_RELEASE]) &&
	       (seen & PK_BIT(PK_LEASE));
}

int vb_proto_parse_general(const char *buf, size_t len, struct vb_request *rq, struct vb_err *e)
{
	json_error_t jerr;
	json_t *root, *val;
	const char *key;
	int rc = -1;

	request_reset(rq);
	if (len > VB_PROTO_MAX_MSG)
		return vb_err_set(e, VB_EXIT_USAGE, EMSGSIZE, NULL,
				  "request of %zu bytes is over the %d-byte limit", len, VB_PROTO_MAX_MSG);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "malformed JSON at byte %d: %s",
				  jerr.position, jerr.text);
	if (!json_is_object(root)) {
		bad(e, "a request must be a JSON %s", "object");
		goto out;
	}
	if (parse_id(root, rq, e) < 0 || parse_op(root, rq, e) < 0)
		goto out;
	json_object_foreach(root, key, val)
		if (!op_takes(rq->op, key)) {
			vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "op '%s' takes no field \"%.32s\"",
				   op_names[rq->op], key);
			goto out;
		}
	rc = parse_fields(root, rq, e);
out:
	json_decref(root);
	return rc;
}

bool vb_proto_request_equal(const struct vb_request *a, const struct vb_request *b)
{
	if (a->op != b->op || a->has_id != b->has_id || (a->has_id && a->id != b->id) ||
	    a->version != b->version || strcmp(a->device, b->device) || a->bar != b->bar ||
	    a->nranges != b->nranges || a->nrelease != b->nrelease || a->lease != b->lease)
		return false;
	for (size_t i = 0; i < a->nranges; i++)
		if (a->ranges[i].offset != b->ranges[i].offset || a->ranges[i].length != b->ranges[i].length)
			return false;
	for (size_t i = 0; i < a->nrelease; i++)
		if (a->release[i] != b->release[i])
			return false;
	return true;
}

int vb_proto_parse_request(const char *buf, size_t len, struct vb_request *rq, struct vb_err *e)
{
	if (len <= VB_PROTO_MAX_MSG && vb_proto_parse_plain(buf, len, rq))
		return 0;
	return vb_proto_parse_general(buf, len, rq, e);
}

json_t *vb_proto_reply(const struct vb_request *rq)
{
	json_t *r = json_object();

	if (rq && rq->has_id)
		json_object_set_new(r, "id", json_integer(rq->id));
	if (rq && rq->op < VB_OP_COUNT)
		json_object_set_new(r, "op", json_string(op_names[rq->op]));
	json_object_set_new(r, "ok", json_true());
	return r;
}

json_t *vb_proto_text(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *copy;
	json_t *j;

	j = json_stringn(s, n);
	if (j)
		return j;
	copy = malloc(n * 3 + 1); /* each bad byte becomes U+FFFD (3 bytes) */
	if (!copy)
		return json_string("(out of memory)");
	for (size_t i = 0; i < n;) {
		size_t k = vb_utf8_seq((const unsigned char *)s + i, n - i);

		if (k) {
			memcpy(copy + o, s + i, k);
			o += k;
			i += k;
		} else {
			memcpy(copy + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	j = json_stringn(copy, o);
	free(copy);
	return j;
}

/* The error's subject: "bdf" when it is a canonical PCI address, "socket"
 * when it is a socket path; any other subject (a string the user gave that
 * names no device) goes in front of the message. */
json_t *vb_proto_error_object(const struct vb_err *e)
{
	const char *name = e->errnum ? vb_errno_name(e->errnum) : NULL;
	bool is_bdf = vb_bdf_is_canonical(e->device);
	json_t *msg;

	if (e->device[0] && !is_bdf) {
		size_t n = strlen(e->device) + strlen(e->msg) + 3;
		char *text = malloc(n);

		if (text)
			snprintf(text, n, "%s: %s", e->device, e->msg);
		msg = vb_proto_text(text ? text : e->msg);
		free(text);
	} else {
		msg = vb_proto_text(e->msg);
	}
	return json_pack("{s:o, s:i, s:o, s:o, s:o, s:i}", "message", msg, "errno", e->errnum,
			 "errno_name", name ? json_string(name) : json_null(), "bdf",
			 is_bdf ? json_string(e->device) : json_null(), "socket",
			 e->socket[0] ? vb_proto_text(e->socket) : json_null(), "exit_code",
			 e->exit_code ? e->exit_code : VB_EXIT_FAIL);
}

json_t *vb_proto_error_reply(const struct vb_request *rq, const struct vb_err *e)
{
	json_t *r = vb_proto_reply(rq);

	json_object_set_new(r, "ok", json_false());
	json_object_set_new(r, "error", vb_proto_error_object(e));
	return r;
}

json_t *vb_proto_event(const char *name)
{
	return json_pack("{s:s}", "event", name);
}

char *vb_proto_encode(const json_t *msg, size_t *len)
{
	char *text = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (text && strlen(text) > VB_PROTO_MAX_MSG) {
		free(text);
		text = NULL;
	}
	if (text && len)
		*len = strlen(text);
	return text;
}

static void error_from_object(json_t *err, struct vb_err *e)
{
	json_t *code = json_object_get(err, "exit_code");
	json_t *bdf = json_object_get(err, "bdf");
	json_t *sock = json_object_get(err, "socket");
	json_t *msg = json_object_get(err, "message");
	int exit_code = json_is_integer(code) ? (int)json_integer_value(code) : VB_EXIT_FAIL;
	int errnum = (int)json_integer_value(json_object_get(err, "errno"));
	const char *text = json_is_string(msg) && *json_string_value(msg) ? json_string_value(msg)
									     : "the server refused";

	if (exit_code <= 0 || exit_code > 255)
		exit_code = VB_EXIT_FAIL;
	if (json_is_string(sock))
		vb_err_set_socket(e, exit_code, errnum, json_string_value(sock), "%s", text);
	else
		vb_err_set(e, exit_code, errnum, json_is_string(bdf) ? json_string_value(bdf) : NULL,
			   "%s", text);
}

int vb_proto_parse_message(const char *buf, size_t len, json_t **msg, struct vb_err *e)
{
	json_error_t jerr;
	json_t *root = json_loadb(buf, len, 0, &jerr), *ok;

	*msg = NULL;
	if (!root || !json_is_object(root)) {
		json_decref(root);
		return vb_err_set(e, VB_EXIT_FAIL, EPROTO, NULL, "malformed message from the server");
	}
	*msg = root;
	if (json_is_string(json_object_get(root, "event")))
		return 1;
	ok = json_object_get(root, "ok");
	if (json_is_true(ok))
		return 0;
	if (json_is_false(ok) && json_is_object(json_object_get(root, "error"))) {
		error_from_object(json_object_get(root, "error"), e);
		return -1;
	}
	return vb_err_set(e, VB_EXIT_FAIL, EPROTO, NULL, "message from the server is neither a reply nor an event");
}

json_t *vb_proto_ranges(const struct vb_range *r, size_t nr)
{
	json_t *a = json_array();

	for (size_t i = 0; i < nr; i++)
		json_array_append_new(a, json_pack("{s:I, s:I}", "offset", (json_int_t)r[i].offset,
						   "length", (json_int_t)r[i].length));
	return a;
}

json_t *vb_proto_request(enum vb_op op, json_int_t id)
{
	json_t *r = json_pack("{s:s}", "op", vb_op_name(op));

	if (id >= 0)
		json_object_set_new(r, "id", json_integer(id));
	return r;
}

json_t *vb_proto_lease_ids(const uint64_t *ids, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer((json_int_t)ids[i]));
	return a;
}

void vb_proto_export_fields(json_t *obj, const struct vb_export_result *x, bool with_state)
{
	if (x->nreleased)
		json_object_set_new(obj, "released", vb_proto_lease_ids(x->released, x->nreleased));
	json_object_set_new(obj, "lease", json_integer((json_int_t)x->lease));
	json_object_set_new(obj, "bdf", json_string(x->device));
	json_object_set_new(obj, "bar", json_integer(x->bar));
	json_object_set_new(obj, "ranges", vb_proto_ranges(x->ranges, x->nranges));
	json_object_set_new(obj, "size", json_integer((json_int_t)x->size));
	json_object_set_new(obj, "name", json_string(x->name));
	if (with_state) {
		json_object_set_new(obj, "vfio_mode", json_string(x->vfio_mode));
		json_object_set_new(obj, "revoked", json_boolean(x->revoked));
	}
}

/* Replies written directly into the caller's buffer: one bound check per
 * piece, no allocation (the daemon's hot path writes into a buffer it
 * owns and sends from it). */
struct wbuf {
	char *p;
	size_t len, cap; /* cap: room for the text, the NUL not counted */
	bool failed;
};

static inline void w_raw(struct wbuf *w, const char *s, size_t n)
{
	if (n > w->cap - w->len) {
		w->failed = true;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

/* A string literal, its length known at compile time. */
#define W_LIT(w, lit) w_raw((w), (lit), sizeof(lit) - 1)

/* The length, with the NUL written; 0 when the text did not fit. */
static size_t w_done(struct wbuf *w)
{
	if (w->failed)
		return 0;
	w->p[w->len] = '\0';
	return w->len;
}

/* An integer as jansson writes a json_int_t (a value over INT64_MAX
 * comes out negative, as there): digits straight into the buffer when
 * VB_NUM_MAX bytes are free. */
static void w_int(struct wbuf *w, long long v)
{
	char num[VB_NUM_MAX];

	if (w->cap - w->len >= VB_NUM_MAX) {
		w->len += vb_fmt_sdec(w->p + w->len, v);
		return;
	}
	w_raw(w, num, vb_fmt_sdec(num, v));
}

/* A JSON string, escaped as jansson escapes it (no ASCII forcing): runs
 * that need no escape are copied whole. */
static void w_str(struct wbuf *w, const char *s)
{
	W_LIT(w, "\"");
	for (;;) {
		const char *run = s;
		unsigned char ch;
		char esc[8];

		while (!vb_json_escaped[ch = (unsigned char)*s])
			s++;
		w_raw(w, run, (size_t)(s - run));
		if (!ch)
			break;
		w_raw(w, esc, vb_json_escape(ch, esc));
		s++;
	}
	W_LIT(w, "\"");
}

/* "{" and the request's id when it had one ("id" is never negative). */
static void w_reply_head(struct wbuf *w, const struct vb_request *rq)
{
	W_LIT(w, "{");
	if (rq->has_id) {
		W_LIT(w, "\"id\":");
		w_int(w, rq->id);
		W_LIT(w, ",");
	}
}

static struct wbuf w_into(char *buf, size_t cap)
{
	return (struct wbuf){ buf, 0, cap ? cap - 1 : 0, cap == 0 };
}

size_t vb_proto_export_reply_write(char *buf, size_t cap, const struct vb_request *rq,
				   const struct vb_export_result *x)
{
	struct wbuf w = w_into(buf, cap);

	w_reply_head(&w, rq);
	W_LIT(&w, "\"op\":\"export\",\"ok\":true,");
	if (x->nreleased) {
		W_LIT(&w, "\"released\":[");
		for (size_t i = 0; i < x->nreleased; i++) {
			if (i)
				W_LIT(&w, ",");
			w_int(&w, (long long)x->released[i]);
		}
		W_LIT(&w, "],");
	}
	W_LIT(&w, "\"lease\":");
	w_int(&w, (long long)x->lease);
	W_LIT(&w, ",\"bdf\":");
	w_str(&w, x->device);
	W_LIT(&w, ",\"bar\":");
	w_int(&w, x->bar);
	W_LIT(&w, ",\"ranges\":[");
	for (size_t i = 0; i < x->nranges; i++) {
		if (i)
			W_LIT(&w, ",");
		W_LIT(&w, "{\"offset\":");
		w_int(&w, (long long)x->ranges[i].offset);
		W_LIT(&w, ",\"length\":");
		w_int(&w, (long long)x->ranges[i].length);
		W_LIT(&w, "}");
	}
	W_LIT(&w, "],\"size\":");
	w_int(&w, (long long)x->size);
	W_LIT(&w, ",\"name\":");
	w_str(&w, x->name);
	W_LIT(&w, ",\"vfio_mode\":");
	w_str(&w, x->vfio_mode);
	if (x->revoked)
		W_LIT(&w, ",\"revoked\":true}");
	else
		W_LIT(&w, ",\"revoked\":false}");
	return w_done(&w);
}

size_t vb_proto_release_reply_write(char *buf, size_t cap, const struct vb_request *rq,
				    uint64_t lease)
{
	struct wbuf w = w_into(buf, cap);

	w_reply_head(&w, rq);
	W_LIT(&w, "\"op\":\"release\",\"ok\":true,\"lease\":");
	w_int(&w, (long long)lease);
	W_LIT(&w, "}");
	return w_done(&w);
}

json_t *vb_proto_lease_parts(const json_t *ev, const json_t *ids)
{
	size_t n = json_array_size(ids), parts = n ? (n + VB_EVENT_LEASES_MAX - 1) / VB_EVENT_LEASES_MAX : 1;
	json_t *out = json_array();

	for (size_t k = 0; k < parts; k++) {
		json_t *part = json_deep_copy(ev), *slice = json_array();
		size_t from = k * VB_EVENT_LEASES_MAX;

		for (size_t i = from; i < n && i < from + VB_EVENT_LEASES_MAX; i++)
			json_array_append(slice, json_array_get(ids, i));
		json_object_set_new(part, "leases", slice);
		if (parts > 1) {
			json_object_set_new(part, "part", json_integer((json_int_t)k + 1));
			json_object_set_new(part, "parts", json_integer((json_int_t)parts));
		}
		json_array_append_new(out, part);
	}
	return out;
}
