/* libFuzzer target: the broker's request parser (proto.c) must accept or
 * refuse any bytes without crashing, leaking or reading out of bounds, and
 * a refusal must always carry a message and exit code 2.  Whatever the
 * plain fast path accepts, the general parser must accept and read the
 * same way (differential check). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

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
	return 0;
}
