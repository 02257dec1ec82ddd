/* proto: the broker protocol codec (`vfiobuf serve` and its clients).
 * Pure: JSON text in, structs out, and back; no sockets, no kernel.
 *
 * Transport: a SOCK_SEQPACKET unix socket, one JSON object per message
 * (no framing, no newline needed), at most VB_PROTO_MAX_MSG bytes.
 *
 *   request  {"op":"export","id":7,"bdf":"0000:04:00.0","bar":2,
 *             "ranges":[{"offset":0,"length":4096},"0x1000:64K"],
 *             "release":[2]}      (optional: leases given back first)
 *   reply    {"id":7,"op":"export","ok":true,"lease":3,...}     (+ the fd)
 *   error    {"id":7,"op":"export","ok":false,"error":{"message":...,
 *             "errno":...,"errno_name":...,"bdf":...,"socket":...,"exit_code":...}}
 *   event    {"event":"revoked","bdf":...,"cause":"reset","leases":[3]}
 *
 * Requests are strict: an unknown op, a field the op does not take, or a
 * field of the wrong type is an error reply (exit_code 2), and the
 * connection stays usable.  Replies carry the request's id and op; pushed
 * events carry "event" and never "ok".  The schema is documented in
 * vfiobuf-serve(1), PROTOCOL.
 */
#ifndef VB_PROTO_H
#define VB_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bdf.h"
#include "jtext.h" /* vb_utf8_seq */
#include "ranges.h"
#include "vb_error.h"

#define VB_PROTO_VERSION 1
/* Largest message either side sends or accepts, in bytes. */
#define VB_PROTO_MAX_MSG 65536
/* Leases an export request may release ("release": [...]). */
#define VB_RELEASE_MAX 64

enum vb_op {
	VB_OP_HELLO,
	VB_OP_LIST,
	VB_OP_EXPORT,
	VB_OP_RELEASE,
	VB_OP_RESET,
	VB_OP_SUBSCRIBE,
	VB_OP_STATUS,
	VB_OP_COUNT
};

struct vb_request {
	enum vb_op op;
	bool has_id;
	json_int_t id;               /* echoed in the reply (integer >= 0) */
	int version;                 /* hello: the client's protocol version */
	char device[VB_BDF_STRLEN];  /* export, reset: canonical "0000:04:00.0" */
	int bar;                     /* export: 0..5 */
	struct vb_range ranges[VB_RANGES_MAX];
	size_t nranges;              /* export: 0 = the whole BAR */
	uint64_t release[VB_RELEASE_MAX]; /* export: leases to release first */
	size_t nrelease;             /* export: distinct, >= 1 each */
	uint64_t lease;              /* release */
};

const char *vb_op_name(enum vb_op op);

/* Parse one request message (len bytes, need not be NUL-terminated).  On
 * error e says what is wrong (exit code 2) and rq->op / rq->id are filled
 * as far as they could be read, so the error reply can echo them. */
int vb_proto_parse_request(const char *buf, size_t len, struct vb_request *rq, struct vb_err *e);

/* The two parsers behind it, for tests: the plain fast path (export and
 * release written plainly; 1 when it parsed rq, 0 when the text must go
 * to the general parser) and the general one (jansson, every error). */
int vb_proto_parse_plain(const char *buf, size_t len, struct vb_request *rq);
int vb_proto_parse_general(const char *buf, size_t len, struct vb_request *rq, struct vb_err *e);
/* Do two parsed requests say the same (every field the op uses)? */
bool vb_proto_request_equal(const struct vb_request *a, const struct vb_request *b);

/* A success reply skeleton {"id":..,"op":..,"ok":true} for rq. */
json_t *vb_proto_reply(const struct vb_request *rq);
/* An error reply for rq (may be NULL: no id/op known). */
json_t *vb_proto_error_reply(const struct vb_request *rq, const struct vb_err *e);
/* The error object {"message","errno","errno_name","bdf","socket","exit_code"},
 * the same the CLI prints under -j. */
json_t *vb_proto_error_object(const struct vb_err *e);
/* A JSON string of s; bytes that are not UTF-8 (a client's string cut
 * mid-character by a message's %.64s...) become U+FFFD, never NULL. */
json_t *vb_proto_text(const char *s);
/* An event skeleton {"event":name}. */
json_t *vb_proto_event(const char *name);

/* Compact text of msg (malloc'd, NUL-terminated), NULL when it would
 * exceed VB_PROTO_MAX_MSG. */
char *vb_proto_encode(const json_t *msg, size_t *len);

/* Client side: parse a message from the server.  Returns 0 for a success
 * reply, 1 for an event, -1 with e for an error reply (e from its error
 * object) or a malformed message.  *msg is the parsed object (caller
 * decrefs), NULL when malformed. */
int vb_proto_parse_message(const char *buf, size_t len, json_t **msg, struct vb_err *e);

/* Ranges as the protocol (and export's description) writes them:
 * [{"offset":N,"length":N},...]. */
json_t *vb_proto_ranges(const struct vb_range *r, size_t nr);

/* Lease ids as a JSON array. */
json_t *vb_proto_lease_ids(const uint64_t *ids, size_t n);

/* What an export produced: its reply and its "exported" event say this. */
struct vb_export_result {
	const uint64_t *released;    /* leases released first ("release") */
	size_t nreleased;
	uint64_t lease;
	const char *device;
	int bar;
	const struct vb_range *ranges;
	size_t nranges;
	uint64_t size;
	const char *name;            /* the dma-buf's name */
	const char *vfio_mode;
	bool revoked;
};

/* Add x's fields to obj (a reply or an event), in protocol order:
 * released (when any), lease, bdf, bar, ranges, size, name; and for a
 * reply (with_state) vfio_mode and revoked. */
void vb_proto_export_fields(json_t *obj, const struct vb_export_result *x, bool with_state);

/* The export reply to rq, written directly into buf (cap bytes, NUL
 * included; no JSON object built, nothing allocated: the daemon's hot
 * path).  Byte for byte what vb_proto_encode gives for vb_proto_reply(rq)
 * + vb_proto_export_fields (unit-tested).  Returns its length, 0 when it
 * does not fit (VB_PROTO_MAX_MSG + 1 bytes always hold it). */
size_t vb_proto_export_reply_write(char *buf, size_t cap, const struct vb_request *rq,
				   const struct vb_export_result *x);

/* The release reply to rq for lease, the same way: what vb_proto_encode
 * gives for vb_proto_reply(rq) + "lease" (unit-tested). */
size_t vb_proto_release_reply_write(char *buf, size_t cap, const struct vb_request *rq,
				    uint64_t lease);

/* Lease ids per event: an event listing more is split into parts. */
#define VB_EVENT_LEASES_MAX 2048
/* ev (borrowed) with the lease ids (borrowed) as "leases": one event, or
 * when there are more than VB_EVENT_LEASES_MAX ids, parts of at most that
 * many, each with "part" (1-based) and "parts", so that every part fits in
 * a VB_PROTO_MAX_MSG message.  Returns a JSON array of events. */
json_t *vb_proto_lease_parts(const json_t *ev, const json_t *ids);

/* Build a request: {"op":name,"id":id} (id < 0: none). */
json_t *vb_proto_request(enum vb_op op, json_int_t id);

#endif
