/* bind: the bind/unbind transaction engine (see bind.h). */
#include "bind.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bind_safety.h"

void vb_current_driver(const struct vb_sys *s, const char *bdf, char *buf, size_t n)
{
	if (vb_sys_readlink_base(s, buf, n, "bus/pci/devices/%s/driver", bdf) < 0)
		buf[0] = '\0';
}

static bool is_bridge(const struct vb_sys *s, const char *bdf)
{
	char cls[16];

	return vb_sys_read(s, cls, sizeof(cls), "bus/pci/devices/%s/class", bdf) > 0 &&
	       strncmp(cls, "0x0604", 6) == 0;
}

static struct vb_bind_dev *plan_add(struct vb_bind_plan *p, const struct vb_sys *s,
				    const char *bdf, bool requested)
{
	struct vb_bind_dev *d;

	for (int i = 0; i < p->n; i++)
		if (strcmp(p->dev[i].name, bdf) == 0) {
			p->dev[i].requested |= requested;
			return &p->dev[i];
		}
	if (p->n == VB_BIND_MAX)
		return NULL;
	d = &p->dev[p->n++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", bdf);
	vb_current_driver(s, bdf, d->driver, sizeof(d->driver));
	d->group = vb_sys_iommu_group(s, bdf);
	d->requested = requested;
	return d;
}

/* Members of a group that keep it from being viable: not bridges, not on
 * vfio-pci, not driverless, and not in the plan. */
static int group_blockers(const struct vb_sys *s, int group, const struct vb_bind_plan *p,
			  const struct vb_bind_opts *o, struct vb_bind_plan *add, char *list,
			  size_t n)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *de;
	int count = 0;
	size_t len = 0;

	list[0] = '\0';
	if (vb_sys_path(s, dir, sizeof(dir), "kernel/iommu_groups/%d/devices", group) < 0 ||
	    !(d = opendir(dir)))
		return 0;
	while ((de = readdir(d))) {
		char drv[64];
		bool planned = false;

		if (de->d_name[0] == '.' || is_bridge(s, de->d_name))
			continue;
		for (int i = 0; i < p->n; i++)
			planned |= strcmp(p->dev[i].name, de->d_name) == 0;
		vb_current_driver(s, de->d_name, drv, sizeof(drv));
		if (planned || !drv[0] || strcmp(drv, VB_VFIO_DRIVER) == 0)
			continue;
		if (o->group && add)
			plan_add(add, s, de->d_name, false);
		len += (size_t)snprintf(list + len, len < n ? n - len : 0, "%s%s (%s)",
					count ? ", " : "", de->d_name, drv);
		count++;
	}
	closedir(d);
	return count;
}

int vb_bind_plan(const struct vb_sys *s, const struct vb_bdf *bdfs, int n,
		 const struct vb_bind_opts *o, struct vb_bind_plan *p, struct vb_err *e)
{
	char name[VB_BDF_STRLEN], list[512];
	int requested;

	memset(p, 0, sizeof(*p));
	for (int i = 0; i < n; i++) {
		vb_bdf_format(&bdfs[i], name);
		if (!vb_sys_exists(s, "bus/pci/devices/%s", name))
			return vb_err_set(e, VB_EXIT_NOTFOUND, 0, name, "no such PCI device");
		if (!plan_add(p, s, name, true))
			return vb_err_set(e, VB_EXIT_USAGE, 0, name, "too many devices (at most %d)",
					  VB_BIND_MAX);
	}
	requested = p->n;
	for (int i = 0; i < requested; i++) {
		struct vb_bind_dev *d = &p->dev[i];

		if (d->group < 0)
			return vb_err_set(e, VB_EXIT_NOTSUP, 0, d->name,
					  "has no IOMMU group: VFIO needs an IOMMU (see 'vfiobuf doctor')");
		if (is_bridge(s, d->name))
			return vb_err_set(e, VB_EXIT_USAGE, 0, d->name,
					  "is a PCI bridge; bridges stay with their driver");
		if (group_blockers(s, d->group, p, o, p, list, sizeof(list)) && !o->group)
			return vb_err_set(e, VB_EXIT_BUSY, 0, d->name,
					  "IOMMU group %d also holds %s: bind them too, or use --group",
					  d->group, list);
	}
	return 0;
}

static int sys_write(const struct vb_sys *s, const struct vb_bind_opts *o, const char *value,
		     const char *rel)
{
	char path[PATH_MAX];

	vb_sys_path(s, path, sizeof(path), "%s", rel);
	if (o->log)
		o->log(o->log_ctx, path, value);
	return o->dry_run ? 0 : vb_write_file(path, value);
}

static int write_attr(const struct vb_sys *s, const struct vb_bind_opts *o, const char *value,
		      const char *fmt, const char *a, const char *b)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), fmt, a, b);
	return sys_write(s, o, value, rel);
}

/* modprobe vfio-pci when its driver directory is missing (real systems). */
static int load_vfio_pci(const struct vb_sys *s, const struct vb_bind_opts *o, struct vb_err *e)
{
	pid_t pid;
	int status;

	if (vb_sys_exists(s, "bus/pci/drivers/%s", VB_VFIO_DRIVER) || s->fake || o->dry_run)
		return 0;
	pid = fork();
	if (pid == 0) {
		execlp("modprobe", "modprobe", "vfio-pci", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0 || !vb_sys_exists(s, "bus/pci/drivers/%s", VB_VFIO_DRIVER))
		return vb_err_set(e, VB_EXIT_NOTSUP, 0, NULL,
				  "cannot load the vfio-pci module (modprobe vfio-pci failed)");
	return 0;
}

/* Move one device from its driver to `target` ("" = none), through
 * driver_override (target or cleared), unbind and drivers_probe / bind,
 * then check the driver link. */
static int move_device(const struct vb_sys *s, const struct vb_bind_opts *o,
		       struct vb_bind_dev *d, const char *target, const char *override,
		       struct vb_err *e)
{
	char now[64];
	int rc;

	d->changed = true;
	rc = write_attr(s, o, override, "bus/pci/devices/%s/driver_override%s", d->name, "");
	if (rc < 0)
		return vb_err_set(e, vb_exit_from_errno(-rc), -rc, d->name,
				  "cannot write driver_override");
	vb_current_driver(s, d->name, now, sizeof(now));
	if (now[0] && strcmp(now, target) != 0) {
		rc = write_attr(s, o, d->name, "bus/pci/drivers/%s/unbind%s", now, "");
		if (rc < 0)
			return vb_err_set(e, vb_exit_from_errno(-rc), -rc, d->name,
					  "cannot unbind it from %s", now);
	}
	if (!target[0] || (now[0] && strcmp(now, target) == 0))
		return 0;
	if (vb_sys_exists(s, "bus/pci/drivers/%s", target) && strcmp(target, VB_VFIO_DRIVER) != 0)
		rc = write_attr(s, o, d->name, "bus/pci/drivers/%s/bind%s", target, "");
	else
		rc = sys_write(s, o, d->name, "bus/pci/drivers_probe");
	if (o->dry_run)
		return 0;
	vb_current_driver(s, d->name, now, sizeof(now));
	if (o->fault_bdf && strcmp(o->fault_bdf, d->name) == 0)
		return vb_err_set(e, VB_EXIT_FAIL, EIO, d->name,
				  "%s did not claim it (injected failure)", target);
	if (strcmp(now, target) != 0)
		return vb_err_set(e, VB_EXIT_FAIL, rc < 0 ? -rc : 0, d->name,
				  "%s did not claim it (driver is now %s)", target,
				  now[0] ? now : "none");
	return 0;
}

static void nodes_of(const struct vb_sys *s, struct vb_bind_dev *d)
{
	char path[PATH_MAX];
	DIR *dir;
	struct dirent *de;

	snprintf(d->vfio_node, sizeof(d->vfio_node), "/dev/vfio/%d", d->group);
	d->cdev_node[0] = '\0';
	if (vb_sys_path(s, path, sizeof(path), "bus/pci/devices/%s/vfio-dev", d->name) < 0 ||
	    !(dir = opendir(path)))
		return;
	while ((de = readdir(dir)))
		if (strncmp(de->d_name, "vfio", 4) == 0 &&
		    vb_sys_exists(s, "bus/pci/devices/%s/vfio-dev/%.60s/dev", d->name, de->d_name))
			snprintf(d->cdev_node, sizeof(d->cdev_node), "/dev/vfio/devices/%.40s",
				 de->d_name);
	closedir(dir);
}

/* Put every changed device back on its original driver. */
static void rollback(const struct vb_sys *s, struct vb_bind_plan *p,
		     const struct vb_bind_opts *o)
{
	for (int i = p->n - 1; i >= 0; i--) {
		struct vb_bind_dev *d = &p->dev[i];
		struct vb_err ignore = { 0 };

		if (!d->changed)
			continue;
		move_device(s, o, d, d->driver, "\n", &ignore);
		d->changed = false;
	}
}

static int check_in_use(const struct vb_sys *s, const struct vb_bind_dev *d,
			const struct vb_bind_opts *o, struct vb_err *e)
{
	char why[512];

	if (o->force || !d->driver[0] || strcmp(d->driver, VB_VFIO_DRIVER) == 0)
		return 0;
	if (vb_device_in_use(s, d->name, why, sizeof(why)) == 0)
		return 0;
	return vb_err_set(e, VB_EXIT_BUSY, 0, d->name,
			  "in use by the host (%s); refusing to take it from %s (--force to override)",
			  why, d->driver);
}

int vb_bind_run(const struct vb_sys *s, struct vb_bind_plan *p, const struct vb_bind_opts *o,
		struct vb_bind_state *st, struct vb_err *e)
{
	for (int i = 0; i < p->n; i++)
		if (check_in_use(s, &p->dev[i], o, e) < 0)
			return -1;
	if (load_vfio_pci(s, o, e) < 0)
		return -1;
	for (int i = 0; i < p->n; i++) {
		struct vb_bind_dev *d = &p->dev[i];

		snprintf(d->target, sizeof(d->target), "%s", VB_VFIO_DRIVER);
		if (strcmp(d->driver, VB_VFIO_DRIVER) == 0) {
			nodes_of(s, d);
			continue; /* already there: a no-op, never unbind/rebind */
		}
		if (move_device(s, o, d, VB_VFIO_DRIVER, VB_VFIO_DRIVER "\n", e) < 0) {
			struct vb_err first = *e;

			rollback(s, p, o);
			*e = first;
			snprintf(e->msg + strlen(e->msg), sizeof(e->msg) - strlen(e->msg),
				 "; every device was put back on its previous driver");
			return -1;
		}
		nodes_of(s, d);
	}
	for (int i = 0; i < p->n; i++)
		if (p->dev[i].changed && st)
			vb_bind_state_put(st, p->dev[i].name, p->dev[i].driver);
	return 0;
}

int vb_unbind_run(const struct vb_sys *s, struct vb_bind_plan *p,
		  const struct vb_bind_opts *o, struct vb_bind_state *st, struct vb_err *e)
{
	for (int i = 0; i < p->n; i++) {
		struct vb_bind_dev *d = &p->dev[i];

		if (strcmp(d->driver, d->target) == 0 && d->target[0]) {
			write_attr(s, o, "\n", "bus/pci/devices/%s/driver_override%s", d->name, "");
		} else if (move_device(s, o, d, d->target, "\n", e) < 0) {
			/* leave it with whatever driver will take it, never stuck */
			if (!o->dry_run)
				sys_write(s, o, d->name, "bus/pci/drivers_probe");
			return -1;
		}
		if (st)
			vb_bind_state_drop(st, d->name);
	}
	return 0;
}
