/* pcicfg: facts from raw configuration space (see pcicfg.h). */
#include "pcicfg.h"

#include <string.h>

#define CFG_STATUS 0x06
#define CFG_STATUS_CAP_LIST 0x10
#define CFG_CAP_PTR 0x34
#define CFG_CAP_PTR_CARDBUS 0x14
#define CFG_CAP_ID_EXP 0x10
#define CFG_EXP_FLAGS 0x02
#define CFG_EXT_CAP_ID_ACS 0x0d
#define CFG_ACS_CAP 0x04
#define CFG_ACS_CTRL 0x06
#define CFG_HEADER_BRIDGE 1
#define CFG_HEADER_CARDBUS 2
/* 48 capabilities of 4 bytes fit in the 192 bytes after the header, 960
 * extended ones in 3840 bytes: any more is a loop */
#define CFG_MAX_CAPS 48
#define CFG_MAX_EXT_CAPS 960

static uint16_t rd16(const uint8_t *c, size_t off)
{
	return (uint16_t)(c[off] | c[off + 1] << 8);
}

static uint32_t rd32(const uint8_t *c, size_t off)
{
	return (uint32_t)c[off] | (uint32_t)c[off + 1] << 8 | (uint32_t)c[off + 2] << 16 |
	       (uint32_t)c[off + 3] << 24;
}

/* The PCIe port type from the capability list, as far as len allows. */
static int pcie_type_of(const uint8_t *cfg, size_t len, uint8_t header_type)
{
	size_t pos;
	int n = 0;

	if (!(rd16(cfg, CFG_STATUS) & CFG_STATUS_CAP_LIST))
		return VB_PCIE_NOT_PCIE;
	pos = cfg[header_type == CFG_HEADER_CARDBUS ? CFG_CAP_PTR_CARDBUS : CFG_CAP_PTR] & ~3u;
	while (pos) {
		if (pos < VB_CFG_HEADER_LEN || pos + 4 > VB_CFG_LEGACY_LEN || ++n > CFG_MAX_CAPS)
			return VB_PCIE_NOT_PCIE; /* malformed list: the kernel stops there too */
		if (pos + 4 > len)
			return VB_PCIE_UNKNOWN;
		if (cfg[pos] == CFG_CAP_ID_EXP)
			return (rd16(cfg, pos + CFG_EXP_FLAGS) >> 4) & 0xf;
		pos = cfg[pos + 1] & ~3u;
	}
	return VB_PCIE_NOT_PCIE;
}

static void acs_of(const uint8_t *cfg, size_t len, bool ext_complete, struct vb_cfg_facts *f)
{
	size_t pos = VB_CFG_LEGACY_LEN;
	int n = 0;

	f->acs = VB_CFG_ACS_ABSENT;
	if (f->pcie_type == VB_PCIE_NOT_PCIE)
		return; /* conventional PCI: no extended capabilities */
	if (len < VB_CFG_EXT_LEN) {
		if (!(len >= VB_CFG_LEGACY_LEN && ext_complete))
			f->acs = VB_CFG_ACS_UNKNOWN;
		return;
	}
	while (pos && ++n <= CFG_MAX_EXT_CAPS) {
		uint32_t h = rd32(cfg, pos);

		if (h == 0 || h == 0xffffffff)
			return;
		if ((h & 0xffff) == CFG_EXT_CAP_ID_ACS) {
			f->acs = VB_CFG_ACS_PRESENT;
			f->acs_offset = (uint16_t)pos;
			f->acs_cap = rd16(cfg, pos + CFG_ACS_CAP);
			f->acs_ctrl = rd16(cfg, pos + CFG_ACS_CTRL);
			return;
		}
		pos = (h >> 20) & ~3u;
		if (pos < VB_CFG_LEGACY_LEN || pos + 8 > VB_CFG_EXT_LEN)
			return;
	}
}

int vb_cfg_parse(const uint8_t *cfg, size_t len, bool ext_complete, struct vb_cfg_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->secondary_bus = f->subordinate_bus = -1;
	f->pcie_type = VB_PCIE_UNKNOWN;
	f->acs = VB_CFG_ACS_UNKNOWN;
	if (!cfg || len < VB_CFG_HEADER_LEN)
		return -1;
	if (len > VB_CFG_EXT_LEN)
		len = VB_CFG_EXT_LEN;
	f->header_ok = true;
	f->vendor = rd16(cfg, 0x00);
	f->device = rd16(cfg, 0x02);
	f->revision = cfg[0x08];
	f->class_code = (uint32_t)cfg[0x0b] << 16 | (uint32_t)cfg[0x0a] << 8 | cfg[0x09];
	f->header_type = cfg[0x0e] & 0x7f;
	f->multifunction = (cfg[0x0e] & 0x80) != 0;
	if (f->header_type == CFG_HEADER_BRIDGE || f->header_type == CFG_HEADER_CARDBUS) {
		f->secondary_bus = cfg[0x19];
		f->subordinate_bus = cfg[0x1a];
	}
	f->pcie_type = pcie_type_of(cfg, len, f->header_type);
	acs_of(cfg, len, ext_complete, f);
	if (f->pcie_type == VB_PCIE_UNKNOWN)
		f->acs = VB_CFG_ACS_UNKNOWN;
	return 0;
}
