/* cmd_info: `vfiobuf info DEVICE`: open it through VFIO and report the open
 * mode, regions, dma-buf support, reset support and memory enable. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ranges.h"
#include "cli.h"
#include "cli_vfio.h"
#include "vfio_driver.h"

const struct argp cmd_info_argp = {
	cli_vfio_target_options, cli_vfio_target_parser, "DEVICE",
	"Open a device bound to a VFIO driver and report which driver, how it was opened, its regions (sizes and "
	"flags), whether VFIO_DEVICE_FEATURE_DMA_BUF is supported (when the driver implements "
	"no export: which driver does for this device), reset support and whether "
	"memory decode is enabled (buffers are revoked while it is off).",
	NULL, NULL, NULL
};

static const char *region_name(uint32_t i)
{
	static const char *const names[] = { "BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM", "config", "VGA" };

	return i < 9 ? names[i] : "device-specific";
}

int cmd_info(struct vb_cli *cli, int argc, char **argv)
{
	struct cli_vfio_target a = { 0 };
	struct vb_vfio_dev d;
	struct vb_err e = { 0 }, pe = { 0 };
	struct vb_out *o;
	char name[VB_BDF_STRLEN], fix[320];
	int rc, mem;
	bool dmabuf;

	rc = cli_parse_args(cli, &cmd_info_argp, argc, argv, &a);
	if (rc)
		return rc;
	o = cli->out;
	if (vb_vfio_open(&cli->sys, vb_bdf_format(&a.bdf, name), a.mode, &d, &e) < 0)
		return cli_fail(cli, &e);
	dmabuf = vb_vfio_probe_dmabuf(&d, &pe) == 0;
	mem = vb_vfio_memory_enabled(&d, &e);
	out_open_object(o, NULL);
	out_str(o, "bdf", "device:          %s\n", d.name);
	out_str(o, "driver", "driver:          %s\n", d.driver);
	out_str(o, "vfio_mode", "opened as:       %s", vb_vfio_mode_name(d.mode));
	out_str(o, "node", " (%s)\n", d.node);
	out_int(o, "iommu_group", "iommu group:     %lld\n", d.group);
	out_bool(o, "dmabuf_export", "dma-buf export:  %s", dmabuf);
	out_text(o, "%s%s%s\n", dmabuf ? "" : " (", dmabuf ? "" : pe.msg, dmabuf ? "" : ")");
	if (!dmabuf)
		out_str(o, "dmabuf_error", NULL, pe.msg);
	if (!dmabuf && pe.errnum == EOPNOTSUPP) {
		vb_vfio_export_fix(&cli->sys, d.name, fix, sizeof(fix));
		out_str(o, "dmabuf_fix", NULL, fix);
	}
	out_bool(o, "reset", "reset:           %s\n", (d.info.flags & VFIO_DEVICE_FLAGS_RESET) != 0);
	if (mem >= 0)
		out_bool(o, "memory_enabled", "memory enabled:  %s\n", mem == 1);
	else
		out_null(o, "memory_enabled", "memory enabled:  %s (config space unreadable)\n");
	out_int(o, "num_regions", NULL, d.info.num_regions);
	out_int(o, "num_irqs", NULL, d.info.num_irqs);
	out_open_array(o, "regions");
	out_text(o, "regions:\n");
	for (uint32_t i = 0; i < d.info.num_regions && i < 9; i++) {
		struct vfio_region_info ri;
		char sz[32];

		if (vb_vfio_region(&d, i, &ri, &e) < 0 || ri.size == 0)
			continue;
		out_open_object(o, OUT_ITEM);
		out_int(o, "index", NULL, i);
		out_str(o, "name", "  %-7s", region_name(i));
		out_uint(o, "size", NULL, ri.size);
		out_text(o, " %-6s", vb_size_format(ri.size, sz, sizeof(sz)));
		out_bool(o, "read", NULL, ri.flags & VFIO_REGION_INFO_FLAG_READ);
		out_bool(o, "write", NULL, ri.flags & VFIO_REGION_INFO_FLAG_WRITE);
		out_bool(o, "mmap", NULL, ri.flags & VFIO_REGION_INFO_FLAG_MMAP);
		out_text(o, " %s%s%s\n", ri.flags & VFIO_REGION_INFO_FLAG_READ ? "read " : "",
			 ri.flags & VFIO_REGION_INFO_FLAG_WRITE ? "write " : "",
			 ri.flags & VFIO_REGION_INFO_FLAG_MMAP ? "mmap" : "");
		out_close_object(o);
	}
	out_close_array(o);
	out_close_object(o);
	vb_vfio_close(&d);
	return 0;
}
