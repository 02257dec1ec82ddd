/* libFuzzer target: sizes, OFFSET:LENGTH ranges and vb_ranges_validate
 * (ranges.c).
 *
 * Input: a 20-byte header (BAR start and size, little endian 64-bit; page
 * size as a shift; BAR index; flags: bit 0 present, bit 1 I/O), then lines
 * of text, each one range ("0x1000:64K").  Every line also goes through
 * vb_parse_size.  Properties, any violation traps:
 *  - a parsed size or range round-trips through vb_range_format;
 *  - a refusal carries a message and exit code 2 (1 for a bad page size);
 *  - an accepted set has 1..VB_RANGES_MAX ranges on a present memory BAR
 *    0..5, each non-empty, page aligned, inside the BAR, with no 64-bit
 *    wrap of start+offset+length, and a total below 2^63 equal to the sum;
 *  - the dma-buf name fits the kernel's 32 bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_tree.h"
#include "ranges.h"

#define HEADER 20

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void check_one_text(const char *text, struct vb_range *out, size_t *nr)
{
	struct vb_err e = { 0 };
	struct vb_range r, back;
	uint64_t v;
	char buf[48];

	if (vb_parse_size(text, "size", &v, &e) < 0)
		CHECK(e.msg[0] && e.exit_code == VB_EXIT_USAGE);
	e = (struct vb_err){ 0 };
	if (vb_range_parse(text, &r, &e) < 0) {
		CHECK(e.msg[0] && e.exit_code == VB_EXIT_USAGE);
		return;
	}
	vb_range_format(&r, buf, sizeof(buf));
	CHECK(vb_range_parse(buf, &back, &e) == 0);
	CHECK(back.offset == r.offset && back.length == r.length);
	if (*nr < VB_RANGES_MAX + 1)
		out[(*nr)++] = r;
}

static void check_accepted(const struct vb_bar_info *bar, int index, const struct vb_range *r,
			   size_t nr, uint64_t page, uint64_t total)
{
	uint64_t sum = 0;
	char name[64];

	CHECK(nr >= 1 && nr <= VB_RANGES_MAX);
	CHECK(index >= 0 && index < VB_BAR_COUNT);
	CHECK(bar->present && !bar->is_io && bar->size > 0);
	for (size_t i = 0; i < nr; i++) {
		uint64_t end;

		CHECK(r[i].length > 0);
		CHECK((r[i].offset & (page - 1)) == 0 && (r[i].length & (page - 1)) == 0);
		CHECK(!__builtin_add_overflow(r[i].offset, r[i].length, &end));
		CHECK(end <= bar->size);
		CHECK(!__builtin_add_overflow(bar->start, end, &end));
		CHECK(!__builtin_add_overflow(sum, r[i].length, &sum));
	}
	CHECK(sum == total && sum < (UINT64_C(1) << 63));
	vb_dmabuf_name("0000:03:00.0", index, r, nr, name, sizeof(name));
	CHECK(strlen(name) < 32);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vb_range *r = calloc(VB_RANGES_MAX + 1, sizeof(*r));
	struct vb_bar_info bar;
	struct vb_err e = { 0 };
	uint8_t h[HEADER] = { 0 };
	uint64_t page, total = 0;
	size_t nr = 0;
	int index;
	char *text, *line, *save = NULL, *list;

	if (!r)
		return 0;
	memcpy(h, data, size < HEADER ? size : HEADER);
	bar = (struct vb_bar_info){ .present = h[18] & 1, .is_io = h[18] & 2,
				    .start = le64(h), .size = le64(h + 8) };
	page = UINT64_C(1) << (h[16] % 64);
	if (h[18] & 4)
		page += h[16]; /* sometimes not a power of two */
	index = (int8_t)h[17];
	text = ft_strdup((struct ft_piece){ (const char *)data + (size < HEADER ? size : HEADER),
					    size < HEADER ? 0 : size - HEADER });
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		check_one_text(line, r, &nr);
	if (vb_ranges_validate("0000:03:00.0", index, &bar, r, nr, page, &total, &e) == 0) {
		check_accepted(&bar, index, r, nr, page, total);
	} else {
		CHECK(e.msg[0]);
		CHECK(e.exit_code == VB_EXIT_USAGE || (e.exit_code == VB_EXIT_FAIL && (page & (page - 1))));
	}
	list = malloc(64 + nr * 8);
	if (list) {
		vb_ranges_format(r, nr, list, 64 + nr * 8);
		CHECK(strlen(list) < 64 + nr * 8);
		free(list);
	}
	vb_range_whole(&bar);
	free(text);
	free(r);
	return 0;
}
