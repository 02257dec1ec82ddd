/* Unit tests for json_out.c: one call site, text or JSON. */
#include <stdlib.h>
#include <string.h>

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
	       "\"device\":\"0000:03:00.0\",\"exit_code\":3}}\n",
	       "JSON error object replaces partial output");
	free(err);

	is_str(out_size_human(16777216, sz, sizeof(sz)), "16M", "16 MiB");
	is_str(out_size_human(4096, sz, sizeof(sz)), "4K", "4 KiB");
	is_str(out_size_human(32ULL << 30, sz, sizeof(sz)), "32G", "32 GiB");
	is_str(out_size_human(256, sz, sizeof(sz)), "256", "bytes");
	is_str(out_size_human(1536, sz, sizeof(sz)), "1536", "not a whole KiB stays exact");
	return tap_done();
}
