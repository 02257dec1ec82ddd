/* cli_vfio: pieces shared by info, export, recv and reset. */
#ifndef VB_CLI_VFIO_H
#define VB_CLI_VFIO_H

#include <signal.h>

#include "cli.h"
#include "dmabuf_info.h"
#include "vfio_dev.h"

#define CLI_VFIO_MODE_OPTION(key) \
	{ "vfio-mode", (key), "auto|cdev|group", 0, \
	  "How to open the device: cdev + iommufd, legacy group + container, or auto", 0 }

/* A JSON Lines event on stdout, flushed at once. */
void cli_event(struct vb_cli *cli, json_t *ev);

/* Run argv with fd inherited and the buffer described in VFIOBUF_* variables;
 * returns the child's exit status (128+signal when killed). */
int cli_exec_with_fd(char **argv, int fd, const json_t *desc, struct vb_err *e);

/* Block SIGINT/SIGTERM and return a signalfd for them. */
int cli_signalfd(void);

#endif
