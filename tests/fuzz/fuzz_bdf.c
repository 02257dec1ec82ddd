/* libFuzzer target: PCI addresses and the -d/-c selectors (bdf.c).
 *
 * Input: up to three lines, "ADDRESS\nVENDOR:DEVICE\nCLASS", then anything
 * (its first 8 bytes after the third newline are a vendor, device and class
 * to match).  Properties, any violation traps:
 *  - an address that parses formats into text that parses to the same
 *    device, formats the same, compares equal, has dev <= 31 and fn <= 7;
 *  - a selector that parses has a class mask of 2, 4 or 6 digits with no
 *    value bits outside it, and matches exactly when each given field is
 *    equal (class under its mask); printing it back as -d/-c text and
 *    parsing that gives the same selector. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdf.h"
#include "fuzz_tree.h"

static void check_bdf(const char *text)
{
	struct vb_bdf a, b;
	char fa[VB_BDF_STRLEN], fb[VB_BDF_STRLEN];

	if (vb_bdf_parse(text, &a) < 0)
		return;
	CHECK(a.dev <= 31 && a.func <= 7);
	vb_bdf_format(&a, fa);
	CHECK(vb_bdf_parse(fa, &b) == 0);
	CHECK(vb_bdf_equal(&a, &b) && vb_bdf_compare(&a, &b) == 0);
	CHECK(strcmp(vb_bdf_format(&b, fb), fa) == 0);
}

static bool reference_match(const struct vb_selector *s, uint16_t v, uint16_t d, uint32_t c)
{
	return (!s->have_vendor || s->vendor == v) && (!s->have_device || s->device == d) &&
	       (!s->have_class || ((c ^ s->class_value) & s->class_mask) == 0);
}

static void check_selector(const char *ids, const char *cls, const uint8_t *tail, size_t tn)
{
	struct vb_selector s = { 0 }, r = { 0 };
	uint8_t k[8] = { 0 };
	uint16_t vendor, device;
	uint32_t class_code;
	char text[32];

	if (ids[0] && vb_selector_parse_ids(&s, ids) < 0)
		return;
	if (cls[0] && vb_selector_parse_class(&s, cls) < 0)
		return;
	memcpy(k, tail, tn < sizeof(k) ? tn : sizeof(k));
	vendor = (uint16_t)(k[0] | k[1] << 8);
	device = (uint16_t)(k[2] | k[3] << 8);
	class_code = (uint32_t)(k[4] | k[5] << 8 | k[6] << 16);
	if (s.have_class) {
		CHECK(s.class_mask == 0xff0000 || s.class_mask == 0xffff00 || s.class_mask == 0xffffff);
		CHECK((s.class_value & ~s.class_mask) == 0);
	}
	CHECK(vb_selector_match(&s, vendor, device, class_code) ==
	      reference_match(&s, vendor, device, class_code));
	/* a selector always matches the device it names */
	CHECK(vb_selector_match(&s, s.have_vendor ? s.vendor : vendor,
				s.have_device ? s.device : device,
				s.have_class ? s.class_value | (class_code & ~s.class_mask & 0xffffff)
					     : class_code));
	CHECK(vb_selector_empty(&s) == (!s.have_vendor && !s.have_device && !s.have_class));
	/* round trip through the option text */
	if (s.have_vendor || s.have_device) {
		if (s.have_vendor)
			snprintf(text, sizeof(text), "%04x:", s.vendor);
		else
			snprintf(text, sizeof(text), ":");
		if (s.have_device)
			snprintf(text + strlen(text), sizeof(text) - strlen(text), "%04x", s.device);
		CHECK(vb_selector_parse_ids(&r, text) == 0);
		CHECK(r.have_vendor == s.have_vendor && r.have_device == s.have_device);
		CHECK(!s.have_vendor || r.vendor == s.vendor);
		CHECK(!s.have_device || r.device == s.device);
	}
	if (s.have_class) {
		int digits = s.class_mask == 0xff0000 ? 2 : s.class_mask == 0xffff00 ? 4 : 6;

		snprintf(text, sizeof(text), "%0*x", digits, s.class_value >> (4 * (6 - digits)));
		CHECK(vb_selector_parse_class(&r, text) == 0);
		CHECK(r.have_class && r.class_value == s.class_value && r.class_mask == s.class_mask);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ft_piece pc[4];
	char *whole, *addr, *ids, *cls;

	ft_split(data, size, "\n", pc, 4);
	whole = ft_strdup((struct ft_piece){ (const char *)data, size });
	addr = ft_strdup(pc[0]);
	ids = ft_strdup(pc[1]);
	cls = ft_strdup(pc[2]);
	check_bdf(whole);
	check_bdf(addr);
	check_selector(ids, cls, (const uint8_t *)pc[3].p, pc[3].n);
	check_selector(whole, "", (const uint8_t *)pc[3].p, pc[3].n);
	check_selector("", whole, (const uint8_t *)pc[3].p, pc[3].n);
	free(whole);
	free(addr);
	free(ids);
	free(cls);
	return 0;
}
