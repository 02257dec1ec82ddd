/* dmabuf_info: what any process can learn about a dma-buf fd it holds:
 * /proc/self/fdinfo/FD (size, count, exp_name, name, ino).  Revocation is
 * not visible there: only importers are told (move_notify), the holder of
 * the fd sees nothing. */
#ifndef VB_DMABUF_INFO_H
#define VB_DMABUF_INFO_H

#include <stdbool.h>
#include <stdint.h>

#include "vb_error.h"

struct vb_dmabuf_info {
	uint64_t size;
	long count;
	unsigned long ino;
	char exp_name[64];
	char name[64];
};

/* Read fdinfo of fd in this process.  Fails (exit code 2) when fd is not a
 * dma-buf. */
int vb_dmabuf_info(int fd, struct vb_dmabuf_info *info, struct vb_err *e);

#endif
