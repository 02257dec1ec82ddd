/* cli_vfio: pieces shared by info, export, recv and reset. */
#ifndef VB_CLI_VFIO_H
#define VB_CLI_VFIO_H

#include <signal.h>

#include "cli.h"
#include "dmabuf_info.h"
#include "vfio_dev.h"

#define CLI_VFIO_MODE_KEY 0x4000
#define CLI_VFIO_MODE_OPTION(key) \
	{ "vfio-mode", (key), "auto|cdev|group", 0, \
	  "How to open the device: cdev + iommufd, legacy group + container, or auto", 0 }

/* Arguments of commands that open one device: DEVICE [--vfio-mode M]. */
struct cli_vfio_target {
	struct vb_bdf bdf;
	bool have;
	enum vb_vfio_mode mode;
};
extern const struct argp_option cli_vfio_target_options[];
error_t cli_vfio_target_parser(int key, char *arg, struct argp_state *state);
/* Handles --vfio-mode (key) into *mode; ARGP_ERR_UNKNOWN otherwise. */
error_t cli_vfio_mode_option(struct argp_state *state, const char *arg, enum vb_vfio_mode *mode);

/* A JSON Lines event on stdout, flushed at once. */
void cli_event(struct vb_cli *cli, json_t *ev);
/* Are events printed at all (not -q)?  Lets a command skip building them. */
bool cli_shows_events(const struct vb_cli *cli);
/* The revoked / restored events (cause "reset") a reset of bdf made;
 * server (or NULL) names the daemon's socket that did it. */
void cli_reset_events(struct vb_cli *cli, const char *bdf, const struct vb_reset_outcome *o,
		      const char *server);

/* Run argv with fd inherited and the buffer described in VFIOBUF_* variables;
 * returns the child's exit status (128+signal when killed), or -1 with e
 * (exit code 127) when it cannot be started.  The child gets an empty
 * signal mask. */
int cli_exec_with_fd(char **argv, int fd, const json_t *desc, struct vb_err *e);
/* The same with the variables' values given (NULL: left out), in this
 * order; description: VFIOBUF_DESCRIPTION's text. */
enum cli_buffer_var {
	CLI_VAR_SIZE, CLI_VAR_DEVICE, CLI_VAR_BAR, CLI_VAR_RANGES, CLI_VAR_NAME, CLI_VAR_INO,
	CLI_VAR_COUNT
};
struct cli_buffer_vars {
	const char *value[CLI_VAR_COUNT];
	const char *description;
};
int cli_exec_with_vars(char **argv, int fd, const struct cli_buffer_vars *v, struct vb_err *e);
/* An event already written as JSON text (one line on stdout). */
void cli_event_text(struct vb_cli *cli, const char *text);

/* Validate bar and ranges (none: the whole BAR, added to r) against sysfs,
 * without opening anything: 0, or -1 with e (usage errors exit 2). */
int cli_export_check(struct vb_cli *cli, const char *bdf, int bar, struct vb_range *r,
		     size_t *nr, struct vb_err *e);
/* cli_export_check, then open bdf through VFIO and export: the dma-buf fd, its name in name
 * (VB_DMABUF_NAME_LEN), the device open in *d; or -1 with e, nothing open.
 * No bus scan, no name database. */
int cli_export_local(struct vb_cli *cli, const char *bdf, int bar, struct vb_range *r, size_t *nr,
		     enum vb_vfio_mode mode, struct vb_vfio_dev *d, char *name, struct vb_err *e);

/* --bar N (0-5) and --range OFFSET:LENGTH (appended to r[*nr], at most
 * VB_RANGES_MAX) for export and verify: usage errors through argp. */
error_t cli_bar_arg(struct argp_state *state, const char *arg, int *bar);
error_t cli_range_arg(struct argp_state *state, const char *arg, struct vb_range *r, size_t *nr);

/* Block SIGINT/SIGTERM and return a signalfd for them. */
int cli_signalfd(void);

#endif
