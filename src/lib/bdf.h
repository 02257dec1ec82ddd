/* bdf: PCI addresses and lspci-style selectors.  Pure: no I/O. */
#ifndef VB_BDF_H
#define VB_BDF_H

#include <stdbool.h>
#include <stdint.h>

/* "ffffffff:ff:1f.7" + NUL: the kernel prints a domain with %04x, so it has
 * 4 to 8 hex digits. */
#define VB_BDF_STRLEN 17

struct vb_bdf {
	uint32_t domain;
	uint8_t bus;
	uint8_t dev;  /* 0..31 */
	uint8_t func; /* 0..7 */
};

/* Parse "0000:03:00.0" or "03:00.0" (domain 0).  Hex, case-insensitive.
 * Returns 0, or -1 when the text is not a well-formed address. */
int vb_bdf_parse(const char *s, struct vb_bdf *out);

/* "0000:03:00.0" into buf (at least VB_BDF_STRLEN bytes). Returns buf. */
char *vb_bdf_format(const struct vb_bdf *b, char *buf);

/* Whether s is an address exactly as vb_bdf_format writes it. */
bool vb_bdf_is_canonical(const char *s);

bool vb_bdf_equal(const struct vb_bdf *a, const struct vb_bdf *b);
int vb_bdf_compare(const struct vb_bdf *a, const struct vb_bdf *b); /* sort order */

/* -d [VENDOR]:[DEVICE] and -c CLASS filters, as lspci has them.
 * CLASS is 2 hex digits (base class), 4 (class+subclass) or 6 (+prog-if). */
struct vb_selector {
	bool have_vendor, have_device, have_class;
	uint16_t vendor, device;
	uint32_t class_value; /* left-aligned into 24 bits: 0xCCSSPP */
	uint32_t class_mask;  /* which of those bits are compared */
};

int vb_selector_parse_ids(struct vb_selector *sel, const char *text);   /* -d */
int vb_selector_parse_class(struct vb_selector *sel, const char *text); /* -c */
bool vb_selector_empty(const struct vb_selector *sel);
/* class_code is the 24-bit class/subclass/prog-if value. */
bool vb_selector_match(const struct vb_selector *sel, uint16_t vendor, uint16_t device,
		       uint32_t class_code);

#endif
