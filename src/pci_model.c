/* pci_model: device inventory through libpci and sysfs (see pci_model.h).
 *
 * libpci's error callback has no context pointer and must not return (its
 * callers continue with NULL handles), so a libpci error is turned into a
 * longjmp to the vb_pci entry point that called into libpci.  The jump
 * target is the one piece of thread-local state in the core; it is only set
 * for the duration of a call into libpci.
 */
#include "pci_model.h"
#include "pci_dump.h"

#include <dirent.h>
#include <errno.h>
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
};

static __thread struct vb_pci *libpci_caller;

static void __attribute__((noreturn)) libpci_error(char *msg, ...)
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

static void libpci_quiet(char *msg, ...)
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

static int init_access(struct vb_pci *p, struct vb_err *e);
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
	p->acc = pci_alloc();
	p->acc->method = PCI_ACCESS_SYS_BUS_PCI;
	pci_set_param(p->acc, "sysfs.path", p->pci_path);
	return init_access(p, e) < 0 ? NULL : p;
}

/* The dump is parsed by libpci's dump method in pci_init (the bytes of
 * every function it lists); its errors (unreadable, malformed line) are the
 * user's input: usage errors. */
static struct vb_pci *open_dump(struct vb_pci *p, struct vb_err *e)
{
	snprintf(p->pci_path, sizeof(p->pci_path), "%s", p->sys->dump);
	p->acc = pci_alloc();
	p->acc->method = PCI_ACCESS_DUMP;
	pci_set_param(p->acc, "dump.name", p->pci_path);
	return init_access(p, e) < 0 ? NULL : p;
}

static int init_access(struct vb_pci *p, struct vb_err *e)
{
	bool dump = vb_sys_is_dump(p->sys);

	p->acc->error = libpci_error;
	p->acc->warning = libpci_quiet;
	p->acc->debug = libpci_quiet;
	if (p->flags & VB_PCI_NAMES) {
		/* Reuse lspci's caches and database; never go to the network. */
		p->acc->id_lookup_mode = PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB;
		/* pci.ids only: the udev hwdb fallback leaks in libudev and
		 * costs a database open per miss. */
		pci_set_param(p->acc, "hwdb.disable", "1");
	}
	if (guarded_init(p) < 0) {
		if (dump)
			vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "cannot read lspci dump '%s': %s",
				   p->sys->dump, p->libpci_msg);
		else
			vb_err_set(e, VB_EXIT_FAIL, 0, NULL, "libpci: %s", p->libpci_msg);
		pci_cleanup(p->acc);
		free(p);
		return -1;
	}
	return 0;
}

void vb_pci_close(struct vb_pci *p)
{
	if (!p)
		return;
	vb_devlist_free(&p->dump_devs);
	pci_cleanup(p->acc);
	free(p);
}

static void read_names(struct vb_pci *p, struct pci_dev *d, struct vb_device *v)
{
	unsigned int cls = v->class_code >> 8;
	char *n;

	n = pci_lookup_name(p->acc, v->vendor_name, sizeof(v->vendor_name), PCI_LOOKUP_VENDOR,
			    v->vendor_id);
	if (!n)
		v->vendor_name[0] = '\0';
	n = pci_lookup_name(p->acc, v->device_name, sizeof(v->device_name), PCI_LOOKUP_DEVICE,
			    v->vendor_id, v->device_id);
	if (!n)
		v->device_name[0] = '\0';
	n = pci_lookup_name(p->acc, v->class_name, sizeof(v->class_name), PCI_LOOKUP_CLASS, cls);
	if (!n)
		v->class_name[0] = '\0';
	(void)d;
}

/* Upstream bridge and host bridge from the device's real sysfs path:
 * the parent directory is the bridge above its bus (VFs sit beside their
 * PF, so this is also the kernel's answer for VFs). */
static void read_topology(struct vb_pci *p, struct vb_device *v)
{
	char link[PATH_MAX], real[PATH_MAX], *slash, *base;

	if (vb_sys_path(p->sys, link, sizeof(link), "bus/pci/devices/%s", v->name) < 0 ||
	    !realpath(link, real))
		return;
	slash = strrchr(real, '/');
	if (!slash)
		return;
	*slash = '\0';
	base = strrchr(real, '/');
	base = base ? base + 1 : real;
	if (vb_bdf_parse(base, &v->parent) == 0)
		v->has_parent = true;
	/* nearest ancestor named pci<domain>:<bus> */
	while ((slash = strrchr(real, '/'))) {
		if (strncmp(slash + 1, "pci", 3) == 0 && strchr(slash + 1, ':')) {
			snprintf(v->host_bridge, sizeof(v->host_bridge), "%s", slash + 1);
			break;
		}
		*slash = '\0';
	}
}

static void read_vf_and_vfio(struct vb_pci *p, struct vb_device *v)
{
	char buf[64];
	char path[PATH_MAX];

	if (vb_sys_readlink_base(p->sys, buf, sizeof(buf), "bus/pci/devices/%s/physfn",
				 v->name) > 0 &&
	    vb_bdf_parse(buf, &v->physfn) == 0)
		v->is_vf = true;
	if (vb_sys_read(p->sys, buf, sizeof(buf), "bus/pci/devices/%s/driver_override",
			v->name) > 0 &&
	    strcmp(buf, "(null)") != 0)
		snprintf(v->driver_override, sizeof(v->driver_override), "%s", buf);
	if (v->iommu_group >= 0 && strstr(v->driver, "vfio"))
		snprintf(v->vfio_group_node, sizeof(v->vfio_group_node), "/dev/vfio/%d",
			 v->iommu_group);
	if (vb_sys_path(p->sys, path, sizeof(path), "bus/pci/devices/%s/vfio-dev", v->name) == 0) {
		DIR *dir = opendir(path);
		struct dirent *de;

		while (dir && (de = readdir(dir))) {
			if ((strncmp(de->d_name, "vfio", 4) == 0 ||
			     strncmp(de->d_name, "noiommu-vfio", 12) == 0) &&
			    vb_sys_exists(p->sys, "bus/pci/devices/%s/vfio-dev/%.60s/dev", v->name,
					  de->d_name)) {
				snprintf(v->vfio_cdev_node, sizeof(v->vfio_cdev_node),
					 "/dev/vfio/devices/%.40s", de->d_name);
				break;
			}
		}
		if (dir)
			closedir(dir);
	}
}

static void read_bars(struct pci_dev *d, struct vb_device *v)
{
	v->nbars = 0;
	for (int i = 0; i < VB_MAX_BARS; i++) {
		pciaddr_t flags = d->flags[i];
		struct vb_bar *b;

		if (!d->size[i])
			continue;
		b = &v->bars[v->nbars++];
		b->index = i;
		b->size = d->size[i];
		b->start = d->base_addr[i] & ~(pciaddr_t)0xf;
		/* resource flags: IORESOURCE_IO 0x100, MEM_64 0x100000,
		 * PREFETCH 0x2000 */
		b->is_io = (flags & 0x100) != 0;
		b->is_64bit = (flags & 0x100000) != 0;
		b->prefetchable = (flags & 0x2000) != 0;
	}
}

/* Extended config: PCIe port type and ACS.  Readable only by root on a
 * real system (the kernel returns 64 bytes to others). */
static void read_config(struct pci_dev *d, struct vb_device *v)
{
	u8 probe[4];
	struct pci_cap *cap;

	v->pcie_type = -1;
	v->acs = VB_ACS_UNREADABLE;
	v->cfg_size = 64;
	if (!pci_read_block(d, 0x40, probe, sizeof(probe)))
		return;
	v->cfg_size = pci_read_block(d, 0x100, probe, sizeof(probe)) ? 4096 : 256;
	cap = pci_find_cap(d, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
	if (cap)
		v->pcie_type = (pci_read_word(d, cap->addr + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_TYPE) >> 4;
	if (v->cfg_size < 4096) {
		v->acs = VB_ACS_ABSENT;
		return;
	}
	cap = pci_find_cap(d, PCI_EXT_CAP_ID_ACS, PCI_CAP_EXTENDED);
	if (!cap) {
		v->acs = VB_ACS_ABSENT;
		return;
	}
	v->acs = VB_ACS_PRESENT;
	v->acs_offset = (uint16_t)cap->addr;
	v->acs_cap = pci_read_word(d, cap->addr + PCI_ACS_CAP);
	v->acs_ctrl = pci_read_word(d, cap->addr + PCI_ACS_CTRL);
}

static void read_bridge(struct pci_dev *d, struct vb_device *v)
{
	u8 hdr[64];

	v->secondary_bus = v->subordinate_bus = -1;
	v->config_broken = !pci_read_block(d, 0, hdr, sizeof(hdr));
	if (v->config_broken)
		return;
	v->header_type = pci_read_byte(d, PCI_HEADER_TYPE) & 0x7f;
	v->is_bridge = v->header_type == PCI_HEADER_TYPE_BRIDGE;
	if (v->is_bridge) {
		v->secondary_bus = pci_read_byte(d, PCI_SECONDARY_BUS);
		v->subordinate_bus = pci_read_byte(d, PCI_SUBORDINATE_BUS);
	} else if (v->header_type == PCI_HEADER_TYPE_CARDBUS) {
		v->secondary_bus = pci_read_byte(d, PCI_CB_CARD_BUS);
		v->subordinate_bus = pci_read_byte(d, PCI_CB_SUBORDINATE_BUS);
	}
}

/* Fill one vb_device from a libpci device.  Called under the libpci guard. */
static void fill_device(struct vb_pci *p, struct pci_dev *d, struct vb_device *v)
{
	unsigned fill = PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_BASES | PCI_FILL_SIZES |
			PCI_FILL_IO_FLAGS | PCI_FILL_NUMA_NODE | PCI_FILL_IOMMU_GROUP |
			PCI_FILL_DRIVER | PCI_FILL_SUBSYS | PCI_FILL_CLASS_EXT;
	char *s;

	memset(v, 0, sizeof(*v));
	pci_fill_info(d, fill);
	v->bdf.domain = (uint32_t)d->domain;
	v->bdf.bus = d->bus;
	v->bdf.dev = d->dev;
	v->bdf.func = d->func;
	vb_bdf_format(&v->bdf, v->name);
	v->vendor_id = d->vendor_id;
	v->device_id = d->device_id;
	v->subsys_vendor_id = d->subsys_vendor_id;
	v->subsys_id = d->subsys_id;
	v->class_code = ((unsigned)d->device_class << 8) | d->prog_if;
	v->revision = d->rev_id;
	v->numa_node = d->numa_node;
	s = pci_get_string_property(d, PCI_FILL_IOMMU_GROUP);
	v->iommu_group = s ? atoi(s) : -1;
	s = pci_get_string_property(d, PCI_FILL_DRIVER);
	if (s) {
		const char *base = strrchr(s, '/');
		snprintf(v->driver, sizeof(v->driver), "%s", base ? base + 1 : s);
	}
	read_bars(d, v);
	read_bridge(d, v);
	v->pcie_type = -1;
	v->acs = VB_ACS_UNREADABLE;
	if (p->flags & VB_PCI_CONFIG)
		read_config(d, v);
	if (p->flags & VB_PCI_NAMES)
		read_names(p, d, v);
	if (vb_sys_is_dump(p->sys)) {
		/* nothing but config bytes: the tree comes after the scan */
		v->captured = true;
		v->numa_node = -1;
		return;
	}
	read_topology(p, v);
	read_vf_and_vfio(p, v);
}

static int cmp_dev(const void *a, const void *b)
{
	return vb_bdf_compare(&((const struct vb_device *)a)->bdf,
			      &((const struct vb_device *)b)->bdf);
}

/* A dump's tree and ACS come from all its functions at once (pci_dump.h).
 * A dump with no readable header at all is not an `lspci -x` dump. */
static int finish_dump(struct vb_pci *p, struct vb_devlist *out, struct vb_err *e)
{
	size_t readable = 0;

	for (size_t i = 0; i < out->n; i++)
		readable += !out->v[i].config_broken;
	if (!readable) {
		vb_devlist_free(out);
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL,
				  "lspci dump '%s' has no function with configuration bytes "
				  "(make it with lspci -x, -xxx or -xxxx)", p->sys->dump);
	}
	vb_dump_build_tree(out);
	vb_dump_settle_acs(out);
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

int vb_pci_scan(struct vb_pci *p, struct vb_devlist *out, struct vb_err *e)
{
	struct pci_dev *d;
	volatile size_t n = 0, i = 0;

	out->v = NULL;
	out->n = 0;
	libpci_caller = p;
	if (setjmp(p->jump)) {
		libpci_caller = NULL;
		free(out->v);
		out->v = NULL;
		out->n = 0;
		return vb_err_set(e, VB_EXIT_FAIL, 0, NULL, "cannot read PCI devices: %s",
				  p->libpci_msg);
	}
	pci_scan_bus(p->acc);
	for (d = p->acc->devices; d; d = d->next)
		n++;
	out->v = calloc(n ? n : 1, sizeof(*out->v));
	if (!out->v) {
		libpci_caller = NULL;
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	}
	for (d = p->acc->devices; d; d = d->next)
		fill_device(p, d, &out->v[i++]);
	libpci_caller = NULL;
	out->n = n;
	qsort(out->v, out->n, sizeof(*out->v), cmp_dev);
	if (vb_sys_is_dump(p->sys))
		return finish_dump(p, out, e);
	return 0;
}

int vb_pci_lookup(struct vb_pci *p, const struct vb_bdf *bdf, struct vb_device *out,
		  struct vb_err *e)
{
	char name[VB_BDF_STRLEN];
	struct pci_dev *d;

	vb_bdf_format(bdf, name);
	if (vb_sys_is_dump(p->sys))
		return lookup_dump(p, name, bdf, out, e);
	if (!vb_sys_exists(p->sys, "bus/pci/devices/%s", name))
		return vb_err_set(e, VB_EXIT_NOTFOUND, 0, name, "no such PCI device");
	libpci_caller = p;
	if (setjmp(p->jump)) {
		libpci_caller = NULL;
		return vb_err_set(e, VB_EXIT_FAIL, 0, name, "cannot read device: %s",
				  p->libpci_msg);
	}
	d = pci_get_dev(p->acc, (int)bdf->domain, bdf->bus, bdf->dev, bdf->func);
	fill_device(p, d, out);
	pci_free_dev(d);
	libpci_caller = NULL;
	if (out->config_broken)
		return vb_err_set(e, VB_EXIT_FAIL, 0, name,
				  "cannot read the 64-byte configuration header from sysfs "
				  "(config file truncated or unreadable)");
	return 0;
}

void vb_devlist_free(struct vb_devlist *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
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

const struct vb_bar *vb_device_bar(const struct vb_device *d, int index)
{
	for (int i = 0; i < d->nbars; i++)
		if (d->bars[i].index == index)
			return &d->bars[i];
	return NULL;
}

const char *vb_pcie_type_name(int type)
{
	static const char *const names[] = {
		[0] = "endpoint",        [1] = "legacy-endpoint",
		[4] = "root-port",       [5] = "upstream-port",
		[6] = "downstream-port", [7] = "pcie-to-pci-bridge",
		[8] = "pci-to-pcie-bridge", [9] = "rc-integrated-endpoint",
		[10] = "rc-event-collector",
	};

	if (type < 0 || type >= (int)(sizeof(names) / sizeof(names[0])))
		return NULL;
	return names[type];
}

const char *vb_acs_bits_string(uint16_t bits, char *buf, size_t n)
{
	static const char *const names[] = { "SV", "TB", "RR", "CR", "UF", "EC", "DT" };
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (bits & (1u << i))
			len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%s",
						len ? " " : "", names[i]);
	if (!len)
		snprintf(buf, n, "-");
	return buf;
}

int vb_pci_read_bar(const struct vb_sys *s, const char *bdf, int index, struct vb_bar *out,
		    bool *present, struct vb_err *e)
{
	char buf[2048], *line;
	unsigned long long start, end, flags;
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
	if (!line || sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3 || end <= start)
		return 0;
	out->index = index;
	out->start = start;
	out->size = end - start + 1;
	out->is_io = (flags & 0x100) != 0;
	out->is_64bit = (flags & 0x100000) != 0;
	out->prefetchable = (flags & 0x2000) != 0;
	*present = true;
	return 0;
}
