/* codec: the daemon's per-export codec cost, natively (never part of
 * vfiobuf): a plain export request parsed by the general parser (jansson)
 * and by the plain fast path, and its reply built and encoded with
 * jansson and written directly.  Both in the same run; ratios printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const char req[] = "{\"op\":\"export\",\"bdf\":\"0000:04:00.0\",\"bar\":2,"
				  "\"ranges\":[{\"offset\":1048576,\"length\":4096}],\"release\":[1234]}";
	long n = argc > 1 ? atol(argv[1]) : 500000;
	struct vb_request rq;
	struct vb_err e = { 0 };
	struct vb_export_result x;
	static char reply[VB_PROTO_MAX_MSG + 1];
	double t[5];

	t[0] = now();
	for (long i = 0; i < n; i++)
		vb_proto_parse_general(req, sizeof(req) - 1, &rq, &e);
	t[1] = now();
	for (long i = 0; i < n; i++)
		vb_proto_parse_request(req, sizeof(req) - 1, &rq, &e);
	t[2] = now();
	x = (struct vb_export_result){ rq.release, rq.nrelease, 1235, "0000:04:00.0", 2, rq.ranges,
				       rq.nranges, 4096, "vfiobuf:0000:04:00.0:2:100000+1000",
				       "group", false };
	for (long i = 0; i < n; i++) {
		json_t *r = vb_proto_reply(&rq);

		vb_proto_export_fields(r, &x, true);
		free(vb_proto_encode(r, NULL));
		json_decref(r);
	}
	t[3] = now();
	for (long i = 0; i < n; i++)
		vb_proto_export_reply_write(reply, sizeof(reply), &rq, &x);
	t[4] = now();
	for (int i = 0; i < 4; i++)
		t[i] = (t[i + 1] - t[i]) / (double)n * 1e6;
	printf("codec per export request (%ld each): parse jansson %.2f us, plain %.2f us (%.2fx); "
	       "reply jansson %.2f us, direct %.2f us (%.2fx); together %.2fx\n",
	       n, t[0], t[1], t[1] / t[0], t[2], t[3], t[3] / t[2], (t[1] + t[3]) / (t[0] + t[2]));
	return 0;
}
