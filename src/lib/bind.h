/* bind: hand PCI functions (whole IOMMU groups) to a VFIO driver and back,
 * through driver_override + unbind + drivers_probe, verifying the driver
 * link after every step, rolling a failed multi-device bind back to the
 * exact previous drivers.  Never uses vfio-pci's global new_id. */
#ifndef VB_BIND_H
#define VB_BIND_H

#include <stdbool.h>

#include "bdf.h"
#include "bind_state.h"
#include "modalias.h"
#include "sysfs.h"
#include "vb_error.h"
#include "vfio_driver.h"

/* How a device's VFIO driver was chosen (bind). */
enum vb_bind_why {
	VB_BIND_WHY_NONE = 0, /* unbind: not a choice */
	VB_BIND_WHY_ALIAS,    /* the most specific vfio_pci: alias matched */
	VB_BIND_WHY_FALLBACK, /* no variant alias matched: vfio-pci */
	VB_BIND_WHY_FORCED,   /* --driver */
	VB_BIND_WHY_CURRENT,  /* already on a VFIO driver: left alone */
};

struct vb_bind_dev {
	char name[VB_BDF_STRLEN];
	char driver[VB_DRIVER_NAME_MAX + 1]; /* driver before the operation ("" = none) */
	char target[VB_DRIVER_NAME_MAX + 1]; /* driver wanted after it ("" = none) */
	int group;           /* IOMMU group, -1 none */
	bool on_vfio;        /* driver is a VFIO driver (vb_vfio_driver_is_vfio) */
	bool requested;      /* named on the command line (else: group member) */
	bool changed;        /* the operation wrote something for it */
	enum vb_bind_why why; /* how target was chosen (bind) */
	char module[VB_MODULE_NAME_MAX + 1]; /* module to load for target ("" none) */
	char *alias;         /* VB_BIND_WHY_ALIAS: the alias ("vfio_pci:..."), malloc'd */
	char modalias[128];  /* the device's modalias ("" unknown) */
	bool kept_record;    /* a record of its driver existed: left as it was */
	const char *forced;  /* its driver from vb_bind_opts.dev_drivers, or NULL */
	char vfio_node[32];  /* /dev/vfio/N after a bind */
	char cdev_node[sizeof("/dev/vfio/devices/") + NAME_MAX];
};

/* As many devices as the groups hold: no fixed limit. */
struct vb_bind_plan {
	struct vb_bind_dev *dev;
	int n, cap;
	char alias_file[PATH_MAX]; /* modules.alias read for the choice ("" none) */
	char index_problem[PATH_MAX + 96]; /* why a module index file was not read */
};

void vb_bind_plan_free(struct vb_bind_plan *p);

/* Reports every sysfs write, before it is made (or instead, in dry-run). */
typedef void (*vb_bind_log_fn)(void *ctx, const char *path, const char *value);

struct vb_bind_opts {
	bool group;            /* bind the whole IOMMU group */
	bool dry_run;          /* report the writes, make none */
	bool force;            /* skip the in-use checks */
	const char *driver;    /* bind: this VFIO driver (checked), not the choice */
	const char *const *dev_drivers; /* NULL, or per device named to vb_bind_plan:
					 * its VFIO driver (checked; NULL: as above) */
	const char *fault_bdf; /* test hook: make this device's probe "fail" */
	vb_bind_log_fn log;
	void *log_ctx;
};

/* Resolve the devices to bind: check they exist, read their drivers and
 * groups, add the group's other non-bridge members with --group, or refuse
 * naming them; choose each one's VFIO driver: o->driver when given (refused,
 * exit 2, unless a VFIO driver by vb_vfio_driver_is_vfio_or_loadable), else
 * its current driver when that is a VFIO driver, else the driver of the
 * most specific vfio_pci: alias matching its modalias (modalias.h), else
 * vfio-pci.  Nothing is written.  Free p with vb_bind_plan_free (also
 * after a failure). */
int vb_bind_plan(const struct vb_sys *s, const struct vb_bdf *bdfs, int n,
		 const struct vb_bind_opts *o, struct vb_bind_plan *p, struct vb_err *e);

/* The devices the overrides file records for a VFIO driver (by
 * vb_vfio_driver_is_vfio_or_loadable), with those drivers, malloc'd into
 * *out; lines for other drivers (a driverctl-style host override) are not
 * vfiobuf's and left out.  Returns the count, -1 on a bad file. */
int vb_bind_config_devices(const struct vb_sys *s, struct vb_persist_entry **out,
			   struct vb_err *e);

/* Bind every planned device to its chosen driver (loading its module with
 * modprobe when the driver is missing; already there: a no-op), all or
 * nothing: on any failure every changed device is rolled back.  With st
 * (locked, loaded), the original drivers are recorded and saved before
 * anything moves (marked pending), confirmed after: never a moved device
 * without a record.  A failed save before the move changes nothing. */
int vb_bind_run(const struct vb_sys *s, struct vb_bind_plan *p, const struct vb_bind_opts *o,
		struct vb_bind_state *st, struct vb_err *e);

/* What to give devices back to: the driver recorded when vfiobuf bound
 * them (the default), another driver, or none.  force lets a device that
 * is on a VFIO driver without a record go to whatever the kernel picks. */
enum vb_unbind_target { VB_UNBIND_RECORDED = 0, VB_UNBIND_DRIVER, VB_UNBIND_NONE };
struct vb_unbind_opts {
	enum vb_unbind_target target;
	const char *driver;    /* VB_UNBIND_DRIVER */
	bool force;
};

/* Plan giving devices back: check they exist, read their drivers, and set
 * each target from u and the state st (loaded; may hold no tree when u
 * needs none).  Nothing is written.  Free p with vb_bind_plan_free. */
int vb_unbind_plan(const struct vb_sys *s, const struct vb_bdf *bdfs, int n,
		   const struct vb_unbind_opts *u, const struct vb_bind_state *st,
		   struct vb_bind_plan *p, struct vb_err *e);

/* Give devices back: target is the driver to restore (from the state file,
 * or --driver), "" for none.  p->dev[i].target must be set by the caller.
 * With st (locked, loaded), each device's record is dropped once it moved
 * and st is saved at the end, after a failure too. */
int vb_unbind_run(const struct vb_sys *s, struct vb_bind_plan *p,
		  const struct vb_bind_opts *o, struct vb_bind_state *st, struct vb_err *e);

/* The driver a device is bound to now into buf ("" when none).  Returns 0,
 * or -errno when the driver link cannot be read (never "" for a driver
 * whose name does not fit: buf should hold VB_DRIVER_NAME_MAX + 1). */
int vb_current_driver(const struct vb_sys *s, const char *bdf, char *buf, size_t n);

#endif
