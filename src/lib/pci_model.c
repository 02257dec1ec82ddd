/* pci_model: device inventory through libpci and sysfs (see pci_model.h).
 *
 * libpci's error callback has no context pointer and must not return (its
 * callers continue with NULL handles), so a libpci error is turned into a
 * longjmp to the vb_pci entry point that called into libpci.  The jump
 * target is the one piece of thread-local state in the core; it is only set
 * for the duration of a call into libpci.
 */
#include "pci_model.h"
#include "vfio_driver.h"
#include "pci_dump.h"
#include "libpci_lazy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct vb_pci {
	struct pci_access *acc;
	const struct vb_sys *sys;
	unsigned flags;
	char pci_path[PATH_MAX];
	char libpci_msg[256];
	jmp_buf jump;
	struct vb_devlist dump_devs; /* a dump's functions, scanned once for lookups */
	bool dump_scanned;
	/* vb_vfio_driver_is_vfio() per driver name, asked once per scan: the
	 * answer lists the driver's functions, so asking per function made a
	 * scan quadratic in the functions bound to one driver */
	struct vfio_verdict {
		char driver[sizeof(((struct vb_device *)0)->driver)];
		bool is_vfio;
	} *vfio_cache;
	size_t nvfio_cache;
	/* the directory holding the last function read (its link's target
	 * less the last component), open, and its real path: the functions
	 * of one bus share it, and BDF order reads them one after another */
	int parent_fd;
	char parent_link[PATH_MAX];
	char parent_real[PATH_MAX];
};

static __thread struct vb_pci *libpci_caller;

static void __attribute__((noreturn, format(printf, 1, 2))) libpci_error(char *msg, ...)
{
	struct vb_pci *p = libpci_caller;
	va_list ap;

	va_start(ap, msg);
	if (p)
		vsnprintf(p->libpci_msg, sizeof(p->libpci_msg), msg, ap);
	va_end(ap);
	if (p)
		longjmp(p->jump, 1);
	abort(); /* libpci error outside a guarded call: a bug of ours */
}

static void __attribute__((format(printf, 1, 2))) libpci_quiet(char *msg, ...)
{
	(void)msg;
}

static int guarded_init(struct vb_pci *p)
{
	libpci_caller = p;
	if (setjmp(p->jump)) {
		libpci_caller = NULL;
		return -1;
	}
	pci_init(p->acc);
	libpci_caller = NULL;
	return 0;
}

static struct vb_pci *open_dump(struct vb_pci *p, struct vb_err *e);

struct vb_pci *vb_pci_open(const struct vb_sys *s, unsigned flags, struct vb_err *e)
{
	struct vb_pci *p = calloc(1, sizeof(*p));
	char devices[PATH_MAX];

	if (!p) {
		vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
		return NULL;
	}
	p->sys = s;
	p->flags = flags;
	p->parent_fd = -1;
	if (vb_sys_is_dump(s))
		return open_dump(p, e);
	if (vb_sys_path(s, p->pci_path, sizeof(p->pci_path), "bus/pci") < 0 ||
	    vb_sys_path(s, devices, sizeof(devices), "bus/pci/devices") < 0) {
		vb_err_set(e, VB_EXIT_USAGE, ENAMETOOLONG, NULL, "sysfs path too long");
		free(p);
		return NULL;
	}
	if (access(devices, R_OK | X_OK) < 0) {
		vb_err_set(e, errno == ENOENT ? VB_EXIT_NOTSUP : vb_exit_from_errno(errno), errno,
			   NULL, "cannot read the PCI device list %s", devices);
		free(p);
		return NULL;
	}
	/* sysfs is read directly: libpci only looks names up */
	if (!(flags & VB_PCI_NAMES))
		return p;
	if (vb_libpci_load(e) < 0) {
		free(p);
		return NULL;
	}
	p->acc = pci_alloc();
	p->acc->error = libpci_error;
	p->acc->warning = libpci_quiet;
	p->acc->debug = libpci_quiet;
	p->acc->method = PCI_ACCESS_SYS_BUS_PCI;
	pci_set_param(p->acc, "sysfs.path", p->pci_path);
	if (flags & VB_PCI_NAMES) {
		/* Reuse lspci's caches and database; never go to the network. */
		p->acc->id_lookup_mode = PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB;
		/* pci.ids only: the udev hwdb fallback leaks in libudev and
		 * costs a database open per miss. */
		pci_set_param(p->acc, "hwdb.disable", "1");
	}
	if (guarded_init(p) < 0) {
		vb_err_set(e, VB_EXIT_FAIL, 0, NULL, "libpci: %s", p->libpci_msg);
		free(p);
		return NULL;
	}
	return p;
}

void vb_pci_close(struct vb_pci *p)
{
	if (!p)
		return;
	vb_devlist_free(&p->dump_devs);
	free(p->vfio_cache);
	if (p->parent_fd >= 0)
		close(p->parent_fd);
	if (p->acc)
		pci_cleanup(p->acc);
	free(p);
}

static void read_names(struct vb_pci *p, struct vb_device *v)
{
	unsigned int cls = v->class_code >> 8;

	libpci_caller = p;
	if (setjmp(p->jump)) {
		libpci_caller = NULL;
		v->vendor_name[0] = v->device_name[0] = v->class_name[0] = '\0';
		return;
	}

	if (!pci_lookup_name(p->acc, v->vendor_name, sizeof(v->vendor_name), PCI_LOOKUP_VENDOR,
			     v->vendor_id))
		v->vendor_name[0] = '\0';
	if (!pci_lookup_name(p->acc, v->device_name, sizeof(v->device_name), PCI_LOOKUP_DEVICE,
			     v->vendor_id, v->device_id))
		v->device_name[0] = '\0';
	if (!pci_lookup_name(p->acc, v->class_name, sizeof(v->class_name), PCI_LOOKUP_CLASS, cls))
		v->class_name[0] = '\0';
	libpci_caller = NULL;
}

/* ---- reading one function's sysfs directory -------------------------------- */

/* An attribute of the directory dirfd, newline stripped.  Returns its
 * length, -errno, or -EFBIG when it does not fit buf. */
static int attr_read(int dirfd, const char *name, char *buf, size_t n)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t len;

	if (fd < 0)
		return -errno;
	len = read(fd, buf, n);
	if (len < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	close(fd);
	if ((size_t)len >= n)
		return -EFBIG;
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return (int)len;
}

/* A hex attribute ("0x8086"); false when missing or not a number <= max. */
static bool attr_hex(int dirfd, const char *name, unsigned long max, unsigned long *out)
{
	char buf[32], *end;
	unsigned long v;

	if (attr_read(dirfd, name, buf, sizeof(buf)) <= 0)
		return false;
	errno = 0;
	v = strtoul(buf, &end, 16);
	if (errno || end == buf || *end || v > max)
		return false;
	*out = v;
	return true;
}

/* One line of a sysfs `resource` file into a BAR.  Returns 1 for a BAR,
 * 0 for an empty slot, -1 for an unparsable line, -2 for a range that
 * spans past 2^64. */
/* One hex field as sscanf's %llx reads it, *pos moved past it. */
static bool hex_field(const char **pos, unsigned long long *v)
{
	char *end;

	*v = strtoull(*pos, &end, 16);
	if (end == *pos)
		return false;
	*pos = end;
	return true;
}

static int parse_resource_line(const char *line, int index, struct vb_bar *b)
{
	unsigned long long start, end, flags;
	const char *p = line;

	/* "%llx %llx %llx" and nothing after but blanks (a sscanf per line
	 * was a tenth of the inventory's own CPU time) */
	if (!hex_field(&p, &start) || !hex_field(&p, &end) || !hex_field(&p, &flags))
		return -1;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' || *p == '\f')
		p++;
	if (*p)
		return -1;
	if (end <= start)
		return 0; /* the kernel writes 0 0 0 for an unimplemented BAR */
	if (start == 0 && end == ~0ULL)
		return -2;
	memset(b, 0, sizeof(*b));
	b->index = index;
	b->start = start;
	b->size = end - start + 1;
	/* resource flags: IORESOURCE_IO 0x100, MEM_64 0x100000, PREFETCH 0x2000 */
	b->is_io = (flags & 0x100) != 0;
	b->is_64bit = (flags & 0x100000) != 0;
	b->prefetchable = (flags & 0x2000) != 0;
	return 1;
}

static void read_bars(int dirfd, struct vb_device *v)
{
	char buf[2048], *line, *next;
	int n = attr_read(dirfd, "resource", buf, sizeof(buf));

	v->nbars = 0;
	if (n < 0) {
		v->problems |= VB_PROB_RESOURCE;
		v->bad_resource_line = 0;
		return;
	}
	line = buf;
	for (int i = 0; i < VB_MAX_BARS && line && *line; i++, line = next) {
		int r;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		r = parse_resource_line(line, i, &v->bars[v->nbars]);
		if (r == 1)
			v->nbars++;
		else if (r == -2) {
			v->problems |= VB_PROB_BAR_WRAP;
			v->wrapped_bars |= 1u << i;
		} else if (r == -1 && !(v->problems & VB_PROB_RESOURCE)) {
			v->problems |= VB_PROB_RESOURCE;
			v->bad_resource_line = i + 1;
		}
	}
}

/* Up to 4096 bytes of `config`.  *file_size is what sysfs says the
 * function has (a non-root reader gets only 64 of them). */
static int read_config_bytes(int dirfd, uint8_t *cfg, size_t n)
{
	int fd = openat(dirfd, "config", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t got;

	if (fd < 0)
		return -errno;
	got = vb_read_full(fd, cfg, n);
	close(fd);
	return (int)got;
}

static void apply_config(struct vb_device *v, const struct vb_cfg_facts *f, unsigned flags)
{
	v->header_type = f->header_type;
	v->is_bridge = f->header_type == 1;
	v->multifunction = f->multifunction;
	v->secondary_bus = v->is_bridge ? f->secondary_bus : -1;
	v->subordinate_bus = v->is_bridge ? f->subordinate_bus : -1;
	v->pcie_type = VB_PCIE_UNKNOWN;
	v->acs = VB_ACS_UNREADABLE;
	if (!(flags & VB_PCI_CONFIG))
		return;
	v->pcie_type = f->pcie_type;
	switch (f->acs) {
	case VB_CFG_ACS_PRESENT:
		v->acs = VB_ACS_PRESENT;
		v->acs_offset = f->acs_offset;
		v->acs_cap = f->acs_cap;
		v->acs_ctrl = f->acs_ctrl;
		break;
	case VB_CFG_ACS_ABSENT:
		v->acs = VB_ACS_ABSENT;
		break;
	default:
		v->acs = VB_ACS_UNREADABLE;
	}
}

/* Identity from the attributes, the kernel's view (it fixes some classes);
 * from the config header when an attribute is missing or garbage. */
static void read_identity(int dirfd, struct vb_device *v, const struct vb_cfg_facts *f,
			  bool extra)
{
	unsigned long ven, dev, cls, x;
	bool have_ven = attr_hex(dirfd, "vendor", 0xffff, &ven);
	bool have_dev = attr_hex(dirfd, "device", 0xffff, &dev);
	bool have_cls = attr_hex(dirfd, "class", 0xffffff, &cls);

	if (!have_ven || !have_dev) {
		v->problems |= f->header_ok ? VB_PROB_VENDOR : VB_PROB_IDENT;
		if (f->header_ok) {
			ven = have_ven ? ven : f->vendor;
			dev = have_dev ? dev : f->device;
		}
	}
	if (!have_cls) {
		v->problems |= f->header_ok ? VB_PROB_CLASS : VB_PROB_IDENT;
		cls = f->class_code;
	}
	v->vendor_id = (have_ven || f->header_ok) ? (uint16_t)ven : 0xffff;
	v->device_id = (have_dev || f->header_ok) ? (uint16_t)dev : 0xffff;
	v->class_code = (uint32_t)cls;
	if (!extra) {
		v->revision = f->revision;
		return;
	}
	v->revision = attr_hex(dirfd, "revision", 0xff, &x) ? (uint8_t)x : f->revision;
	if (attr_hex(dirfd, "subsystem_vendor", 0xffff, &x)) {
		v->subsys_vendor_id = (uint16_t)x;
		if (attr_hex(dirfd, "subsystem_device", 0xffff, &x))
			v->subsys_id = (uint16_t)x;
	}
}

static int parse_int(const char *s, long lo, long hi, int dflt)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(s, &end, 10);
	return errno || end == s || *end || x < lo || x > hi ? dflt : (int)x;
}

static void read_links(int dirfd, struct vb_device *v, bool extra, bool vfio)
{
	char buf[256];
	int n;

	n = vb_readlink_base_at(dirfd, "driver", v->driver, sizeof(v->driver));
	if (n == -ENAMETOOLONG) {
		v->problems |= VB_PROB_DRIVER_NAME;
		v->driver[0] = '\0';
	} else if (n < 0)
		v->driver[0] = '\0';
	v->iommu_group = vfio && vb_readlink_base_at(dirfd, "iommu_group", buf, sizeof(buf)) > 0
				 ? parse_int(buf, 0, INT_MAX, -1)
				 : -1;
	v->numa_node = attr_read(dirfd, "numa_node", buf, sizeof(buf)) > 0
			       ? parse_int(buf, -1, INT_MAX, -1)
			       : -1;
	if (vb_readlink_base_at(dirfd, "physfn", buf, sizeof(buf)) > 0 && vb_bdf_parse(buf, &v->physfn) == 0)
		v->is_vf = true;
	if (extra && attr_read(dirfd, "driver_override", buf, sizeof(buf)) > 0 &&
	    strcmp(buf, "(null)") != 0)
		snprintf(v->driver_override, sizeof(v->driver_override), "%.*s",
			 (int)sizeof(v->driver_override) - 1, buf);
}

/* Whether driver is a VFIO driver, remembered per driver name for the
 * life of p (a name that does not fit, or no memory, is simply asked). */
static bool driver_is_vfio(struct vb_pci *p, const char *driver)
{
	struct vfio_verdict *nc;
	bool yes;

	for (size_t i = 0; i < p->nvfio_cache; i++)
		if (strcmp(p->vfio_cache[i].driver, driver) == 0)
			return p->vfio_cache[i].is_vfio;
	yes = vb_vfio_driver_is_vfio(p->sys, driver);
	if (strlen(driver) >= sizeof(nc->driver))
		return yes;
	nc = realloc(p->vfio_cache, (p->nvfio_cache + 1) * sizeof(*nc));
	if (!nc)
		return yes;
	p->vfio_cache = nc;
	snprintf(nc[p->nvfio_cache].driver, sizeof(nc->driver), "%s", driver);
	nc[p->nvfio_cache++].is_vfio = yes;
	return yes;
}

/* vfio-dev/vfioN (the VFIO cdev) and port-service children (BDF:pcie0NN):
 * one pass over the directory, only where they can exist and matter: the
 * cdev under a VFIO driver, the port services where a root port is
 * inferred (a bridge whose PCIe type was to be read and was not). */
static void read_children(struct vb_pci *p, int devfd, struct vb_device *v, bool vfio)
{
	char sub[PATH_MAX];
	int fd;
	DIR *dir;
	struct dirent *de;
	size_t nl = strlen(v->name);

	if (v->is_bridge) {
		/* evidence for a root port whose PCIe type was not read: a
		 * bridge whose type is known needs none */
		if (!(p->flags & VB_PCI_CONFIG) || v->pcie_type != VB_PCIE_UNKNOWN)
			return;
		fd = openat(devfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		dir = fd >= 0 ? fdopendir(fd) : NULL;
		while (dir && (de = readdir(dir)))
			if (strncmp(de->d_name, v->name, nl) == 0 &&
			    strncmp(de->d_name + nl, ":pcie0", 6) == 0)
				v->port_services = true;
		if (dir)
			closedir(dir);
		else if (fd >= 0)
			close(fd);
		return;
	}
	if (!vfio || !v->driver[0] || !driver_is_vfio(p, v->driver))
		return;
	fd = openat(devfd, "vfio-dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "vfio", 4) != 0 && strncmp(de->d_name, "noiommu-vfio", 12) != 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/dev", de->d_name);
		if (faccessat(dirfd(dir), sub, F_OK, 0) == 0) {
			snprintf(v->vfio_cdev_node, sizeof(v->vfio_cdev_node), "/dev/vfio/devices/%s",
				 de->d_name);
			break;
		}
	}
	closedir(dir);
}

static bool is_host_bridge_dir(const char *c, struct vb_bdf *root)
{
	unsigned dom, bus;
	int used = 0;

	if (strncmp(c, "pci", 3) != 0 || sscanf(c + 3, "%x:%x%n", &dom, &bus, &used) != 2 ||
	    c[3 + used] != '\0' || bus > 0xff)
		return false;
	root->domain = dom;
	root->bus = (uint8_t)bus;
	return true;
}

/* The device's place from its real sysfs path: the BDF directories between
 * the nearest pci<domain>:<bus> directory and it (the kernel's upstream
 * walk follows them), the parent (last of them) and the host bridge.  A
 * path with no pci<domain>:<bus> component gets its host bridge named from
 * the root bus of the topmost function. */
static void read_topology_path(char *real, struct vb_device *v)
{
	struct vb_bdf comps[VB_PATH_MAX], hb;
	int n = 0;
	char *slash = strrchr(real, '/'), *base;

	if (slash && strcmp(slash + 1, v->name) != 0) {
		struct vb_bdf other;

		if (vb_bdf_parse(slash + 1, &other) == 0 && !vb_bdf_equal(&other, &v->bdf))
			v->problems |= VB_PROB_NAME_MISMATCH;
	}
	/* walk components upwards from the parent directory */
	while (slash) {
		*slash = '\0';
		slash = strrchr(real, '/');
		base = slash ? slash + 1 : real;
		if (is_host_bridge_dir(base, &hb)) {
			snprintf(v->host_bridge, sizeof(v->host_bridge), "pci%04x:%02x", hb.domain,
				 hb.bus);
			break;
		}
		if (n == VB_PATH_MAX || vb_bdf_parse(base, &comps[n]) != 0)
			break;
		n++;
	}
	/* comps[] runs bottom-up; store top-down */
	v->npath = n;
	for (int i = 0; i < n; i++)
		v->path[i] = comps[n - 1 - i];
	if (n > 0) {
		v->has_parent = true;
		v->parent = v->path[n - 1];
	}
	if (!v->host_bridge[0]) {
		const struct vb_bdf *root = n > 0 ? &v->path[0] : &v->bdf;

		snprintf(v->host_bridge, sizeof(v->host_bridge), "pci%04x:%02x", root->domain,
			 root->bus);
		v->host_bridge_synthesized = true;
	}
}

/* The kernel's name of an open directory (/proc/self/fd/N): its real
 * path; false when /proc cannot say (not mounted, directory removed). */
static bool fd_real_path(int fd, char *real, size_t n)
{
	char link[32];
	ssize_t len;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, real, n - 1);
	if (len <= 0 || (size_t)len >= n - 1 || real[0] != '/')
		return false;
	real[len] = '\0';
	return !strstr(real, " (deleted)");
}

/* Make the directory of the link target's parent part the open one. */
static bool enter_parent(struct vb_pci *p, int devsfd, const char *parent)
{
	if (p->parent_fd >= 0 && strcmp(p->parent_link, parent) == 0)
		return true;
	if (p->parent_fd >= 0)
		close(p->parent_fd);
	p->parent_link[0] = '\0';
	p->parent_fd = openat(devsfd, parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->parent_fd < 0)
		return false;
	if (!fd_real_path(p->parent_fd, p->parent_real, sizeof(p->parent_real)) ||
	    strlen(parent) >= sizeof(p->parent_link)) {
		close(p->parent_fd);
		p->parent_fd = -1;
		return false;
	}
	strcpy(p->parent_link, parent);
	return true;
}

/* Open the function's directory and name its real path.  Its
 * bus/pci/devices link is read; the directory the target names less its
 * last component is opened as the kernel resolves it (once for all the
 * functions of a bus) and named by the kernel; the function's own entry in
 * it is opened with O_NOFOLLOW, so that parent + "/" + entry is its real
 * path.  Any other case (not a link, a symlinked entry, no /proc) opens
 * the link as the kernel follows it and asks realpath(). */
static int open_function_dir(struct vb_pci *p, int devsfd, const char *name, char *real,
			     size_t n, bool *have_real)
{
	char target[PATH_MAX], link[PATH_MAX], *base;
	ssize_t len = readlinkat(devsfd, name, target, sizeof(target) - 1);
	int fd;

	*have_real = false;
	if (len > 0) {
		target[len] = '\0';
		base = strrchr(target, '/');
		if (base && base != target && base[1] && strcmp(base + 1, ".") != 0 &&
		    strcmp(base + 1, "..") != 0) {
			*base++ = '\0';
			if (enter_parent(p, devsfd, target)) {
				fd = openat(p->parent_fd, base,
					    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (fd >= 0) {
					*have_real = (size_t)snprintf(real, n, "%s/%s", p->parent_real,
								      base) < n;
					if (*have_real)
						return fd;
					close(fd);
				}
			}
		}
	}
	fd = openat(devsfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*have_real = vb_sys_path(p->sys, link, sizeof(link), "bus/pci/devices/%s", name) == 0 &&
		     n >= PATH_MAX && realpath(link, real);
	return fd;
}

/* Fill one function from its sysfs directory.  Reads what can be read;
 * what cannot is recorded in v->problems. */
static void fill_from_dir(struct vb_pci *p, int dirfd, struct vb_device *v)
{
	uint8_t cfg[VB_CFG_EXT_LEN];
	struct vb_cfg_facts f;
	int len = read_config_bytes(dirfd, cfg, sizeof(cfg));
	bool extra = !(p->flags & VB_PCI_NO_EXTRA), vfio = !(p->flags & VB_PCI_NO_VFIO);

	v->cfg_size = len > 0 ? len : 0;
	vb_cfg_parse(cfg, len > 0 ? (size_t)len : 0, true, &f);
	if (!f.header_ok) {
		v->config_broken = true;
		v->problems |= VB_PROB_CONFIG;
	}
	read_identity(dirfd, v, &f, extra);
	apply_config(v, &f, p->flags);
	read_bars(dirfd, v);
	read_links(dirfd, v, extra, vfio);
	read_children(p, dirfd, v, vfio);
	if (v->iommu_group >= 0 && v->driver[0] && driver_is_vfio(p, v->driver))
		vb_vfio_group_node(v->iommu_group, v->vfio_group_node, sizeof(v->vfio_group_node));
	if (p->flags & VB_PCI_NAMES)
		read_names(p, v);
}

static void init_device(struct vb_device *v, const struct vb_bdf *bdf)
{
	memset(v, 0, sizeof(*v));
	v->bdf = *bdf;
	vb_bdf_format(bdf, v->name);
	v->iommu_group = -1;
	v->numa_node = -1;
	v->secondary_bus = v->subordinate_bus = -1;
	v->pcie_type = VB_PCIE_UNKNOWN;
	v->acs = VB_ACS_UNREADABLE;
}

/* Read bus/pci/devices/NAME.  Returns 0, or -errno when the entry cannot
 * be opened at all. */
static int read_function(struct vb_pci *p, int devsfd, const struct vb_bdf *bdf,
			 struct vb_device *v)
{
	char real[PATH_MAX];
	bool have_real;
	int dirfd;

	init_device(v, bdf);
	dirfd = open_function_dir(p, devsfd, v->name, real, sizeof(real), &have_real);
	if (dirfd < 0)
		return dirfd;
	fill_from_dir(p, dirfd, v);
	close(dirfd);
	if (have_real)
		read_topology_path(real, v);
	return 0;
}

static int cmp_dev(const void *a, const void *b)
{
	return vb_bdf_compare(&((const struct vb_device *)a)->bdf,
			      &((const struct vb_device *)b)->bdf);
}

static int open_devices_dir(struct vb_pci *p, struct vb_err *e)
{
	char path[PATH_MAX];
	int fd;

	if (vb_sys_path(p->sys, path, sizeof(path), "bus/pci/devices") < 0)
		return vb_err_set(e, VB_EXIT_USAGE, ENAMETOOLONG, NULL, "sysfs path too long");
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vb_err_set(e, vb_exit_from_errno(errno), errno, NULL,
				  "cannot read the PCI device list %s", path);
	return fd;
}

static int add_bogus(struct vb_devlist *l, const char *name)
{
	char **nb = realloc(l->bogus, (l->nbogus + 1) * sizeof(*nb));

	if (!nb)
		return -1;
	l->bogus = nb;
	if (!(l->bogus[l->nbogus] = strdup(name)))
		return -1;
	l->nbogus++;
	return 0;
}

/* Grow l->v to hold at least want entries. */
static int reserve(struct vb_devlist *l, size_t *cap, size_t want)
{
	struct vb_device *nv;
	size_t ncap = *cap ? *cap : 64;

	if (want <= *cap)
		return 0;
	while (ncap < want)
		ncap *= 2;
	nv = realloc(l->v, ncap * sizeof(*nv));
	if (!nv)
		return -1;
	l->v = nv;
	*cap = ncap;
	return 0;
}

static int scan_dump(struct vb_pci *p, struct vb_devlist *out, struct vb_err *e);

static int cmp_bdf(const void *a, const void *b)
{
	return vb_bdf_compare(a, b);
}

/* The functions' addresses in bus/pci/devices (entries that are none go
 * to out->bogus), in BDF order: the functions of a bus one after another. */
/* Is function name's directory at or below top's?  Its bus/pci/devices
 * link names every directory of its path (the kernel's links are relative
 * and canonical: "../../../devices/pci0000:00/0000:00:02.0/0000:01:00.0").
 * A link that cannot be read counts as below: a scan that leaves out a
 * function below top could miss a redirecting port, one more is harmless. */
static bool function_under(int devsfd, const char *name, const char *top)
{
	char target[PATH_MAX];
	ssize_t len = readlinkat(devsfd, name, target, sizeof(target) - 1);
	size_t tl = strlen(top);

	if (len < 0 || (size_t)len >= sizeof(target) - 1)
		return true;
	target[len] = '\0';
	for (const char *c = target; (c = strstr(c, top)); c++)
		if ((c == target || c[-1] == '/') && (c[tl] == '/' || c[tl] == '\0'))
			return true;
	return false;
}

static int list_functions(DIR *dir, const char *top, struct vb_devlist *out,
			  struct vb_bdf **bdfs, size_t *n)
{
	size_t cap = 0;
	struct dirent *de;

	*bdfs = NULL;
	*n = 0;
	while ((de = readdir(dir))) {
		struct vb_bdf bdf, *nb;
		char canon[VB_BDF_STRLEN];

		if (de->d_name[0] == '.')
			continue;
		if (vb_bdf_parse(de->d_name, &bdf) < 0 ||
		    strcmp(vb_bdf_format(&bdf, canon), de->d_name) != 0) {
			if (add_bogus(out, de->d_name) < 0)
				return -1;
			continue;
		}
		if (top && !function_under(dirfd(dir), de->d_name, top))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			nb = realloc(*bdfs, cap * sizeof(*nb));
			if (!nb)
				return -1;
			*bdfs = nb;
		}
		(*bdfs)[(*n)++] = bdf;
	}
	qsort(*bdfs, *n, sizeof(**bdfs), cmp_bdf);
	return 0;
}

int vb_pci_scan(struct vb_pci *p, struct vb_devlist *out, struct vb_err *e)
{
	return vb_pci_scan_under(p, NULL, out, e);
}

int vb_pci_scan_under(struct vb_pci *p, const char *top, struct vb_devlist *out,
		      struct vb_err *e)
{
	int devsfd;
	size_t cap = 0, nbdfs = 0;
	struct vb_bdf *bdfs = NULL;
	DIR *dir;

	if (vb_sys_is_dump(p->sys))
		return scan_dump(p, out, e);
	devsfd = open_devices_dir(p, e);
	memset(out, 0, sizeof(*out));
	if (devsfd < 0)
		return -1;
	dir = fdopendir(devsfd);
	if (!dir) {
		close(devsfd);
		return vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "cannot read the PCI device list");
	}
	if (list_functions(dir, top, out, &bdfs, &nbdfs) < 0 || reserve(out, &cap, nbdfs) < 0)
		goto oom;
	for (size_t i = 0; i < nbdfs; i++)
		if (read_function(p, dirfd(dir), &bdfs[i], &out->v[out->n]) == 0)
			out->n++;
	free(bdfs);
	closedir(dir);
	return 0;
oom:
	free(bdfs);
	closedir(dir);
	vb_devlist_free(out);
	return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
}

static int lookup_dump(struct vb_pci *p, const char *name, const struct vb_bdf *bdf,
		       struct vb_device *out, struct vb_err *e);

int vb_pci_lookup(struct vb_pci *p, const struct vb_bdf *bdf, struct vb_device *out,
		  struct vb_err *e)
{
	char name[VB_BDF_STRLEN];
	int devsfd, rc;

	vb_bdf_format(bdf, name);
	if (vb_sys_is_dump(p->sys))
		return lookup_dump(p, name, bdf, out, e);
	if (!vb_sys_exists(p->sys, "bus/pci/devices/%s", name))
		return vb_err_set(e, VB_EXIT_NOTFOUND, 0, name, "no such PCI device");
	devsfd = open_devices_dir(p, e);
	if (devsfd < 0)
		return -1;
	rc = read_function(p, devsfd, bdf, out);
	close(devsfd);
	if (rc < 0)
		return vb_err_set(e, vb_exit_from_errno(-rc), -rc, name, "cannot read the device");
	if (out->config_broken)
		return vb_err_set(e, VB_EXIT_FAIL, 0, name,
				  "cannot read the 64-byte configuration header from sysfs "
				  "(config file truncated or unreadable)");
	return 0;
}

/* ---- an lspci dump (vfiobuf -F) ---------------------------------------------- */

/* The dump is parsed by libpci's dump method in pci_init (the bytes of every
 * function it lists); its errors (unreadable, malformed line) are the user's
 * input: usage errors. */
static struct vb_pci *open_dump(struct vb_pci *p, struct vb_err *e)
{
	snprintf(p->pci_path, sizeof(p->pci_path), "%s", p->sys->dump);
	if (vb_libpci_load(e) < 0) {
		free(p);
		return NULL;
	}
	p->acc = pci_alloc();
	p->acc->error = libpci_error;
	p->acc->warning = libpci_quiet;
	p->acc->debug = libpci_quiet;
	p->acc->method = PCI_ACCESS_DUMP;
	pci_set_param(p->acc, "dump.name", p->pci_path);
	if (p->flags & VB_PCI_NAMES) {
		p->acc->id_lookup_mode = PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB;
		pci_set_param(p->acc, "hwdb.disable", "1");
	}
	if (guarded_init(p) < 0) {
		vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "cannot read lspci dump '%s': %s", p->sys->dump,
			   p->libpci_msg);
		pci_cleanup(p->acc);
		free(p);
		return NULL;
	}
	return p;
}

/* How many config bytes the dump holds for d: lspci prints 64 (-x; 128 for
 * a CardBus bridge), 256 (-xxx) or 4096 (-xxxx). */
static size_t dump_bytes(struct pci_dev *d, uint8_t *cfg)
{
	static const int sizes[] = { VB_CFG_EXT_LEN, VB_CFG_LEGACY_LEN, 128, VB_CFG_HEADER_LEN };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (pci_read_block(d, 0, cfg, sizes[i]))
			return (size_t)sizes[i];
	return 0;
}

/* One function from its dumped bytes.  ext_complete: the dump was made with
 * -xxxx (some function has 4096 bytes), so 256 bytes mean no extended space. */
static void fill_from_dump(struct vb_pci *p, struct pci_dev *d, bool ext_complete,
			   struct vb_device *v)
{
	uint8_t cfg[VB_CFG_EXT_LEN];
	struct vb_bdf bdf = { (uint32_t)d->domain, d->bus, d->dev, d->func };
	struct vb_cfg_facts f;
	size_t len = dump_bytes(d, cfg);

	init_device(v, &bdf);
	v->captured = true;
	v->cfg_size = (int)len;
	vb_cfg_parse(cfg, len, ext_complete, &f);
	if (!f.header_ok) {
		v->config_broken = true;
		v->problems |= VB_PROB_CONFIG;
		v->vendor_id = v->device_id = 0xffff;
		return;
	}
	v->vendor_id = f.vendor;
	v->device_id = f.device;
	v->class_code = f.class_code;
	v->revision = f.revision;
	if (f.header_type == 0) {
		v->subsys_vendor_id = (uint16_t)(cfg[0x2c] | cfg[0x2d] << 8);
		v->subsys_id = (uint16_t)(cfg[0x2e] | cfg[0x2f] << 8);
	}
	apply_config(v, &f, p->flags);
	if (f.header_type == 2) { /* CardBus: lspci and the kernel put the card below it */
		v->secondary_bus = cfg[0x19];
		v->subordinate_bus = cfg[0x1a];
	}
	if (p->flags & VB_PCI_NAMES)
		read_names(p, v);
}

/* Every function of the dump; the tree from the bridges' bus numbers
 * (pci_dump.c).  A dump with no readable header at all is not an
 * `lspci -x` dump: a usage error. */
static int scan_dump(struct vb_pci *p, struct vb_devlist *out, struct vb_err *e)
{
	uint8_t cfg[VB_CFG_EXT_LEN];
	struct pci_dev *d;
	size_t n = 0, i = 0, readable = 0;
	bool ext_complete = false;

	memset(out, 0, sizeof(*out));
	for (d = p->acc->devices; d; d = d->next) {
		n++;
		ext_complete |= dump_bytes(d, cfg) > VB_CFG_LEGACY_LEN;
	}
	out->v = calloc(n ? n : 1, sizeof(*out->v));
	if (!out->v)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	for (d = p->acc->devices; d; d = d->next) {
		fill_from_dump(p, d, ext_complete, &out->v[i]);
		readable += !out->v[i++].config_broken;
	}
	out->n = n;
	if (!readable) {
		vb_devlist_free(out);
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL,
				  "lspci dump '%s' has no function with configuration bytes "
				  "(make it with lspci -x, -xxx or -xxxx)", p->sys->dump);
	}
	qsort(out->v, out->n, sizeof(*out->v), cmp_dev);
	vb_dump_build_tree(out);
	return 0;
}

/* vb_pci_lookup on a dump: the parent needs the whole tree. */
static int lookup_dump(struct vb_pci *p, const char *name, const struct vb_bdf *bdf,
		       struct vb_device *out, struct vb_err *e)
{
	const struct vb_device *d;

	if (!p->dump_scanned) {
		if (vb_pci_scan(p, &p->dump_devs, e) < 0)
			return -1;
		p->dump_scanned = true;
	}
	d = vb_devlist_find(&p->dump_devs, bdf);
	if (!d)
		return vb_err_set(e, VB_EXIT_NOTFOUND, 0, name, "no such PCI device in the dump");
	*out = *d;
	if (out->config_broken)
		return vb_err_set(e, VB_EXIT_FAIL, 0, name,
				  "the dump has less than the 64-byte configuration header");
	return 0;
}

/* ---- bridges missing from bus/pci/devices ------------------------------------ */

/* The directory of ancestor k of d: d's real path cut after that component. */
static int ancestor_dir(const struct vb_sys *s, const struct vb_device *d,
			const struct vb_bdf *anc, char *dir, size_t n)
{
	char link[PATH_MAX], real[PATH_MAX], want[VB_BDF_STRLEN + 1];
	char *hit;

	if (vb_sys_path(s, link, sizeof(link), "bus/pci/devices/%s", d->name) < 0 ||
	    !realpath(link, real))
		return -1;
	want[0] = '/';
	vb_bdf_format(anc, want + 1);
	hit = strstr(real, want);
	while (hit && hit[strlen(want)] != '/')
		hit = strstr(hit + 1, want);
	if (!hit)
		return -1;
	hit[strlen(want)] = '\0';
	return snprintf(dir, n, "%s", real) < (int)n ? 0 : -1;
}

static void synthesize(struct vb_pci *p, const struct vb_device *child, int k,
		       struct vb_device *v)
{
	const struct vb_sys *s = p->sys;
	char dir[PATH_MAX];
	int dirfd;

	init_device(v, &child->path[k]);
	v->synthesized = true;
	v->npath = k;
	memcpy(v->path, child->path, (size_t)k * sizeof(v->path[0]));
	if (k > 0) {
		v->has_parent = true;
		v->parent = child->path[k - 1];
	}
	snprintf(v->host_bridge, sizeof(v->host_bridge), "%s", child->host_bridge);
	v->host_bridge_synthesized = child->host_bridge_synthesized;
	v->is_bridge = true; /* it has functions below it */
	if (ancestor_dir(s, child, &child->path[k], dir, sizeof(dir)) < 0)
		return;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return;
	fill_from_dir(p, dirfd, v);
	close(dirfd);
	v->is_bridge = true;
	/* what a synthesized function lacks is said by `synthesized` */
	v->problems &= ~(VB_PROB_VENDOR | VB_PROB_CLASS | VB_PROB_RESOURCE | VB_PROB_CONFIG |
			 VB_PROB_IDENT);
}

int vb_devlist_add_ancestors(const struct vb_sys *s, struct vb_devlist *l, struct vb_err *e)
{
	struct vb_pci *p;
	size_t cap = l->n, added = 0, n0 = l->n;

	if (vb_sys_is_dump(s))
		return 0; /* a dump's tree has no path to take bridges from */
	p = vb_pci_open(s, VB_PCI_CONFIG, e);
	if (!p)
		return -1;
	for (size_t i = 0; i < n0 + added; i++) {
		/* l->v may move: copy the child */
		struct vb_device child = l->v[i];

		for (int k = child.npath - 1; k >= 0; k--) {
			bool known = vb_devlist_find(l, &child.path[k]) != NULL;

			for (size_t j = n0; !known && j < n0 + added; j++)
				known = vb_bdf_equal(&l->v[j].bdf, &child.path[k]);
			if (known)
				break; /* and everything above it was handled with it */
			if (reserve(l, &cap, l->n + 1) < 0) {
				vb_pci_close(p);
				return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
			}
			synthesize(p, &child, k, &l->v[l->n]);
			l->n++;
			added++;
		}
	}
	vb_pci_close(p);
	if (added)
		qsort(l->v, l->n, sizeof(*l->v), cmp_dev);
	return (int)added;
}

int vb_pci_lookup_ancestor(struct vb_pci *p, const struct vb_device *d, int k,
			   struct vb_device *out, struct vb_err *e)
{
	char name[VB_BDF_STRLEN];

	if (k < 0 || k >= d->npath)
		return vb_err_set(e, VB_EXIT_NOTFOUND, 0, d->name, "no such ancestor");
	if (vb_sys_is_dump(p->sys)) /* a dump's ancestors are all in it */
		return vb_pci_lookup(p, &d->path[k], out, e);
	if (vb_sys_exists(p->sys, "bus/pci/devices/%s", vb_bdf_format(&d->path[k], name)))
		return vb_pci_lookup(p, &d->path[k], out, e);
	synthesize(p, d, k, out);
	return 0;
}

/* The k-th problem of d as text into buf; false when there is no k-th. */
bool vb_device_problem(const struct vb_device *d, int k, char *buf, size_t n)
{
	int i = 0;

#define ITEM(cond, ...)                                   \
	do {                                              \
		if ((cond) && i++ == k) {                 \
			snprintf(buf, n, __VA_ARGS__);    \
			return true;                      \
		}                                         \
	} while (0)
	ITEM(d->problems & VB_PROB_IDENT,
	     "no identity: neither the vendor/device/class attributes nor config are readable");
	ITEM(!(d->problems & VB_PROB_IDENT) && (d->problems & VB_PROB_VENDOR),
	     "vendor/device attribute missing or garbage (taken from config)");
	ITEM(!(d->problems & VB_PROB_IDENT) && (d->problems & VB_PROB_CLASS),
	     "class attribute missing or garbage (taken from config)");
	ITEM(d->problems & VB_PROB_CONFIG, "config: %d bytes readable, not even the 64-byte header",
	     d->cfg_size);
	ITEM((d->problems & VB_PROB_RESOURCE) && d->bad_resource_line,
	     "resource: line %d unparsable (BARs from it on may be missing)", d->bad_resource_line);
	ITEM((d->problems & VB_PROB_RESOURCE) && !d->bad_resource_line,
	     "resource: missing (no BARs known)");
	for (int b = 0; b < VB_MAX_BARS; b++)
		ITEM(d->wrapped_bars & (1u << b), "BAR %d spans past 2^64 (ignored)", b);
	ITEM(d->problems & VB_PROB_DRIVER_NAME, "driver: link name longer than %zu characters",
	     sizeof(d->driver) - 1);
	ITEM(d->problems & VB_PROB_NAME_MISMATCH,
	     "bus/pci/devices/%s resolves to a directory of another name", d->name);
	ITEM(d->problems & VB_PROB_PARENT_LOOP,
	     "its sysfs ancestry loops back on itself (that parent link ignored)");
#undef ITEM
	return false;
}

void vb_devlist_free(struct vb_devlist *l)
{
	free(l->v);
	for (size_t i = 0; i < l->nbogus; i++)
		free(l->bogus[i]);
	free(l->bogus);
	memset(l, 0, sizeof(*l));
}

const struct vb_device *vb_devlist_find(const struct vb_devlist *l, const struct vb_bdf *bdf)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = vb_bdf_compare(&l->v[mid].bdf, bdf);

		if (c == 0)
			return &l->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *vb_pcie_type_name(int type)
{
	static const char *const names[] = {
		[VB_PCIE_ENDPOINT] = "endpoint",
		[VB_PCIE_LEGACY_ENDPOINT] = "legacy-endpoint",
		[VB_PCIE_ROOT_PORT] = "root-port",
		[VB_PCIE_UPSTREAM] = "upstream-port",
		[VB_PCIE_DOWNSTREAM] = "downstream-port",
		[VB_PCIE_PCIE_TO_PCI] = "pcie-to-pci-bridge",
		[VB_PCIE_PCI_TO_PCIE] = "pci-to-pcie-bridge",
		[VB_PCIE_RC_ENDPOINT] = "rc-integrated-endpoint",
		[VB_PCIE_RC_EVENT_COLLECTOR] = "rc-event-collector",
	};

	if (type < 0 || type >= (int)(sizeof(names) / sizeof(names[0])))
		return NULL;
	return names[type];
}

const char *vb_bit_names(unsigned bits, const char *const *names, size_t count, const char *sep,
			 const char *none, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < count; i++)
		if (bits & (1u << i))
			len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%s",
						len ? sep : "", names[i]);
	if (!len)
		snprintf(buf, n, "%s", none);
	return buf;
}

const char *vb_acs_bits_string(uint16_t bits, char *buf, size_t n)
{
	static const char *const names[] = { "SV", "TB", "RR", "CR", "UF", "EC", "DT" };

	return vb_bit_names(bits, names, sizeof(names) / sizeof(names[0]), " ", "-", buf, n);
}

int vb_pci_read_bar(const struct vb_sys *s, const char *bdf, int index, struct vb_bar *out,
		    bool *present, struct vb_err *e)
{
	char buf[2048], *line;
	int n = vb_sys_read(s, buf, sizeof(buf), "bus/pci/devices/%s/resource", bdf);

	*present = false;
	memset(out, 0, sizeof(*out));
	if (n < 0)
		return vb_err_set(e, n == -ENOENT ? VB_EXIT_NOTFOUND : VB_EXIT_FAIL, -n, bdf,
				  n == -ENOENT ? "no such PCI device" : "cannot read its resource file");
	line = buf;
	for (int i = 0; i < index && line; i++) {
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	if (!line)
		return 0;
	{
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
	}
	*present = parse_resource_line(line, index, out) == 1;
	return 0;
}
