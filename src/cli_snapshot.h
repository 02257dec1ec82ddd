/* cli_snapshot: replaying a snapshot (global --snapshot FILE); the code is
 * in cmd_snapshot.c beside the command that writes one. */
#ifndef VB_CLI_SNAPSHOT_H
#define VB_CLI_SNAPSHOT_H

#include <stdbool.h>

#include "cli.h"

/* Unpack FILE into a private temporary directory and point cli->sys at it
 * (cli->replay set).  The command then runs in a child process; this
 * process waits for it, forwarding SIGINT/SIGTERM/SIGHUP/SIGQUIT, removes
 * the directory and exits with the child's status: in the caller this
 * returns 0 (in the child) or an exit code after reporting an error
 * (nothing was left behind). */
int cli_snapshot_replay(struct vb_cli *cli, const char *file, bool sysfs_root_given);

/* Commands that read only what a snapshot holds (list, show, topology,
 * distance, doctor, snapshot); the others need the live kernel. */
bool cli_snapshot_replayable(const char *command);

#endif
