/* bind_state: what vfiobuf bound, so that unbind restores the right driver
 * from any shell, even after a crash.  A JSON file (default
 * /run/vfiobuf/state.json under the fake root) written atomically. */
#ifndef VB_BIND_STATE_H
#define VB_BIND_STATE_H

#include <jansson.h>
#include <stdbool.h>

#include "sysfs.h"
#include "vb_error.h"

struct vb_bind_state {
	char path[PATH_MAX];
	json_t *root; /* {"version":1,"devices":{BDF:{"driver":..,"override":..,"time":..}}} */
};

/* path NULL: the default under s's root.  A missing file is an empty state;
 * a corrupt one is an error naming the file. */
int vb_bind_state_load(const struct vb_sys *s, const char *path, struct vb_bind_state *st,
		       struct vb_err *e);
/* Write temp + fsync + rename (creating the directory). */
int vb_bind_state_save(struct vb_bind_state *st, struct vb_err *e);
void vb_bind_state_free(struct vb_bind_state *st);

/* Original driver recorded for bdf ("" = it had none); false when absent. */
bool vb_bind_state_get(const struct vb_bind_state *st, const char *bdf, char *driver, size_t n);
void vb_bind_state_put(struct vb_bind_state *st, const char *bdf, const char *driver);
void vb_bind_state_drop(struct vb_bind_state *st, const char *bdf);



/* Persistent overrides (like driverctl): ROOT/etc/vfiobuf/overrides, one
 * "BDF DRIVER" line each, applied at boot by `vfiobuf bind --from-config`. */
int vb_persist_set(const struct vb_sys *s, const char *bdf, const char *driver,
		   struct vb_err *e); /* driver NULL: remove */
/* Fill bdfs with the devices recorded for vfio-pci; returns the count. */
int vb_persist_list(const struct vb_sys *s, char (*bdfs)[16], int max);
#endif
