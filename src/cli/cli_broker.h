/* cli_broker: the CLI side of the broker: `--server SOCKET` for export,
 * reset and list, printing daemon events, and the human event line. */
#ifndef VB_CLI_BROKER_H
#define VB_CLI_BROKER_H

#include <jansson.h>

#include "client.h"
#include "cli.h"

#define CLI_SERVER_OPTION(key) \
	{ "server", (key), "SOCKET", 0, \
	  "Ask the vfiobuf serve daemon listening on SOCKET instead of opening the device", 0 }

/* Connect and say hello (protocol check).  Returns the socket or -1 with e. */
int cli_broker_open(const char *path, struct vb_err *e);
/* One request/reply; pushed events are printed as they come. */
int cli_broker_call(struct vb_cli *cli, int sock, json_t *req, json_t **reply, int *fd,
		    struct vb_err *e);
/* A daemon event on stdout: a JSON Line under -j or in event streams
 * (json_lines), else one human line "HH:MM:SS.mmm event device k=v...". */
void cli_broker_print_event(struct vb_cli *cli, const json_t *ev, bool json_lines);
/* `list --server`: the daemon's devices as a table or JSON. */
int cli_broker_list(struct vb_cli *cli, const char *path);

#endif
