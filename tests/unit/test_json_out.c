/* Unit tests for json_out.c: one call site, text or JSON. */
#include <stdlib.h>
#include <string.h>

#include "ranges.h"
#include "json_out.h"
#include "tap.h"

static char *render(bool json, bool pretty)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct vb_out *o = out_new(f, json, pretty);

	out_open_object(o, NULL);
	out_str(o, "driver", "driver %s\n", "nvme");
	out_uint(o, "size", "size %llu\n", 16777216ULL);
	out_uint(o, "huge", NULL, 18446744073709551615ULL);
	out_int(o, "group", "group %lld\n", -1);
	out_bool(o, "vfio", "vfio %s\n", false);
	out_str_or_null(o, "override", "override %s\n", "");
	out_open_array(o, "bars");
	out_int(o, OUT_ITEM, NULL, 2);
	out_close_array(o);
	out_text(o, "end\n");
	out_close_object(o);
	out_free(o);
	fclose(f);
	return buf;
}

/* Every kind of call, for the tree and the stream to write alike. */
static char *render_all(bool stream, bool pretty, int top)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct vb_out *o = out_new(f, true, pretty);

	if (stream)
		out_stream(o);
	if (top == 1) { /* a top-level array of objects */
		out_open_array(o, NULL);
		for (int i = 0; i < 3; i++) {
			out_open_object(o, OUT_ITEM);
			out_int(o, "i", NULL, i);
			out_open_array(o, "empty");
			out_close_array(o);
			out_close_object(o);
		}
		out_close_array(o);
	} else if (top == 2) {
		out_open_array(o, NULL);
		out_close_array(o);
	} else {
		out_open_object(o, NULL);
		out_str(o, "esc", NULL, "q\"b\\s/\x01\x1f\x7f\b\f\n\r\t caf\xc3\xa9 bad\xff\xc0\xaf end");
		out_str(o, "text only", "%s\n", "x");
		out_str(o, NULL, "%s\n", "no key");
		out_str_or_null(o, "empty", NULL, "");
		out_str(o, "null", NULL, NULL);
		out_int(o, "neg", NULL, -9223372036854775807LL - 1);
		out_uint(o, "max", NULL, 9223372036854775807ULL);
		out_uint(o, "huge", NULL, 18446744073709551615ULL);
		out_bool(o, "t", NULL, true);
		out_null(o, "n", NULL);
		out_open_object(o, "empty_object");
		out_close_object(o);
		out_open_object(o, NULL); /* no key in an object: dropped, with its members */
		out_int(o, "lost", NULL, 1);
		out_close_object(o);
		out_open_array(o, "list");
		out_str(o, OUT_ITEM, NULL, "a");
		out_open_object(o, OUT_ITEM);
		out_open_array(o, "deep");
		out_bool(o, OUT_ITEM, NULL, false);
		out_close_array(o);
		out_close_object(o);
		out_close_array(o);
		out_json(o, "prebuilt", json_pack("{s:i, s:[s, n, f, {}], s:{s:b}}", "a", 1, "b", "x", 2.5,
						  "c", "d", 1));
		out_close_object(o);
	}
	out_free(o);
	fclose(f);
	return buf;
}

int main(void)
{
	char *t = render(false, false), *j = render(true, false);
	char *err = NULL;
	size_t len = 0;
	FILE *f;
	struct vb_out *o;
	struct vb_err e = { 0 };
	char sz[32];

	is_str(t, "driver nvme\nsize 16777216\ngroup -1\nvfio no\noverride -\nend\n",
	       "text output uses the formats");
	is_str(j,
	       "{\"driver\":\"nvme\",\"size\":16777216,\"huge\":\"18446744073709551615\","
	       "\"group\":-1,\"vfio\":false,\"override\":null,\"bars\":[2]}\n",
	       "JSON output has the same fields, u64 beyond int64 as a string");
	free(t);
	free(j);

	f = open_memstream(&err, &len);
	o = out_new(f, true, false);
	out_open_array(o, NULL);
	out_str(o, OUT_ITEM, NULL, "partial");
	vb_err_set(&e, VB_EXIT_NOTFOUND, 19, "0000:03:00.0", "no such device");
	is_int(out_error(o, &e), VB_EXIT_NOTFOUND, "out_error returns the exit code");
	out_free(o);
	fclose(f);
	is_str(err,
	       "{\"error\":{\"message\":\"no such device\",\"errno\":19,\"errno_name\":\"ENODEV\","
	       "\"bdf\":\"0000:03:00.0\",\"socket\":null,\"exit_code\":3}}\n",
	       "JSON error object replaces partial output");
	free(err);

	/* an error text that is not UTF-8 (a name from sysfs, an argument)
	 * still gives the error object, each bad byte as U+FFFD */
	err = NULL;
	f = open_memstream(&err, &len);
	o = out_new(f, true, false);
	vb_err_set(&e, VB_EXIT_USAGE, 0, "dev\xc3", "unknown command 'l\xffst\xe2\x82'");
	is_int(out_error(o, &e), VB_EXIT_USAGE, "out_error with invalid UTF-8 returns the exit code");
	out_free(o);
	fclose(f);
	is_str(err,
	       "{\"error\":{\"message\":\"dev\xef\xbf\xbd: unknown command 'l\xef\xbf\xbdst\xef\xbf\xbd\xef\xbf\xbd'\","
	       "\"errno\":0,\"errno_name\":null,\"bdf\":null,\"socket\":null,\"exit_code\":2}}\n",
	       "invalid UTF-8 in the error text is replaced, the object still printed");
	free(err);

	err = NULL;
	f = open_memstream(&err, &len);
	o = out_new(f, true, false);
	out_open_object(o, NULL);
	out_str(o, "name", NULL, "eth\xff" "0");
	out_str(o, "overlong", NULL, "\xc0\xaf");
	out_str(o, "surrogate", NULL, "\xed\xa0\x80");
	out_str(o, "ok", NULL, "caf\xc3\xa9 \xf0\x9f\x98\x80");
	out_close_object(o);
	out_free(o);
	fclose(f);
	is_str(err,
	       "{\"name\":\"eth\xef\xbf\xbd" "0\",\"overlong\":\"\xef\xbf\xbd\xef\xbf\xbd\","
	       "\"surrogate\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\",\"ok\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}\n",
	       "a field that is not UTF-8 is kept, bad bytes replaced; valid text untouched");
	free(err);

	{ /* a message longer than the record says so, cut between characters */
		char big[700];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		memcpy(big + 505, "\xc3\xa9\xc3\xa9", 4); /* a 2-byte character across the cut */
		vb_err_set(&e, VB_EXIT_FAIL, 0, "a-device-name-longer-than-31-bytes", "%s", big);
		is_int((int)strlen(e.msg), 510, "a long message is cut before the split character");
		is_str(e.msg + 505, "\xc3\xa9...", "and ends in '...'");
		is_str(e.device, "a-device-name-longer-than-31...", "a long device name ends in '...'");
	}

	for (int top = 0; top < 3; top++)
		for (int pretty = 0; pretty < 2; pretty++) {
			char *tree = render_all(false, pretty, top), *stream = render_all(true, pretty, top);

			is_str(stream, tree, "streamed JSON is byte for byte the tree's (%s, value %d)",
			       pretty ? "pretty" : "compact", top);
			free(tree);
			free(stream);
		}
	{ /* an error after streaming began cannot replace the output */
		err = NULL;
		f = open_memstream(&err, &len);
		o = out_new(f, true, false);
		out_stream(o);
		out_open_array(o, NULL);
		out_int(o, OUT_ITEM, NULL, 1);
		fflush(f);
		vb_err_set(&e, VB_EXIT_FAIL, 5, NULL, "write failed");
		is_int(out_error(o, &e), VB_EXIT_FAIL, "out_error while streaming returns the exit code");
		out_free(o);
		fclose(f);
		is_str(err, "[1]\n", "and leaves the streamed value as it was, closed");
		free(err);
	}

	is_str(vb_size_format(16777216, sz, sizeof(sz)), "16M", "16 MiB");
	is_str(vb_size_format(4096, sz, sizeof(sz)), "4K", "4 KiB");
	is_str(vb_size_format(32ULL << 30, sz, sizeof(sz)), "32G", "32 GiB");
	is_str(vb_size_format(256, sz, sizeof(sz)), "256", "bytes");
	is_str(vb_size_format(1536, sz, sizeof(sz)), "1536", "not a whole KiB stays exact");
	return tap_done();
}
