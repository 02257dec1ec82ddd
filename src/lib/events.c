/* events: constructors of every event (see events.h). */
#include "events.h"

#include <time.h>

#include "jtext.h"
#include "proto.h"

double vb_event_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

json_t *vb_event_new(const char *name)
{
	return json_pack("{s:s, s:f}", "event", name, "time", vb_event_now());
}

/* name + {"bdf": bdf, key: value} */
static json_t *device_event(const char *name, const char *bdf, const char *key, const char *value)
{
	json_t *ev = vb_event_new(name);

	json_object_set_new(ev, "bdf", bdf ? vb_proto_text(bdf) : json_null());
	if (key)
		json_object_set_new(ev, key, value ? vb_proto_text(value) : json_null());
	return ev;
}

json_t *vb_event_revoked(const char *bdf, const char *cause, bool permanent)
{
	json_t *ev = device_event("revoked", bdf, "cause", cause);

	json_object_set_new(ev, "permanent", json_boolean(permanent));
	return ev;
}

json_t *vb_event_restored(const char *bdf, const char *cause)
{
	return device_event("restored", bdf, "cause", cause);
}

json_t *vb_event_released(int64_t lease, const char *bdf, const char *cause)
{
	json_t *ev = vb_event_new("released");

	json_object_set_new(ev, "lease", lease >= 0 ? json_integer(lease) : json_null());
	json_object_set_new(ev, "bdf", json_string(bdf));
	json_object_set_new(ev, "cause", json_string(cause));
	return ev;
}

json_t *vb_event_closed(const char *bdf, const char *cause)
{
	return device_event("closed", bdf, "cause", cause);
}

json_t *vb_event_sent(const char *bdf, const char *socket)
{
	return device_event("sent", bdf, "socket", socket);
}

json_t *vb_event_exported(const struct vb_event_export *x)
{
	json_t *ev = vb_event_new("exported");
	char text[VB_RANGES_TEXT_LEN];

	if (x->lease >= 0)
		json_object_set_new(ev, "lease", json_integer(x->lease));
	json_object_set_new(ev, "bdf", json_string(x->bdf));
	json_object_set_new(ev, "bar", json_integer(x->bar));
	json_object_set_new(ev, "ranges", vb_proto_ranges(x->ranges, x->nranges));
	json_object_set_new(ev, "ranges_text",
			    json_string(vb_ranges_format(x->ranges, x->nranges, text, sizeof(text))));
	json_object_set_new(ev, "size", json_integer((json_int_t)x->size));
	json_object_set_new(ev, "name", x->name ? vb_proto_text(x->name) : json_null());
	return ev;
}

void vb_event_exported_write(struct vb_jtext *t, const struct vb_event_export *x, double when)
{
	char text[VB_RANGES_TEXT_LEN];

	vb_jt_object(t);
	vb_jt_key(t, "event");
	vb_jt_string(t, "exported");
	vb_jt_key(t, "time");
	vb_jt_real(t, when);
	if (x->lease >= 0) {
		vb_jt_key(t, "lease");
		vb_jt_int(t, x->lease);
	}
	vb_jt_key(t, "bdf");
	vb_jt_string(t, x->bdf);
	vb_jt_key(t, "bar");
	vb_jt_int(t, x->bar);
	vb_jt_key(t, "ranges");
	vb_jt_array(t);
	for (size_t i = 0; i < x->nranges; i++) {
		vb_jt_key(t, NULL);
		vb_jt_object(t);
		vb_jt_key(t, "offset");
		vb_jt_int(t, (int64_t)x->ranges[i].offset);
		vb_jt_key(t, "length");
		vb_jt_int(t, (int64_t)x->ranges[i].length);
		vb_jt_end_object(t);
	}
	vb_jt_end_array(t);
	vb_jt_key(t, "ranges_text");
	vb_jt_string(t, vb_ranges_format(x->ranges, x->nranges, text, sizeof(text)));
	vb_jt_key(t, "size");
	vb_jt_int(t, (int64_t)x->size);
	vb_jt_key(t, "name");
	vb_jt_string(t, x->name);
}

json_t *vb_event_uevent(const char *action, const char *bdf, const char *driver,
			const char *devpath, uint64_t seqnum)
{
	json_t *ev = device_event("uevent", bdf, "action", action);

	json_object_set_new(ev, "driver", driver && *driver ? vb_proto_text(driver) : json_null());
	json_object_set_new(ev, "seqnum", json_integer((json_int_t)seqnum));
	if (devpath && *devpath)
		json_object_set_new(ev, "devpath", vb_proto_text(devpath));
	return ev;
}

json_t *vb_event_device_opened(const char *bdf, const char *vfio_mode, int iommu_group)
{
	json_t *ev = device_event("device-opened", bdf, "vfio_mode", vfio_mode);

	json_object_set_new(ev, "iommu_group", iommu_group >= 0 ? json_integer(iommu_group) : json_null());
	return ev;
}

json_t *vb_event_device_closed(const char *bdf, const char *cause)
{
	return device_event("device-closed", bdf, "cause", cause);
}

json_t *vb_event_device_error(const char *bdf, const char *error)
{
	return device_event("device-error", bdf, "error", error);
}

json_t *vb_event_aer_error(const char *bdf, uint64_t count)
{
	json_t *ev = device_event("aer-error", bdf, NULL, NULL);

	json_object_set_new(ev, "count", json_integer((json_int_t)count));
	return ev;
}

json_t *vb_event_stopping(const char *signal)
{
	json_t *ev = vb_event_new("stopping");

	json_object_set_new(ev, "signal", json_string(signal));
	return ev;
}

json_t *vb_event_shutdown(void)
{
	return vb_event_new("shutdown");
}

json_t *vb_event_config(bool reloaded, const char *message, int rules, int quotas)
{
	json_t *ev = vb_event_new(reloaded ? "config-reloaded" : "config-error");

	if (!reloaded) {
		json_object_set_new(ev, "message", vb_proto_text(message ? message : ""));
		json_object_set_new(ev, "kept", json_string("the previous policy"));
	}
	json_object_set_new(ev, "rules", json_integer(rules));
	json_object_set_new(ev, "quotas", json_integer(quotas));
	return ev;
}

json_t *vb_event_metrics_error(const char *file)
{
	json_t *ev = vb_event_new("metrics-error");

	json_object_set_new(ev, "file", vb_proto_text(file));
	return ev;
}

json_t *vb_event_uevent_error(const char *message)
{
	json_t *ev = vb_event_new("uevent-error");

	json_object_set_new(ev, "message", vb_proto_text(message));
	return ev;
}
