/* Unit tests for pci_dump.c: the tree of an lspci dump from bridges' bus
 * numbers, on hand-built device lists.  Expected parents are what
 * `lspci -F DUMP -PP` prints for such a bus layout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci_dump.h"
#include "pci_model.h"
#include "tap.h"

struct spec {
	const char *bdf;
	unsigned cls;     /* class << 8 | prog-if, e.g. 0x060400 */
	int header;       /* 0, 1 (bridge) or 2 (CardBus) */
	int sec, sub;     /* bridges only */
	bool broken;      /* config header unreadable */
};

static struct vb_devlist make(const struct spec *s, size_t n)
{
	struct vb_devlist l = { .v = calloc(n, sizeof(struct vb_device)), .n = n };

	for (size_t i = 0; i < n; i++) {
		struct vb_device *d = &l.v[i];

		if (vb_bdf_parse(s[i].bdf, &d->bdf) < 0)
			abort();
		vb_bdf_format(&d->bdf, d->name);
		d->class_code = s[i].cls;
		d->header_type = (uint8_t)s[i].header;
		d->is_bridge = s[i].header == 1;
		d->secondary_bus = s[i].header ? s[i].sec : -1;
		d->subordinate_bus = s[i].header ? s[i].sub : -1;
		d->config_broken = s[i].broken;
		d->captured = true;
		/* junk a scan never leaves, to see it overwritten */
		d->has_parent = true;
		snprintf(d->host_bridge, sizeof(d->host_bridge), "junk");
	}
	return l;
}

static const char *parent_of(const struct vb_devlist *l, const char *bdf, char *buf)
{
	struct vb_bdf b;
	const struct vb_device *d;

	if (vb_bdf_parse(bdf, &b) < 0 || !(d = vb_devlist_find(l, &b)))
		return "no such device";
	return d->has_parent ? vb_bdf_format(&d->parent, buf) : "-";
}

static const char *hb_of(const struct vb_devlist *l, const char *bdf)
{
	struct vb_bdf b;
	const struct vb_device *d;

	if (vb_bdf_parse(bdf, &b) < 0 || !(d = vb_devlist_find(l, &b)))
		return "no such device";
	return d->host_bridge;
}

/* Root port -> switch (upstream, two downstream) -> endpoints, a second
 * root port, a device on the root bus, and a second root bus (bus 80) in
 * the same domain, plus domain 1 with its own bus 0. */
static const struct spec server[] = {
	{ "0000:00:00.0", 0x060000, 0, 0, 0, false },
	{ "0000:00:01.0", 0x060400, 1, 1, 4, false },  /* root port A */
	{ "0000:00:02.0", 0x060400, 1, 5, 5, false },  /* root port B */
	{ "0000:00:1f.0", 0x060100, 0, 0, 0, false },  /* ISA bridge: not a tree bridge */
	{ "0000:01:00.0", 0x060400, 1, 2, 4, false },  /* switch upstream */
	{ "0000:02:00.0", 0x060400, 1, 3, 3, false },  /* downstream 1 */
	{ "0000:02:01.0", 0x060400, 1, 4, 4, false },  /* downstream 2 */
	{ "0000:03:00.0", 0x010802, 0, 0, 0, false },  /* NVMe */
	{ "0000:04:00.0", 0x030000, 0, 0, 0, false },  /* GPU */
	{ "0000:04:00.1", 0x040300, 0, 0, 0, false },  /* its audio */
	{ "0000:05:00.0", 0x020000, 0, 0, 0, false },  /* NIC */
	{ "0000:80:00.0", 0x060000, 0, 0, 0, false },  /* second root bus */
	{ "0000:80:01.0", 0x060400, 1, 0x81, 0x81, false },
	{ "0000:81:00.0", 0x020000, 0, 0, 0, false },
	{ "0001:00:00.0", 0x060400, 1, 1, 1, false },  /* domain 1 */
	{ "0001:01:00.0", 0x020000, 0, 0, 0, false },
};

static void test_server(void)
{
	struct vb_devlist l = make(server, sizeof(server) / sizeof(server[0]));
	char b[VB_BDF_STRLEN];

	vb_dump_build_tree(&l);
	is_str(parent_of(&l, "0000:00:01.0", b), "-", "root port sits on the root bus");
	is_str(parent_of(&l, "0000:01:00.0", b), "0000:00:01.0", "switch under root port A");
	is_str(parent_of(&l, "0000:02:01.0", b), "0000:01:00.0", "downstream port under upstream port");
	is_str(parent_of(&l, "0000:03:00.0", b), "0000:02:00.0", "NVMe under downstream 1 (innermost range)");
	is_str(parent_of(&l, "0000:04:00.1", b), "0000:02:01.0", "function 1 under downstream 2");
	is_str(parent_of(&l, "0000:05:00.0", b), "0000:00:02.0", "NIC under root port B");
	is_str(parent_of(&l, "0000:81:00.0", b), "0000:80:01.0", "second root bus has its own port");
	is_str(parent_of(&l, "0001:01:00.0", b), "0001:00:00.0", "domain 1 is not claimed by domain 0's bus 1");
	is_str(hb_of(&l, "0000:03:00.0"), "pci0000:00", "host bridge of a deep endpoint");
	is_str(hb_of(&l, "0000:00:1f.0"), "pci0000:00", "host bridge of a root-bus device");
	is_str(hb_of(&l, "0000:81:00.0"), "pci0000:80", "one host bridge per root bus");
	is_str(hb_of(&l, "0001:01:00.0"), "pci0001:00", "one host bridge per domain root bus");
	{
		struct vb_bdf b4;
		const struct vb_device *gpu;

		vb_bdf_parse("0000:04:00.1", &b4);
		gpu = vb_devlist_find(&l, &b4);
		ok(gpu && gpu->npath == 3 && gpu->path[0].bus == 0 && gpu->path[0].dev == 1 &&
			   gpu->path[1].bus == 1 && gpu->path[2].bus == 2 && gpu->path[2].dev == 1,
		   "path: root port, upstream, downstream (top first)");
		ok(gpu && gpu->host_bridge_synthesized, "the host bridge is marked synthesized");
		ok(l.v[0].npath == 0, "a root-bus function has an empty path");
	}
	free(l.v);
}

/* Partial dumps: a function whose bridge was not captured starts a root
 * bus of its own; a CardBus bridge carries its card's bus; bridges with
 * impossible numbers (unconfigured secondary 0, secondary not above their
 * own bus, subordinate below secondary) and unreadable headers are not
 * bridges, so nothing is its own ancestor. */
static const struct spec odd[] = {
	{ "0000:00:1c.0", 0x060400, 1, 0, 0, false },  /* unconfigured: 0-0 */
	{ "0000:00:1e.0", 0x060401, 1, 0x1c, 0x1c, false }, /* subtractive PCI bridge */
	{ "0000:03:00.0", 0x060400, 1, 3, 5, false },  /* secondary == own bus */
	{ "0000:06:00.0", 0x060400, 1, 9, 8, false },  /* subordinate < secondary */
	{ "0000:07:00.0", 0x060400, 1, 8, 8, true },   /* header unreadable */
	{ "0000:08:00.0", 0x020000, 0, 0, 0, false },
	{ "0000:0a:00.0", 0x010802, 0, 0, 0, false },  /* its bridge not in the dump */
	{ "0000:1c:03.0", 0x060700, 2, 0x1d, 0x1d, false }, /* CardBus */
	{ "0000:1c:03.1", 0x0c0010, 0, 0, 0, false },
	{ "0000:1d:00.0", 0x020000, 0, 0, 0, false },  /* card behind CardBus */
};

static void test_odd(void)
{
	struct vb_devlist l = make(odd, sizeof(odd) / sizeof(odd[0]));
	char b[VB_BDF_STRLEN];
	int sec, sub;

	vb_dump_build_tree(&l);
	is_str(parent_of(&l, "0000:00:1c.0", b), "-", "an unconfigured bridge is not its own parent");
	is_str(parent_of(&l, "0000:00:1e.0", b), "-", "nor the parent of its root-bus siblings");
	is_str(parent_of(&l, "0000:03:00.0", b), "-", "secondary == own bus: not a bridge for the tree");
	is_str(parent_of(&l, "0000:08:00.0", b), "-", "broken bridges claim nothing");
	is_str(hb_of(&l, "0000:08:00.0"), "pci0000:08", "an unclaimed bus is a synthesized root bus");
	is_str(parent_of(&l, "0000:0a:00.0", b), "-", "bridge missing from the dump: own root bus");
	is_str(hb_of(&l, "0000:0a:00.0"), "pci0000:0a", "named after its bus");
	is_str(parent_of(&l, "0000:1c:03.0", b), "0000:00:1e.0", "CardBus bridge under the PCI bridge");
	is_str(parent_of(&l, "0000:1d:00.0", b), "0000:1c:03.0", "card under its CardBus bridge");
	is_str(hb_of(&l, "0000:1d:00.0"), "pci0000:00", "card's host bridge through two bridges");
	ok(!vb_dump_bridge_range(&l.v[4], &sec, &sub), "unreadable header: no range");
	ok(vb_dump_bridge_range(&l.v[7], &sec, &sub) && sec == 0x1d && sub == 0x1d, "CardBus range");
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].has_parent && vb_bdf_equal(&l.v[i].parent, &l.v[i].bdf))
			ok(0, "%s is its own parent", l.v[i].name);
	free(l.v);
}

int main(void)
{
	test_server();
	test_odd();
	return tap_done();
}
