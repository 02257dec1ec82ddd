/* libFuzzer target: the serve.conf parser (policy.c) and the uevent
 * payload parser (uevent.c), on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "uevent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vb_policy p;
	struct vb_err e = { 0 };
	struct vb_uevent ev;
	struct vb_peer peer = { .uid = 1000, .gid = 1000 };
	struct vb_range r = { 0, 4096 };
	char *text = malloc(size + 1), why[160];
	uint64_t leases, bytes;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	vb_policy_init(&p);
	if (vb_policy_parse(text, "fuzz", &p, &e) == 0) {
		vb_policy_may_export(&p, &peer, "0000:04:00.0", 2, 1 << 24, &r, 1, why, sizeof(why));
		vb_policy_may_reset(&p, &peer, "0000:04:00.0");
		vb_policy_quota(&p, &peer, &leases, &bytes);
	} else if (!e.msg[0])
		abort();
	vb_policy_free(&p);
	vb_uevent_parse((const char *)data, size, &ev);
	free(text);
	return 0;
}
