/* snapshot_tar: the archive format of snapshots: a gzip-compressed POSIX
 * tar writer, and a strict reader of untrusted archives (only regular
 * files, directories and symlinks that stay inside; bounded sizes). */
#ifndef VB_SNAPSHOT_TAR_H
#define VB_SNAPSHOT_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "vb_error.h"

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

#endif
