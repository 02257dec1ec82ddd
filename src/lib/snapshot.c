/* snapshot: the capture walk (what vfiobuf reads, into an archive) and the
 * replay directory (see snapshot.h and man/vfiobuf-snapshot.1). */
#include "snapshot.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define FILE_CAP (64 * 1024)   /* any captured file */
#define CONFIG_CAP 4096         /* a device's config space */
#define KCONFIG_MAX (4 << 20)   /* kernel config / module lists read to filter */
#define PCI_DEPTH 40            /* nested PCI directories */
#define ARCHIVE_MAX (64 << 20)  /* compressed archive a replay reads */
#define STATE_CAP (1 << 20)     /* /run/vfiobuf/state.json */

struct cap {
	const struct vb_sys *s;
	const struct vb_snapshot_opts *o;
	struct vb_tar_writer *w;
	struct vb_snapshot_stats *st;
	struct vb_err *e;
	char **dirs; /* directories emitted by ensure_dir */
	size_t ndirs;
	char **roots; /* PCI roots walked, relative to sysfs ("devices/pci0000:00") */
	size_t nroots;
	json_t *truncated, *dev;
	char *buf; /* FILE_CAP + 1 */
};

/* ---- names ----------------------------------------------------------------- */

static bool hex_run(const char **p, size_t min, size_t max)
{
	size_t n = 0;

	while (isxdigit((unsigned char)**p) && n < max) {
		(*p)++;
		n++;
	}
	return n >= min;
}

/* DDDD:BB:DD.F (a domain of 4 or more hex digits, as VMD's 10000). */
static bool is_bdf(const char *name)
{
	const char *p = name;

	return hex_run(&p, 4, 8) && *p++ == ':' && hex_run(&p, 2, 2) && *p++ == ':' &&
	       hex_run(&p, 2, 2) && *p++ == '.' && *p >= '0' && *p <= '7' && !p[1];
}

/* pciDDDD:BB, the directory of a host bridge's root bus. */
static bool is_pci_root(const char *name)
{
	const char *p = name + 3;

	return !strncmp(name, "pci", 3) && hex_run(&p, 4, 8) && *p++ == ':' &&
	       hex_run(&p, 2, 2) && !*p;
}

static bool is_numbered(const char *name, const char *prefix, const char *suffix)
{
	size_t l = strlen(prefix);
	const char *p = name + l;

	if (strncmp(name, prefix, l) || !isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	return !strcmp(p, suffix);
}

/* The attributes the PCI core creates in a function's directory (and the
 * driver core's uevent and waiting_for_supplier).  A driver's own
 * attributes there (amdgpu's serial_number, pcie_bw ...) are left out: they
 * can block, wake a device, or hold serial numbers, and vfiobuf reads none. */
static bool pci_core_attr(const char *name)
{
	static const char *const exact[] = {
		"acpi_index", "ari_enabled", "boot_vga", "broken_parity_status", "class", "config",
		"consistent_dma_mask_bits", "d3cold_allowed", "dev_rescan", "device", "devspec",
		"dma_mask_bits", "driver_override", "enable", "index", "irq", "label",
		"local_cpulist", "local_cpus", "modalias", "msi_bus", "numa_node", "power_state",
		"remove", "rescan", "reset", "reset_method", "reset_subordinate", "resource",
		"revision", "rom", "secondary_bus_number", "subordinate_bus_number",
		"subsystem_device", "subsystem_vendor", "uevent", "vendor", "vpd",
		"waiting_for_supplier",
	};
	static const char *const prefixes[] = { "sriov_", "aer_", "current_link_", "max_link_" };

	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!strcmp(name, exact[i]))
			return true;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return is_numbered(name, "resource", "") || is_numbered(name, "resource", "_wc") ||
	       is_numbered(name, "resource", "_resize");
}

/* Attributes never read: mmap windows, the ROM, and write-only actions.
 * Their existence is a fact (which BARs, whether a reset exists), so they
 * are recorded as empty files. */
static bool never_read(const char *name)
{
	return is_numbered(name, "resource", "") || is_numbered(name, "resource", "_wc") ||
	       !strcmp(name, "rom") || !strcmp(name, "remove") || !strcmp(name, "rescan") ||
	       !strcmp(name, "dev_rescan") || !strcmp(name, "reset") ||
	       !strcmp(name, "reset_subordinate");
}

/* ---- output ---------------------------------------------------------------- */

static int emit_dir(struct cap *c, const char *arch)
{
	if (vb_tar_add_dir(c->w, arch, 0755, c->e) < 0)
		return -1;
	c->st->dirs++;
	return 0;
}

/* Emit arch and its ancestors unless already emitted by this function. */
static int ensure_dir(struct cap *c, const char *arch)
{
	char path[PATH_MAX];
	char **v;

	snprintf(path, sizeof(path), "%s", arch);
	for (char *p = path;; p++) {
		bool end = *p == '\0';

		if (*p != '/' && !end)
			continue;
		*p = '\0';
		{
			bool seen = false;

			for (size_t i = 0; i < c->ndirs && !seen; i++)
				seen = !strcmp(c->dirs[i], path);
			if (!seen) {
				v = realloc(c->dirs, (c->ndirs + 1) * sizeof(*v));
				if (!v || !(v[c->ndirs] = strdup(path))) {
					if (v)
						c->dirs = v;
					return vb_err_set(c->e, VB_EXIT_FAIL, ENOMEM, NULL,
							  "out of memory");
				}
				c->dirs = v;
				c->ndirs++;
				if (emit_dir(c, path) < 0)
					return -1;
			}
		}
		if (end)
			break;
		*p = '/';
	}
	return 0;
}

static int emit_file(struct cap *c, const char *arch, unsigned mode, const void *data, size_t len)
{
	if (vb_tar_add_file(c->w, arch, mode, data, len, c->e) < 0)
		return -1;
	c->st->files++;
	return 0;
}

static size_t depth_of(const char *arch)
{
	size_t n = 0;

	for (; *arch; arch++)
		n += *arch == '/';
	return n;
}

/* A symlink as it is; one a replay would refuse is dropped and counted. */
static int emit_link(struct cap *c, const char *arch, const char *target)
{
	if (!vb_tar_link_target_ok(target, depth_of(arch), NULL)) {
		c->st->links_dropped++;
		return 0;
	}
	if (vb_tar_add_symlink(c->w, arch, target, c->e) < 0)
		return -1;
	c->st->links++;
	return 0;
}

static void note_truncated(struct cap *c, const char *arch)
{
	const char *rel = strchr(arch, '/');

	c->st->truncated++;
	json_array_append_new(c->truncated, json_string(rel ? rel : arch));
}

/* Read at most cap bytes of an open fd into c->buf; *more when the file
 * went on.  Returns the length or -1. */
static ssize_t read_capped(struct cap *c, int fd, size_t cap, bool *more)
{
	size_t len = 0;

	*more = false;
	while (len <= cap) {
		ssize_t n = read(fd, c->buf + len, cap + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > cap) {
		*more = true;
		len = cap;
	}
	return (ssize_t)len;
}

/* ---- walking ---------------------------------------------------------------- */

enum walk_kind { WALK_PCI, WALK_SMALL };

static int walk(struct cap *c, int dfd, char *arch, enum walk_kind kind, int budget);

/* Is arch (an archive path) a PCI function's directory? */
static bool arch_is_function(const char *arch)
{
	const char *base = strrchr(arch, '/');

	return is_bdf(base ? base + 1 : arch);
}

static int capture_attr(struct cap *c, int dfd, const char *name, const struct stat *st,
			const char *arch, bool in_function)
{
	unsigned mode = st->st_mode & 0777;
	size_t cap = !strcmp(name, "config") ? CONFIG_CAP : FILE_CAP;
	bool more;
	ssize_t len;
	int fd;

	if (!strcmp(name, "vpd") && !c->o->with_vpd)
		return 0;
	if (in_function && !pci_core_attr(name)) {
		c->st->driver_attrs++;
		return 0;
	}
	if (never_read(name) || !(st->st_mode & 0444))
		return emit_file(c, arch, mode, NULL, 0);
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		c->st->unreadable++;
		return 0;
	}
	len = read_capped(c, fd, cap, &more);
	close(fd);
	if (len < 0) {
		c->st->unreadable++;
		return 0;
	}
	if (more && strcmp(name, "config"))
		note_truncated(c, arch);
	return emit_file(c, arch, mode, c->buf, (size_t)len);
}

static int capture_subdir(struct cap *c, int dfd, const char *name, char *arch,
			  enum walk_kind kind, int budget)
{
	enum walk_kind next = kind;
	int fd, rc, nb = budget - 1;

	if (kind == WALK_PCI) {
		if (!is_bdf(name) && !is_pci_root(name)) {
			if (strcmp(name, "vfio-dev"))
				return emit_dir(c, arch); /* its name only */
			next = WALK_SMALL;
			nb = 2;
		}
	} else if (!strcmp(name, "sections") || !strcmp(name, "notes")) {
		return 0; /* module load addresses */
	}
	if (emit_dir(c, arch) < 0)
		return -1;
	if (budget <= 0)
		return 0;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		c->st->unreadable++;
		return 0;
	}
	rc = walk(c, fd, arch, next, nb);
	close(fd);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entry names of the directory dfd, sorted (the archive is the same
 * for the same tree); NULL-terminated, malloc'd. */
static char **sorted_names(int dfd)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, cap = 0;
	bool ok = d != NULL;

	if (!d && fd >= 0)
		close(fd);
	while (ok && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n + 2 > cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (!nv) {
				ok = false;
				break;
			}
			v = nv;
		}
		ok = (v[n] = strdup(de->d_name)) != NULL;
		n += ok;
	}
	if (d)
		closedir(d);
	if (!ok || !v) {
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return ok ? calloc(1, sizeof(char *)) : NULL;
	}
	qsort(v, n, sizeof(*v), by_name);
	v[n] = NULL;
	return v;
}

/* Capture the entries of the directory dfd as arch/NAME. */
static int walk(struct cap *c, int dfd, char *arch, enum walk_kind kind, int budget)
{
	size_t alen = strlen(arch);
	char **names = sorted_names(dfd);
	bool function = kind == WALK_PCI && arch_is_function(arch);
	int rc = 0;

	if (!names) {
		c->st->unreadable++;
		return 0;
	}
	for (char **np = names; rc == 0 && *np; np++) {
		const char *name = *np;
		struct stat st;
		char target[PATH_MAX];
		ssize_t n;

		if (alen + 1 + strlen(name) >= PATH_MAX - 1)
			continue;
		snprintf(arch + alen, PATH_MAX - alen, "/%s", name);
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			c->st->unreadable++;
		} else if (S_ISLNK(st.st_mode)) {
			n = readlinkat(dfd, name, target, sizeof(target) - 1);
			if (n >= 0) {
				target[n] = '\0';
				rc = emit_link(c, arch, target);
			}
		} else if (S_ISREG(st.st_mode)) {
			rc = capture_attr(c, dfd, name, &st, arch, function);
		} else if (S_ISDIR(st.st_mode)) {
			rc = capture_subdir(c, dfd, name, arch, kind, budget);
		}
		arch[alen] = '\0';
	}
	for (char **np = names; *np; np++)
		free(*np);
	free(names);
	return rc;
}

/* Capture the sysfs directory rel (e.g. "kernel/iommu_groups") and what is
 * beneath it, as TOP/sys/rel; absent directories are skipped. */
static int capture_sys_tree(struct cap *c, const char *rel, enum walk_kind kind, int budget)
{
	char src[PATH_MAX], arch[PATH_MAX];
	int fd, rc;

	if (vb_sys_path(c->s, src, sizeof(src), "%s", rel) < 0)
		return 0;
	fd = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	snprintf(arch, sizeof(arch), "%s/sys/%s", c->o->top, rel);
	rc = ensure_dir(c, arch);
	if (rc == 0)
		rc = walk(c, fd, arch, kind, budget);
	close(fd);
	return rc;
}

static bool root_walked(const struct cap *c, const char *rel)
{
	for (size_t i = 0; i < c->nroots; i++) {
		size_t l = strlen(c->roots[i]);

		if (!strncmp(rel, c->roots[i], l) && (rel[l] == '/' || !rel[l]))
			return true;
	}
	return false;
}

static int walk_root(struct cap *c, const char *rel)
{
	char **v = realloc(c->roots, (c->nroots + 1) * sizeof(*v));

	if (!v || !(v[c->nroots] = strdup(rel))) {
		if (v)
			c->roots = v;
		return vb_err_set(c->e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	}
	c->roots = v;
	c->nroots++;
	return capture_sys_tree(c, rel, WALK_PCI, PCI_DEPTH);
}

/* The sorted names in the directory path (a fixed location: /sys/devices,
 * /dev/vfio ...); *dfd gets it open.  NULL when it cannot be read. */
static char **list_dir(const char *path, int *dfd)
{
	char **names;

	*dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dfd < 0)
		return NULL;
	names = sorted_names(*dfd);
	if (!names) {
		close(*dfd);
		*dfd = -1;
	}
	return names;
}

static void free_names(char **names, int dfd)
{
	for (char **np = names; np && *np; np++)
		free(*np);
	free(names);
	if (dfd >= 0)
		close(dfd);
}

/* Every /sys/devices/pci* hierarchy. */
static int capture_pci_roots(struct cap *c)
{
	char src[PATH_MAX], rel[PATH_MAX];
	char **names;
	int dfd, rc = 0;

	if (vb_sys_path(c->s, src, sizeof(src), "devices") < 0 || !(names = list_dir(src, &dfd)))
		return 0;
	for (char **np = names; rc == 0 && *np; np++) {
		struct stat st;

		if (!is_pci_root(*np) || fstatat(dfd, *np, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		snprintf(rel, sizeof(rel), "devices/%s", *np);
		rc = walk_root(c, rel);
	}
	free_names(names, dfd);
	return rc;
}

/* A function listed in bus/pci/devices whose directory lies outside the
 * /sys/devices/pci* trees (a VMBus path, a partial tree): walk from its
 * pciDDDD:BB ancestor, else from its topmost ancestor that is a function
 * (so that nested functions are walked once). */
static int capture_outside(struct cap *c, const char *real_sysfs, const char *name)
{
	char link[PATH_MAX], real[PATH_MAX], rel[PATH_MAX], *comp;
	size_t l = strlen(real_sysfs), first_fn = 0;

	if (vb_sys_path(c->s, link, sizeof(link), "bus/pci/devices/%s", name) < 0 ||
	    !realpath(link, real) || strncmp(real, real_sysfs, l) || real[l] != '/')
		return 0;
	snprintf(rel, sizeof(rel), "%s", real + l + 1);
	if (root_walked(c, rel) || strncmp(rel, "devices/", 8))
		return 0;
	for (comp = rel + 8; comp; comp = strchr(comp, '/') ? strchr(comp, '/') + 1 : NULL) {
		size_t cl = strcspn(comp, "/");
		char save = comp[cl];

		comp[cl] = '\0';
		if (is_pci_root(comp))
			return walk_root(c, rel);
		if (!first_fn && is_bdf(comp))
			first_fn = (size_t)(comp - rel) + cl;
		comp[cl] = save;
	}
	if (first_fn)
		rel[first_fn] = '\0';
	return walk_root(c, rel);
}

static int capture_bus_devices(struct cap *c)
{
	char src[PATH_MAX], real_sysfs[PATH_MAX];
	char **names;
	int dfd, rc = capture_sys_tree(c, "bus/pci/devices", WALK_PCI, PCI_DEPTH);

	if (rc < 0 || !realpath(c->s->sysfs, real_sysfs))
		return rc;
	if (vb_sys_path(c->s, src, sizeof(src), "bus/pci/devices") < 0 ||
	    !(names = list_dir(src, &dfd)))
		return 0;
	for (char **np = names; rc == 0 && *np; np++)
		rc = capture_outside(c, real_sysfs, *np);
	free_names(names, dfd);
	return rc;
}

/* One driver: its directory and its device links (and module). */
static int capture_driver(struct cap *c, int dfd, const char *name)
{
	char arch[PATH_MAX], larch[PATH_MAX + 512], target[PATH_MAX];
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc;
	char **links = fd >= 0 ? sorted_names(fd) : NULL;

	if (!links) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	snprintf(arch, sizeof(arch), "%s/sys/bus/pci/drivers/%.200s", c->o->top, name);
	rc = emit_dir(c, arch);
	for (char **np = links; rc == 0 && *np; np++) {
		ssize_t n;

		if (!is_bdf(*np) && strcmp(*np, "module"))
			continue;
		n = readlinkat(fd, *np, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		snprintf(larch, sizeof(larch), "%s/%s", arch, *np);
		rc = emit_link(c, larch, target);
	}
	free_names(links, fd);
	return rc;
}

static int capture_drivers(struct cap *c)
{
	char src[PATH_MAX], arch[PATH_MAX];
	char **names;
	int dfd, rc;

	if (vb_sys_path(c->s, src, sizeof(src), "bus/pci/drivers") < 0 ||
	    !(names = list_dir(src, &dfd)))
		return 0;
	snprintf(arch, sizeof(arch), "%s/sys/bus/pci/drivers", c->o->top);
	rc = ensure_dir(c, arch);
	for (char **np = names; rc == 0 && *np; np++)
		rc = capture_driver(c, dfd, *np);
	free_names(names, dfd);
	return rc;
}

/* /sys/module/vfio* and iommufd: their parameters and driver links. */
static int capture_modules(struct cap *c)
{
	char src[PATH_MAX], rel[PATH_MAX];
	char **names;
	int dfd, rc = 0;

	if (vb_sys_path(c->s, src, sizeof(src), "module") < 0 || !(names = list_dir(src, &dfd)))
		return 0;
	for (char **np = names; rc == 0 && *np; np++)
		if (!strncmp(*np, "vfio", 4) || !strcmp(*np, "iommufd")) {
			snprintf(rel, sizeof(rel), "module/%.200s", *np);
			rc = capture_sys_tree(c, rel, WALK_SMALL, 1);
		}
	free_names(names, dfd);
	return rc;
}

/* ---- files outside /sys ----------------------------------------------------- */

/* Read a root file (following links: /proc/mounts is one) up to max. */
static char *slurp_root(struct cap *c, const char *abs, size_t max, size_t *len, bool *more)
{
	char path[PATH_MAX];
	char *buf;
	size_t got = 0;
	int fd;

	*len = 0;
	*more = false;
	if (vb_root_path(c->s, path, sizeof(path), "%s", abs) < 0)
		return NULL;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(max + 1);
	while (buf && got <= max) {
		ssize_t n = read(fd, buf + got, max + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (buf && got > max) {
		*more = true;
		got = max;
	}
	if (buf)
		buf[got] = '\0';
	*len = got;
	return buf;
}

/* A /proc text file, at most FILE_CAP; a longer one is cut after its last
 * whole line (cpuinfo: after its last whole processor stanza). */
static int capture_proc(struct cap *c, const char *abs, const char *cut_at)
{
	char arch[PATH_MAX];
	size_t len;
	bool more;
	char *text = slurp_root(c, abs, FILE_CAP, &len, &more);
	int rc;

	if (!text)
		return 0;
	snprintf(arch, sizeof(arch), "%s%s", c->o->top, abs);
	if (more) {
		char *cut = NULL;

		for (char *p = strstr(text, cut_at); p; p = strstr(p + 1, cut_at))
			cut = p;
		if (cut)
			len = (size_t)(cut - text) + strlen(cut_at);
		note_truncated(c, arch);
	}
	{
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s", arch);
		*strrchr(dir, '/') = '\0';
		rc = ensure_dir(c, dir);
	}
	if (rc == 0)
		rc = emit_file(c, arch, 0444, text, len);
	free(text);
	return rc;
}

/* Keep the lines of text for which keep() is true. */
static size_t filter_lines(char *text, size_t len, bool (*keep)(const char *line, size_t n))
{
	size_t out = 0;

	for (size_t at = 0; at < len;) {
		char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - text - at) + 1 : len - at;

		if (keep(text + at, n)) {
			memmove(text + out, text + at, n);
			out += n;
		}
		at += n;
	}
	return out;
}

static bool has(const char *line, size_t n, const char *word)
{
	size_t w = strlen(word);

	for (size_t i = 0; i + w <= n; i++)
		if (!memcmp(line + i, word, w))
			return true;
	return false;
}

/* The kernel config options doctor reads, and their neighbours. */
static bool kconfig_line(const char *line, size_t n)
{
	static const char *const words[] = { "VFIO", "IOMMU", "PCI", "P2P", "DMA_SHARED_BUFFER",
					     "DMABUF", "ZONE_DEVICE" };

	if (!(n > 7 && !memcmp(line, "CONFIG_", 7)) && !(n > 9 && !memcmp(line, "# CONFIG_", 9)))
		return false;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (has(line, n, words[i]))
			return true;
	return false;
}

static bool module_line(const char *line, size_t n)
{
	return has(line, n, "vfio") || has(line, n, "iommufd");
}

static int gzip_mem(const char *in, size_t len, char **out, size_t *olen)
{
	z_stream z = { 0 };
	uLong bound;
	int rc;

	if (deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&z, (uLong)len) + 32;
	*out = malloc(bound);
	if (!*out) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	z.next_out = (unsigned char *)*out;
	z.avail_out = (uInt)bound;
	rc = deflate(&z, Z_FINISH);
	*olen = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(*out);
		return -1;
	}
	return 0;
}

static int emit_root_file(struct cap *c, const char *abs, unsigned mode, const char *data,
			  size_t len)
{
	char arch[PATH_MAX], dir[PATH_MAX];

	snprintf(arch, sizeof(arch), "%s%s", c->o->top, abs);
	snprintf(dir, sizeof(dir), "%s", arch);
	*strrchr(dir, '/') = '\0';
	if (ensure_dir(c, dir) < 0)
		return -1;
	return emit_file(c, arch, mode, data, len);
}

/* A filtered text, after a comment saying so (never empty: an empty file
 * would read as a missing one); gzip'd when gz. */
static int emit_filtered(struct cap *c, const char *abs, const char *text, size_t len, bool gz)
{
	static const char note[] = "# vfiobuf snapshot: only the lines vfiobuf reads\n";
	char *all = malloc(sizeof(note) + len), *zipped = NULL;
	size_t zlen = 0;
	int rc;

	if (!all)
		return vb_err_set(c->e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	memcpy(all, note, sizeof(note) - 1);
	memcpy(all + sizeof(note) - 1, text, len);
	len += sizeof(note) - 1;
	if (gz && gzip_mem(all, len, &zipped, &zlen) < 0)
		rc = vb_err_set(c->e, VB_EXIT_FAIL, ENOMEM, NULL, "cannot compress %s", abs);
	else
		rc = emit_root_file(c, abs, 0444, gz ? zipped : all, gz ? zlen : len);
	free(zipped);
	free(all);
	return rc;
}

/* /boot/config-R (else /proc/config.gz, kept gzip'd), filtered. */
static int capture_kconfig(struct cap *c, const char *release)
{
	char abs[PATH_MAX], path[PATH_MAX];
	size_t len;
	bool more;
	char *text;
	int rc = 0;

	snprintf(abs, sizeof(abs), "/boot/config-%.200s", release);
	text = release[0] ? slurp_root(c, abs, KCONFIG_MAX, &len, &more) : NULL;
	if (text && len) {
		len = filter_lines(text, len, kconfig_line);
		rc = emit_filtered(c, abs, text, len, false);
	} else if (vb_root_path(c->s, path, sizeof(path), "/proc/config.gz") == 0) {
		gzFile gz = gzopen(path, "rb");
		int n = -1;
		free(text);
		text = gz ? malloc(KCONFIG_MAX) : NULL;
		if (text)
			n = gzread(gz, text, KCONFIG_MAX);
		if (gz)
			gzclose(gz);
		if (n > 0) {
			len = filter_lines(text, (size_t)n, kconfig_line);
			rc = emit_filtered(c, "/proc/config.gz", text, len, true);
		}
	}
	free(text);
	return rc;
}

/* vfiobuf's own state file (list reports what vfiobuf bound), whole or
 * not at all: a cut JSON file would not parse. */
static int capture_bind_state(struct cap *c)
{
	static const char abs[] = "/run/vfiobuf/state.json";
	size_t len;
	bool more;
	char *text = slurp_root(c, abs, STATE_CAP, &len, &more);
	int rc = 0;

	if (text && more) {
		char arch[PATH_MAX];

		snprintf(arch, sizeof(arch), "%s%s", c->o->top, abs);
		note_truncated(c, arch);
	} else if (text) {
		rc = emit_root_file(c, abs, 0644, text, len);
	}
	free(text);
	return rc;
}

static int capture_module_lists(struct cap *c, const char *release)
{
	/* modules.alias: the vfio_pci: aliases bind chooses a variant driver by */
	static const char *const files[] = { "modules.dep", "modules.builtin", "modules.alias" };
	int rc = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]) && rc == 0 && release[0]; i++) {
		char abs[PATH_MAX];
		size_t len;
		bool more;
		char *text;

		snprintf(abs, sizeof(abs), "/lib/modules/%.200s/%s", release, files[i]);
		text = slurp_root(c, abs, KCONFIG_MAX, &len, &more);
		if (text) {
			len = filter_lines(text, len, module_line);
			rc = emit_filtered(c, abs, text, len, false);
		}
		free(text);
	}
	return rc;
}

/* /dev/vfio, /dev/vfio/devices and /dev/iommu: which nodes exist, as empty
 * files (and listed in the metadata); read-write for the replaying user,
 * whose access a replayed doctor reports. */
static int capture_dev_dir(struct cap *c, const char *abs)
{
	char path[PATH_MAX], node[PATH_MAX];
	char **names;
	int dfd, rc = 0;

	if (vb_root_path(c->s, path, sizeof(path), "%s", abs) < 0 || !(names = list_dir(path, &dfd)))
		return 0;
	for (char **np = names; rc == 0 && *np; np++) {
		struct stat st;

		if (fstatat(dfd, *np, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode))
			continue;
		snprintf(node, sizeof(node), "%s/%.200s", abs, *np);
		json_array_append_new(c->dev, json_string(node));
		rc = emit_root_file(c, node, 0666, NULL, 0);
	}
	free_names(names, dfd);
	return rc;
}

static int capture_dev(struct cap *c)
{
	char path[PATH_MAX];
	struct stat st;
	int rc = capture_dev_dir(c, "/dev/vfio");

	if (rc == 0)
		rc = capture_dev_dir(c, "/dev/vfio/devices");
	if (rc == 0 && vb_root_path(c->s, path, sizeof(path), "/dev/iommu") == 0 &&
	    lstat(path, &st) == 0) {
		json_array_append_new(c->dev, json_string("/dev/iommu"));
		rc = emit_root_file(c, "/dev/iommu", 0666, NULL, 0);
	}
	return rc;
}

static int capture_meta(struct cap *c, const char *release)
{
	char arch[PATH_MAX], when[32];
	struct tm tm;
	json_t *m;
	char *text;
	int rc;

	gmtime_r(&c->o->now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	m = json_pack("{s:i, s:s, s:s, s:I, s:b, s:s, s:b, s:s, s:O, s:O, s:I, s:I, s:I}",
		      "format", VB_SNAPSHOT_FORMAT, "vfiobuf_version", VFIOBUF_VERSION,
		      "time", when, "uid", (json_int_t)geteuid(), "root", c->st->root,
		      "kernel", release, "with_vpd", c->o->with_vpd,
		      "source", c->s->fake ? "sysfs-root" : "live", "dev", c->dev,
		      "truncated", c->truncated, "unreadable", (json_int_t)c->st->unreadable,
		      "links_dropped", (json_int_t)c->st->links_dropped,
		      "driver_attributes_left_out", (json_int_t)c->st->driver_attrs);
	text = m ? json_dumps(m, JSON_INDENT(2)) : NULL;
	json_decref(m);
	if (!text)
		return vb_err_set(c->e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	snprintf(arch, sizeof(arch), "%s/%s", c->o->top, VB_SNAPSHOT_META);
	rc = emit_file(c, arch, 0444, text, strlen(text));
	free(text);
	return rc;
}

static int capture_all(struct cap *c)
{
	static const char *const small[] = { "kernel/iommu_groups", "class/iommu", "class/vfio",
					     "class/vfio-dev" };
	static const int small_budget[] = { 2, 0, 0, 0 };
	char release[256] = "", path[PATH_MAX];
	char arch[PATH_MAX];

	if (vb_root_path(c->s, path, sizeof(path), "/proc/sys/kernel/osrelease") < 0 ||
	    vb_read_file(path, release, sizeof(release)) <= 0)
		release[0] = '\0';
	snprintf(arch, sizeof(arch), "%s/sys/devices", c->o->top);
	if (ensure_dir(c, arch) < 0 || capture_pci_roots(c) < 0 || capture_bus_devices(c) < 0 ||
	    capture_drivers(c) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++)
		if (capture_sys_tree(c, small[i], WALK_SMALL, small_budget[i]) < 0)
			return -1;
	if (capture_modules(c) < 0 || capture_proc(c, "/proc/cpuinfo", "\n\n") < 0 ||
	    capture_proc(c, "/proc/version", "\n") < 0 ||
	    capture_proc(c, "/proc/sys/kernel/osrelease", "\n") < 0 ||
	    capture_proc(c, "/proc/cmdline", "\n") < 0 || capture_proc(c, "/proc/modules", "\n") < 0 ||
	    capture_proc(c, "/proc/mounts", "\n") < 0 || capture_proc(c, "/proc/swaps", "\n") < 0 ||
	    capture_kconfig(c, release) < 0 || capture_module_lists(c, release) < 0 ||
	    capture_dev(c) < 0 || capture_bind_state(c) < 0)
		return -1;
	return capture_meta(c, release);
}

int vb_snapshot_write(const struct vb_sys *s, int fd, const struct vb_snapshot_opts *o,
		      struct vb_snapshot_stats *st, struct vb_err *e)
{
	struct cap c = { .s = s, .o = o, .st = st, .e = e };
	int rc = -1;

	memset(st, 0, sizeof(*st));
	st->root = geteuid() == 0;
	c.truncated = json_array();
	c.dev = json_array();
	c.buf = malloc(FILE_CAP + 1);
	if (!c.truncated || !c.dev || !c.buf) {
		vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
		goto out;
	}
	c.w = vb_tar_writer_new(fd, o->now, e);
	if (!c.w)
		goto out;
	if (capture_all(&c) < 0) {
		vb_tar_writer_abort(c.w);
		goto out;
	}
	st->bytes = vb_tar_writer_bytes(c.w);
	rc = vb_tar_writer_finish(c.w, e);
out:
	for (size_t i = 0; i < c.ndirs; i++)
		free(c.dirs[i]);
	for (size_t i = 0; i < c.nroots; i++)
		free(c.roots[i]);
	free(c.dirs);
	free(c.roots);
	free(c.buf);
	json_decref(c.truncated);
	json_decref(c.dev);
	return rc;
}

/* ---- replay -------------------------------------------------------------- */

int vb_snapshot_read_file(const char *file, char **buf, size_t *len, struct vb_err *e)
{
	int fd = strcmp(file, "-") ? open(file, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	size_t cap = 1 << 20, got = 0;
	char *b;

	if (fd < 0)
		return vb_err_set(e, errno == ENOENT ? VB_EXIT_NOTFOUND : VB_EXIT_USAGE, errno, NULL,
				  "cannot open snapshot '%s'", file);
	b = malloc(cap);
	for (;;) {
		ssize_t n;

		if (!b) {
			vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
			break;
		}
		if (got == cap) {
			char *nb = cap >= ARCHIVE_MAX ? NULL : realloc(b, cap * 2);

			if (!nb) {
				vb_err_set(e, VB_EXIT_USAGE, EFBIG, NULL,
					   "snapshot '%s' is larger than %d MiB", file, ARCHIVE_MAX >> 20);
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
		n = read(fd, b + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			vb_err_set(e, VB_EXIT_USAGE, errno, NULL, "cannot read snapshot '%s'", file);
			free(b);
			b = NULL;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	*buf = b;
	*len = got;
	return b ? 0 : -1;
}

/* The one directory at the top of the extraction, holding sys/. */
static int find_top(int dfd, char *top, size_t n, struct vb_err *e)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	struct stat st;
	int count = 0;
	char sys[PATH_MAX];

	if (!d) {
		if (fd >= 0)
			close(fd);
		return vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "cannot list the unpacked snapshot");
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && count++ == 0)
			snprintf(top, n, "%.200s", de->d_name);
	closedir(d);
	snprintf(sys, sizeof(sys), "%s/sys", top);
	if (count != 1 || fstatat(dfd, top, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
	    fstatat(dfd, sys, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL,
				  "not a vfiobuf snapshot: expected one top directory holding sys/");
	return 0;
}

static int read_meta(int dfd, const char *top, struct vb_snapshot_replay *r, struct vb_err *e)
{
	char path[PATH_MAX], text[65536];
	json_t *m, *fmt;
	ssize_t n;
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", top, VB_SNAPSHOT_META);
	fd = openat(dfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0; /* a hand-made tree: fine */
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	m = n > 0 ? json_loadb(text, (size_t)n, 0, NULL) : NULL;
	fmt = json_object_get(m, "format");
	if (!json_is_integer(fmt))
		rc = vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "malformed %s", VB_SNAPSHOT_META);
	else if (json_integer_value(fmt) != VB_SNAPSHOT_FORMAT)
		rc = vb_err_set(e, VB_EXIT_USAGE, 0, NULL,
				"snapshot format %lld is not the one this vfiobuf reads (%d)",
				(long long)json_integer_value(fmt), VB_SNAPSHOT_FORMAT);
	else {
		r->have_meta = true;
		r->taken_as_root = json_is_true(json_object_get(m, "root"));
	}
	json_decref(m);
	return rc;
}

int vb_snapshot_replay_open(const char *file, const char *buf, size_t len,
			    struct vb_snapshot_replay *r, struct vb_err *e)
{
	const char *tmp = getenv("TMPDIR");
	struct vb_tar_stats st;
	struct vb_err inner = { 0 };
	char top[256];
	int dfd = -1;

	memset(r, 0, sizeof(*r));
	if (!tmp || tmp[0] != '/')
		tmp = "/tmp";
	if ((size_t)snprintf(r->dir, sizeof(r->dir), "%s/vfiobuf-replay-XXXXXX", tmp) >=
		    sizeof(r->dir) - 300 ||
	    !mkdtemp(r->dir)) {
		vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "cannot make a directory in %s", tmp);
		r->dir[0] = '\0';
		return -1;
	}
	dfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		vb_err_set(&inner, VB_EXIT_FAIL, errno, NULL, "cannot open %s", r->dir);
	else if (vb_tar_extract(buf, len, dfd, &vb_tar_default_limits, &st, &inner) == 0 &&
		 find_top(dfd, top, sizeof(top), &inner) == 0 && read_meta(dfd, top, r, &inner) == 0)
		snprintf(r->sysfs, sizeof(r->sysfs), "%.3500s/%.200s/sys", r->dir, top);
	if (dfd >= 0)
		close(dfd);
	if (r->sysfs[0])
		return 0;
	vb_err_set(e, inner.exit_code, inner.errnum, NULL, "snapshot '%.200s': %s", file, inner.msg);
	vb_snapshot_replay_close(r);
	return -1;
}

int vb_snapshot_replay_close(struct vb_snapshot_replay *r)
{
	int rc = r->dir[0] ? vb_remove_tree(r->dir) : 0;

	r->dir[0] = '\0';
	return rc;
}
