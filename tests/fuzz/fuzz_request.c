/* libFuzzer target: the broker's request parser (proto.c) must accept or
 * refuse any bytes without crashing, leaking or reading out of bounds, and
 * a refusal must always carry a message and exit code 2.  Whatever the
 * plain fast path accepts, the general parser must accept and read the
 * same way (differential check).  For an accepted export or release, the
 * reply written directly (the daemon's hot path) must be byte for byte
 * what jansson encodes, and a buffer too small for it must give 0 without
 * writing past its end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* The reply the daemon would write for rq, against jansson's. */
static void check_reply_writer(const struct vb_request *rq)
{
	static char buf[VB_PROTO_MAX_MSG + 1];
	uint64_t size = 0;
	struct vb_export_result x = { rq->release, rq->nrelease, rq->lease + 1, rq->device, rq->bar,
				      rq->ranges, rq->nranges, 0, rq->device, "group", rq->nrelease & 1 };
	json_t *reply = vb_proto_reply(rq);
	size_t jl = 0, dl;
	char *j, *small;

	for (size_t i = 0; i < rq->nranges; i++)
		size += rq->ranges[i].length;
	x.size = size;
	if (rq->op == VB_OP_EXPORT) {
		vb_proto_export_fields(reply, &x, true);
		dl = vb_proto_export_reply_write(buf, sizeof(buf), rq, &x);
	} else {
		json_object_set_new(reply, "lease", json_integer((json_int_t)rq->lease));
		dl = vb_proto_release_reply_write(buf, sizeof(buf), rq, rq->lease);
	}
	j = vb_proto_encode(reply, &jl);
	if (!j || dl != jl || memcmp(buf, j, jl + 1))
		abort();
	/* one byte short of the NUL: refused, nothing written past the end */
	small = malloc(dl);
	if (!small || (rq->op == VB_OP_EXPORT ? vb_proto_export_reply_write(small, dl, rq, &x)
					       : vb_proto_release_reply_write(small, dl, rq, rq->lease)))
		abort();
	free(small);
	free(j);
	json_decref(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vb_request rq, fast;
	struct vb_err e = { 0 };

	if (vb_proto_parse_plain((const char *)data, size, &fast) &&
	    (vb_proto_parse_general((const char *)data, size, &rq, &e) < 0 ||
	     !vb_proto_request_equal(&fast, &rq)))
		abort();

	if (vb_proto_parse_request((const char *)data, size, &rq, &e) < 0) {
		if (!e.msg[0] || e.exit_code != VB_EXIT_USAGE)
			abort();
		json_decref(vb_proto_error_reply(&rq, &e));
		return 0;
	}
	if (rq.op >= VB_OP_COUNT || rq.nranges > VB_RANGES_MAX)
		abort();
	json_decref(vb_proto_reply(&rq));
	if (rq.op == VB_OP_EXPORT || rq.op == VB_OP_RELEASE)
		check_reply_writer(&rq);
	return 0;
}
