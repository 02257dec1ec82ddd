/* doctor: host and device checks for VFIO dma-buf export.  See doctor.h. */
#include "doctor.h"
#include "vfio_driver.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include "pci_model.h"
#include "ranges.h"

#define MIN_MAJOR 6
#define MIN_MINOR 19
#define CONFIG_MAX (4 << 20)

const char *vb_check_status_name(enum vb_check_status s)
{
	static const char *const names[] = { "ok", "info", "warn", "fail" };

	return (unsigned)s < 4 ? names[s] : "?";
}

static struct vb_check *add(struct vb_checks *c, const char *name, const char *device,
			    enum vb_check_status st, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static struct vb_check *add(struct vb_checks *c, const char *name, const char *device,
			    enum vb_check_status st, const char *hint, const char *fmt, ...)
{
	struct vb_check *k;
	va_list ap;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct vb_check *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		c->v = v;
		c->cap = cap;
	}
	k = &c->v[c->n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
	snprintf(k->device, sizeof(k->device), "%s", device ? device : "");
	k->status = st;
	snprintf(k->hint, sizeof(k->hint), "%s", hint ? hint : "");
	va_start(ap, fmt);
	vsnprintf(k->message, sizeof(k->message), fmt, ap);
	va_end(ap);
	return k;
}

void vb_checks_free(struct vb_checks *c)
{
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
}

/* Parse "6.19.0-rc1", "7.3.4+deb13-amd64": 0 with major/minor, -1. */
int vb_kernel_version_parse(const char *release, int *major, int *minor)
{
	char *end;
	long a, b;

	errno = 0;
	a = strtol(release, &end, 10);
	if (errno || end == release || *end != '.')
		return -1;
	b = strtol(end + 1, &end, 10);
	if (errno || b < 0 || a < 0)
		return -1;
	*major = (int)a;
	*minor = (int)b;
	return 0;
}

/* The value of CONFIG_name in a kernel config text ("y", "m", or NULL when
 * not set), into buf. */
const char *vb_kconfig_value(const char *config, const char *name, char *buf, size_t n)
{
	size_t len = strlen(name);

	for (const char *p = config; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, name, len) && p[len] == '=') {
			size_t v = strcspn(p + len + 1, "\n");

			snprintf(buf, n, "%.*s", (int)v, p + len + 1);
			return buf;
		}
	}
	return NULL;
}

static int read_root(const struct vb_sys *s, const char *rel, char *buf, size_t n)
{
	char path[PATH_MAX];

	if (vb_root_path(s, path, sizeof(path), "%s", rel) < 0)
		return -1;
	return vb_read_file(path, buf, n);
}

static bool root_exists(const struct vb_sys *s, const char *rel, char *path, size_t n)
{
	return vb_root_path(s, path, n, "%s", rel) == 0 && access(path, F_OK) == 0;
}

/* has_export: the kernel config says CONFIG_VFIO_PCI_DMABUF (a distribution
 * may carry the feature back to an older version). */
static void check_kernel(const char *release, bool has_export, struct vb_checks *c)
{
	int major, minor;

	if (!release[0] || vb_kernel_version_parse(release, &major, &minor) < 0)
		add(c, "kernel", NULL, VB_CHECK_WARN, NULL, "cannot tell the kernel version ('%s')",
		    release);
	else if (major > MIN_MAJOR || (major == MIN_MAJOR && minor >= MIN_MINOR))
		add(c, "kernel", NULL, VB_CHECK_OK, NULL,
		    "Linux %s: has the VFIO dma-buf export uAPI (6.19 or later)", release);
	else if (has_export)
		add(c, "kernel", NULL, VB_CHECK_WARN,
		    "a backport may differ from upstream 6.19; the probe of a device tells",
		    "Linux %s is older than 6.19 but its config has CONFIG_VFIO_PCI_DMABUF (a backport)",
		    release);
	else
		add(c, "kernel", NULL, VB_CHECK_FAIL,
		    "boot a 6.19 or later kernel built with VFIO_PCI_DMABUF (PCI_P2PDMA and DMA_SHARED_BUFFER)",
		    "Linux %s is older than 6.19: no VFIO_DEVICE_FEATURE_DMA_BUF", release);
}

static int count_entries(const char *dir, char *first, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int count = 0;

	if (first && n)
		first[0] = '\0';
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			if (!count && first)
				snprintf(first, n, "%.63s", de->d_name);
			count++;
		}
	closedir(d);
	return count;
}

static const char *iommu_hint(const struct vb_sys *s)
{
	char cmdline[4096] = "", cpu[65536] = "";

	read_root(s, "/proc/cmdline", cmdline, sizeof(cmdline));
	read_root(s, "/proc/cpuinfo", cpu, sizeof(cpu));
	if (strstr(cmdline, "intel_iommu=off") || strstr(cmdline, "amd_iommu=off") ||
	    strstr(cmdline, "iommu=off"))
		return "the kernel command line turns the IOMMU off: remove intel_iommu=off / "
		       "amd_iommu=off / iommu=off";
	if (strstr(cpu, " hypervisor"))
		return "this is a virtual machine: give it a virtual IOMMU (QEMU: -device "
		       "intel-iommu,intremap=on with -machine q35,kernel-irqchip=split; or "
		       "virtio-iommu) and boot with the IOMMU on";
	if (strstr(cpu, "GenuineIntel"))
		return strstr(cmdline, "intel_iommu=on")
			       ? "intel_iommu=on is given but no DMAR unit came up: enable VT-d in the firmware"
			       : "enable VT-d in the firmware and add intel_iommu=on to the kernel command line";
	if (strstr(cpu, "AuthenticAMD"))
		return "enable the IOMMU (AMD-Vi) in the firmware; the amd_iommu driver starts by itself";
	return "enable the platform IOMMU (firmware, kernel command line); under a hypervisor give "
	       "the guest a virtual IOMMU (QEMU: -device intel-iommu)";
}

/* Groups whose default domain is identity (iommu=pt, or per group). */
static int count_identity_groups(const struct vb_sys *s)
{
	char dir[PATH_MAX], type[32];
	struct dirent *de;
	int n = 0;
	DIR *d;

	if (vb_sys_path(s, dir, sizeof(dir), "kernel/iommu_groups") < 0 || !(d = opendir(dir)))
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' &&
		    vb_sys_read(s, type, sizeof(type), "kernel/iommu_groups/%s/type", de->d_name) > 0 &&
		    !strcmp(type, "identity"))
			n++;
	closedir(d);
	return n;
}

static int check_iommu(const struct vb_sys *s, struct vb_checks *c)
{
	char dir[PATH_MAX], first[64], cmdline[4096] = "";
	int groups = 0, units, identity;

	if (vb_sys_path(s, dir, sizeof(dir), "kernel/iommu_groups") == 0)
		groups = count_entries(dir, NULL, 0);
	units = vb_sys_path(s, dir, sizeof(dir), "class/iommu") == 0 ?
			count_entries(dir, first, sizeof(first)) : 0;
	if (groups == 0) {
		add(c, "iommu", NULL, VB_CHECK_FAIL, iommu_hint(s),
		    "no IOMMU is active: no IOMMU groups, so no device can be handed to VFIO");
		return 0;
	}
	add(c, "iommu", NULL, VB_CHECK_OK, NULL, "%d IOMMU groups%s%s%s", groups,
	    units ? " (" : "", units ? first : "", units ? (units > 1 ? ", ...)" : ")") : "");
	read_root(s, "/proc/cmdline", cmdline, sizeof(cmdline));
	identity = count_identity_groups(s);
	if (identity || strstr(cmdline, "iommu=pt") || strstr(cmdline, "iommu.passthrough=1"))
		add(c, "iommu-mode", NULL, VB_CHECK_INFO, NULL,
		    "%d of %d groups have identity (passthrough) default domains: fine, a device "
		    "handed to VFIO gets its own domain", identity, groups);
	return groups;
}

/* Is name.ko listed in a modules.dep or modules.builtin text?  Module
 * files are spelled with '_' or '-' whichever way the name is. */
static bool module_listed(const char *text, const char *name)
{
	char want[80];

	if (!text)
		return false;
	if ((size_t)snprintf(want, sizeof(want), "/%s.ko", name) >= sizeof(want))
		return false;
	for (int sep = 0; sep < 2; sep++) {
		for (char *p = want; *p; p++)
			if (*p == '_' || *p == '-')
				*p = sep ? '-' : '_';
		if (strstr(text, want))
			return true;
	}
	return false;
}

/* The kernel's modules.dep or modules.builtin (malloc'd), NULL when absent. */
static char *read_module_list(const struct vb_sys *s, const char *release, const char *file)
{
	char rel[PATH_MAX], *text = malloc(CONFIG_MAX);

	snprintf(rel, sizeof(rel), "/lib/modules/%s/%s", release, file);
	if (text && read_root(s, rel, text, CONFIG_MAX) > 0)
		return text;
	free(text);
	return NULL;
}

static void check_modules(const struct vb_sys *s, const char *release, struct vb_checks *c)
{
	static const char *const mods[] = { "vfio", "vfio_pci", "vfio_iommu_type1" };
	char loaded[128] = "", loadable[128] = "", missing[128] = "";
	char *dep = NULL, *builtin = NULL;
	bool lists_read = false;

	for (size_t i = 0; i < 3; i++) {
		char *list = loaded;

		if (!vb_sys_exists(s, "module/%s", mods[i])) {
			if (!lists_read) {
				dep = read_module_list(s, release, "modules.dep");
				builtin = read_module_list(s, release, "modules.builtin");
				lists_read = true;
			}
			list = module_listed(dep, mods[i]) || module_listed(builtin, mods[i]) ? loadable
												 : missing;
		}
		snprintf(list + strlen(list), 128 - strlen(list), "%s%s", list[0] ? ", " : "", mods[i]);
	}
	free(dep);
	free(builtin);
	if (missing[0])
		add(c, "modules", NULL, VB_CHECK_FAIL,
		    "install a kernel built with VFIO, VFIO_PCI and VFIO_IOMMU_TYPE1 (or IOMMUFD)",
		    "not available in this kernel: %s%s%s", missing, loaded[0] ? "; loaded: " : "", loaded);
	else if (loadable[0])
		add(c, "modules", NULL, VB_CHECK_WARN, "modprobe vfio-pci (vfiobuf bind loads it too)",
		    "not loaded (but available): %s", loadable);
	else
		add(c, "modules", NULL, VB_CHECK_OK, NULL, "loaded: %s", loaded);
}

static void check_node(const struct vb_sys *s, const char *rel, const char *name,
		       enum vb_check_status missing_status, const char *missing_hint,
		       const char *missing_msg, struct vb_checks *c)
{
	char path[PATH_MAX];

	if (!root_exists(s, rel, path, sizeof(path)))
		add(c, name, NULL, missing_status, missing_hint, "%s", missing_msg);
	else if (access(path, R_OK | W_OK) < 0)
		add(c, name, NULL, VB_CHECK_WARN,
		    "run as root, or give the user the node (udev rule, group vfio)",
		    "%s exists but uid %u cannot open it read-write", rel, (unsigned)geteuid());
	else
		add(c, name, NULL, VB_CHECK_OK, NULL, "%s is there and usable by uid %u", rel,
		    (unsigned)geteuid());
}

/* The running kernel's config: /boot/config-RELEASE, else /proc/config.gz.
 * Returns a malloc'd text and its origin, or NULL. */
static char *kernel_config(const struct vb_sys *s, const char *release, char *origin, size_t n)
{
	char path[PATH_MAX], rel[PATH_MAX];
	char *text = malloc(CONFIG_MAX + 1);
	gzFile gz;
	int len;

	if (!text)
		return NULL;
	snprintf(rel, sizeof(rel), "/boot/config-%s", release);
	if (read_root(s, rel, text, CONFIG_MAX + 1) > 0) {
		snprintf(origin, n, "%s", rel);
		return text;
	}
	if (root_exists(s, "/proc/config.gz", path, sizeof(path)) && (gz = gzopen(path, "rb"))) {
		len = gzread(gz, text, CONFIG_MAX);
		gzclose(gz);
		if (len > 0) {
			text[len] = '\0';
			snprintf(origin, n, "/proc/config.gz");
			return text;
		}
	}
	free(text);
	return NULL;
}

struct kopt {
	const char *name, *check, *what, *hint;
	enum vb_check_status missing;
};

/* The first device that publishes p2pmem (its driver registered P2P
 * memory: the kernel has PCI_P2PDMA), into bdf; false when none. */
static bool find_p2pmem(const struct vb_sys *s, char *bdf, size_t n)
{
	return vb_sys_find_function_with(s, "p2pmem", bdf, n);
}

static void check_config(const struct vb_sys *s, const char *release, const char *config,
			 const char *origin, struct vb_checks *c)
{
	static const struct kopt opts[] = {
		{ "CONFIG_VFIO_PCI_DMABUF", "dmabuf-export", "VFIO dma-buf export",
		  "a kernel with PCI_P2PDMA and DMA_SHARED_BUFFER (VFIO_PCI_DMABUF follows)", VB_CHECK_FAIL },
		{ "CONFIG_PCI_P2PDMA", "p2pdma", "PCI peer-to-peer DMA",
		  "a kernel with PCI_P2PDMA (needs ZONE_DEVICE)", VB_CHECK_FAIL },
		{ "CONFIG_IOMMUFD", "iommufd", "iommufd (/dev/iommu, the importer of VFIO dma-bufs)",
		  "optional: the legacy group path is used without it", VB_CHECK_INFO },
		{ "CONFIG_VFIO_DEVICE_CDEV", "vfio-cdev", "VFIO device cdev (/dev/vfio/devices/vfioN)",
		  "optional: the legacy group path is used without it", VB_CHECK_INFO },
	};
	char val[16], bdf[32];

	if (!config) {
		add(c, "kernel-config", NULL, VB_CHECK_INFO,
		    "name a device bound to vfio-pci to probe the feature instead",
		    "no kernel config (/boot/config-%s, /proc/config.gz): dma-buf export not checked",
		    release);
		if (find_p2pmem(s, bdf, sizeof(bdf)))
			add(c, "p2pdma", NULL, VB_CHECK_OK, NULL,
			    "PCI peer-to-peer DMA: %s publishes p2pmem", bdf);
		return;
	}
	add(c, "kernel-config", NULL, VB_CHECK_OK, NULL, "read %s", origin);
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		const char *v = vb_kconfig_value(config, opts[i].name, val, sizeof(val));

		if (v)
			add(c, opts[i].check, NULL, VB_CHECK_OK, NULL, "%s: %s=%s", opts[i].what,
			    opts[i].name, v);
		else
			add(c, opts[i].check, NULL, opts[i].missing, opts[i].hint, "%s: %s is not set",
			    opts[i].what, opts[i].name);
	}
}

static void check_memlock(const struct vb_sys *s, struct vb_checks *c)
{
	struct rlimit r;

	if (s->fake) {
		add(c, "memlock", NULL, VB_CHECK_INFO, NULL,
		    "RLIMIT_MEMLOCK not checked: a captured tree carries no resource limits");
		return;
	}
	if (getrlimit(RLIMIT_MEMLOCK, &r) < 0)
		return;
	if (r.rlim_cur == RLIM_INFINITY)
		add(c, "memlock", NULL, VB_CHECK_OK, NULL, "RLIMIT_MEMLOCK unlimited");
	else
		add(c, "memlock", NULL, VB_CHECK_INFO,
		    "exporting needs none; raise it (LimitMEMLOCK=, ulimit -l) for DMA mappings of RAM",
		    "RLIMIT_MEMLOCK %llu KiB: type1 DMA mappings of RAM pin against it",
		    (unsigned long long)r.rlim_cur / 1024);
}

/* "Linux version 7.3.4+deb13-amd64 (...)": the release is the third word.
 * A capture may hold /proc/version without osrelease. */
static void release_from_version(const struct vb_sys *s, char *release, size_t n)
{
	char buf[512], word[128];

	release[0] = '\0';
	if (read_root(s, "/proc/version", buf, sizeof(buf)) > 0 &&
	    sscanf(buf, "Linux version %127s", word) == 1)
		snprintf(release, n, "%s", word);
}

void vb_doctor_host(const struct vb_sys *s, struct vb_checks *c)
{
	char release[128] = "", origin[PATH_MAX], val[16];
	char *config;

	if (read_root(s, "/proc/sys/kernel/osrelease", release, sizeof(release)) <= 0)
		release_from_version(s, release, sizeof(release));
	config = kernel_config(s, release, origin, sizeof(origin));
	check_kernel(release, config && vb_kconfig_value(config, "CONFIG_VFIO_PCI_DMABUF", val,
							  sizeof(val)), c);
	check_iommu(s, c);
	check_modules(s, release, c);
	check_node(s, "/dev/vfio/vfio", "vfio-container", VB_CHECK_FAIL,
		   "modprobe vfio (the container node comes with VFIO_CONTAINER or IOMMUFD_VFIO_CONTAINER)",
		   "/dev/vfio/vfio is missing: no legacy VFIO container", c);
	check_node(s, "/dev/iommu", "dev-iommu", VB_CHECK_INFO,
		   "optional: needs CONFIG_IOMMUFD; the legacy group path works without it",
		   "/dev/iommu is missing: no iommufd (cdev open and 'verify' unavailable)", c);
	check_config(s, release, config, origin, c);
	free(config);
	check_memlock(s, c);
}

static void check_bars(const struct vb_sys *s, const char *bdf, struct vb_checks *c)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	int memory = 0;

	for (int i = 0; i < VB_MAX_BARS; i++) {
		struct vb_bar b;
		struct vb_err e = { 0 };
		bool present;
		char name[16], size[16];

		if (vb_pci_read_bar(s, bdf, i, &b, &present, &e) < 0 || !present)
			continue;
		snprintf(name, sizeof(name), "bar%d", i);
		vb_size_format(b.size, size, sizeof(size));
		if (b.is_io)
			add(c, name, bdf, VB_CHECK_INFO, NULL,
			    "BAR %d: I/O ports (%s): cannot be exported", i, size);
		else if (b.size % page)
			add(c, name, bdf, VB_CHECK_WARN, "only whole pages can be exported",
			    "BAR %d: %llu bytes, smaller than a page: cannot be exported", i,
			    (unsigned long long)b.size);
		else {
			add(c, name, bdf, VB_CHECK_OK, NULL, "BAR %d: %s%s%s memory: exportable", i,
			    size, b.prefetchable ? " prefetchable" : "", b.is_64bit ? " 64-bit" : "");
			memory++;
		}
	}
	if (!memory)
		add(c, "bars", bdf, VB_CHECK_FAIL, "choose a device with a memory BAR",
		    "no exportable memory BAR");
}

static void probe_feature(const struct vb_sys *s, const char *bdf, const struct vb_doctor_opts *o,
			  struct vb_checks *c)
{
	struct vb_vfio_dev d;
	struct vb_err e = { 0 };

	if (vb_vfio_open(s, bdf, o->mode, &d, &e) < 0) {
		add(c, "probe", bdf, e.exit_code == VB_EXIT_BUSY ? VB_CHECK_INFO : VB_CHECK_WARN,
		    e.exit_code == VB_EXIT_BUSY ? "another process owns it (vfiobuf serve?)" : NULL,
		    "cannot open through VFIO to probe: %s%s%s", e.msg, e.errnum ? ": " : "",
		    e.errnum ? strerror(e.errnum) : "");
		return;
	}
	if (vb_vfio_probe_dmabuf(&d, &e) == 0)
		add(c, "probe", bdf, VB_CHECK_OK, NULL,
		    "VFIO_DEVICE_FEATURE_DMA_BUF supported (probed, %s path)", vb_vfio_mode_name(d.mode));
	else
		add(c, "probe", bdf, VB_CHECK_FAIL,
		    "a 6.19+ kernel with VFIO_PCI_DMABUF", "dma-buf export probe failed: %s", e.msg);
	vb_vfio_close(&d);
}

static void check_group(const struct vb_sys *s, const char *bdf, int group, struct vb_checks *c)
{
	char culprits[512], rel[64], path[PATH_MAX];

	if (group < 0) {
		add(c, "group", bdf, VB_CHECK_FAIL, iommu_hint(s), "in no IOMMU group");
		return;
	}
	vb_vfio_group_culprits(s, group, culprits, sizeof(culprits));
	/* the device itself on a host driver is the driver check's business */
	if (!strncmp(culprits, bdf, strlen(bdf)) && !strchr(culprits, ','))
		culprits[0] = '\0';
	if (culprits[0])
		add(c, "group", bdf, VB_CHECK_WARN, "vfiobuf bind --group binds the whole group",
		    "IOMMU group %d is not viable: %s", group, culprits);
	else
		add(c, "group", bdf, VB_CHECK_OK, NULL, "IOMMU group %d is viable", group);
	vb_vfio_group_node(group, rel, sizeof(rel));
	if (root_exists(s, rel, path, sizeof(path)) && access(path, R_OK | W_OK) < 0)
		add(c, "group-node", bdf, VB_CHECK_WARN, "run as root or own the node (udev rule)",
		    "%s: no read-write access for uid %u", rel, (unsigned)geteuid());
}

/* Whether the bound VFIO driver implements dma-buf export, by the 7.3
 * table (the probe, when it runs, asks the kernel). */
static void check_driver_export(const struct vb_sys *s, const char *bdf, const char *drv,
				struct vb_checks *c)
{
	char fix[320];

	switch (vb_vfio_driver_exports(drv, true)) {
	case VB_EXPORT_YES:
		add(c, "driver-export", bdf, VB_CHECK_OK, NULL,
		    "%s implements dma-buf export (it sets get_dmabuf_phys in Linux 7.3)", drv);
		break;
	case VB_EXPORT_NO:
		vb_vfio_export_fix(s, bdf, fix, sizeof(fix));
		add(c, "driver-export", bdf, VB_CHECK_FAIL, fix,
		    "%s implements no dma-buf export (no get_dmabuf_phys in Linux 7.3): "
		    "export will be refused (EOPNOTSUPP)", drv);
		break;
	default:
		add(c, "driver-export", bdf, VB_CHECK_WARN, "the probe tells: vfiobuf doctor as root",
		    "%s: a VFIO driver Linux 7.3 does not have; whether it exports dma-bufs is "
		    "known only by probing", drv);
	}
}

int vb_doctor_device(const struct vb_sys *s, const char *bdf, const struct vb_doctor_opts *o,
		     struct vb_checks *c, struct vb_err *e)
{
	char drv[NAME_MAX + 1] = "", hint[96];
	int group;

	if (!vb_sys_exists(s, "bus/pci/devices/%s", bdf))
		return vb_err_set(e, VB_EXIT_NOTFOUND, ENODEV, bdf, "no such PCI device");
	vb_sys_readlink_base(s, drv, sizeof(drv), "bus/pci/devices/%s/driver", bdf);
	group = vb_sys_iommu_group(s, bdf);
	if (vb_vfio_driver_is_vfio(s, drv)) {
		add(c, "driver", bdf, VB_CHECK_OK, NULL, "bound to %s, a VFIO driver", drv);
		check_driver_export(s, bdf, drv, c);
	} else {
		snprintf(hint, sizeof(hint), "vfiobuf bind %s", bdf);
		add(c, "driver", bdf, VB_CHECK_WARN, hint, "%s%s: not on a VFIO driver",
		    drv[0] ? "bound to " : "no driver", drv);
	}
	check_group(s, bdf, group, c);
	check_bars(s, bdf, c);
	if (o->probe && vb_vfio_driver_is_vfio(s, drv) && group >= 0 && !s->fake)
		probe_feature(s, bdf, o, c);
	return 0;
}

static void kconfig_fact(const char *config, const char *name, char *out, size_t n)
{
	char val[16];
	const char *v = config ? vb_kconfig_value(config, name, val, sizeof(val)) : NULL;

	snprintf(out, n, "%s", !config ? "" : v ? v : "n");
}

void vb_doctor_facts(const struct vb_sys *s, struct vb_host_facts *f)
{
	char origin[PATH_MAX], dir[PATH_MAX];
	char *config;

	memset(f, 0, sizeof(*f));
	if (read_root(s, "/proc/sys/kernel/osrelease", f->kernel, sizeof(f->kernel)) <= 0)
		release_from_version(s, f->kernel, sizeof(f->kernel));
	config = kernel_config(s, f->kernel, origin, sizeof(origin));
	f->have_config = config != NULL;
	kconfig_fact(config, "CONFIG_VFIO_PCI_DMABUF", f->dmabuf_export, sizeof(f->dmabuf_export));
	kconfig_fact(config, "CONFIG_PCI_P2PDMA", f->p2pdma, sizeof(f->p2pdma));
	kconfig_fact(config, "CONFIG_IOMMUFD", f->iommufd, sizeof(f->iommufd));
	kconfig_fact(config, "CONFIG_VFIO_DEVICE_CDEV", f->vfio_cdev, sizeof(f->vfio_cdev));
	free(config);
	if (vb_sys_path(s, dir, sizeof(dir), "kernel/iommu_groups") == 0)
		f->iommu_groups = count_entries(dir, NULL, 0);
}
