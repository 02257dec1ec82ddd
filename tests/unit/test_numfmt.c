/* Unit tests for numfmt.c and the formats built on it (BDF, dma-buf
 * name): each must write what printf writes, at the edges and for a
 * spread of values. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bdf.h"
#include "numfmt.h"
#include "ranges.h"
#include "tap.h"

static const uint64_t edges[] = { 0, 1, 9, 10, 15, 16, 99, 100, 255, 256, 4095, 4096, 65535,
				  65536, 0xffffffffull, 0x100000000ull, 999999999999999999ull,
				  1000000000000000000ull, INT64_MAX, (uint64_t)INT64_MAX + 1,
				  UINT64_MAX - 1, UINT64_MAX };

/* every edge and a spread of values of every magnitude */
static uint64_t value(size_t i)
{
	size_t ne = sizeof(edges) / sizeof(edges[0]);

	return i < ne ? edges[i] : (0x9e3779b97f4a7c15ull * i) >> (i % 64);
}

static void test_numbers(void)
{
	char got[VB_NUM_MAX], want[VB_NUM_MAX];
	int bad_u = 0, bad_s = 0, bad_h = 0;

	for (size_t i = 0; i < 2000; i++) {
		uint64_t v = value(i);
		unsigned width = (unsigned)(i % 18);
		size_t n;

		n = vb_fmt_udec(got, v);
		snprintf(want, sizeof(want), "%" PRIu64, v);
		bad_u += strcmp(got, want) || n != strlen(want);
		n = vb_fmt_sdec(got, (int64_t)v);
		snprintf(want, sizeof(want), "%" PRId64, (int64_t)v);
		bad_s += strcmp(got, want) || n != strlen(want);
		n = vb_fmt_hex(got, v, width);
		snprintf(want, sizeof(want), "%0*" PRIx64, width > 16 ? 16 : (int)width, v);
		bad_h += strcmp(got, want) || n != strlen(want);
	}
	is_int(bad_u, 0, "unsigned decimal as %%llu (2000 values, edges included)");
	is_int(bad_s, 0, "signed decimal as %%lld, INT64_MIN included");
	is_int(bad_h, 0, "hex as %%0*llx, widths 0-17 (17 taken as 16)");
	vb_fmt_sdec(got, INT64_MIN);
	is_str(got, "-9223372036854775808", "INT64_MIN");
}

static void test_bdf(void)
{
	static const struct vb_bdf b[] = { { 0, 0, 0, 0 }, { 0, 3, 0, 1 }, { 0x10000, 0xe0, 31, 7 },
					   { 0xffff, 0xff, 0x1f, 7 }, { 0xffffffffu, 0xff, 0xff, 0xff } };
	char got[VB_BDF_STRLEN], want[VB_BDF_STRLEN];
	int bad = 0;

	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		vb_bdf_format(&b[i], got);
		snprintf(want, sizeof(want), "%04x:%02x:%02x.%u", b[i].domain, b[i].bus, b[i].dev,
			 b[i].func);
		bad += strcmp(got, want) != 0;
	}
	is_int(bad, 0, "BDFs as %%04x:%%02x:%%02x.%%u, truncated alike when out of range");
}

static void test_dmabuf_name(void)
{
	static const char *const devs[] = { "0000:03:00.0", "", "10000:e0:1f.7",
					    "a-device-name-longer-than-the-kernel-allows" };
	struct vb_range r[3] = { { 0, 4096 }, { 0xfffff000ull, 4096 }, { UINT64_MAX, 1 } };
	char got[64], want[64], count[24];
	int bad = 0, cases = 0;

	for (size_t d = 0; d < sizeof(devs) / sizeof(devs[0]); d++)
		for (int bar = -1; bar <= 5; bar += 3)
			for (size_t first = 0; first < 3; first++)
				for (size_t nr = 0; nr <= 3 - first; nr++)
					for (size_t cap = 1; cap <= 40; cap += 13) {
						size_t n = cap > 32 ? 32 : cap;

						count[0] = '\0';
						if (nr > 1)
							snprintf(count, sizeof(count), "#%zu", nr);
						snprintf(want, n, "%s/bar%d+0x%llx%s", devs[d], bar,
							 nr ? (unsigned long long)r[first].offset : 0ULL,
							 count);
						vb_dmabuf_name(devs[d], bar, &r[first], nr, got, cap);
						bad += strcmp(got, want) != 0;
						cases++;
					}
	is_int(bad, 0, "dma-buf names as snprintf wrote them (%d cases, truncation included)",
	       cases);
}

int main(void)
{
	test_numbers();
	test_bdf();
	test_dmabuf_name();
	return tap_done();
}
