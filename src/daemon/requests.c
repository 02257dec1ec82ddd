/* requests: one handler per protocol op.  See requests.h. */
#include "requests.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clients.h"
#include "devices.h"
#include "events.h"
#include "export.h"

typedef int (*op_fn)(struct vb_broker *b, struct srv_client *c, const struct vb_request *rq,
		     json_t *reply, struct vb_err *e);

static int op_hello(struct vb_broker *b, struct srv_client *c, const struct vb_request *rq,
		    json_t *reply, struct vb_err *e)
{
	json_t *ops = json_array();

	(void)b, (void)rq, (void)e;
	for (int i = 0; i < VB_OP_COUNT; i++)
		json_array_append_new(ops, json_string(vb_op_name((enum vb_op)i)));
	json_object_set_new(reply, "protocol", json_integer(VB_PROTO_VERSION));
	json_object_set_new(reply, "server", json_string("vfiobuf " VFIOBUF_VERSION));
	json_object_set_new(reply, "ops", ops);
	json_object_set_new(reply, "client", srv_client_json(c));
	return 0;
}

static int op_list(struct vb_broker *b, struct srv_client *c, const struct vb_request *rq,
		   json_t *reply, struct vb_err *e)
{
	json_t *devs = json_array();

	(void)rq, (void)e;
	for (size_t i = 0; i < b->ndevs; i++)
		json_array_append_new(devs, srv_device_json(b, &b->devs[i], &c->peer));
	json_object_set_new(reply, "devices", devs);
	return 0;
}

static struct srv_device *served_device(struct vb_broker *b, const char *bdf, struct vb_err *e)
{
	struct srv_device *d = srv_device_find(b, bdf);

	if (!d) {
		vb_err_set(e, VB_EXIT_NOTFOUND, 0, bdf, "not served by this daemon");
		return NULL;
	}
	if (d->state != SRV_DEV_OPEN) {
		vb_err_set(e, VB_EXIT_BUSY, 0, bdf, "closed by the daemon (%s)%s%s", d->closed_reason,
			   d->last_error[0] ? ": " : "", d->last_error);
		return NULL;
	}
	return d;
}

/* Quotas count per uid: every connection of c's uid together. */
static bool quota_allows(struct vb_broker *b, const struct srv_client *c, uint64_t size,
			 const char *bdf, struct vb_err *e)
{
	const struct srv_uid_usage *u = c->usage;
	struct vb_limits lim;

	vb_policy_limits(&b->policy, &c->peer, &lim);
	if (u->nleases >= lim.leases) {
		vb_err_set(e, VB_EXIT_BUSY, EDQUOT, bdf,
			   "quota: uid %u holds %llu leases (at most %llu)", (unsigned)c->peer.uid,
			   (unsigned long long)u->nleases, (unsigned long long)lim.leases);
		return false;
	}
	if (size > lim.bytes || u->bytes > lim.bytes - size) {
		vb_err_set(e, VB_EXIT_BUSY, EDQUOT, bdf,
			   "quota: %llu more bytes would pass the %llu-byte limit of uid %u",
			   (unsigned long long)size, (unsigned long long)lim.bytes,
			   (unsigned)c->peer.uid);
		return false;
	}
	return true;
}

static void bar_info_of(const struct srv_device *d, int bar, struct vb_bar_info *bi)
{
	memset(bi, 0, sizeof(*bi));
	bi->present = d->bar_present[bar];
	bi->is_io = d->bars[bar].is_io;
	bi->start = d->bars[bar].start;
	bi->size = d->bars[bar].size;
}

static struct srv_lease *held_lease(struct srv_client *c, uint64_t id)
{
	for (struct srv_lease *l = c->leases; l; l = l->next)
		if (l->id == id)
			return l;
	return NULL;
}

/* export's "release": every listed lease must be c's (else nothing is
 * released); they are released before the export, and stay released
 * whatever the export's outcome (the reply, ok or not, lists them). */
static int release_listed(struct vb_broker *b, struct srv_client *c, const struct vb_request *rq,
			  struct vb_export_result *x, struct vb_err *e)
{
	for (size_t i = 0; i < rq->nrelease; i++)
		if (!held_lease(c, rq->release[i]))
			return vb_err_set(e, VB_EXIT_NOTFOUND, 0, NULL,
					  "lease %llu is not held by this client (nothing released)",
					  (unsigned long long)rq->release[i]);
	for (size_t i = 0; i < rq->nrelease; i++)
		srv_lease_release(b, held_lease(c, rq->release[i]), "client-request");
	x->released = rq->release;
	x->nreleased = rq->nrelease;
	return 0;
}

/* Export for c as rq asks.  x says what was done (x->nreleased also on
 * failure) and points into whole and name; *fd is the dma-buf. */
static int export_buffer(struct vb_broker *b, struct srv_client *c, const struct vb_request *rq,
			 struct vb_export_result *x, struct vb_range *whole, char *name, int *fd,
			 struct vb_err *e)
{
	struct srv_device *d = served_device(b, rq->device, e);
	const struct vb_range *r = rq->ranges;
	size_t nr = rq->nranges;
	struct vb_bar_info bi;
	char why[160];
	uint64_t total = 0;
	struct srv_lease *l;

	if (!d)
		return -1;
	bar_info_of(d, rq->bar, &bi);
	if (vb_export_ranges(d->bdf, rq->bar, &bi, &r, &nr, whole, &total, e) < 0)
		return -1;
	if (!vb_policy_may_export(&b->policy, &c->peer, d->bdf, rq->bar, bi.size, r, nr, why,
				  sizeof(why)))
		return vb_err_set(e, VB_EXIT_PERM, EACCES, d->bdf, "%s", why);
	if (release_listed(b, c, rq, x, e) < 0 || !quota_allows(b, c, total, d->bdf, e))
		return -1;
	*fd = vb_export_named(&d->vd, d->bdf, rq->bar, r, nr, name, e);
	if (*fd < 0)
		return -1;
	l = srv_lease_add(b, c, d, rq->bar, total);
	if (!l) {
		close(*fd);
		*fd = -1;
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, d->bdf, "out of memory");
	}
	x->lease = l->id;
	x->device = d->bdf;
	x->bar = rq->bar;
	x->ranges = r;
	x->nranges = nr;
	x->size = total;
	x->name = name;
	x->vfio_mode = vb_vfio_mode_name(d->vd.mode);
	x->revoked = d->revoked;
	return 0;
}

/* The "exported" event (the releases before it had their own). */
static void emit_exported(struct vb_broker *b, struct srv_client *c,
			  const struct vb_export_result *x)
{
	struct vb_event_export ex = { .lease = (int64_t)x->lease, .bdf = x->device, .bar = x->bar,
				      .ranges = x->ranges, .nranges = x->nranges, .size = x->size,
				      .name = x->name };
	json_t *ev = vb_event_exported(&ex);

	json_object_set_new(ev, "client", srv_client_json(c));
	srv_emit(b, ev);
}

/* The hot path: the reply is written as text, no JSON object built. */
static void handle_export(struct vb_broker *b, struct srv_client *c, const struct vb_request *rq)
{
	struct vb_export_result x; /* export_buffer fills it (no rep stos: vb_err_empty) */
	struct vb_range whole;
	char name[VB_DMABUF_NAME_LEN];
	struct vb_err e;
	int fd = -1;

	x.released = NULL;
	x.nreleased = 0;
	vb_err_empty(&e);
	if (export_buffer(b, c, rq, &x, &whole, name, &fd, &e) < 0) {
		json_t *err = vb_proto_error_reply(rq, &e);

		if (x.nreleased) /* done before the failure: the client must know */
			json_object_set_new(err, "released", vb_proto_lease_ids(x.released, x.nreleased));
		b->errors++;
		srv_metric_refused_err(&b->metrics, &e);
		srv_client_send(b, c, err, -1);
		return;
	}
	if (srv_has_listeners(b))
		emit_exported(b, c, &x);
	/* written over the request in b->rxbuf: rq holds all of it by now */
	srv_client_send_buf(b, c, b->rxbuf,
			    vb_proto_export_reply_write(b->rxbuf, VB_PROTO_MAX_MSG + 1, rq, &x), fd);
}

/* The other hot path (a client's release between exports): the reply
 * written as text too. */
static void handle_release(struct vb_broker *b, struct srv_client *c, const struct vb_request *rq)
{
	struct srv_lease *l = held_lease(c, rq->lease);
	struct vb_err e;

	vb_err_empty(&e);
	if (!l) {
		vb_err_set(&e, VB_EXIT_NOTFOUND, 0, NULL, "lease %llu is not held by this client",
			   (unsigned long long)rq->lease);
		b->errors++;
		srv_metric_refused_err(&b->metrics, &e);
		srv_client_send(b, c, vb_proto_error_reply(rq, &e), -1);
		return;
	}
	srv_lease_release(b, l, "client-request");
	srv_client_send_buf(b, c, b->rxbuf,
			    vb_proto_release_reply_write(b->rxbuf, VB_PROTO_MAX_MSG + 1, rq, rq->lease),
			    -1);
}

static int op_reset(struct vb_broker *b, struct srv_client *c, const struct vb_request *rq,
		    json_t *reply, struct vb_err *e)
{
	struct vb_reset_outcome o;
	struct srv_device *d;
	int rc;

	if (!vb_policy_may_reset(&b->policy, &c->peer, rq->device))
		return vb_err_set(e, VB_EXIT_PERM, EACCES, rq->device,
				  "uid %u may not reset this device (no allow ... reset rule)",
				  (unsigned)c->peer.uid);
	d = served_device(b, rq->device, e);
	if (!d)
		return -1;
	/* holders hear what the attempt did to their buffers, failed or not */
	rc = vb_vfio_reset_buffers(&d->vd, &o, e);
	if (o.revoked)
		srv_device_revoke(b, d, "reset", false);
	if (o.restored)
		srv_device_restore(b, d, "reset");
	if (rc < 0)
		return -1;
	json_object_set_new(reply, "bdf", json_string(d->bdf));
	json_object_set_new(reply, "restored", json_boolean(o.restored));
	if (!o.restored)
		json_object_set_new(reply, "revoked_cause", json_string("memory-disabled"));
	return 0;
}

static int op_subscribe(struct vb_broker *b, struct srv_client *c, const struct vb_request *rq,
			json_t *reply, struct vb_err *e)
{
	bool all = vb_policy_may_monitor(&b->policy, &c->peer);
	json_t *ev;

	(void)rq, (void)e;
	json_object_set_new(reply, "scope", json_string(all ? "all" : "granted"));
	if (c->subscribed)
		return 0;
	/* for the log and other monitors (before c subscribes: not to c) */
	ev = vb_event_new("subscribed");
	json_object_set_new(ev, "client", srv_client_json(c));
	json_object_set_new(ev, "scope", json_string(all ? "all" : "granted"));
	srv_emit(b, ev);
	b->nsubscribers++;
	srv_metric_changed(&b->metrics);
	c->subscribed = true;
	return 0;
}

static json_t *limit_json(uint64_t v)
{
	return v == VB_QUOTA_UNLIMITED ? json_null() : json_integer((json_int_t)v);
}

static int op_status(struct vb_broker *b, struct srv_client *c, const struct vb_request *rq,
		     json_t *reply, struct vb_err *e)
{
	struct timespec now;
	struct vb_limits lim;
	json_t *devs = json_array();

	(void)rq, (void)e;
	clock_gettime(CLOCK_MONOTONIC, &now);
	vb_policy_limits(&b->policy, &c->peer, &lim);
	for (size_t i = 0; i < b->ndevs; i++)
		json_array_append_new(devs, json_pack("{s:s, s:s, s:I}", "bdf", b->devs[i].bdf,
						      "state", srv_device_state_name(&b->devs[i]),
						      "leases", (json_int_t)b->devs[i].nleases));
	json_object_set_new(reply, "pid", json_integer(getpid()));
	json_object_set_new(reply, "server", json_string("vfiobuf " VFIOBUF_VERSION));
	json_object_set_new(reply, "uptime", json_real((double)(now.tv_sec - b->started.tv_sec) +
						   (now.tv_nsec - b->started.tv_nsec) / 1e9));
	json_object_set_new(reply, "clients", json_integer((json_int_t)b->nclients));
	json_object_set_new(reply, "leases", json_integer((json_int_t)b->nleases));
	json_object_set_new(reply, "bytes", json_integer((json_int_t)b->bytes));
	json_object_set_new(reply, "requests", json_integer((json_int_t)b->requests));
	json_object_set_new(reply, "errors", json_integer((json_int_t)b->errors));
	json_object_set_new(reply, "subscribers", json_integer((json_int_t)b->nsubscribers));
	json_object_set_new(reply, "refused", json_integer((json_int_t)b->refused));
	json_object_set_new(reply, "devices", devs);
	json_object_set_new(reply, "you",
			    json_pack("{s:I, s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:b}",
				      "id", (json_int_t)c->id, "pid", (int)c->peer.pid, "uid",
				      (int)c->peer.uid, "gid", (int)c->peer.gid, "leases",
				      (json_int_t)c->nleases, "bytes", (json_int_t)c->bytes,
				      "uid_leases", (json_int_t)c->usage->nleases, "uid_bytes",
				      (json_int_t)c->usage->bytes, "uid_connections",
				      (json_int_t)c->usage->nconns, "quota_leases",
				      limit_json(lim.leases), "quota_bytes", limit_json(lim.bytes),
				      "quota_connections", limit_json(lim.connections), "subscribed",
				      c->subscribed));
	return 0;
}

static const op_fn handlers[VB_OP_COUNT] = {
	[VB_OP_HELLO] = op_hello,     [VB_OP_LIST] = op_list,
	[VB_OP_RESET] = op_reset,     [VB_OP_SUBSCRIBE] = op_subscribe, [VB_OP_STATUS] = op_status,
	/* export: handle_export; release: handle_release */
};

void srv_handle_request(struct vb_broker *b, struct srv_client *c, const char *buf, size_t len)
{
	struct vb_request *rq = b->rq;
	struct vb_err e;
	json_t *reply;

	vb_err_empty(&e);
	if (vb_proto_parse_request(buf, len, rq, &e) < 0) {
		b->errors++;
		srv_metric_refused_err(&b->metrics, &e);
		srv_client_send(b, c, vb_proto_error_reply(rq, &e), -1);
		return;
	}
	if (rq->op == VB_OP_EXPORT) {
		handle_export(b, c, rq);
		return;
	}
	if (rq->op == VB_OP_RELEASE) {
		handle_release(b, c, rq);
		return;
	}
	reply = vb_proto_reply(rq);
	if (handlers[rq->op](b, c, rq, reply, &e) < 0) {
		b->errors++;
		srv_metric_refused_err(&b->metrics, &e);
		json_decref(reply);
		srv_client_send(b, c, vb_proto_error_reply(rq, &e), -1);
	} else {
		srv_client_send(b, c, reply, -1);
	}
}
