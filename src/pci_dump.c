/* pci_dump: the PCI tree of an lspci dump (see pci_dump.h). */
#include "pci_dump.h"

#include <stdio.h>
#include <string.h>

#define PCI_CLASS_BRIDGE_BASE 0x06
#define HEADER_BRIDGE 1
#define HEADER_CARDBUS 2

bool vb_dump_bridge_range(const struct vb_device *d, int *secondary, int *subordinate)
{
	if (d->config_broken || (d->class_code >> 16) != PCI_CLASS_BRIDGE_BASE)
		return false;
	if (d->header_type != HEADER_BRIDGE && d->header_type != HEADER_CARDBUS)
		return false;
	if (d->secondary_bus <= (int)d->bdf.bus || d->subordinate_bus < d->secondary_bus)
		return false;
	*secondary = d->secondary_bus;
	*subordinate = d->subordinate_bus;
	return true;
}

/* The innermost bridge of d's domain whose range holds d's bus, or NULL.
 * Ranges of a well-formed tree nest or are disjoint, and a bridge below
 * another sits on a higher bus, so among the bridges holding the bus the
 * last one in BDF order is the innermost (lspci picks the same one). */
static const struct vb_device *upstream_of(const struct vb_devlist *l, const struct vb_device *d)
{
	const struct vb_device *best = NULL;

	for (size_t i = 0; i < l->n; i++) {
		const struct vb_device *b = &l->v[i];
		int sec, sub;

		if (b == d || b->bdf.domain != d->bdf.domain)
			continue;
		if (!vb_dump_bridge_range(b, &sec, &sub))
			continue;
		if ((int)d->bdf.bus >= sec && (int)d->bdf.bus <= sub)
			best = b;
	}
	return best;
}

void vb_dump_build_tree(struct vb_devlist *l)
{
	/* A parent sits on a lower bus than its children (secondary > own
	 * bus), so in BDF order every parent is settled before its children. */
	for (size_t i = 0; i < l->n; i++) {
		struct vb_device *d = &l->v[i];
		const struct vb_device *up = upstream_of(l, d);

		d->has_parent = up != NULL;
		d->host_bridge_synthesized = true;
		d->npath = 0;
		if (up) {
			d->parent = up->bdf;
			snprintf(d->host_bridge, sizeof(d->host_bridge), "%s", up->host_bridge);
			/* the parent's path, then the parent; deeper than the
			 * model keeps: the nearest VB_PATH_MAX */
			d->npath = up->npath < VB_PATH_MAX ? up->npath + 1 : VB_PATH_MAX;
			memcpy(d->path, up->path + (up->npath + 1 - d->npath),
			       (size_t)(d->npath - 1) * sizeof(d->path[0]));
			d->path[d->npath - 1] = up->bdf;
		} else {
			memset(&d->parent, 0, sizeof(d->parent));
			snprintf(d->host_bridge, sizeof(d->host_bridge), "pci%04x:%02x",
				 (unsigned)d->bdf.domain, (unsigned)d->bdf.bus);
		}
	}
}
