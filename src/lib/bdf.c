/* bdf: PCI address parsing/formatting and -d/-c selectors (see bdf.h). */
#include "bdf.h"
#include "numfmt.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse exactly `digits` (min..max) hex digits at *p, advance *p. */
static int hexfield(const char **p, int min, int max, unsigned long *out)
{
	const char *s = *p;
	int n = 0;
	unsigned long v = 0;

	while (isxdigit((unsigned char)s[n]) && n < max) {
		char c = (char)tolower((unsigned char)s[n]);
		v = v * 16 + (unsigned long)(isdigit((unsigned char)c) ? c - '0' : c - 'a' + 10);
		n++;
	}
	if (n < min || isxdigit((unsigned char)s[n]))
		return -1;
	*p = s + n;
	*out = v;
	return 0;
}

int vb_bdf_parse(const char *s, struct vb_bdf *out)
{
	const char *p = s, *colon1, *colon2;
	unsigned long dom = 0, bus, dev, fn;

	if (!s || !*s)
		return -1;
	colon1 = strchr(s, ':');
	if (!colon1)
		return -1;
	colon2 = strchr(colon1 + 1, ':');
	if (colon2) {
		if (hexfield(&p, 1, 8, &dom) < 0 || *p++ != ':')
			return -1;
		if (dom > 0xffffffffUL)
			return -1;
	}
	if (hexfield(&p, 1, 2, &bus) < 0 || *p++ != ':')
		return -1;
	if (hexfield(&p, 1, 2, &dev) < 0 || *p++ != '.')
		return -1;
	if (!isdigit((unsigned char)*p) || p[1] != '\0')
		return -1;
	fn = (unsigned long)(*p - '0');
	if (dev > 31 || fn > 7)
		return -1;
	out->domain = (uint32_t)dom;
	out->bus = (uint8_t)bus;
	out->dev = (uint8_t)dev;
	out->func = (uint8_t)fn;
	return 0;
}

_Static_assert(VB_BDF_STRLEN >= sizeof("ffffffff:ff:1f.7"), "BDF buffer too small");

/* "%04x:%02x:%02x.%u" without stdio (numfmt.h says why): the daemon
 * formats the BDF of every request. */
char *vb_bdf_format(const struct vb_bdf *b, char *buf)
{
	char text[4 * VB_NUM_MAX];
	size_t n = vb_fmt_hex(text, b->domain, 4);

	text[n++] = ':';
	n += vb_fmt_hex(text + n, b->bus, 2);
	text[n++] = ':';
	n += vb_fmt_hex(text + n, b->dev, 2);
	text[n++] = '.';
	n += vb_fmt_udec(text + n, b->func);
	if (n >= VB_BDF_STRLEN)
		n = VB_BDF_STRLEN - 1; /* as snprintf truncates */
	memcpy(buf, text, n);
	buf[n] = '\0';
	return buf;
}

bool vb_bdf_is_canonical(const char *s)
{
	struct vb_bdf b;
	char text[VB_BDF_STRLEN];

	return s && vb_bdf_parse(s, &b) == 0 && !strcmp(vb_bdf_format(&b, text), s);
}

bool vb_bdf_equal(const struct vb_bdf *a, const struct vb_bdf *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->dev == b->dev &&
	       a->func == b->func;
}

int vb_bdf_compare(const struct vb_bdf *a, const struct vb_bdf *b)
{
	uint64_t ka = ((uint64_t)a->domain << 16) | (a->bus << 8) | (a->dev << 3) | a->func;
	uint64_t kb = ((uint64_t)b->domain << 16) | (b->bus << 8) | (b->dev << 3) | b->func;

	return ka < kb ? -1 : ka > kb;
}

static int parse_hex16(const char *s, size_t len, uint16_t *out)
{
	char buf[8];
	const char *p = buf;
	unsigned long v;

	if (len == 0 || len > 4)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (hexfield(&p, 1, 4, &v) < 0 || *p)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int vb_selector_parse_ids(struct vb_selector *sel, const char *text)
{
	const char *colon = text ? strchr(text, ':') : NULL;
	size_t vlen, dlen;

	if (!colon || strchr(colon + 1, ':'))
		return -1;
	vlen = (size_t)(colon - text);
	dlen = strlen(colon + 1);
	if (vlen == 0 && dlen == 0)
		return -1;
	if (vlen && parse_hex16(text, vlen, &sel->vendor) < 0)
		return -1;
	if (dlen && parse_hex16(colon + 1, dlen, &sel->device) < 0)
		return -1;
	sel->have_vendor = vlen > 0;
	sel->have_device = dlen > 0;
	return 0;
}

int vb_selector_parse_class(struct vb_selector *sel, const char *text)
{
	const char *p = text;
	unsigned long v;
	size_t len = text ? strlen(text) : 0;

	if (len != 2 && len != 4 && len != 6)
		return -1;
	if (hexfield(&p, (int)len, (int)len, &v) < 0 || *p)
		return -1;
	sel->class_value = (uint32_t)(v << (4 * (6 - len)));
	sel->class_mask = (uint32_t)(0xffffffUL << (4 * (6 - len))) & 0xffffffU;
	sel->have_class = true;
	return 0;
}

bool vb_selector_empty(const struct vb_selector *sel)
{
	return !sel->have_vendor && !sel->have_device && !sel->have_class;
}

bool vb_selector_match(const struct vb_selector *sel, uint16_t vendor, uint16_t device,
		       uint32_t class_code)
{
	if (sel->have_vendor && sel->vendor != vendor)
		return false;
	if (sel->have_device && sel->device != device)
		return false;
	if (sel->have_class && (class_code & sel->class_mask) != sel->class_value)
		return false;
	return true;
}
