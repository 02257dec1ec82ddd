/* libFuzzer target: the inventory of pci_model.c (vb_pci_scan and
 * vb_pci_lookup) over a generated sysfs tree: the attribute files, links
 * and the configuration space with its capability walks for the PCIe
 * capability and ACS (pcicfg.c, which fuzz_pcicfg drives on raw bytes;
 * here as the inventory reads the config file).
 *
 * Input: a tree description (fuzz_tree.h) for anything besides config
 * space, then "\n%%config\n" and the raw bytes of 0000:01:00.0's config
 * file (any length: 0, 64, 256, 4096 or torn).  The harness always makes
 * the device's directory below pci0000:00/0000:00:01.0 and its
 * bus/pci/devices link.  Properties (trap on violation): a scan succeeds
 * or fails with a message; every device has consistent fields (at most 6
 * BARs, each non-empty with its index once; cfg_size 0..4096 bytes read;
 * an ACS capability only in extended space of a 4096-byte config, at a
 * dword-aligned offset; a port type 0..15, not PCIe or unknown); a lookup of a listed
 * device finds the same identity, BARs and capabilities. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_tree.h"
#include "pci_model.h"

#define DEVDIR "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0"

/* Branch on what the walks found, so that each outcome is new coverage
 * and the fuzzer keeps the input. */
static int outcome(const struct vb_device *d)
{
	int k = 0;

	switch (d->pcie_type) {
	case VB_PCIE_UNKNOWN: k += 7; break;
	case VB_PCIE_NOT_PCIE: k += 1; break;
	case 0: k += 2; break;
	case 4: k += 3; break;
	case 5: k += 4; break;
	case 6: k += 5; break;
	default: k += 6; break;
	}
	switch (d->acs) {
	case VB_ACS_ABSENT: k += 10; break;
	case VB_ACS_PRESENT:
		k += 20;
		if (d->acs_offset > 0x100)
			k += 1;
		if (d->acs_ctrl & VB_ACS_REDIR_MASK)
			k += 2;
		break;
	default: k += 30; break;
	}
	if (d->is_bridge)
		k += 100;
	if (d->config_broken)
		k += 200;
	return k;
}

static void check_dev(const struct vb_device *d)
{
	char buf[64];
	unsigned seen = 0;

	CHECK(d->nbars >= 0 && d->nbars <= VB_MAX_BARS);
	for (int i = 0; i < d->nbars; i++) {
		CHECK(d->bars[i].size > 0 && d->bars[i].index >= 0 && d->bars[i].index < VB_MAX_BARS);
		CHECK(!(seen & (1u << d->bars[i].index)));
		seen |= 1u << d->bars[i].index;
	}
	CHECK(d->pcie_type >= VB_PCIE_UNKNOWN && d->pcie_type <= 15);
	CHECK(d->cfg_size >= 0 && d->cfg_size <= 4096); /* bytes read */
	if (d->acs == VB_ACS_PRESENT)
		CHECK(d->cfg_size == 4096 && d->acs_offset >= 0x100 && d->acs_offset < 0x1000 &&
		      (d->acs_offset & 3) == 0);
	CHECK(memchr(d->name, '\0', sizeof(d->name)) && memchr(d->driver, '\0', sizeof(d->driver)));
	CHECK(memchr(d->host_bridge, '\0', sizeof(d->host_bridge)));
	vb_acs_bits_string(d->acs_ctrl, buf, sizeof(buf));
	CHECK(strlen(buf) < sizeof(buf));
	vb_pcie_type_name(d->pcie_type);
	CHECK(outcome(d) > 0);
}

static void check_same(const struct vb_device *a, const struct vb_device *b)
{
	CHECK(vb_bdf_equal(&a->bdf, &b->bdf) && a->vendor_id == b->vendor_id &&
	      a->device_id == b->device_id && a->class_code == b->class_code);
	CHECK(a->nbars == b->nbars && !memcmp(a->bars, b->bars, sizeof(a->bars[0]) * (size_t)a->nbars));
	CHECK(a->cfg_size == b->cfg_size && a->pcie_type == b->pcie_type && a->acs == b->acs);
	CHECK(a->acs != VB_ACS_PRESENT ||
	      (a->acs_offset == b->acs_offset && a->acs_ctrl == b->acs_ctrl));
}

static void check_tree(const char *sysdir)
{
	struct vb_sys s;
	struct vb_err e = { 0 };
	struct vb_pci *p;
	struct vb_devlist l = { 0 };
	struct vb_device one;

	if (vb_sys_init(&s, sysdir, &e) < 0)
		return;
	p = vb_pci_open(&s, VB_PCI_CONFIG, &e);
	if (!p) {
		CHECK(e.msg[0]);
		return;
	}
	if (vb_pci_scan(p, &l, &e) < 0) {
		CHECK(e.msg[0]);
	} else {
		for (size_t i = 0; i < l.n; i++) {
			check_dev(&l.v[i]);
			CHECK(i == 0 || vb_bdf_compare(&l.v[i - 1].bdf, &l.v[i].bdf) < 0);
			e = (struct vb_err){ 0 };
			if (i < 4 && vb_pci_lookup(p, &l.v[i].bdf, &one, &e) == 0)
				check_same(&l.v[i], &one);
			else if (i < 4)
				CHECK(e.msg[0]);
		}
		vb_devlist_free(&l);
	}
	vb_pci_close(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fds;
	struct ft_piece pc[2];
	char root[PATH_MAX], sysdir[PATH_MAX + 8];

	ft_split(data, size, "\n%%config\n", pc, 2);
	fds = ft_lowest_free_fd();
	ft_mkroot(root, sizeof(root));
	snprintf(sysdir, sizeof(sysdir), "%s/sys", root);
	ft_write(root, DEVDIR "/config", pc[1].p, pc[1].n);
	ft_link(root, "sys/bus/pci/devices/0000:01:00.0",
		"../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0");
	ft_build(root, pc[0].p, pc[0].n);
	check_tree(sysdir);
	ft_rmroot(root);
	CHECK(ft_lowest_free_fd() == fds); /* no descriptor leaked */
	return 0;
}
