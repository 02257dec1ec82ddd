/* cmd_reset: `vfiobuf reset DEVICE`: function reset through VFIO, which
 * revokes every dma-buf of the device and restores them after. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_vfio.h"

const struct argp cmd_reset_argp = {
	cli_vfio_target_options, cli_vfio_target_parser, "DEVICE",
	"Reset a device bound to vfio-pci with VFIO_DEVICE_RESET.  The kernel revokes every "
	"dma-buf of the device before the reset and restores them after it when memory decode "
	"is enabled; both are reported as JSON Lines events.  (Resets done outside VFIO, e.g. "
	"through sysfs 'reset', do not revoke and are not safe with exported buffers.)  The "
	"device must not be open elsewhere: reset a device held by 'vfiobuf export --hold' with "
	"SIGUSR1 to that process, or through the broker.",
	NULL, NULL, NULL
};

int cmd_reset(struct vb_cli *cli, int argc, char **argv)
{
	struct cli_vfio_target a = { 0 };
	struct vb_vfio_dev d;
	struct vb_err e = { 0 };
	char bdf[VB_BDF_STRLEN];
	int rc;

	rc = cli_parse_args(cli, &cmd_reset_argp, argc, argv, &a);
	if (rc)
		return rc;
	if (vb_vfio_open(&cli->sys, vb_bdf_format(&a.bdf, bdf), a.mode, &d, &e) < 0)
		return cli_fail(cli, &e);
	cli_event(cli, json_pack("{s:s, s:s, s:s}", "event", "revoked", "device", bdf, "cause", "reset"));
	rc = vb_vfio_reset(&d, &e);
	if (rc == 0 && vb_vfio_memory_enabled(&d, &e) == 1)
		cli_event(cli, json_pack("{s:s, s:s, s:s}", "event", "restored", "device", bdf, "cause",
					 "reset"));
	vb_vfio_close(&d);
	return rc < 0 ? cli_fail(cli, &e) : 0;
}
