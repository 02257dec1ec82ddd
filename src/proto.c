/* proto: the broker protocol codec.  See proto.h. */
#include "proto.h"

#include <errno.h>
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
	[VB_OP_EXPORT] = { "device", "bar", "ranges", "release" },
	[VB_OP_RELEASE] = { "lease" },
	[VB_OP_RESET] = { "device" },
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
	json_t *v = json_object_get(root, "device");
	struct vb_bdf b;

	if (!v)
		return bad(e, "request has no %s", "\"device\"");
	if (!json_is_string(v))
		return bad(e, "%s must be a string", "\"device\"");
	if (vb_bdf_parse(json_string_value(v), &b) < 0)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "\"device\" '%.32s' is not a PCI address",
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
		for (size_t k = 0; k < i; k++)
			if (rq->release[k] == rq->release[i])
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

int vb_proto_parse_request(const char *buf, size_t len, struct vb_request *rq, struct vb_err *e)
{
	json_error_t jerr;
	json_t *root, *val;
	const char *key;
	int rc = -1;

	memset(rq, 0, sizeof(*rq));
	rq->op = VB_OP_COUNT;
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

json_t *vb_proto_error_object(const struct vb_err *e)
{
	const char *name = e->errnum ? vb_errno_name(e->errnum) : NULL;

	return json_pack("{s:s, s:i, s:o, s:o, s:i}", "message", e->msg, "errno", e->errnum,
			 "errno_name", name ? json_string(name) : json_null(), "device",
			 e->device[0] ? json_string(e->device) : json_null(), "exit_code",
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
	json_t *dev = json_object_get(err, "device");
	json_t *msg = json_object_get(err, "message");
	int exit_code = json_is_integer(code) ? (int)json_integer_value(code) : VB_EXIT_FAIL;

	if (exit_code <= 0 || exit_code > 255)
		exit_code = VB_EXIT_FAIL;
	vb_err_set(e, exit_code, (int)json_integer_value(json_object_get(err, "errno")),
		   json_is_string(dev) ? json_string_value(dev) : NULL, "%s",
		   json_is_string(msg) ? json_string_value(msg) : "the server refused");
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
