/* vfio_driver: which drivers are VFIO drivers (see vfio_driver.h). */
#include "vfio_driver.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "bdf.h"

/* Its module is vfio_pci_core or one of that module's holders. */
static bool module_on_vfio_pci_core(const struct vb_sys *s, const char *driver)
{
	char mod[NAME_MAX + 1];

	if (vb_sys_readlink_base(s, mod, sizeof(mod), "bus/pci/drivers/%s/module", driver) <= 0)
		return false;
	return strcmp(mod, "vfio_pci_core") == 0 ||
	       vb_sys_exists(s, "module/vfio_pci_core/holders/%s", mod);
}

/* A function bound to it has a VFIO device (the cdev's vfio-dev/). */
static bool binds_vfio_devices(const struct vb_sys *s, const char *driver)
{
	char dir[PATH_MAX];
	struct dirent *de;
	struct vb_bdf bdf;
	bool found = false;
	DIR *d;

	if (vb_sys_path(s, dir, sizeof(dir), "bus/pci/drivers/%s", driver) < 0 || !(d = opendir(dir)))
		return false;
	while (!found && (de = readdir(d)))
		found = vb_bdf_parse(de->d_name, &bdf) == 0 &&
			vb_sys_exists(s, "bus/pci/drivers/%s/%s/vfio-dev", driver, de->d_name);
	closedir(d);
	return found;
}

bool vb_vfio_driver_is_vfio(const struct vb_sys *s, const char *driver)
{
	if (!driver || !*driver || strchr(driver, '/') || !strcmp(driver, ".") || !strcmp(driver, ".."))
		return false;
	return strcmp(driver, VB_VFIO_DRIVER) == 0 || module_on_vfio_pci_core(s, driver) ||
	       binds_vfio_devices(s, driver);
}

const char *vb_vfio_group_node(int group, char *buf, size_t n)
{
	snprintf(buf, n, "/dev/vfio/%d", group);
	return buf;
}
