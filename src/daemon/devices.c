/* devices: served devices, leases, revocation.  See devices.h. */
#include "devices.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "clients.h"
#include "events.h"
#include "vfio_driver.h"

struct srv_device *srv_device_find(struct vb_broker *b, const char *bdf)
{
	for (size_t i = 0; i < b->ndevs; i++)
		if (!strcmp(b->devs[i].bdf, bdf))
			return &b->devs[i];
	return NULL;
}

static int watch_irq(struct vb_broker *b, struct srv_device *d, uint32_t index, int *efd,
		     struct srv_ep_tag *tag, enum srv_ep_kind kind, struct vb_err *e)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	*efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (*efd < 0)
		return vb_err_set(e, VB_EXIT_FAIL, errno, d->bdf, "eventfd failed");
	tag->kind = kind;
	if (vb_vfio_set_irq_eventfd(&d->vd, index, *efd, e) < 0 ||
	    epoll_ctl(b->epfd, EPOLL_CTL_ADD, *efd, &ev) < 0) {
		close(*efd);
		*efd = -1;
		return e->msg[0] ? -1 : vb_err_set(e, VB_EXIT_FAIL, errno, d->bdf, "epoll_ctl failed");
	}
	return 0;
}

static void unwatch_irq(struct vb_broker *b, int *efd)
{
	if (*efd < 0)
		return;
	epoll_ctl(b->epfd, EPOLL_CTL_DEL, *efd, NULL);
	close(*efd);
	*efd = -1;
}

static void read_bars(struct vb_broker *b, struct srv_device *d)
{
	struct vb_err e = { 0 };

	for (int i = 0; i < VB_MAX_BARS; i++)
		if (vb_pci_read_bar(b->opts.sys, d->bdf, i, &d->bars[i], &d->bar_present[i], &e) < 0)
			d->bar_present[i] = false;
}

static void device_closed(struct vb_broker *b, struct srv_device *d, const char *reason)
{
	unwatch_irq(b, &d->req_efd);
	unwatch_irq(b, &d->err_efd);
	if (d->state == SRV_DEV_OPEN)
		vb_vfio_close(&d->vd);
	d->state = SRV_DEV_CLOSED;
	srv_metric_changed(&b->metrics);
	d->revoked = false;
	snprintf(d->closed_reason, sizeof(d->closed_reason), "%s", reason);
}

static int device_open(struct vb_broker *b, struct srv_device *d, struct vb_err *e)
{
	struct vb_err ignored = { 0 };

	if (vb_vfio_open(b->opts.sys, d->bdf, b->opts.mode, &d->vd, e) < 0)
		return -1;
	d->state = SRV_DEV_OPEN;
	srv_metric_changed(&b->metrics);
	d->closed_reason[0] = '\0';
	read_bars(b, d);
	if (watch_irq(b, d, VFIO_PCI_REQ_IRQ_INDEX, &d->req_efd, &d->req_tag, SRV_EP_DEV_REQ, e) < 0) {
		device_closed(b, d, "error");
		return -1;
	}
	/* Not every device has AER: an error eventfd is a bonus. */
	watch_irq(b, d, VFIO_PCI_ERR_IRQ_INDEX, &d->err_efd, &d->err_tag, SRV_EP_DEV_ERR, &ignored);
	d->revoked = vb_vfio_memory_enabled(&d->vd, &ignored) == 0;
	return 0;
}

static int add_device(struct vb_broker *b, const char *bdf, size_t cap)
{
	struct vb_bdf parsed;
	struct srv_device *d;

	if (vb_bdf_parse(bdf, &parsed) < 0)
		return -1;
	if (b->ndevs == cap)
		return 0;
	d = &b->devs[b->ndevs];
	memset(d, 0, sizeof(*d));
	vb_bdf_format(&parsed, d->bdf);
	if (srv_device_find(b, d->bdf))
		return 0; /* listed twice */
	d->state = SRV_DEV_CLOSED;
	d->req_efd = d->err_efd = -1;
	b->ndevs++;
	return 0;
}

/* A previous owner that just died (a daemon killed and restarted at once)
 * may still be releasing the device: busy is retried for up to 3 s. */
static int device_open_retry(struct vb_broker *b, struct srv_device *d, struct vb_err *e)
{
	struct timespec pause = { 0, 100 * 1000 * 1000 };

	for (int i = 0;; i++) {
		vb_err_clear(e);
		if (device_open(b, d, e) == 0)
			return 0;
		if (e->exit_code != VB_EXIT_BUSY || i == 30)
			return -1;
		nanosleep(&pause, NULL);
	}
}

static json_t *opened_event(const struct srv_device *d)
{
	return vb_event_device_opened(d->bdf, vb_vfio_mode_name(d->vd.mode), d->vd.group);
}

int srv_devices_open_all(struct vb_broker *b, struct vb_err *e)
{
	size_t cap = b->opts.ndevices + b->policy.ndevices;

	b->devs = calloc(cap ? cap : 1, sizeof(*b->devs));
	if (!b->devs)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	for (size_t i = 0; i < b->opts.ndevices; i++)
		if (add_device(b, b->opts.devices[i], cap) < 0)
			return vb_err_set(e, VB_EXIT_USAGE, 0, b->opts.devices[i],
					  "not a PCI address");
	for (size_t i = 0; i < b->policy.ndevices; i++)
		add_device(b, b->policy.devices[i], cap);
	for (size_t i = 0; i < b->ndevs; i++) {
		if (device_open_retry(b, &b->devs[i], e) < 0) {
			for (size_t j = 0; j < i; j++)
				device_closed(b, &b->devs[j], "error");
			return -1;
		}
		srv_emit(b, opened_event(&b->devs[i]));
	}
	return 0;
}

/* Append the ids of c's leases on d to ids. */
static void add_lease_ids(json_t *ids, const struct srv_client *c, const struct srv_device *d)
{
	for (const struct srv_lease *l = c->leases; l; l = l->next)
		if (l->dev == d)
			json_array_append_new(ids, json_integer((json_int_t)l->id));
}

/* An event about d: to the log and subscribers with every lease, and to
 * each unsubscribed lease holder with its own (in parts when long). */
static void emit_device_event(struct vb_broker *b, struct srv_device *d, json_t *ev)
{
	json_t *all = json_array();

	for (struct srv_client *c = b->clients; c; c = c->next) {
		json_t *mine = json_array();

		add_lease_ids(mine, c, d);
		json_array_extend(all, mine);
		if (!c->subscribed && !c->dead && json_array_size(mine))
			srv_client_push_leases(b, c, ev, mine);
		else
			json_decref(mine);
	}
	srv_emit_leases(b, ev, all);
}

static void release_device_leases(struct vb_broker *b, struct srv_device *d, const char *cause)
{
	for (struct srv_client *c = b->clients; c; c = c->next) {
		struct srv_lease *l = c->leases, *next;

		for (; l; l = next) {
			next = l->next;
			if (l->dev == d)
				srv_lease_release(b, l, cause);
		}
	}
}

void srv_device_revoke(struct vb_broker *b, struct srv_device *d, const char *cause, bool permanent)
{
	srv_metric_revoke(&b->metrics, cause);
	emit_device_event(b, d, vb_event_revoked(d->bdf, cause, permanent));
	if (!permanent) {
		d->revoked = true;
		return;
	}
	release_device_leases(b, d, "device-closed");
	device_closed(b, d, cause);
	srv_emit(b, vb_event_device_closed(d->bdf, cause));
}

void srv_device_restore(struct vb_broker *b, struct srv_device *d, const char *cause)
{
	d->revoked = false;
	srv_metric_changed(&b->metrics);
	emit_device_event(b, d, vb_event_restored(d->bdf, cause));
}

void srv_devices_close_all(struct vb_broker *b, const char *cause)
{
	for (size_t i = 0; i < b->ndevs; i++)
		if (b->devs[i].state == SRV_DEV_OPEN)
			srv_device_revoke(b, &b->devs[i], cause, true);
}

/* Someone unbinds (or removes) the device: the kernel waits for us to
 * close it.  Revoke, tell the holders, close; keep serving the rest. */
void srv_device_on_request(struct vb_broker *b, struct srv_device *d)
{
	uint64_t count = 0;

	if (read(d->req_efd, &count, sizeof(count)) != sizeof(count) || d->state != SRV_DEV_OPEN)
		return;
	srv_device_revoke(b, d, "unbind-requested", true);
}

void srv_device_on_error(struct vb_broker *b, struct srv_device *d)
{
	uint64_t count = 0;

	if (read(d->err_efd, &count, sizeof(count)) != sizeof(count))
		return;
	srv_emit(b, vb_event_aer_error(d->bdf, count));
}

void srv_device_on_uevent(struct vb_broker *b, const struct vb_uevent *u)
{
	struct srv_device *d = u->slot[0] ? srv_device_find(b, u->slot) : NULL;
	struct vb_err e = { 0 };
	json_t *ev;

	if (!d)
		return;
	srv_emit(b, vb_event_uevent(u->action, d->bdf, u->driver, u->devpath, u->seqnum));
	if (!strcmp(u->action, "remove")) {
		if (d->state == SRV_DEV_OPEN)
			srv_device_revoke(b, d, "removed", true);
		snprintf(d->closed_reason, sizeof(d->closed_reason), "removed");
		return;
	}
	/* Back on a VFIO driver after an unbind: serve it again. */
	if (!strcmp(u->action, "bind") && d->state == SRV_DEV_CLOSED &&
	    vb_vfio_driver_is_vfio(b->opts.sys, u->driver)) {
		if (device_open(b, d, &e) < 0) {
			snprintf(d->last_error, sizeof(d->last_error), "%s", e.msg);
			ev = vb_event_device_error(d->bdf, NULL);
			json_object_set_new(ev, "error", vb_proto_error_object(&e));
		} else {
			ev = opened_event(d);
		}
		srv_emit(b, ev);
	}
}

const char *srv_device_state_name(const struct srv_device *d)
{
	if (d->state == SRV_DEV_CLOSED)
		return "closed";
	return d->revoked ? "revoked" : "open";
}

json_t *srv_device_json(struct vb_broker *b, const struct srv_device *d,
			const struct vb_peer *peer)
{
	json_t *bars = json_array();
	json_t *j = json_pack("{s:s, s:s}", "bdf", d->bdf, "state", srv_device_state_name(d));

	json_object_set_new(j, "closed_reason",
			    d->state == SRV_DEV_CLOSED ? json_string(d->closed_reason) : json_null());
	json_object_set_new(j, "vfio_mode",
			    d->state == SRV_DEV_OPEN ? json_string(vb_vfio_mode_name(d->vd.mode)) : json_null());
	json_object_set_new(j, "iommu_group",
			    d->state == SRV_DEV_OPEN ? json_integer(d->vd.group) : json_null());
	json_object_set_new(j, "leases", json_integer((json_int_t)d->nleases));
	json_object_set_new(j, "may_reset", json_boolean(vb_policy_may_reset(&b->policy, peer, d->bdf)));
	for (int i = 0; i < VB_MAX_BARS; i++) {
		const struct vb_bar *bar = &d->bars[i];

		if (!d->bar_present[i] || bar->is_io)
			continue;
		json_array_append_new(
			bars, json_pack("{s:i, s:I, s:b, s:b, s:b}", "index", i, "size",
					(json_int_t)bar->size, "prefetchable", bar->prefetchable,
					"is_64bit", bar->is_64bit, "may_export",
					vb_policy_may_export_some(&b->policy, peer, d->bdf, i)));
	}
	json_object_set_new(j, "bars", bars);
	return j;
}

struct srv_lease *srv_lease_add(struct vb_broker *b, struct srv_client *c, struct srv_device *d,
				int bar, uint64_t size)
{
	struct srv_lease *l = malloc(sizeof(*l)); /* every field set below */

	if (!l)
		return NULL;
	*l = (struct srv_lease){ ++b->next_lease_id, c, d, bar, size, c->leases };
	c->leases = l;
	c->nleases++;
	c->bytes += size;
	c->usage->nleases++;
	c->usage->bytes += size;
	d->nleases++;
	b->nleases++;
	b->bytes += size;
	srv_metric_export(&b->metrics);
	return l;
}

void srv_lease_release(struct vb_broker *b, struct srv_lease *l, const char *cause)
{
	struct srv_client *c = l->owner;
	json_t *ev;

	for (struct srv_lease **p = &c->leases; *p; p = &(*p)->next)
		if (*p == l) {
			*p = l->next;
			break;
		}
	c->nleases--;
	c->bytes -= l->size;
	c->usage->nleases--;
	c->usage->bytes -= l->size;
	l->dev->nleases--;
	b->nleases--;
	b->bytes -= l->size;
	srv_metric_release(&b->metrics, cause);
	if (!srv_has_listeners(b)) {
		free(l);
		return;
	}
	ev = vb_event_released((int64_t)l->id, l->dev->bdf, cause);
	json_object_set_new(ev, "bar", json_integer(l->bar));
	json_object_set_new(ev, "size", json_integer((json_int_t)l->size));
	json_object_set_new(ev, "client", srv_client_json(c));
	free(l);
	srv_emit(b, ev);
}

void srv_leases_release_all(struct vb_broker *b, struct srv_client *c, const char *cause)
{
	while (c->leases)
		srv_lease_release(b, c->leases, cause);
}
