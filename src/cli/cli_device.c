/* cli_device: device printing helpers shared by the commands. */
#include "ranges.h"
#include "cli_device.h"
#include "vfio_driver.h"

#include <stdio.h>
#include <string.h>

static void hex4(char *buf, unsigned v)
{
	snprintf(buf, 5, "%04x", v & 0xffff);
}

static void bars_json(struct vb_out *o, const struct vb_device *d)
{
	out_open_array(o, "bars");
	for (int i = 0; i < d->nbars; i++) {
		const struct vb_bar *b = &d->bars[i];

		out_open_object(o, NULL);
		out_int(o, "index", NULL, b->index);
		out_str(o, "type", NULL, b->is_io ? "io" : "mem");
		out_uint(o, "start", NULL, b->start);
		out_uint(o, "size", NULL, b->size);
		out_bool(o, "is_64bit", NULL, b->is_64bit);
		out_bool(o, "prefetchable", NULL, b->prefetchable);
		out_close_object(o);
	}
	out_close_array(o);
}

void cli_vfio_nodes_json(struct vb_out *o, const char *group, const char *cdev)
{
	if (!group[0] && !cdev[0]) {
		out_null(o, "vfio", NULL);
		return;
	}
	out_open_object(o, "vfio");
	out_str_or_null(o, "group", NULL, group);
	out_str_or_null(o, "cdev", NULL, cdev);
	out_close_object(o);
}

void cli_device_json_fields(struct vb_out *o, const struct vb_device *d)
{
	char buf[16];

	if (!out_is_json(o))
		return;
	out_str(o, "bdf", NULL, d->name);
	hex4(buf, d->vendor_id);
	out_str(o, "vendor_id", NULL, buf);
	hex4(buf, d->device_id);
	out_str(o, "device_id", NULL, buf);
	out_str_or_null(o, "vendor_name", NULL, d->vendor_name);
	out_str_or_null(o, "device_name", NULL, d->device_name);
	snprintf(buf, sizeof(buf), "%04x", d->class_code >> 8);
	out_str(o, "class_id", NULL, buf);
	out_str_or_null(o, "class_name", NULL, d->class_name);
	hex4(buf, d->subsys_vendor_id);
	out_str(o, "subsystem_vendor_id", NULL, buf);
	hex4(buf, d->subsys_id);
	out_str(o, "subsystem_id", NULL, buf);
	out_str_or_null(o, "driver", NULL, d->driver);
	out_str_or_null(o, "driver_override", NULL, d->driver_override);
	if (d->iommu_group >= 0)
		out_int(o, "iommu_group", NULL, d->iommu_group);
	else
		out_null(o, "iommu_group", NULL);
	if (d->captured || d->numa_node < 0)
		out_null(o, "numa_node", NULL); /* a dump has none; -1: no NUMA */
	else
		out_int(o, "numa_node", NULL, d->numa_node);
	cli_vfio_nodes_json(o, d->vfio_group_node, d->vfio_cdev_node);
	out_bool(o, "is_bridge", NULL, d->is_bridge);
	out_bool(o, "is_vf", NULL, d->is_vf);
	if (d->is_vf) {
		vb_bdf_format(&d->physfn, buf);
		out_str(o, "physfn", NULL, buf);
	}
	if (d->has_parent) {
		vb_bdf_format(&d->parent, buf);
		out_str(o, "parent", NULL, buf);
	} else {
		out_null(o, "parent", NULL);
	}
	out_str_or_null(o, "host_bridge", NULL, d->host_bridge);
	if (d->captured)
		out_null(o, "bars", NULL); /* a dump has addresses but no sizes */
	else
		bars_json(o, d);
	cli_device_problems_json(o, d);
}

void cli_device_problems_json(struct vb_out *o, const struct vb_device *d)
{
	char buf[256];

	out_open_array(o, "problems");
	for (int k = 0; vb_device_problem(d, k, buf, sizeof(buf)); k++)
		out_str(o, OUT_ITEM, NULL, buf);
	out_close_array(o);
}

void cli_report_problems(const struct vb_cli *cli, const struct vb_devlist *l)
{
	char buf[256];

	if (cli->quiet)
		return;
	for (size_t i = 0; i < l->nbogus; i++)
		fprintf(stderr, "vfiobuf: warning: bus/pci/devices/%s: not a PCI address, ignored\n",
			l->bogus[i]);
	for (size_t i = 0; i < l->n; i++) {
		const struct vb_device *d = &l->v[i];

		if (d->synthesized)
			fprintf(stderr,
				"vfiobuf: warning: %s: in the sysfs path of the functions below it "
				"but not in bus/pci/devices: taken from the path\n",
				d->name);
		for (int k = 0; vb_device_problem(d, k, buf, sizeof(buf)); k++)
			fprintf(stderr, "vfiobuf: warning: %s: %s\n", d->name, buf);
	}
}

const char *cli_bars_short(const struct vb_device *d, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	if (d->captured) {
		snprintf(buf, n, "?");
		return buf;
	}
	for (int i = 0; i < d->nbars && len < n; i++) {
		const struct vb_bar *b = &d->bars[i];
		char sz[32];

		vb_size_format(b->size, sz, sizeof(sz));
		len += (size_t)snprintf(buf + len, n - len, "%s%d:%s%s%s%s%s", len ? " " : "",
					b->index, sz, b->is_io ? "(io)" : "",
					b->is_64bit || b->prefetchable ? "(" : "",
					b->is_64bit ? (b->prefetchable ? "64,pf" : "64")
						    : (b->prefetchable ? "pf" : ""),
					b->is_64bit || b->prefetchable ? ")" : "");
	}
	if (!buf[0])
		snprintf(buf, n, "-");
	return buf;
}

struct vb_pci *cli_pci_open(struct vb_cli *cli, unsigned flags, struct vb_err *e)
{
	return vb_pci_open(&cli->sys, flags, e);
}

static enum vb_export_cap device_exports(const struct vb_device *d)
{
	return vb_vfio_driver_exports(d->driver, d->vfio_group_node[0] != '\0');
}

void cli_device_export_json(struct vb_out *o, const struct vb_device *d)
{
	enum vb_export_cap cap = device_exports(d);

	out_bool(o, "vfio_driver", NULL, d->vfio_group_node[0] != '\0');
	if (cap == VB_EXPORT_UNKNOWN)
		out_null(o, "dmabuf_export", NULL);
	else
		out_bool(o, "dmabuf_export", NULL, cap == VB_EXPORT_YES);
}

const char *cli_device_export_mark(const struct vb_device *d)
{
	if (!d->vfio_group_node[0])
		return "";
	switch (device_exports(d)) {
	case VB_EXPORT_NO:
		return "!";
	case VB_EXPORT_UNKNOWN:
		return "?";
	default:
		return "";
	}
}
