/* Unit tests for pcicfg.c: facts from partial and whole config space.  A
 * fact past the bytes read is unknown, never absent. */
#include <string.h>

#include "pcicfg.h"
#include "tap.h"

/* A root port: type-1 header, PM cap at 0x40, PCIe cap at 0x60 (type 4),
 * ACS at 0x148 behind AER at 0x100. */
static void root_port(uint8_t *c)
{
	memset(c, 0, VB_CFG_EXT_LEN);
	c[0] = 0x86; c[1] = 0x80; c[2] = 0x30; c[3] = 0x20; /* 8086:2030 */
	c[0x06] = 0x10;                                      /* capability list */
	c[0x09] = 0x00; c[0x0a] = 0x04; c[0x0b] = 0x06;      /* class 0604 */
	c[0x0e] = 0x81;                                      /* type 1, multifunction */
	c[0x19] = 0x01; c[0x1a] = 0x05;                      /* secondary 1, subordinate 5 */
	c[0x34] = 0x40;
	c[0x40] = 0x01; c[0x41] = 0x60;                      /* PM -> PCIe */
	c[0x60] = 0x10; c[0x61] = 0x00; c[0x62] = 0x42;      /* PCIe v2, type 4 */
	c[0x100] = 0x01; c[0x101] = 0x00; c[0x102] = 0x81; c[0x103] = 0x14; /* AER, next 0x148 */
	c[0x148] = 0x0d; c[0x149] = 0x00; c[0x14a] = 0x01; c[0x14b] = 0x00; /* ACS, last */
	c[0x14c] = 0x5f; c[0x14e] = 0x0d;                    /* cap SV TB RR CR UF DT, ctrl SV RR CR */
}

int main(void)
{
	uint8_t c[VB_CFG_EXT_LEN];
	struct vb_cfg_facts f;

	root_port(c);
	ok(vb_cfg_parse(c, sizeof(c), true, &f) == 0 && f.header_ok, "4096 bytes parse");
	is_int(f.vendor, 0x8086, "vendor");
	is_int(f.device, 0x2030, "device");
	is_int((int)f.class_code, 0x060400, "class");
	is_int(f.header_type, 1, "type-1 header");
	ok(f.multifunction, "multifunction bit");
	is_int(f.secondary_bus, 1, "secondary bus");
	is_int(f.subordinate_bus, 5, "subordinate bus");
	is_int(f.pcie_type, VB_PCIE_ROOT_PORT, "root port");
	is_int(f.acs, VB_CFG_ACS_PRESENT, "ACS present");
	is_int(f.acs_offset, 0x148, "ACS offset");
	is_int(f.acs_ctrl, 0x0d, "ACS control");

	vb_cfg_parse(c, 64, true, &f);
	ok(f.header_ok && f.vendor == 0x8086 && f.secondary_bus == 1, "64 bytes: the header is known");
	is_int(f.pcie_type, VB_PCIE_UNKNOWN, "64 bytes: PCIe capability past the bytes read is unknown");
	is_int(f.acs, VB_CFG_ACS_UNKNOWN, "64 bytes: ACS unknown");

	vb_cfg_parse(c, 256, false, &f);
	is_int(f.pcie_type, VB_PCIE_ROOT_PORT, "256 bytes of a dump: PCIe type known");
	is_int(f.acs, VB_CFG_ACS_UNKNOWN, "256 bytes of a dump: ACS unknown");
	vb_cfg_parse(c, 256, true, &f);
	is_int(f.acs, VB_CFG_ACS_ABSENT, "256 bytes from sysfs: no extended space, ACS absent");

	c[0x06] = 0; /* no capability list: conventional PCI */
	vb_cfg_parse(c, 64, true, &f);
	is_int(f.pcie_type, VB_PCIE_NOT_PCIE, "no capability list: not PCIe, certain from 64 bytes");
	is_int(f.acs, VB_CFG_ACS_ABSENT, "conventional PCI: no ACS");

	root_port(c);
	c[0x41] = 0x40; /* PM points at itself: a loop */
	vb_cfg_parse(c, sizeof(c), true, &f);
	is_int(f.pcie_type, VB_PCIE_NOT_PCIE, "a capability loop ends the walk");
	root_port(c);
	c[0x103] = 0x10; /* AER's next = 0x100: an extended loop */
	vb_cfg_parse(c, sizeof(c), true, &f);
	is_int(f.acs, VB_CFG_ACS_ABSENT, "an extended capability loop ends the walk");
	root_port(c);
	c[0x100] = c[0x101] = c[0x102] = c[0x103] = 0xff;
	vb_cfg_parse(c, sizeof(c), true, &f);
	is_int(f.acs, VB_CFG_ACS_ABSENT, "0xffffffff extended header: nothing there");

	ok(vb_cfg_parse(c, 63, true, &f) < 0 && !f.header_ok, "63 bytes: no header");
	ok(vb_cfg_parse(NULL, 0, true, &f) < 0 && f.pcie_type == VB_PCIE_UNKNOWN, "nothing read: unknown");
	return tap_done();
}
