/* snapshot: capture what vfiobuf reads into one archive, and unpack one
 * safely to replay it (see man/vfiobuf-snapshot.1).
 *
 * The archive is a gzip-compressed POSIX tar (ustar headers, pax extended
 * headers for long names), so `tar tzf` lists it.  It holds one top
 * directory laid out as a --sysfs-root fake root: TOP/sys/..., TOP/proc/...,
 * TOP/boot/..., TOP/dev/..., plus TOP/vfiobuf-snapshot.json (metadata).
 *
 * snapshot_tar.c: the archive writer and the strict reader (a parser of
 * untrusted input, driven by tests/fuzz/fuzz_snapshot.c).
 * snapshot.c: the capture walk and the replay directory.
 */
#ifndef VB_SNAPSHOT_H
#define VB_SNAPSHOT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "sysfs.h"
#include "vb_error.h"

#define VB_SNAPSHOT_FORMAT 1
#define VB_SNAPSHOT_META "vfiobuf-snapshot.json"

/* ---- archive writer ---------------------------------------------------- */

struct vb_tar_writer;

/* Write a gzip-compressed tar to fd (not closed by the writer).  mtime is
 * stamped on every entry.  Entries are owned by 0:0 with no user names. */
struct vb_tar_writer *vb_tar_writer_new(int fd, time_t mtime, struct vb_err *e);
int vb_tar_add_dir(struct vb_tar_writer *w, const char *path, unsigned mode, struct vb_err *e);
int vb_tar_add_file(struct vb_tar_writer *w, const char *path, unsigned mode, const void *data,
		    size_t len, struct vb_err *e);
int vb_tar_add_symlink(struct vb_tar_writer *w, const char *path, const char *target,
		       struct vb_err *e);
/* Write the end-of-archive blocks and the gzip trailer, and free w (also
 * on error).  Returns 0 or -1. */
int vb_tar_writer_finish(struct vb_tar_writer *w, struct vb_err *e);
/* Free w without finishing (after an error). */
void vb_tar_writer_abort(struct vb_tar_writer *w);
/* Uncompressed bytes written so far (headers and data). */
uint64_t vb_tar_writer_bytes(const struct vb_tar_writer *w);

/* ---- strict reader ----------------------------------------------------- */

struct vb_tar_limits {
	uint64_t max_total;   /* uncompressed bytes of the whole archive */
	uint64_t max_file;    /* bytes of one regular file */
	size_t max_entries;   /* tar entries (headers) */
	size_t max_depth;     /* path components of one name */
};

/* The limits a replay uses (64 MiB in all, 16 MiB a file, 200000 entries,
 * 64 levels). */
extern const struct vb_tar_limits vb_tar_default_limits;

struct vb_tar_stats {
	size_t files, dirs, links;
	uint64_t bytes; /* payload of regular files */
};

/* Unpack an archive held in buf (gzip-compressed, or a plain tar) into the
 * directory dirfd.  Only regular files, directories and symbolic links;
 * names relative, without '..'; symlink targets relative, of the form
 * (../)*name(/name)* and not climbing above dirfd; every path created
 * with openat relative to dirfd and O_NOFOLLOW at every component (a
 * symlink from the archive is never followed); sizes and counts bounded by
 * lim.  Refuses the first bad entry with VB_EXIT_USAGE (the caller removes
 * what was created).  Returns 0 or -1. */
int vb_tar_extract(const void *buf, size_t len, int dirfd, const struct vb_tar_limits *lim,
		   struct vb_tar_stats *st, struct vb_err *e);

/* Is target a relative symlink target of the form (../)*name(/name)* that,
 * taken from a link depth components below the archive root (a link at
 * "a/b/l" has depth 2), stays inside it?  why (may be NULL) gets the
 * reason on false. */
bool vb_tar_link_target_ok(const char *target, size_t depth, const char **why);

/* Remove a directory tree without following symlinks (openat/unlinkat
 * relative to descriptors).  Returns 0 or -errno of the first failure. */
int vb_remove_tree(const char *path);

/* ---- capture ------------------------------------------------------------ */

struct vb_snapshot_opts {
	bool with_vpd;     /* include the vpd attribute (serial numbers) */
	time_t now;        /* capture time (metadata, entry mtimes, top dir name) */
	const char *top;   /* top directory name in the archive */
};

struct vb_snapshot_stats {
	size_t files, dirs, links;
	uint64_t bytes;          /* uncompressed tar bytes */
	size_t truncated;        /* files cut at their cap */
	size_t unreadable;       /* attributes that could not be read (skipped) */
	size_t links_dropped;    /* symlinks a replay would refuse (absolute, escaping) */
	size_t driver_attrs;     /* a driver's attributes in a function's directory, left out */
	bool root;               /* taken with euid 0 (full config space) */
};

/* Capture what vfiobuf reads from the system s (the live one, or a
 * --sysfs-root tree) into a compressed archive written to fd.  Reads only:
 * in a function's directory only the PCI core's attributes, never
 * resourceN, rom, remove, rescan, reset (recorded as empty files), vpd only
 * with with_vpd; each file capped (config at 4096 bytes, others at 64 KiB);
 * never follows a symlink while walking.  Returns 0 or -1. */
int vb_snapshot_write(const struct vb_sys *s, int fd, const struct vb_snapshot_opts *o,
		      struct vb_snapshot_stats *st, struct vb_err *e);

/* ---- replay -------------------------------------------------------------- */

struct vb_snapshot_replay {
	char dir[PATH_MAX];   /* the private extraction directory */
	char sysfs[PATH_MAX]; /* DIR/TOP/sys: use as --sysfs-root */
	bool have_meta;       /* the archive had vfiobuf-snapshot.json */
	bool taken_as_root;   /* metadata "root" */
};

/* Read the archive file ("-" for stdin) into *buf (malloc'd), at most
 * 64 MiB.  Returns 0 or -1. */
int vb_snapshot_read_file(const char *file, char **buf, size_t *len, struct vb_err *e);
/* Unpack an archive read by vb_snapshot_read_file (named file in messages)
 * into a new private (0700) directory under $TMPDIR (else /tmp) with
 * vb_tar_extract, and find its top directory.  On failure nothing is left
 * behind.  Returns 0 or -1 (VB_EXIT_USAGE for a bad archive). */
int vb_snapshot_replay_open(const char *file, const char *buf, size_t len,
			    struct vb_snapshot_replay *r, struct vb_err *e);
/* Remove the extraction directory.  Returns 0 or -errno. */
int vb_snapshot_replay_close(struct vb_snapshot_replay *r);

#endif
