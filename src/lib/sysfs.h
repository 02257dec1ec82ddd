/* sysfs: every path the tool reads or writes goes through here, so that
 * --sysfs-root DIR (or VFIOBUF_SYSFS_ROOT) redirects all of them.
 *
 * Rule: DIR stands for /sys.  Paths outside /sys (/proc, /dev, /run, /etc)
 * are taken relative to DIR's parent directory, so a fixture laid out as
 * TREE/sys, TREE/proc/cpuinfo, TREE/run/vfiobuf ... is a whole fake root.
 * With the real /sys the prefix is empty and paths are the real ones.
 */
#ifndef VB_SYSFS_H
#define VB_SYSFS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "vb_error.h"

/* The flags first and sysfs next: a command that uses neither a fake root
 * nor a dump never touches root[] or dump[] (each its own page of the
 * stack, a page fault each at every start, costly under emulation). */
struct vb_sys {
	bool fake;            /* true when a --sysfs-root was given */
	bool has_dump;        /* dump[] is set */
	char sysfs[PATH_MAX]; /* "/sys" or the --sysfs-root directory */
	char root[PATH_MAX];  /* the fake root (parent of sysfs): read only when fake */
	char dump[PATH_MAX];  /* the lspci -x dump (-F FILE) read instead of the PCI
				 bus (no sysfs attributes then): only when has_dump */
};

/* s empty (the real /sys not set yet, no root, no dump), without writing
 * its three PATH_MAX buffers: root[] and dump[] are read only under their
 * flags, sysfs[] up to its NUL. */
void vb_sys_clear(struct vb_sys *s);

/* sysfs_root NULL or "" means the real /sys.  Fails (usage exit code) when
 * the directory cannot be read. */
int vb_sys_init(struct vb_sys *s, const char *sysfs_root, struct vb_err *e);

/* Read the PCI functions from an `lspci -x`/`-xxx`/`-xxxx` dump instead of
 * the bus (vfiobuf -F FILE).  Fails (usage exit code) when the file cannot
 * be read or is a directory. */
int vb_sys_set_dump(struct vb_sys *s, const char *path, struct vb_err *e);

/* True when the PCI functions come from a dump, not the live kernel. */
static inline bool vb_sys_is_dump(const struct vb_sys *s)
{
	return s->has_dump;
}

/* Build DIR/<rel> where rel is printf-formatted and relative to /sys
 * (e.g. "bus/pci/devices/%s/driver").  Returns 0, or -1 (ENAMETOOLONG). */
int vb_sys_path(const struct vb_sys *s, char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Build ROOT<abs> for an absolute path outside /sys ("/proc/cpuinfo"). */
int vb_root_path(const struct vb_sys *s, char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Read a sysfs attribute into buf (NUL-terminated, trailing newline
 * stripped).  Returns its length, or -errno. */
int vb_sys_read(const struct vb_sys *s, char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Basename of a symlink's target ("nvme" for .../driver).  Returns the
 * length, or -errno (-ENOENT when the link does not exist). */
int vb_sys_readlink_base(const struct vb_sys *s, char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The same for a link name relative to the directory dirfd (AT_FDCWD:
 * relative to the working directory, or an absolute path). */
int vb_readlink_base_at(int dirfd, const char *name, char *buf, size_t n);

/* The IOMMU group number of PCI function bdf, or -1 when it has none (no
 * IOMMU, or no such device). */
int vb_sys_iommu_group(const struct vb_sys *s, const char *bdf);

/* Write value (as given, no newline added) to a sysfs attribute in one
 * write(2).  Returns 0 or -errno. */
int vb_sys_write(const struct vb_sys *s, const char *value, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* True when the sysfs path exists. */
bool vb_sys_exists(const struct vb_sys *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Why configuration space past the first 64 bytes may be missing: "needs
 * root" on the live system for a non-root reader, "not captured" for a
 * fixture or capture (whoever made it read what it could). */
const char *vb_sys_config_gap(const struct vb_sys *s);

/* Plain-path helpers (absolute paths already resolved by the above). */
int vb_read_file(const char *path, char *buf, size_t n);           /* -errno */
/* Read up to n bytes of fd into buf, retrying interrupted and short reads
 * until n, end of file or an error; the count read. */
size_t vb_read_full(int fd, void *buf, size_t n);
/* The first function in bus/pci/devices that has the entry `entry` (e.g.
 * "vfio-dev", "p2pmem"), its name into bdf (when not NULL); false when none. */
bool vb_sys_find_function_with(const struct vb_sys *s, const char *entry, char *bdf, size_t n);
int vb_write_file(const char *path, const char *value);            /* -errno */

#endif
