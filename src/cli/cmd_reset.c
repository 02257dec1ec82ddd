/* cmd_reset: `vfiobuf reset DEVICE`: function reset through VFIO, which
 * revokes every dma-buf of the device and restores them after. */
#include <stdio.h>
#include <string.h>

#include <unistd.h>

#include "cli.h"
#include "cli_broker.h"
#include "cli_vfio.h"

#define OPT_SERVER 0x4300

struct reset_args {
	struct cli_vfio_target t; /* first: cli_vfio_target_parser's input */
	const char *server;
};

static const struct argp_option reset_options[] = {
	CLI_VFIO_MODE_OPTION(CLI_VFIO_MODE_KEY),
	CLI_SERVER_OPTION(OPT_SERVER),
	{ 0 }
};

static error_t reset_parser(int key, char *arg, struct argp_state *state)
{
	struct reset_args *a = state->input;

	if (key != OPT_SERVER)
		return cli_vfio_target_parser(key, arg, state);
	a->server = arg;
	return 0;
}

const struct argp cmd_reset_argp = {
	reset_options, reset_parser, "DEVICE",
	"Reset a device bound to vfio-pci with VFIO_DEVICE_RESET.  The kernel revokes every "
	"dma-buf of the device before the reset and restores them after it when memory decode "
	"is enabled; both are reported as JSON Lines events.  (Resets done outside VFIO, e.g. "
	"through sysfs 'reset', do not revoke and are not safe with exported buffers.)  The "
	"device must not be open elsewhere: reset a device held by 'vfiobuf export --hold' with "
	"SIGUSR1 to that process, or through the daemon that owns it with --server.",
	NULL, NULL, NULL
};

/* Through the daemon that owns the device: it revokes, resets, restores,
 * and tells the lease holders. */
static int reset_remote(struct vb_cli *cli, const char *server, const char *bdf)
{
	struct vb_err e = { 0 };
	struct vb_reset_outcome o;
	json_t *req = vb_proto_request(VB_OP_RESET, -1), *reply = NULL;
	int sock = cli_broker_open(server, &e);

	if (sock < 0) {
		json_decref(req);
		return cli_fail(cli, &e);
	}
	json_object_set_new(req, "bdf", json_string(bdf));
	if (cli_broker_call(cli, sock, req, &reply, NULL, &e) < 0) {
		close(sock);
		return cli_fail(cli, &e);
	}
	close(sock);
	/* a reset the daemon completed revoked; its reply says if it restored */
	o.revoked = true;
	o.restored = json_is_true(json_object_get(reply, "restored"));
	cli_reset_events(cli, bdf, &o, server);
	json_decref(reply);
	return 0;
}

int cmd_reset(struct vb_cli *cli, int argc, char **argv)
{
	struct reset_args a = { 0 };
	struct vb_reset_outcome o;
	struct vb_vfio_dev d;
	struct vb_err e = { 0 };
	char bdf[VB_BDF_STRLEN];
	int rc;

	rc = cli_parse_args(cli, &cmd_reset_argp, argc, argv, &a);
	if (rc)
		return rc;
	vb_bdf_format(&a.t.bdf, bdf);
	if (a.server)
		return reset_remote(cli, a.server, bdf);
	if (vb_vfio_open(&cli->sys, bdf, a.t.mode, &d, &e) < 0)
		return cli_fail(cli, &e);
	rc = vb_vfio_reset_buffers(&d, &o, &e);
	cli_reset_events(cli, bdf, &o, NULL);
	vb_vfio_close(&d);
	return rc < 0 ? cli_fail(cli, &e) : 0;
}
