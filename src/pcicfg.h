/* pcicfg: facts from a PCI function's raw configuration space.  Pure: a
 * buffer in, facts out, no I/O.
 *
 * The buffer may be partial: a non-root reader of sysfs (and every capture
 * made as non-root) gets 64 bytes, `lspci -xxx` dumps 256.  A fact whose
 * bytes lie beyond what was read is reported as unknown, never as absent.
 */
#ifndef VB_PCICFG_H
#define VB_PCICFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VB_CFG_HEADER_LEN 64
#define VB_CFG_LEGACY_LEN 256
#define VB_CFG_EXT_LEN 4096

/* PCIe capability port types (PCI_EXP_FLAGS_TYPE) */
enum vb_pcie_port {
	VB_PCIE_ENDPOINT = 0,
	VB_PCIE_LEGACY_ENDPOINT = 1,
	VB_PCIE_ROOT_PORT = 4,
	VB_PCIE_UPSTREAM = 5,
	VB_PCIE_DOWNSTREAM = 6,
	VB_PCIE_PCIE_TO_PCI = 7,
	VB_PCIE_PCI_TO_PCIE = 8,
	VB_PCIE_RC_ENDPOINT = 9,
	VB_PCIE_RC_EVENT_COLLECTOR = 10,
};
#define VB_PCIE_NOT_PCIE (-1) /* the capability list was read: no PCIe capability */
#define VB_PCIE_UNKNOWN (-2)  /* the capability list lies beyond the bytes read */

enum vb_cfg_acs {
	VB_CFG_ACS_ABSENT = 0,
	VB_CFG_ACS_PRESENT,
	VB_CFG_ACS_UNKNOWN, /* extended config space not in the buffer */
};

struct vb_cfg_facts {
	bool header_ok;          /* at least the 64-byte header */
	uint16_t vendor, device;
	uint32_t class_code;     /* 0xCCSSPP */
	uint8_t revision;
	uint8_t header_type;     /* low 7 bits */
	bool multifunction;
	int secondary_bus, subordinate_bus; /* type-1 headers, else -1 */
	int pcie_type;           /* enum vb_pcie_port, VB_PCIE_NOT_PCIE or VB_PCIE_UNKNOWN */
	enum vb_cfg_acs acs;
	uint16_t acs_offset, acs_cap, acs_ctrl;
};

/* Parse len bytes of configuration space.  ext_complete: the source says a
 * buffer of 256 bytes is the whole of the function's config space (sysfs
 * sizes its `config` file to the function's config size, so 256 there means
 * no extended space); false for dumps, where 256 may be a cut.  Returns 0,
 * or -1 when len < 64 (facts->header_ok false). */
int vb_cfg_parse(const uint8_t *cfg, size_t len, bool ext_complete, struct vb_cfg_facts *out);

#endif
