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

int vb_current_driver(const struct vb_sys *s, const char *bdf, char *buf, size_t n)
{
	int rc = vb_sys_readlink_base(s, buf, n, "bus/pci/devices/%s/driver", bdf);

	if (rc >= 0 && !vb_driver_name_ok(buf))
		rc = -EINVAL; /* a link to "..": not a driver directory */
	if (rc < 0)
		buf[0] = '\0';
	return rc == -ENOENT ? 0 : rc < 0 ? rc : 0;
}

static int read_driver(const struct vb_sys *s, const char *bdf, char *buf, size_t n,
		       struct vb_err *e)
{
	int rc = vb_current_driver(s, bdf, buf, n);

	if (rc < 0)
		return vb_err_set(e, VB_EXIT_FAIL, -rc, bdf, "cannot read its driver link");
	return 0;
}

static bool is_bridge(const struct vb_sys *s, const char *bdf)
{
	char cls[16];

	return vb_sys_read(s, cls, sizeof(cls), "bus/pci/devices/%s/class", bdf) > 0 &&
	       strncmp(cls, "0x0604", 6) == 0;
}

/* Append a device (zeroed but for its name) to the plan; NULL when out of
 * memory.  Pointers into p->dev are invalid after the next add. */
static struct vb_bind_dev *vb_bind_plan_add(struct vb_bind_plan *p, const char *bdf)
{
	struct vb_bind_dev *d;

	if (p->n == p->cap) {
		int ncap = p->cap ? 2 * p->cap : 16;
		struct vb_bind_dev *nd = realloc(p->dev, (size_t)ncap * sizeof(*nd));

		if (!nd)
			return NULL;
		p->dev = nd;
		p->cap = ncap;
	}
	d = &p->dev[p->n++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", bdf);
	d->group = -1;
	return d;
}

void vb_bind_plan_free(struct vb_bind_plan *p)
{
	for (int i = 0; i < p->n; i++)
		free(p->dev[i].alias);
	free(p->dev);
	memset(p, 0, sizeof(*p));
}

/* Add bdf (reading its driver and group) unless planned already. */
static int plan_add(struct vb_bind_plan *p, const struct vb_sys *s, const char *bdf,
		    bool requested, struct vb_err *e)
{
	struct vb_bind_dev *d;

	for (int i = 0; i < p->n; i++)
		if (strcmp(p->dev[i].name, bdf) == 0) {
			p->dev[i].requested |= requested;
			return 0;
		}
	d = vb_bind_plan_add(p, bdf);
	if (!d)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, bdf, "out of memory");
	d->group = vb_sys_iommu_group(s, bdf);
	d->requested = requested;
	if (read_driver(s, bdf, d->driver, sizeof(d->driver), e) < 0)
		return -1;
	d->on_vfio = vb_vfio_driver_is_vfio(s, d->driver);
	return 0;
}

/* list is sep-separated whole items, count of them.  Into buf (n bytes),
 * as many whole items as leave room for `tail` bytes more of message,
 * then "and N more": never an item cut in the middle. */
static const char *fit_list(const char *list, const char *sep, int count, size_t tail,
			    char *buf, size_t n)
{
	size_t room = n > tail + 24 ? n - tail - 24 : 0, cut = 0, seplen = strlen(sep);
	int shown = 0;
	const char *p = list;

	if (strlen(list) + tail < n) {
		snprintf(buf, n, "%s", list);
		return buf;
	}
	while (shown < count) {
		const char *next = strstr(p, sep);
		size_t end = next ? (size_t)(next - list) : strlen(list);

		if (end > room)
			break;
		cut = end;
		shown++;
		if (!next)
			break;
		p = next + seplen;
	}
	snprintf(buf, n, "%.*s%s%d more", (int)cut, list, shown ? ", and " : "", count - shown);
	return buf;
}

/* Members of a group that keep it from being viable: not bridges, not on
 * a VFIO driver, not driverless, and not in the plan.  With --group they are
 * added to the plan.  *list (malloc'd): "BDF (driver), ..."; returns the
 * count or -1. */
static int group_blockers(const struct vb_sys *s, int group, struct vb_bind_plan *p,
			  const struct vb_bind_opts *o, char **list, struct vb_err *e)
{
	char dir[PATH_MAX], drv[VB_DRIVER_NAME_MAX + 1];
	struct dirent **ents = NULL;
	int count = 0, rc = 0, nents = -1;
	size_t len = 0;
	FILE *f;

	*list = NULL;
	if (!(f = open_memstream(list, &len)))
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	if (vb_sys_path(s, dir, sizeof(dir), "kernel/iommu_groups/%d/devices", group) == 0)
		nents = scandir(dir, &ents, NULL, alphasort); /* messages in address order */
	for (int k = 0; k < nents; k++) {
		const char *name = ents[k]->d_name;
		bool planned = false;

		for (int i = 0; i < p->n; i++)
			planned |= strcmp(p->dev[i].name, name) == 0;
		if (rc < 0 || name[0] == '.' || planned || is_bridge(s, name))
			continue;
		rc = read_driver(s, name, drv, sizeof(drv), e);
		if (rc < 0 || !drv[0] || vb_vfio_driver_is_vfio(s, drv))
			continue;
		if (o->group)
			rc = plan_add(p, s, name, false, e);
		fprintf(f, "%s%s (%s)", count ? ", " : "", name, drv);
		count++;
	}
	for (int k = 0; k < nents; k++)
		free(ents[k]);
	free(ents);
	if (fclose(f) != 0 && rc == 0)
		rc = vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	if (rc < 0) {
		free(*list);
		*list = NULL;
		return -1;
	}
	return count;
}

/* The forced driver, checked to be a VFIO driver (loaded or loadable). */
static int check_forced(const struct vb_sys *s, const struct vb_modindex *m, const char *drv,
			struct vb_err *e)
{
	if (!vb_driver_name_ok(drv) || strlen(drv) > VB_MODULE_NAME_MAX)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "--driver: invalid driver name '%s'", drv);
	if (vb_vfio_driver_is_vfio_or_loadable(s, m, drv))
		return 0;
	return vb_err_set(e, VB_EXIT_USAGE, 0, NULL,
			  "--driver %s: not a VFIO driver (not vfio-pci, no device bound to it is a "
			  "VFIO device, and its module neither depends on vfio_pci_core nor has "
			  "vfio_pci: aliases%s%s)",
			  drv, m->have_dep && m->have_alias ? "" : ": modules index unread: ",
			  m->have_dep && m->have_alias ? "" : m->problem);
}

/* Choose d's target driver (see bind.h). */
static int choose_driver(const struct vb_sys *s, const struct vb_modindex *m,
			 const struct vb_bind_opts *o, struct vb_bind_dev *d, struct vb_err *e)
{
	const char *force = d->forced ? d->forced : o->driver;
	int best = -1;

	if (force) {
		if (d->forced && check_forced(s, m, d->forced, e) < 0) {
			snprintf(e->device, sizeof(e->device), "%s", d->name);
			return -1;
		}
		d->why = VB_BIND_WHY_FORCED;
		snprintf(d->target, sizeof(d->target), "%s", force);
		vb_vfio_module_of_driver(s, force, d->module, sizeof(d->module));
		return 0;
	}
	if (d->on_vfio) {
		d->why = VB_BIND_WHY_CURRENT;
		snprintf(d->target, sizeof(d->target), "%s", d->driver);
		return 0;
	}
	if (vb_device_modalias(s, d->name, d->modalias, sizeof(d->modalias)) < 0)
		d->modalias[0] = '\0';
	else
		best = vb_modindex_best(m, d->modalias, NULL);
	if (best < 0) {
		d->why = VB_BIND_WHY_FALLBACK;
		snprintf(d->module, sizeof(d->module), "vfio_pci");
	} else {
		d->why = VB_BIND_WHY_ALIAS;
		snprintf(d->module, sizeof(d->module), "%s", m->alias[best].module);
		if (asprintf(&d->alias, "vfio_pci:%s", m->alias[best].pattern) < 0) {
			d->alias = NULL;
			return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, d->name, "out of memory");
		}
	}
	vb_vfio_driver_of_module(s, d->module, d->target, sizeof(d->target));
	return 0;
}

static int choose_drivers(const struct vb_sys *s, const struct vb_bind_opts *o,
			  struct vb_bind_plan *p, struct vb_err *e)
{
	struct vb_modindex m;
	int rc = 0;

	if (vb_modindex_load(s, &m, e) < 0)
		return -1;
	if (m.have_alias)
		snprintf(p->alias_file, sizeof(p->alias_file), "%s", m.alias_path);
	snprintf(p->index_problem, sizeof(p->index_problem), "%s", m.problem);
	if (o->driver)
		rc = check_forced(s, &m, o->driver, e);
	for (int i = 0; rc == 0 && i < p->n; i++)
		rc = choose_driver(s, &m, o, &p->dev[i], e);
	vb_modindex_free(&m);
	return rc;
}

int vb_bind_plan(const struct vb_sys *s, const struct vb_bdf *bdfs, int n,
		 const struct vb_bind_opts *o, struct vb_bind_plan *p, struct vb_err *e)
{
	char name[VB_BDF_STRLEN];
	int requested;

	memset(p, 0, sizeof(*p));
	for (int i = 0; i < n; i++) {
		vb_bdf_format(&bdfs[i], name);
		if (!vb_sys_exists(s, "bus/pci/devices/%s", name))
			return vb_err_set(e, VB_EXIT_NOTFOUND, 0, name, "no such PCI device");
		if (plan_add(p, s, name, true, e) < 0)
			return -1;
		for (int k = 0; o->dev_drivers && o->dev_drivers[i] && k < p->n; k++)
			if (strcmp(p->dev[k].name, name) == 0)
				p->dev[k].forced = o->dev_drivers[i];
	}
	requested = p->n;
	for (int i = 0; i < requested; i++) {
		int group = p->dev[i].group, blockers;
		char *list, shown[sizeof(e->msg)];

		snprintf(name, sizeof(name), "%s", p->dev[i].name);
		if (group < 0)
			return vb_err_set(e, VB_EXIT_NOTSUP, 0, name,
					  "has no IOMMU group: VFIO needs an IOMMU (see 'vfiobuf doctor')");
		if (is_bridge(s, name))
			return vb_err_set(e, VB_EXIT_USAGE, 0, name,
					  "is a PCI bridge; bridges stay with their driver");
		blockers = group_blockers(s, group, p, o, &list, e); /* may grow p->dev */
		if (blockers < 0)
			return -1;
		if (blockers && !o->group) {
			fit_list(list, ", ", blockers, 80, shown, sizeof(shown));
			free(list);
			return vb_err_set(e, VB_EXIT_BUSY, 0, name,
					  "IOMMU group %d also holds %s: bind them too, or use --group",
					  group, shown);
		}
		free(list);
	}
	return choose_drivers(s, o, p, e);
}

int vb_bind_config_devices(const struct vb_sys *s, struct vb_persist_entry **out,
			   struct vb_err *e)
{
	struct vb_modindex m;
	int n = vb_persist_list(s, out, e), kept = 0;

	if (n <= 0)
		return n;
	if (vb_modindex_load(s, &m, e) < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (vb_vfio_driver_is_vfio_or_loadable(s, &m, (*out)[i].driver))
			(*out)[kept++] = (*out)[i];
	vb_modindex_free(&m);
	return kept;
}

static int sys_write(const struct vb_sys *s, const struct vb_bind_opts *o, const char *value,
		     const char *rel)
{
	char path[PATH_MAX];

	if (vb_sys_path(s, path, sizeof(path), "%s", rel) < 0)
		return -ENAMETOOLONG; /* never a write to a cut path */
	if (o->log)
		o->log(o->log_ctx, path, value);
	return o->dry_run ? 0 : vb_write_file(path, value);
}

static int write_attr(const struct vb_sys *s, const struct vb_bind_opts *o, const char *value,
		      const char *fmt, const char *a, const char *b)
{
	char rel[PATH_MAX];
	int len = snprintf(rel, sizeof(rel), fmt, a, b);

	if (len < 0 || (size_t)len >= sizeof(rel))
		return -ENAMETOOLONG;
	return sys_write(s, o, value, rel);
}

/* modprobe the module of d's target when the driver directory is missing
 * (real systems); the driver's name is then the one the module registered. */
static int load_driver(const struct vb_sys *s, const struct vb_bind_opts *o,
		       struct vb_bind_dev *d, struct vb_err *e)
{
	pid_t pid;
	int status;

	if (!d->module[0] || vb_sys_exists(s, "bus/pci/drivers/%s", d->target) || s->fake ||
	    o->dry_run)
		return 0;
	pid = fork();
	if (pid == 0) {
		execlp("modprobe", "modprobe", "--", d->module, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return vb_err_set(e, VB_EXIT_NOTSUP, 0, d->name,
				  "cannot load the %s module for %s (modprobe %s failed)", d->module,
				  d->target, d->module);
	if (d->why != VB_BIND_WHY_FORCED || !vb_sys_exists(s, "bus/pci/drivers/%s", d->target))
		vb_vfio_driver_of_module(s, d->module, d->target, sizeof(d->target));
	if (!vb_sys_exists(s, "bus/pci/drivers/%s", d->target))
		return vb_err_set(e, VB_EXIT_NOTSUP, 0, d->name,
				  "modprobe %s loaded no PCI driver named %s", d->module, d->target);
	return 0;
}

/* Move one device from its driver to `target` ("" = none), through
 * driver_override (target or cleared), unbind and drivers_probe / bind,
 * then check the driver link. */
static int move_device(const struct vb_sys *s, const struct vb_bind_opts *o,
		       struct vb_bind_dev *d, const char *target, const char *override,
		       struct vb_err *e)
{
	char now[VB_DRIVER_NAME_MAX + 1];
	int rc;

	if (target[0] && !vb_driver_name_ok(target))
		return vb_err_set(e, VB_EXIT_USAGE, 0, d->name, "invalid driver name '%s'", target);
	if (read_driver(s, d->name, now, sizeof(now), e) < 0)
		return -1;
	d->changed = true;
	rc = write_attr(s, o, override, "bus/pci/devices/%s/driver_override%s", d->name, "");
	if (rc < 0)
		return vb_err_set(e, vb_exit_from_errno(-rc), -rc, d->name,
				  "cannot write driver_override");
	if (now[0] && strcmp(now, target) != 0) {
		rc = write_attr(s, o, d->name, "bus/pci/drivers/%s/unbind%s", now, "");
		if (rc < 0)
			return vb_err_set(e, vb_exit_from_errno(-rc), -rc, d->name,
					  "cannot unbind it from %s", now);
	}
	if (!target[0] || (now[0] && strcmp(now, target) == 0))
		return 0;
	/* with an override the kernel's probe picks it; without (giving a
	 * device back), the driver's bind file names it */
	if (override[0] == '\n' && vb_sys_exists(s, "bus/pci/drivers/%s", target))
		rc = write_attr(s, o, d->name, "bus/pci/drivers/%s/bind%s", target, "");
	else
		rc = sys_write(s, o, d->name, "bus/pci/drivers_probe");
	if (o->dry_run)
		return 0;
	if (read_driver(s, d->name, now, sizeof(now), e) < 0)
		return -1;
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

	vb_vfio_group_node(d->group, d->vfio_node, sizeof(d->vfio_node));
	d->cdev_node[0] = '\0';
	if (vb_sys_path(s, path, sizeof(path), "bus/pci/devices/%s/vfio-dev", d->name) < 0 ||
	    !(dir = opendir(path)))
		return;
	while ((de = readdir(dir)))
		if (strncmp(de->d_name, "vfio", 4) == 0 &&
		    vb_sys_exists(s, "bus/pci/devices/%s/vfio-dev/%s/dev", d->name, de->d_name))
			snprintf(d->cdev_node, sizeof(d->cdev_node), "/dev/vfio/devices/%s",
				 de->d_name);
	closedir(dir);
}

/* Put every changed device back on its original driver; one whose move
 * back fails stays marked changed (and keeps its record). */
static void rollback(const struct vb_sys *s, struct vb_bind_plan *p,
		     const struct vb_bind_opts *o)
{
	for (int i = p->n - 1; i >= 0; i--) {
		struct vb_bind_dev *d = &p->dev[i];
		struct vb_err ignore = { 0 };

		if (d->changed && move_device(s, o, d, d->driver, "\n", &ignore) == 0)
			d->changed = false;
	}
}

static int check_in_use(const struct vb_sys *s, const struct vb_bind_dev *d,
			const struct vb_bind_opts *o, struct vb_err *e)
{
	char *why, shown[sizeof(e->msg)];
	int n;

	if (o->force || !d->driver[0] || d->on_vfio)
		return 0;
	n = vb_device_in_use(s, d->name, &why);
	if (n < 0)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, d->name, "out of memory");
	if (n == 0) {
		free(why);
		return 0;
	}
	fit_list(why, "; ", n, 100 + strlen(d->driver), shown, sizeof(shown));
	free(why);
	return vb_err_set(e, VB_EXIT_BUSY, 0, d->name,
			  "in use by the host (%s); refusing to take it from %s (--force to override)",
			  shown, d->driver);
}

static bool will_move(const struct vb_bind_dev *d)
{
	return !d->on_vfio || strcmp(d->driver, d->target) != 0;
}

/* Record every device about to move, marked pending, and save it before
 * anything moves.  A device moving between VFIO drivers that vfiobuf bound
 * before keeps the record of its host driver. */
static int record_intent(struct vb_bind_plan *p, struct vb_bind_state *st, struct vb_err *e)
{
	char had[VB_DRIVER_NAME_MAX + 1];

	for (int i = 0; i < p->n; i++) {
		struct vb_bind_dev *d = &p->dev[i];

		d->kept_record = will_move(d) && vb_bind_state_get(st, d->name, had, sizeof(had));
		if (will_move(d) && !d->kept_record)
			vb_bind_state_put(st, d->name, d->driver, true);
	}
	struct vb_err why = { 0 };

	if (vb_bind_state_save(st, &why) == 0)
		return 0;
	for (int i = 0; i < p->n; i++)
		if (will_move(&p->dev[i]) && !p->dev[i].kept_record)
			vb_bind_state_drop(st, p->dev[i].name);
	return vb_err_set(e, why.exit_code, why.errnum, NULL,
			  "cannot record the drivers before moving the devices (nothing was changed): %s",
			  why.msg);
}

/* After a rollback: forget the devices that are back where they were. */
static void forget_intent(struct vb_bind_plan *p, struct vb_bind_state *st, struct vb_err *e)
{
	struct vb_err save_err = { 0 };

	for (int i = 0; i < p->n; i++)
		if (will_move(&p->dev[i]) && !p->dev[i].changed && !p->dev[i].kept_record)
			vb_bind_state_drop(st, p->dev[i].name);
	if (vb_bind_state_save(st, &save_err) < 0)
		snprintf(e->msg + strlen(e->msg), sizeof(e->msg) - strlen(e->msg),
			 "; %s still lists them as pending (harmless)", st->path);
}

int vb_bind_run(const struct vb_sys *s, struct vb_bind_plan *p, const struct vb_bind_opts *o,
		struct vb_bind_state *st, struct vb_err *e)
{
	bool record = st && st->root && !o->dry_run;

	for (int i = 0; i < p->n; i++)
		if (check_in_use(s, &p->dev[i], o, e) < 0)
			return -1;
	for (int i = 0; i < p->n; i++)
		if (will_move(&p->dev[i]) && load_driver(s, o, &p->dev[i], e) < 0)
			return -1;
	if (record && record_intent(p, st, e) < 0)
		return -1;
	for (int i = 0; i < p->n; i++) {
		struct vb_bind_dev *d = &p->dev[i];
		char override[VB_DRIVER_NAME_MAX + 2];

		if (!will_move(d)) {
			nodes_of(s, d);
			continue; /* already there: a no-op, never unbind/rebind */
		}
		snprintf(override, sizeof(override), "%s\n", d->target);
		if (move_device(s, o, d, d->target, override, e) < 0) {
			struct vb_err first = *e;
			bool all_back = true;

			rollback(s, p, o);
			*e = first;
			for (int j = 0; j < p->n; j++)
				all_back &= !p->dev[j].changed;
			snprintf(e->msg + strlen(e->msg), sizeof(e->msg) - strlen(e->msg), "%s",
				 all_back ? "; every device was put back on its previous driver"
					  : "; some devices could not be put back: their drivers stay recorded for 'vfiobuf unbind'");
			if (record)
				forget_intent(p, st, e);
			return -1;
		}
		nodes_of(s, d);
	}
	if (!record)
		return 0;
	for (int i = 0; i < p->n; i++)
		if (p->dev[i].changed && !p->dev[i].kept_record)
			vb_bind_state_put(st, p->dev[i].name, p->dev[i].driver, false);
	if (vb_bind_state_save(st, e) < 0) {
		snprintf(e->msg + strlen(e->msg), sizeof(e->msg) - strlen(e->msg),
			 "; the devices are on their VFIO drivers and their drivers recorded, marked pending");
		return -1;
	}
	return 0;
}

int vb_unbind_run(const struct vb_sys *s, struct vb_bind_plan *p,
		  const struct vb_bind_opts *o, struct vb_bind_state *st, struct vb_err *e)
{
	bool record = st && st->root && !o->dry_run;
	int rc = 0;

	for (int i = 0; i < p->n && rc == 0; i++) {
		struct vb_bind_dev *d = &p->dev[i];

		if (strcmp(d->driver, d->target) == 0 && d->target[0]) {
			write_attr(s, o, "\n", "bus/pci/devices/%s/driver_override%s", d->name, "");
		} else if (move_device(s, o, d, d->target, "\n", e) < 0) {
			/* leave it with whatever driver will take it, never stuck;
			 * its record stays */
			if (!o->dry_run)
				sys_write(s, o, d->name, "bus/pci/drivers_probe");
			rc = -1;
			break;
		}
		if (st && st->root)
			vb_bind_state_drop(st, d->name);
	}
	if (record) {
		struct vb_err save_err = { 0 };

		if (vb_bind_state_save(st, rc < 0 ? &save_err : e) < 0 && rc == 0)
			rc = -1;
	}
	return rc;
}

/* The devices to give back, with their drivers now. */
static int unbind_devices(const struct vb_sys *s, const struct vb_bdf *bdfs, int n,
			  struct vb_bind_plan *p, struct vb_err *e)
{
	for (int i = 0; i < n; i++) {
		char name[VB_BDF_STRLEN];
		struct vb_bind_dev *d;

		vb_bdf_format(&bdfs[i], name);
		if (!vb_sys_exists(s, "bus/pci/devices/%s", name))
			return vb_err_set(e, VB_EXIT_NOTFOUND, 0, name, "no such PCI device");
		if (!(d = vb_bind_plan_add(p, name)))
			return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, name, "out of memory");
		d->requested = true;
		if (vb_current_driver(s, name, d->driver, sizeof(d->driver)) < 0)
			return vb_err_set(e, VB_EXIT_FAIL, 0, name, "cannot read its driver link");
		d->on_vfio = vb_vfio_driver_is_vfio(s, d->driver);
	}
	return 0;
}

/* Each device's target driver from the options or the state file. */
static int choose_targets(const struct vb_unbind_opts *u, const struct vb_bind_state *st,
			  struct vb_bind_plan *p, struct vb_err *e)
{
	for (int i = 0; i < p->n; i++) {
		struct vb_bind_dev *d = &p->dev[i];

		d->target[0] = '\0';
		if (u->target == VB_UNBIND_DRIVER)
			snprintf(d->target, sizeof(d->target), "%s", u->driver);
		else if (u->target == VB_UNBIND_RECORDED &&
			 !vb_bind_state_get(st, d->name, d->target, sizeof(d->target)) && !u->force &&
			 d->on_vfio)
			return vb_err_set(e, VB_EXIT_USAGE, 0, d->name,
					  "was not bound by vfiobuf (not in %s): say --driver NAME, "
					  "--none, or --force to let the kernel pick",
					  st->path);
	}
	return 0;
}

int vb_unbind_plan(const struct vb_sys *s, const struct vb_bdf *bdfs, int n,
		   const struct vb_unbind_opts *u, const struct vb_bind_state *st,
		   struct vb_bind_plan *p, struct vb_err *e)
{
	if (unbind_devices(s, bdfs, n, p, e) < 0)
		return -1;
	return choose_targets(u, st, p, e);
}
