/* vfio_driver: which drivers are VFIO drivers (see vfio_driver.h). */
#include "vfio_driver.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "bdf.h"
#include "modalias.h"

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

void vb_vfio_module_of_driver(const struct vb_sys *s, const char *driver, char *buf, size_t n)
{
	if (vb_sys_readlink_base(s, buf, n, "bus/pci/drivers/%s/module", driver) > 0)
		return;
	snprintf(buf, n, "%s", driver);
	vb_module_name_norm(buf);
}

bool vb_vfio_driver_is_vfio_or_loadable(const struct vb_sys *s, const struct vb_modindex *m,
					const char *driver)
{
	char mod[VB_MODULE_NAME_MAX + 1];

	if (vb_vfio_driver_is_vfio(s, driver))
		return true;
	if (!m || !driver || strlen(driver) > VB_MODULE_NAME_MAX || strchr(driver, '/'))
		return false;
	vb_vfio_module_of_driver(s, driver, mod, sizeof(mod));
	return vb_modindex_on_vfio_core(m, mod) || vb_modindex_has_vfio_alias(m, mod);
}

/* The 7.3 modules whose PCI driver name is not KBUILD_MODNAME. */
static const char *const named_drivers[][2] = {
	{ "vfio_pci", VB_VFIO_DRIVER },
	{ "xe_vfio_pci", "xe-vfio-pci" },
};

void vb_vfio_driver_of_module(const struct vb_sys *s, const char *module, char *buf, size_t n)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	buf[0] = '\0';
	if (vb_sys_path(s, dir, sizeof(dir), "module/%s/drivers", module) == 0 && (d = opendir(dir))) {
		while (!buf[0] && (de = readdir(d)))
			if (!strncmp(de->d_name, "pci:", 4) && de->d_name[4])
				snprintf(buf, n, "%s", de->d_name + 4);
		closedir(d);
		if (buf[0])
			return;
	}
	for (size_t i = 0; i < sizeof(named_drivers) / sizeof(named_drivers[0]); i++)
		if (!strcmp(module, named_drivers[i][0])) {
			snprintf(buf, n, "%s", named_drivers[i][1]);
			return;
		}
	snprintf(buf, n, "%s", module);
}

/* Linux 7.3, drivers/vfio/pci: which PCI drivers set get_dmabuf_phys in
 * their vfio_pci_device_ops (read from the source). */
static const struct {
	const char *driver;
	bool exports;
} export_table[] = {
	{ VB_VFIO_DRIVER, true },           /* vfio_pci.c: vfio_pci_core_get_dmabuf_phys */
	{ "nvgrace_gpu_vfio_pci", true },   /* nvgrace-gpu/main.c: both of its ops */
	{ "mlx5_vfio_pci", false },
	{ "hisi_acc_vfio_pci", false },
	{ "pds_vfio_pci", false },
	{ "virtio_vfio_pci", false },
	{ "qat_vfio_pci", false },
	{ "xe-vfio-pci", false },
	{ "ism_vfio_pci", false },
};

enum vb_export_cap vb_vfio_driver_exports(const char *driver, bool is_vfio)
{
	if (!is_vfio || !driver)
		return VB_EXPORT_NO;
	for (size_t i = 0; i < sizeof(export_table) / sizeof(export_table[0]); i++)
		if (strcmp(driver, export_table[i].driver) == 0)
			return export_table[i].exports ? VB_EXPORT_YES : VB_EXPORT_NO;
	return VB_EXPORT_UNKNOWN;
}

void vb_vfio_export_fix(const struct vb_sys *s, const char *bdf, char *buf, size_t n)
{
	static const char *const exporting[] = { "nvgrace_gpu_vfio_pci", NULL };
	char alias[256], target[VB_MODULE_NAME_MAX + 1] = VB_VFIO_DRIVER;
	struct vb_modindex m;
	struct vb_err e = { 0 };
	int best;

	if (vb_modindex_load(s, &m, &e) == 0 && vb_device_modalias(s, bdf, alias, sizeof(alias)) == 0 &&
	    (best = vb_modindex_best(&m, alias, exporting)) >= 0)
		vb_vfio_driver_of_module(s, m.alias[best].module, target, sizeof(target));
	vb_modindex_free(&m);
	snprintf(buf, n, "give it to %s, which can: vfiobuf unbind %s; vfiobuf bind --driver %s %s",
		 target, bdf, target, bdf);
}

const char *vb_vfio_group_node(int group, char *buf, size_t n)
{
	snprintf(buf, n, "/dev/vfio/%d", group);
	return buf;
}
