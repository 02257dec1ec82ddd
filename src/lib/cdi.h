/* cdi: a Container Device Interface spec that gives a container the broker's
 * socket and nothing else: kind VB_CDI_KIND, one device "socket" whose
 * containerEdits bind-mount the socket read-write at the same path, so
 * `podman run --device vfiobuf.io/broker=socket` (or a CDI-aware CRI
 * runtime) lets the container ask `vfiobuf serve` for dma-bufs; the
 * broker's per-uid policy still decides.
 *
 * cdiVersion is VB_CDI_VERSION, the newest that Debian bookworm's CDI
 * library (0.5.2, in podman 4.3) accepts; later libraries accept it too. */
#ifndef VB_CDI_H
#define VB_CDI_H

#include <stddef.h>

#include "vb_error.h"

#define VB_CDI_VERSION "0.5.0"
#define VB_CDI_KIND "vfiobuf.io/broker"
#define VB_CDI_DEVICE "socket"

/* The spec as indented JSON text ending in a newline (malloc'd, length in
 * *len), or NULL with e when socket is not an absolute path that fits a
 * unix socket address, or names "." or ".." components. */
char *vb_cdi_spec(const char *socket, size_t *len, struct vb_err *e);

#endif
