/* dropin: replacing a small configuration file (a GRUB drop-in) safely.
 *
 * The directory is opened without following a symlink in its last
 * component and must belong to root or the caller and be writable by no
 * one else; the text goes to a fresh file made there with O_EXCL, mode
 * 0644, synced, then renamed over the name (a symlink planted at the name
 * is replaced, never followed), and the directory synced.  A missing last
 * directory is created (0755).
 */
#ifndef VB_DROPIN_H
#define VB_DROPIN_H

#include "vb_error.h"

/* 0, or -1 with e set (VB_EXIT_PERM for EACCES/EPERM and an unsafe
 * directory, VB_EXIT_FAIL otherwise). */
int vb_dropin_write(const char *path, const char *text, struct vb_err *e);

#endif
