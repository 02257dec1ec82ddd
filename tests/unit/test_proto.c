/* Unit tests for proto.c: request parsing (strict fields and types, every
 * op), error replies, message classification on the client side. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "tap.h"

static int parse(const char *text, struct vb_request *rq, struct vb_err *e)
{
	vb_err_clear(e);
	return vb_proto_parse_request(text, strlen(text), rq, e);
}

static const char *msg_of(const char *text)
{
	static struct vb_request rq;
	static struct vb_err e;

	return parse(text, &rq, &e) == 0 ? "(ok)" : e.msg;
}

static void test_ops(void)
{
	struct vb_request rq;
	struct vb_err e;

	is_int(parse("{\"op\":\"hello\",\"id\":3,\"version\":1}", &rq, &e), 0, "hello parses");
	is_int(rq.op, VB_OP_HELLO, "hello op");
	ok(rq.has_id && rq.id == 3, "id kept");
	is_int(rq.version, 1, "version kept");
	is_int(parse("{\"op\":\"list\"}", &rq, &e), 0, "list without id");
	ok(!rq.has_id, "no id");
	is_int(parse("{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2}", &rq, &e), 0, "export");
	is_str(rq.device, "0000:04:00.0", "device canonical");
	is_int(rq.bar, 2, "bar");
	is_int(rq.nranges, 0, "no ranges = whole BAR");
	is_int(parse("{\"op\":\"export\",\"bdf\":\"0000:04:00.0\",\"bar\":2,\"ranges\":"
		     "[{\"offset\":4096,\"length\":8192},\"0x10000:64K\",{\"offset\":\"1M\",\"length\":\"4K\"}]}",
		     &rq, &e), 0, "export with three ranges of both forms");
	is_int(rq.nranges, 3, "three ranges");
	ok(rq.ranges[0].offset == 4096 && rq.ranges[0].length == 8192, "object range");
	ok(rq.ranges[1].offset == 0x10000 && rq.ranges[1].length == 65536, "string range");
	ok(rq.ranges[2].offset == 1 << 20 && rq.ranges[2].length == 4096, "object with size strings");
	is_int(parse("{\"op\":\"release\",\"lease\":17}", &rq, &e), 0, "release");
	ok(rq.lease == 17, "lease id");
	is_int(parse("{\"op\":\"reset\",\"bdf\":\"0000:03:00.0\"}", &rq, &e), 0, "reset");
	is_int(parse("{\"op\":\"subscribe\"}", &rq, &e), 0, "subscribe");
	is_int(parse("{\"op\":\"status\",\"id\":0}", &rq, &e), 0, "status, id 0");
}

static void test_errors(void)
{
	struct vb_request rq;
	struct vb_err e;
	char big[VB_PROTO_MAX_MSG + 2];

	ok(strstr(msg_of("{bad"), "malformed JSON") != NULL, "malformed JSON");
	is_str(msg_of("[1,2]"), "a request must be a JSON object", "not an object");
	is_str(msg_of("{}"), "request has no \"op\"", "no op");
	is_str(msg_of("{\"op\":7}"), "\"op\" must be a string", "op of wrong type");
	is_str(msg_of("{\"op\":\"frob\"}"), "unknown op 'frob'", "unknown op");
	is_str(msg_of("{\"op\":\"list\",\"id\":-1}"), "\"id\" must be a non-negative integer", "negative id");
	is_str(msg_of("{\"op\":\"list\",\"id\":\"x\"}"), "\"id\" must be a non-negative integer", "string id");
	is_str(msg_of("{\"op\":\"list\",\"bdf\":\"04:00.0\"}"), "op 'list' takes no field \"bdf\"",
	       "field the op does not take");
	is_str(msg_of("{\"op\":\"export\",\"bar\":2}"), "request has no \"bdf\"", "export without device");
	is_str(msg_of("{\"op\":\"export\",\"bdf\":4,\"bar\":2}"), "\"bdf\" must be a string",
	       "device of wrong type");
	is_str(msg_of("{\"op\":\"export\",\"bdf\":\"zz\",\"bar\":2}"),
	       "\"bdf\" 'zz' is not a PCI address", "bad address");
	is_str(msg_of("{\"op\":\"export\",\"bdf\":\"04:00.0\"}"), "request has no \"bar\"", "no bar");
	is_str(msg_of("{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":6}"), "\"bar\" must be an integer 0-5",
	       "bar out of range");
	is_str(msg_of("{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":\"2\"}"),
	       "\"bar\" must be an integer 0-5", "bar as a string");
	is_str(msg_of("{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2,\"ranges\":{}}"),
	       "\"ranges\" must be an array", "ranges not an array");
	is_str(msg_of("{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2,\"ranges\":[{\"offset\":0}]}"),
	       "a range needs \"offset\" and \"length\"", "range without length");
	is_str(msg_of("{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2,\"ranges\":[{\"offset\":0,"
		      "\"length\":1,\"x\":1}]}"),
	       "unknown range field \"x\"", "range with an extra field");
	is_str(msg_of("{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2,\"ranges\":[{\"offset\":-1,"
		      "\"length\":1}]}"),
	       "range offset must be a non-negative integer or a size string", "negative offset");
	is_str(msg_of("{\"op\":\"release\",\"lease\":0}"), "\"lease\" must be an integer 1-9223372036854775807",
	       "lease 0");
	is_str(msg_of("{\"op\":\"list\",\"op\":\"list\"}"),
	       "malformed JSON at byte 17: duplicate object key near '\"op\"'", "duplicate key");
	memset(big, ' ', sizeof(big));
	is_int(vb_proto_parse_request(big, sizeof(big), &rq, &e), -1, "over the size cap");
	is_int(e.errnum, EMSGSIZE, "EMSGSIZE for the size cap");
	parse("{\"id\":5,\"op\":\"frob\"}", &rq, &e);
	ok(rq.has_id && rq.id == 5, "id is known even when the op is not");
	{
		char many[8 * 1024];
		size_t n = (size_t)snprintf(many, sizeof(many),
					    "{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2,\"ranges\":[");
		for (int i = 0; i <= VB_RANGES_MAX; i++)
			n += (size_t)snprintf(many + n, sizeof(many) - n, "%s\"0:4K\"", i ? "," : "");
		snprintf(many + n, sizeof(many) - n, "]}");
		is_str(msg_of(many), "too many ranges (257, at most 256)", "range count cap");
	}
}

static void test_replies(void)
{
	struct vb_request rq;
	struct vb_err e = { 0 }, got = { 0 };
	json_t *r, *msg;
	char *text;
	size_t len;

	parse("{\"op\":\"status\",\"id\":9}", &rq, &e);
	r = vb_proto_reply(&rq);
	text = vb_proto_encode(r, &len);
	is_str(text, "{\"id\":9,\"op\":\"status\",\"ok\":true}", "reply skeleton");
	is_int(vb_proto_parse_message(text, len, &msg, &got), 0, "client sees a reply");
	json_decref(msg);
	free(text);
	json_decref(r);
	vb_err_set(&e, VB_EXIT_NOTFOUND, 0, "0000:04:00.0", "not served by this daemon");
	r = vb_proto_error_reply(&rq, &e);
	text = vb_proto_encode(r, &len);
	is_int(vb_proto_parse_message(text, len, &msg, &got), -1, "client sees an error reply");
	is_int(got.exit_code, VB_EXIT_NOTFOUND, "exit code travels");
	is_str(got.device, "0000:04:00.0", "device travels");
	is_str(got.msg, "not served by this daemon", "message travels");
	ok(json_is_null(json_object_get(json_object_get(msg, "error"), "socket")),
	   "an error about a device has socket null");
	json_decref(msg);
	free(text);
	json_decref(r);
	vb_err_set_socket(&e, VB_EXIT_NOTFOUND, ENOENT, "/run/vfiobuf.sock", "no daemon");
	r = vb_proto_error_object(&e);
	ok(json_is_null(json_object_get(r, "bdf")), "an error about a socket has bdf null");
	is_str(json_string_value(json_object_get(r, "socket")), "/run/vfiobuf.sock",
	       "the socket path is the error's socket");
	json_decref(r);
	vb_err_set(&e, VB_EXIT_USAGE, 0, "nope", "not a PCI address");
	r = vb_proto_error_object(&e);
	ok(json_is_null(json_object_get(r, "bdf")) && json_is_null(json_object_get(r, "socket")),
	   "a subject that is neither address nor socket: both null");
	is_str(json_string_value(json_object_get(r, "message")), "nope: not a PCI address",
	       "... and named in the message");
	json_decref(r);
	r = vb_proto_event("revoked");
	text = vb_proto_encode(r, &len);
	is_int(vb_proto_parse_message(text, len, &msg, &got), 1, "client sees an event");
	json_decref(msg);
	free(text);
	json_decref(r);
	is_int(vb_proto_parse_message("{\"x\":1}", 7, &msg, &got), -1, "neither reply nor event");
	json_decref(msg);
	is_int(vb_proto_parse_message("nope", 4, &msg, &got), -1, "garbage from the server");
	ok(msg == NULL, "no message for garbage");
	is_str(vb_op_name(VB_OP_SUBSCRIBE), "subscribe", "op names");
}

/* export's "release": leases given back by the same request. */
static void test_release_list(void)
{
	static const char head[] = "{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2,";
	char text[1024];
	struct vb_request rq;
	struct vb_err e;

	snprintf(text, sizeof(text), "%s\"release\":[7,3]}", head);
	is_int(parse(text, &rq, &e), 0, "export with release parses");
	ok(rq.nrelease == 2 && rq.release[0] == 7 && rq.release[1] == 3, "release ids in order");
	snprintf(text, sizeof(text), "%s\"release\":[]}", head);
	is_int(parse(text, &rq, &e), 0, "an empty release list is allowed");
	is_int(rq.nrelease, 0, "nothing to release");
	snprintf(text, sizeof(text), "%s\"release\":7}", head);
	is_str(msg_of(text), "\"release\" must be an array of lease ids", "release not an array");
	snprintf(text, sizeof(text), "%s\"release\":[0]}", head);
	is_str(msg_of(text), "\"release\" must hold lease ids (integers >= 1)", "lease 0");
	snprintf(text, sizeof(text), "%s\"release\":[\"3\"]}", head);
	is_str(msg_of(text), "\"release\" must hold lease ids (integers >= 1)", "lease as a string");
	snprintf(text, sizeof(text), "%s\"release\":[1.5]}", head);
	is_str(msg_of(text), "\"release\" must hold lease ids (integers >= 1)", "lease as a real");
	snprintf(text, sizeof(text), "%s\"release\":[4,5,4]}", head);
	is_str(msg_of(text), "lease 4 is listed twice in \"release\"", "duplicate lease");
	is_str(msg_of("{\"op\":\"release\",\"lease\":1,\"release\":[2]}"),
	       "op 'release' takes no field \"release\"", "only export takes a release list");
	{
		size_t n = (size_t)snprintf(text, sizeof(text), "%s\"release\":[", head);

		for (int i = 1; i <= VB_RELEASE_MAX + 1; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%d", i > 1 ? "," : "", i);
		snprintf(text + n, sizeof(text) - n, "]}");
		is_str(msg_of(text), "too many leases to release (65, at most 64)", "release cap");
	}
}

/* The export reply written directly must be what jansson writes. */
static void same_as_jansson(const struct vb_request *rq, const struct vb_export_result *x,
			    const char *what)
{
	static char d[VB_PROTO_MAX_MSG + 1];
	json_t *reply = vb_proto_reply(rq);
	size_t jl = 0, dl;
	char *j;

	vb_proto_export_fields(reply, x, true);
	j = vb_proto_encode(reply, &jl);
	dl = vb_proto_export_reply_write(d, sizeof(d), rq, x);
	is_str(d, j, "%s", what);
	ok(jl == dl, "same length");
	json_decref(reply);
	free(j);
}

static void test_export_reply_text(void)
{
	struct vb_request rq = { .op = VB_OP_EXPORT };
	struct vb_range r[3] = { { 0, 4096 }, { 1ull << 40, 1ull << 33 }, { 0x7ffffffffffff000ull, 4096 } };
	uint64_t rel[3] = { 1, 99, 9007199254740993ull };
	struct vb_export_result x = { NULL, 0, 7, "0000:04:00.0", 2, r, 1, 4096,
				      "vfiobuf:0000:04:00.0:2:0+1000", "group", false };

	same_as_jansson(&rq, &x, "no id, one range");
	rq.has_id = true;
	rq.id = 0;
	same_as_jansson(&rq, &x, "id 0");
	rq.id = 9223372036854775807LL;
	x.nranges = 3;
	x.released = rel;
	x.nreleased = 3;
	x.revoked = true;
	x.bar = 5;
	x.size = 0x7fffffffffffffffull;
	x.vfio_mode = "cdev";
	same_as_jansson(&rq, &x, "largest id and size, three ranges, released, revoked");
	x.name = "q\"b\\s/\x01\x1f\b\f\n\r\t\x7f\xc3\xa9";
	same_as_jansson(&rq, &x, "every escape jansson makes, UTF-8 kept");
	x.nranges = 0;
	x.name = "";
	same_as_jansson(&rq, &x, "no ranges, empty name");
}

/* A buffer too small for the reply: 0, and nothing written past its end. */
static void test_reply_write_bounds(void)
{
	struct vb_request rq = { .op = VB_OP_RELEASE, .has_id = true, .id = 12345 };
	struct vb_range r = { 0, 4096 };
	struct vb_export_result x = { NULL, 0, 7, "0000:04:00.0", 2, &r, 1, 4096,
				      "0000:04:00.0/bar2+0x0", "group", false };
	char buf[256];
	size_t full = vb_proto_release_reply_write(buf, sizeof(buf), &rq, 42), fx;

	ok(full > 0 && buf[full] == '\0', "release reply written (%zu bytes)", full);
	memset(buf, 'Z', sizeof(buf));
	is_int((int)vb_proto_release_reply_write(buf, full, &rq, 42), 0,
	       "one byte short of its NUL: refused");
	ok(buf[full] == 'Z', "nothing written past the buffer");
	rq.op = VB_OP_EXPORT;
	fx = vb_proto_export_reply_write(buf, sizeof(buf), &rq, &x);
	ok(fx > 0 && fx == strlen(buf), "export reply written (%zu bytes)", fx);
	memset(buf, 'Z', sizeof(buf));
	is_int((int)vb_proto_export_reply_write(buf, fx, &rq, &x), 0, "export reply cut: refused");
	ok(buf[fx] == 'Z', "nothing written past the buffer");
	is_int((int)vb_proto_export_reply_write(buf, 0, &rq, &x), 0, "no buffer at all: refused");
}

/* The release reply written directly must be what jansson writes. */
static void test_release_reply_text(void)
{
	static const long long ids[] = { 0, 1, 9223372036854775807LL };
	static const uint64_t leases[] = { 1, 42, 9007199254740993ull, INT64_MAX };

	for (int with_id = 0; with_id < 2; with_id++)
		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
			for (size_t k = 0; k < sizeof(leases) / sizeof(leases[0]); k++) {
				struct vb_request rq = { .op = VB_OP_RELEASE, .has_id = with_id,
							 .id = ids[i], .lease = leases[k] };
				json_t *reply = vb_proto_reply(&rq);
				size_t jl = 0, dl;
				char *j, d[128];

				json_object_set_new(reply, "lease", json_integer((json_int_t)leases[k]));
				j = vb_proto_encode(reply, &jl);
				dl = vb_proto_release_reply_write(d, sizeof(d), &rq, leases[k]);
				is_str(d, j, "release reply, id %s %lld, lease %llu",
				       with_id ? "" : "absent,", ids[i], (unsigned long long)leases[k]);
				ok(jl == dl, "same length");
				json_decref(reply);
				free(j);
			}
}

/* The fast path takes plain export/release requests and must read them
 * as the general parser does; everything else goes to the general one. */
static void test_plain_path(void)
{
	static const char *const taken[] = {
		"{\"op\":\"export\",\"bdf\":\"0000:04:00.0\",\"bar\":2}",
		"{\"op\":\"export\",\"id\":0,\"bdf\":\"04:00.0\",\"bar\":0,\"ranges\":[]}",
		" { \"bar\" : 5 , \"bdf\" : \"04:00.1\" ,\n\"op\":\"export\",\"id\":9223372036854775807}\r\n",
		"{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2,\"ranges\":[{\"length\":4096,\"offset\":8192},"
		"\"0x1000:64K\"],\"release\":[3,1,2]}",
		"{\"op\":\"release\",\"lease\":7,\"id\":1}",
	};
	static const char *const deferred[] = {
		"{\"op\":\"hello\"}",                                       /* not a hot op */
		"{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":6}",            /* errors */
		"{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":02}",
		"{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2.0}",
		"{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2e0}",
		"{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":-0}",
		"{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2,\"bar\":2}",
		"{\"op\":\"export\",\"bdf\":\"04:00.0\"}",
		"{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2,\"lease\":1}",
		"{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2,\"release\":[1,1]}",
		"{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2,\"release\":[0]}",
		"{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2,\"ranges\":[{\"offset\":0}]}",
		"{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2,\"ranges\":[{\"offset\":0,\"length\":1,\"offset\":0}]}",
		"{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2,\"ranges\":[\"0:0x\"]}",
		"{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2,\"ranges\":[{\"offset\":\"4K\",\"length\":4096}]}",
		"{\"op\":\"expo\\u0072t\",\"bdf\":\"04:00.0\",\"bar\":2}",   /* escapes */
		"{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2}x",
		"{\"op\":\"export\",\"bdf\":\"04:00.0\",\"bar\":2,}",
		"{\"op\":\"release\",\"lease\":18446744073709551616}",
		"{\"op\":\"release\",\"lease\":9223372036854775808}",
		"{\"op\":\"release\",\"lease\":1",
		"{}", "", "[]",
	};
	struct vb_request fast, general;
	struct vb_err e;

	for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
		vb_err_clear(&e);
		ok(vb_proto_parse_plain(taken[i], strlen(taken[i]), &fast) == 1 &&
			   vb_proto_parse_general(taken[i], strlen(taken[i]), &general, &e) == 0 &&
			   vb_proto_request_equal(&fast, &general),
		   "plain request %zu: taken, read as the general parser reads it", i);
	}
	for (size_t i = 0; i < sizeof(deferred) / sizeof(deferred[0]); i++)
		ok(vb_proto_parse_plain(deferred[i], strlen(deferred[i]), &fast) == 0,
		   "request %zu left to the general parser", i);
	vb_proto_parse_plain(taken[3], strlen(taken[3]), &fast);
	ok(fast.nranges == 2 && fast.ranges[0].offset == 8192 && fast.ranges[1].length == 65536 &&
		   fast.nrelease == 3 && fast.release[2] == 2,
	   "ranges of both forms and the release list");
}

/* A message cut mid-UTF-8 (%.64s of a client's string) still gives an
 * error object, the broken character replaced. */
static void test_cut_utf8(void)
{
	struct vb_request rq;
	struct vb_err e = { 0 };
	char req[128];
	json_t *r, *err;

	snprintf(req, sizeof(req), "{\"op\":\"%063d\xc3\xa9\"}", 0);
	is_int(vb_proto_parse_request(req, strlen(req), &rq, &e), -1, "unknown op refused");
	r = vb_proto_error_reply(NULL, &e);
	err = json_object_get(r, "error");
	ok(json_is_object(err), "the reply has its error object");
	ok(err && strstr(json_string_value(json_object_get(err, "message")), "\xef\xbf\xbd'"),
	   "the cut character became U+FFFD");
	json_decref(r);
	r = vb_proto_text("a\xff\xc3");
	is_str(json_string_value(r), "a\xef\xbf\xbd\xef\xbf\xbd", "each bad byte is U+FFFD");
	json_decref(r);
}

/* An event about ~11k leases is sent in parts that each fit a message. */
static void test_lease_parts(void)
{
	json_t *ev = json_pack("{s:s, s:s}", "event", "revoked", "bdf", "0000:04:00.0");
	json_t *ids = json_array(), *parts, *part;
	size_t i, total = 0;
	bool fit = true;

	for (i = 0; i < 11000; i++)
		json_array_append_new(ids, json_integer((json_int_t)(1000000000000LL + i)));
	parts = vb_proto_lease_parts(ev, ids);
	is_int(json_array_size(parts), 6, "11,000 leases: 6 parts of at most 2048");
	json_array_foreach(parts, i, part) {
		char *text = vb_proto_encode(part, NULL);

		fit = fit && text && json_integer_value(json_object_get(part, "part")) == (json_int_t)i + 1 &&
		      json_integer_value(json_object_get(part, "parts")) == 6;
		total += json_array_size(json_object_get(part, "leases"));
		free(text);
	}
	ok(fit, "every part encodes within the message limit, numbered");
	is_int(total, 11000, "no lease left out");
	json_decref(parts);
	json_array_clear(ids);
	parts = vb_proto_lease_parts(ev, ids);
	ok(json_array_size(parts) == 1 && !json_object_get(json_array_get(parts, 0), "part"),
	   "a short list: one event, no part fields");
	json_decref(parts);
	json_decref(ids);
	json_decref(ev);
}

int main(void)
{
	test_cut_utf8();
	test_lease_parts();
	test_plain_path();
	test_export_reply_text();
	test_release_reply_text();
	test_reply_write_bounds();
	test_ops();
	test_release_list();
	test_errors();
	test_replies();
	return tap_done();
}
