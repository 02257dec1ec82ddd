/* atomic_file: replace a file that another program reads (NFD's features.d,
 * a CDI spec directory) so that a reader sees either the old text or the
 * new, never half of it: a dotfile beside the target (".NAME.XXXXXX"; NFD
 * and the CDI cache ignore dotfiles), written, fsync'd, renamed over the
 * target, then the directory fsync'd.  The directory is opened once and
 * every step is relative to it, so the file lands in the directory that was
 * opened even if a path component is swapped meanwhile; a symlink at the
 * target is replaced, never followed. */
#ifndef VB_ATOMIC_FILE_H
#define VB_ATOMIC_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "vb_error.h"

/* Write len bytes of text to path with the given mode (umask ignored: the
 * readers are other programs).  Returns 0, or -1 with e naming the path and
 * errno; nothing is left behind on failure. */
int vb_atomic_write(const char *path, const char *text, size_t len, mode_t mode,
		    struct vb_err *e);

/* The same in a directory the caller opened and checked itself (the
 * daemon's trusted directory for its metrics, a GRUB drop-in directory):
 * base is the file's name in dfd, path names it in messages. */
int vb_atomic_write_at(int dfd, const char *base, const char *path, const char *text, size_t len,
		       mode_t mode, struct vb_err *e);

/* Split path into its directory ("." when none, "/" for the root) and its
 * last component (never "", "." or ".."); -1 when it names no file or the
 * directory does not fit dn. */
int vb_atomic_split(const char *path, char *dir, size_t dn, const char **base);

#endif
