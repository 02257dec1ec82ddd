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

#include "snapshot_tar.h"
#include "sysfs.h"
#include "vb_error.h"

#define VB_SNAPSHOT_FORMAT 1
#define VB_SNAPSHOT_META "vfiobuf-snapshot.json"

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
