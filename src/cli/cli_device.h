/* cli_device: printing a vb_device, shared by list, show and others. */
#ifndef VB_CLI_DEVICE_H
#define VB_CLI_DEVICE_H

#include "cli.h"
#include "json_out.h"
#include "pci_model.h"

/* JSON fields common to every device object (bdf, ids, names, driver,
 * iommu_group, numa_node, vfio, bars, parent).  JSON mode only. */
void cli_device_json_fields(struct vb_out *o, const struct vb_device *d);
/* "vfio": {"group": node or null, "cdev": node or null}, null when neither
 * node ("" = none). */
void cli_vfio_nodes_json(struct vb_out *o, const char *group, const char *cdev);

/* "2:16M(64,pf) 4:4K" — memory/IO BARs in one short column. */
/* "problems": [...] of one function (always present, [] when none). */
void cli_device_problems_json(struct vb_out *o, const struct vb_device *d);
/* Each bad entry and function once on stderr ("vfiobuf: warning: ..."),
 * unless quiet. */
void cli_report_problems(const struct vb_cli *cli, const struct vb_devlist *l);

const char *cli_bars_short(const struct vb_device *d, char *buf, size_t n);

/* Open the inventory for a command: names when the output shows them. */
struct vb_pci *cli_pci_open(struct vb_cli *cli, unsigned flags, struct vb_err *e);

/* "vfio_driver" and "dmabuf_export" (JSON): whether d's driver is a VFIO
 * driver, and whether it implements dma-buf export by the Linux 7.3 table
 * (vb_vfio_driver_exports: null when unknown).  From sysfs only. */
void cli_device_export_json(struct vb_out *o, const struct vb_device *d);

/* The human tables' mark after a VFIO driver that cannot export ("!") or
 * may not ("?"); "" otherwise. */
const char *cli_device_export_mark(const struct vb_device *d);

#endif
