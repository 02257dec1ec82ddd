/* libFuzzer target: the configuration-space walk (pcicfg.c) over arbitrary
 * bytes of every length a reader can get (0..4096, cut anywhere), both
 * for sysfs (256 bytes = the whole space) and for dumps.  Checked: a fact
 * past the bytes read is never reported as known; a found ACS capability
 * lies inside the extended space and inside the buffer; a shorter prefix
 * never knows more than the whole. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pcicfg.h"

static void check(const uint8_t *cfg, size_t len, bool ext_complete)
{
	struct vb_cfg_facts f;
	int rc = vb_cfg_parse(cfg, len, ext_complete, &f);

	if ((rc == 0) != (len >= VB_CFG_HEADER_LEN) || f.header_ok != (rc == 0))
		__builtin_trap();
	if (rc < 0)
		return;
	if (f.acs == VB_CFG_ACS_PRESENT &&
	    (len < VB_CFG_EXT_LEN || f.acs_offset < VB_CFG_LEGACY_LEN ||
	     (size_t)f.acs_offset + 8 > VB_CFG_EXT_LEN))
		__builtin_trap();
	if (len < VB_CFG_EXT_LEN && f.acs == VB_CFG_ACS_PRESENT)
		__builtin_trap();
	if (f.pcie_type != VB_PCIE_UNKNOWN && f.pcie_type != VB_PCIE_NOT_PCIE &&
	    (f.pcie_type < 0 || f.pcie_type > 15))
		__builtin_trap();
	/* a 64-byte view knows no more than the whole */
	if (len > VB_CFG_HEADER_LEN) {
		struct vb_cfg_facts s;

		vb_cfg_parse(cfg, VB_CFG_HEADER_LEN, ext_complete, &s);
		if (s.pcie_type != VB_PCIE_UNKNOWN && s.pcie_type != f.pcie_type)
			__builtin_trap();
		if (s.acs != VB_CFG_ACS_UNKNOWN && s.acs != f.acs)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *cfg;
	size_t len;

	if (size < 2)
		return 0;
	/* first two bytes: how much of the rest is "read" */
	len = ((size_t)data[0] << 8 | data[1]) % (VB_CFG_EXT_LEN + 1);
	data += 2;
	size -= 2;
	cfg = calloc(1, VB_CFG_EXT_LEN);
	if (!cfg)
		return 0;
	memcpy(cfg, data, size < VB_CFG_EXT_LEN ? size : VB_CFG_EXT_LEN);
	if (len > size)
		len = size < VB_CFG_EXT_LEN ? size : VB_CFG_EXT_LEN;
	check(cfg, len, true);
	check(cfg, len, false);
	free(cfg);
	return 0;
}
