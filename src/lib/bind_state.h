/* bind_state: what vfiobuf bound, so that unbind restores the right driver
 * from any shell, even after a crash.  A JSON file (default
 * /run/vfiobuf/state.json under the fake root), mode 0644 (`list` reads it
 * as any user), replaced atomically: a unique temporary file in the same
 * directory (mkstemp), fsync, rename, fsync of the directory.
 *
 * Writers serialise on an flock of FILE.lock (mode 0600, so that only
 * root can take it) held from load to the last save: vb_bind_state_lock().
 * Everything read back is checked as strictly as the command line: keys
 * are canonical addresses, drivers are driver names (vb_driver_name_ok).
 */
#ifndef VB_BIND_STATE_H
#define VB_BIND_STATE_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>

#include "bdf.h"
#include "sysfs.h"
#include "vb_error.h"

/* A driver is a directory of /sys/bus/pci/drivers: at most NAME_MAX bytes. */
#define VB_DRIVER_NAME_MAX NAME_MAX
/* Seconds a writer waits for another one's lock before giving up (exit 6). */
#define VB_STATE_LOCK_WAIT 30

struct vb_bind_state {
	char path[PATH_MAX];
	json_t *root; /* {"version":1,"devices":{BDF:{"driver":..,"pending":..,"time":..}}} */
	bool locked;  /* lock_fd holds the flock of path.lock */
	int lock_fd;
};

/* Is name a driver name vfiobuf will use in a sysfs path: 1 to
 * VB_DRIVER_NAME_MAX bytes of letters, digits and _ - . + :, and not "."
 * or "..".  Every driver name from the command line, the state file and
 * the overrides file goes through it. */
bool vb_driver_name_ok(const char *name);

/* Read-only load (list, dry runs): path NULL is the default under s's
 * root.  A missing file is an empty state; a corrupt one, or one with an
 * entry that is not a canonical address with a valid driver name, is an
 * error naming the file (root stays NULL). */
int vb_bind_state_load(const struct vb_sys *s, const char *path, struct vb_bind_state *st,
		       struct vb_err *e);
/* The same checks on a state text in memory (len bytes; a fuzz target's
 * entry): 0 with st->root, or -1 with e.  Free st either way. */
int vb_bind_state_parse(const char *text, size_t len, struct vb_bind_state *st,
			struct vb_err *e);
/* For load-modify-save: create the directory, take the lock (waiting at
 * most VB_STATE_LOCK_WAIT s), then load.  The lock is kept, even when the
 * load fails (st->root NULL then), until vb_bind_state_free(). */
int vb_bind_state_lock(const struct vb_sys *s, const char *path, struct vb_bind_state *st,
		       struct vb_err *e);
/* Write a unique temp file + fsync + rename + fsync the directory. */
int vb_bind_state_save(struct vb_bind_state *st, struct vb_err *e);
/* Drop the tree and the lock.  Safe on a zeroed struct. */
void vb_bind_state_free(struct vb_bind_state *st);

/* Original driver recorded for bdf ("" = it had none); false when absent
 * or when n is too small for it (never a cut name). */
bool vb_bind_state_get(const struct vb_bind_state *st, const char *bdf, char *driver, size_t n);
/* Record bdf's original driver; pending marks a record written before the
 * device is moved (cleared once the move is confirmed). */
void vb_bind_state_put(struct vb_bind_state *st, const char *bdf, const char *driver,
		       bool pending);
void vb_bind_state_drop(struct vb_bind_state *st, const char *bdf);

/* Persistent overrides (like driverctl): ROOT/etc/vfiobuf/overrides, one
 * "BDF DRIVER" line each, applied at boot by `vfiobuf bind --from-config`.
 * Rewritten under an flock of overrides.lock, through a unique temp file
 * given mode 0644 explicitly (not left to the umask). */
int vb_persist_set(const struct vb_sys *s, const char *bdf, const char *driver,
		   struct vb_err *e); /* driver NULL: remove */
struct vb_persist_entry {
	struct vb_bdf bdf;
	char driver[VB_DRIVER_NAME_MAX + 1];
};
/* Every recorded device with its driver, in file order, malloc'd into
 * *out (free it); returns the count.  A line that is not "BDF DRIVER" with
 * a valid address and driver name is an error naming the file and line
 * (-1).  Which of them are VFIO drivers is the caller's question (bind:
 * vb_bind_config_devices). */
int vb_persist_list(const struct vb_sys *s, struct vb_persist_entry **out, struct vb_err *e);
/* The same on an overrides text in memory (len bytes; a fuzz target's
 * entry). */
int vb_persist_parse(const char *text, size_t len, struct vb_persist_entry **out,
		     struct vb_err *e);
#endif
