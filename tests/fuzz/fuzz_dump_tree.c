/* libFuzzer target: the tree of an lspci dump (pci_dump.c) from arbitrary
 * bridge headers and bus numbers, as a hostile or corrupt dump gives them.
 * Every 8 bytes make one function: domain (low 2 bits), bus, devfn, header
 * type, flags (bit 0: class 0604, bit 7: header unreadable), prog-if,
 * secondary and subordinate bus.  Checked: every parent is in the list, sits on a lower bus of
 * the same domain (so no loop), and every function has a host bridge. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci_dump.h"

static int cmp(const void *a, const void *b)
{
	return vb_bdf_compare(&((const struct vb_device *)a)->bdf,
			      &((const struct vb_device *)b)->bdf);
}

static const struct vb_device *find(const struct vb_devlist *l, const struct vb_bdf *b)
{
	for (size_t i = 0; i < l->n; i++)
		if (vb_bdf_equal(&l->v[i].bdf, b))
			return &l->v[i];
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = size / 8, k = 0;
	struct vb_devlist l = { .v = calloc(n ? n : 1, sizeof(struct vb_device)) };

	if (!l.v)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = data + i * 8;
		struct vb_device d = { 0 };

		d.bdf.domain = p[0] & 3;
		d.bdf.bus = p[1];
		d.bdf.dev = (p[2] >> 3) & 31;
		d.bdf.func = p[2] & 7;
		if (find(&l, &d.bdf))
			continue; /* a dump names each function once */
		d.header_type = p[3] & 0x7f;
		d.class_code = (p[4] & 1 ? 0x060400u : 0x020000u) | (unsigned)p[5] << 8;
		d.secondary_bus = p[6];
		d.subordinate_bus = p[7];
		d.is_bridge = d.header_type == 1;
		d.config_broken = (p[4] & 0x80) != 0;
		d.captured = true;
		vb_bdf_format(&d.bdf, d.name);
		l.v[k++] = d;
	}
	l.n = k;
	qsort(l.v, l.n, sizeof(*l.v), cmp);
	vb_dump_build_tree(&l);
	for (size_t i = 0; i < l.n; i++) {
		const struct vb_device *d = &l.v[i], *up;

		if (!d->host_bridge[0] || strncmp(d->host_bridge, "pci", 3) != 0)
			abort();
		if (!d->has_parent)
			continue;
		up = find(&l, &d->parent);
		if (!up || up == d || up->bdf.domain != d->bdf.domain || up->bdf.bus >= d->bdf.bus ||
		    strcmp(up->host_bridge, d->host_bridge) != 0)
			abort();
	}
	free(l.v);
	return 0;
}
