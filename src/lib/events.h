/* events: the one vocabulary of events, built here for the CLI (export,
 * reset, monitor, recv) and for the daemon alike.  Each constructor returns
 * a new JSON object {"event": NAME, "time": SECONDS, ...the fields every
 * event of that name carries}; a caller adds what only it knows (the
 * daemon's "client" and "leases", the CLI's "socket") with
 * json_object_set_new.  Field names are the published interface
 * (vfiobuf-json(7)): a PCI function is "bdf", a socket path "socket", why
 * something happened "cause", unknown values null. */
#ifndef VB_EVENTS_H
#define VB_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ranges.h"

/* Seconds since the epoch, as events carry them. */
double vb_event_now(void);

/* {"event": name, "time": now}: the base of every event. */
json_t *vb_event_new(const char *name);

/* Why a buffer was revoked or restored, released or closed. */
json_t *vb_event_revoked(const char *bdf, const char *cause, bool permanent);
json_t *vb_event_restored(const char *bdf, const char *cause);
json_t *vb_event_released(int64_t lease, const char *bdf, const char *cause);
json_t *vb_event_closed(const char *bdf, const char *cause);
json_t *vb_event_sent(const char *bdf, const char *socket);

/* What an export made.  lease is -1 for the CLI's export (local or
 * --server): no "lease" (the CLI adds the daemon's lease beside "socket"),
 * and "ranges_text" the ranges as OFFSET:LENGTH text; the daemon's event
 * has its lease and no ranges_text. */
struct vb_event_export {
	int64_t lease;
	const char *bdf;
	int bar;
	const struct vb_range *ranges;
	size_t nranges;
	uint64_t size;
	const char *name;       /* the dma-buf's name */
};
json_t *vb_event_exported(const struct vb_event_export *x);
/* The same event written as text into t at time `when`, left open (the
 * caller adds its keys and closes it): the bytes json_dumps gives for
 * vb_event_exported's object with that time (unit-tested). */
struct vb_jtext;
void vb_event_exported_write(struct vb_jtext *t, const struct vb_event_export *x, double when);

/* A kernel uevent about a PCI function (monitor, the daemon); devpath
 * NULL or "": no "devpath" (the daemon's events carry none). */
json_t *vb_event_uevent(const char *action, const char *bdf, const char *driver,
			const char *devpath, uint64_t seqnum);

/* The daemon's devices. iommu_group < 0: null. */
json_t *vb_event_device_opened(const char *bdf, const char *vfio_mode, int iommu_group);
json_t *vb_event_device_closed(const char *bdf, const char *cause);
json_t *vb_event_device_error(const char *bdf, const char *error);
json_t *vb_event_aer_error(const char *bdf, uint64_t count);

/* The daemon's life. */
json_t *vb_event_stopping(const char *signal);
json_t *vb_event_shutdown(void);
json_t *vb_event_config(bool reloaded, const char *message, int rules, int quotas);
json_t *vb_event_uevent_error(const char *message);
/* serve --metrics: writing file failed (the caller adds "error"). */
json_t *vb_event_metrics_error(const char *file);

#endif
