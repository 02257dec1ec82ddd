/* Unit tests for ranges.c: OFFSET:LENGTH parsing, validation against a BAR in
 * the kernel's order, names, and the export errno table. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ranges.h"
#include "tap.h"

#define PAGE 4096ULL
#define M16 (16ULL << 20)

static uint64_t size_or(const char *text, uint64_t fallback)
{
	uint64_t v;
	struct vb_err e = { 0 };

	return vb_parse_size(text, "length", &v, &e) == 0 ? v : fallback;
}

static const char *parse_msg(const char *text, struct vb_err *e)
{
	struct vb_range r;

	vb_err_clear(e);
	if (vb_range_parse(text, &r, e) == 0)
		return "(ok)";
	return e->msg;
}

/* Validate and return the message ("(ok)" on success). */
static const char *check(const struct vb_bar_info *bar, int idx, const struct vb_range *r,
			 size_t nr, struct vb_err *e)
{
	uint64_t total = 0;

	vb_err_clear(e);
	if (vb_ranges_validate("0000:03:00.0", idx, bar, r, nr, PAGE, &total, e) == 0)
		return "(ok)";
	return e->msg;
}

static void test_parse_size(void)
{
	is_int(size_or("4096", 1), 4096, "decimal");
	is_int(size_or("0x1000", 1), 0x1000, "hex");
	is_int(size_or("0X1f", 1), 0x1f, "hex, upper X");
	is_int(size_or("64K", 1), 65536, "K suffix");
	is_int(size_or("64k", 1), 65536, "k suffix lower case");
	is_int(size_or("16M", 1), M16, "M suffix");
	is_int(size_or("1G", 1), 1ULL << 30, "G suffix");
	is_int(size_or("2T", 1), 2ULL << 40, "T suffix");
	is_int(size_or("0x10M", 1), 16ULL << 20, "hex with suffix");
	is_int(size_or("0", 1), 0, "zero parses (validation refuses it later)");
	is_int(size_or("010", 1), 10, "leading zero is decimal, not octal");
	ok(size_or("18446744073709551615", 1) == UINT64_MAX, "2^64-1 fits");
	is_int(size_or("18446744073709551616", 1), 1, "2^64 does not fit");
	is_int(size_or("0x10000000000000000", 1), 1, "hex 2^64 does not fit");
	is_int(size_or("16777216T", 1), 1, "suffix overflow refused");
	is_int(size_or("-1", 1), 1, "negative refused");
	is_int(size_or(" 1", 1), 1, "leading space refused");
	is_int(size_or("", 1), 1, "empty refused");
	is_int(size_or("0x", 1), 1, "bare 0x refused");
	is_int(size_or("1KB", 1), 1, "junk after suffix refused");
	is_int(size_or("1X", 1), 1, "unknown suffix refused");
	is_int(size_or("0x1g0", 1), 1, "non-hex digit refused");
}

static void test_parse_range(void)
{
	struct vb_range r = { 0, 0 };
	struct vb_err e = { 0 };

	ok(vb_range_parse("0x1000:64K", &r, &e) == 0 && r.offset == 0x1000 && r.length == 65536,
	   "0x1000:64K");
	ok(vb_range_parse("0:16M", &r, &e) == 0 && r.offset == 0 && r.length == M16, "0:16M");
	is_str(parse_msg("4096", &e), "range '4096' is not OFFSET:LENGTH (e.g. 0x1000:64K)",
	       "missing colon");
	is_int(e.exit_code, VB_EXIT_USAGE, "usage exit code");
	is_str(parse_msg("1:2:3", &e), "range '1:2:3' is not OFFSET:LENGTH (e.g. 0x1000:64K)",
	       "two colons");
	is_str(parse_msg(":4K", &e),
	       "range ':4K': range offset '' is not a number (decimal, 0x hex, optional K/M/G/T suffix)",
	       "empty offset");
	is_str(parse_msg("0x1000:", &e),
	       "range '0x1000:': range length '' is not a number (decimal, 0x hex, optional K/M/G/T suffix)",
	       "empty length");
	is_str(parse_msg("0:4Q", &e), "range '0:4Q': range length '4Q': unexpected 'Q' (suffixes: K, M, G, T)",
	       "bad suffix names the text");
}

static void test_validate(void)
{
	struct vb_bar_info bar = { .present = true, .start = 0xfe000000ULL, .size = M16 };
	struct vb_bar_info io = { .present = true, .is_io = true, .start = 0xc000, .size = 0x100 };
	struct vb_bar_info absent = { 0 };
	struct vb_bar_info small = { .present = true, .start = 0xfebd0000ULL, .size = 0x100 };
	struct vb_bar_info high = { .present = true, .start = 0xfffffffffe000000ULL, .size = M16 };
	struct vb_range whole = vb_range_whole(&bar);
	struct vb_range one = { 0x1000, 0x1000 };
	struct vb_range many[4] = { { 0, PAGE }, { PAGE, PAGE }, { 2 * PAGE, PAGE }, { 3 * PAGE, PAGE } };
	struct vb_range r;
	struct vb_range big[VB_RANGES_MAX + 1];
	struct vb_err e = { 0 };
	uint64_t total = 0;

	ok(whole.offset == 0 && whole.length == M16, "whole BAR default range");
	ok(vb_ranges_validate("0000:03:00.0", 2, &bar, &whole, 1, PAGE, &total, &e) == 0 &&
	   total == M16, "whole BAR accepted, total 16M");
	ok(vb_ranges_validate("0000:03:00.0", 2, &bar, many, 4, PAGE, &total, &e) == 0 &&
	   total == 4 * PAGE, "4 x 4K ranges: total 16384");
	is_str(check(&bar, 2, &one, 1, &e), "(ok)", "one inner range");

	/* kernel order: count, index, presence, type */
	is_str(check(&bar, 2, &one, 0, &e), "no range given", "zero ranges");
	for (size_t i = 0; i < VB_RANGES_MAX + 1; i++)
		big[i] = (struct vb_range){ i * PAGE, PAGE };
	ok(vb_ranges_validate("x", 2, &bar, big, VB_RANGES_MAX, PAGE, &total, &e) == 0,
	   "exactly the range limit is accepted");
	is_str(check(&bar, 2, big, VB_RANGES_MAX + 1, &e), "257 ranges given, at most 256 are allowed",
	       "one past the range limit");
	is_str(check(&bar, 6, &one, 1, &e), "BAR 6 is out of range (BARs are 0 to 5)", "BAR 6 (ROM)");
	is_str(check(&bar, -1, &one, 1, &e), "BAR -1 is out of range (BARs are 0 to 5)", "BAR -1");
	is_str(check(&absent, 1, &one, 1, &e), "BAR 1 is not implemented (size 0) on this device",
	       "absent BAR (upper half of a 64-bit BAR)");
	is_str(check(NULL, 3, &one, 1, &e), "BAR 3 is not implemented (size 0) on this device",
	       "no BAR info");
	is_str(check(&io, 4, &one, 1, &e),
	       "BAR 4 is an I/O-port BAR; only memory BARs can be exported", "I/O BAR");
	is_str(e.device, "0000:03:00.0", "error names the device");
	is_int(e.exit_code, VB_EXIT_USAGE, "bad input exits 2");

	r = vb_range_whole(&small);
	is_str(check(&small, 0, &r, 1, &e),
	       "BAR 0 is 0x100 bytes, not a multiple of the page size (4096): it cannot be exported whole",
	       "sub-page BAR whole");

	/* per range: zero, alignment */
	r = (struct vb_range){ 0x1000, 0 };
	is_str(check(&bar, 2, &r, 1, &e), "range 0x1000:0x0: length is zero", "zero length");
	r = (struct vb_range){ 0x123, PAGE };
	is_str(check(&bar, 2, &r, 1, &e),
	       "range 0x123:0x1000: offset 0x123 is not a multiple of the page size (4096)",
	       "unaligned offset");
	r = (struct vb_range){ 0, 0x1800 };
	is_str(check(&bar, 2, &r, 1, &e),
	       "range 0x0:0x1800: length 0x1800 is not a multiple of the page size (4096)",
	       "unaligned length");
	many[2].length = 0;
	is_str(check(&bar, 2, many, 4, &e), "range 3 (0x2000:0x0): length is zero",
	       "several ranges: names which one");
	many[2].length = PAGE;

	/* zero-length check comes before the BAR-end check, like the kernel */
	{
		struct vb_range two[2] = { { 1ULL << 40, PAGE }, { 0, 0 } };

		is_str(check(&bar, 2, two, 2, &e), "range 2 (0x0:0x0): length is zero",
		       "alignment of all ranges is checked before bounds");
	}

	/* totals */
	{
		struct vb_range two[2] = { { 0, 0x8000000000000000ULL }, { 0, 0x8000000000000000ULL } };

		is_str(check(&bar, 2, two, 2, &e),
		       "the lengths of the ranges add up to more than 2^64 bytes", "sum wraps");
		two[1].length = PAGE;
		two[0].length = 0x7ffffffffffff000ULL;
		is_str(check(&bar, 2, two, 2, &e),
		       "the lengths of the ranges add up to 0x8000000000000000 bytes (2^63 or more)",
		       "sum reaches 2^63");
	}

	/* bounds and wrap */
	r = (struct vb_range){ 0, 1ULL << 40 };
	is_str(check(&bar, 2, &r, 1, &e),
	       "range 0x0:0x10000000000: ends at 0x10000000000, past the end of BAR 2 (0x1000000 bytes)",
	       "length 1<<40 past the BAR");
	r = (struct vb_range){ M16 - PAGE, 2 * PAGE };
	is_str(check(&bar, 2, &r, 1, &e),
	       "range 0xfff000:0x2000: ends at 0x1001000, past the end of BAR 2 (0x1000000 bytes)",
	       "range crossing the end");
	r = (struct vb_range){ M16, PAGE };
	is_str(check(&bar, 2, &r, 1, &e),
	       "range 0x1000000:0x1000: ends at 0x1001000, past the end of BAR 2 (0x1000000 bytes)",
	       "range starting at the end");
	r = (struct vb_range){ M16 - PAGE, PAGE };
	is_str(check(&bar, 2, &r, 1, &e), "(ok)", "last page of the BAR");
	r = (struct vb_range){ 0xfffffffffffff000ULL, 0x2000 };
	is_str(check(&bar, 2, &r, 1, &e),
	       "range 0xfffffffffffff000:0x2000: offset + length overflows 64 bits",
	       "the lab's EOVERFLOW case");
	r = (struct vb_range){ 0xfffffffffffff000ULL, 0x1000 };
	is_str(check(&bar, 2, &r, 1, &e),
	       "range 0xfffffffffffff000:0x1000: offset + length overflows 64 bits",
	       "BAR start + offset wraps");
	r = (struct vb_range){ 0x2000000, PAGE };
	is_str(check(&high, 2, &r, 1, &e),
	       "range 0x2000000:0x1000: offset + length overflows 64 bits",
	       "BAR near the top of the address space: start + offset + length wraps");
	r = (struct vb_range){ M16 - PAGE, PAGE };
	is_str(check(&high, 2, &r, 1, &e), "(ok)", "BAR at the top: last page fits exactly");

	/* page size sanity */
	ok(vb_ranges_validate("x", 2, &bar, &one, 1, 3000, &total, &e) < 0 &&
	   e.exit_code == VB_EXIT_FAIL, "page size must be a power of two");
	ok(vb_ranges_validate("x", 2, &bar, &one, 1, 65536, &total, &e) < 0,
	   "64K pages: 4K-aligned range refused");
}

static void test_format(void)
{
	struct vb_range many[3] = { { 0, 0x1000 }, { 0x2000, 0x1000 }, { 0x10000, 0x10000 } };
	char buf[128], name[64], tiny[20];

	is_str(vb_range_format(&many[2], buf, sizeof(buf)), "0x10000:0x10000", "range format");
	is_str(vb_ranges_format(many, 3, buf, sizeof(buf)), "0x0:0x1000,0x2000:0x1000,0x10000:0x10000",
	       "ranges format");
	is_str(vb_ranges_format(many, 3, tiny, sizeof(tiny)), "0x0:0x1000,0x200...", "truncated with ...");
	is_str(vb_dmabuf_name("0000:03:00.0", 2, many, 1, name, sizeof(name)), "0000:03:00.0/bar2+0x0",
	       "name of a one-range export");
	is_str(vb_dmabuf_name("0000:03:00.0", 2, &many[1], 2, name, sizeof(name)),
	       "0000:03:00.0/bar2+0x2000#2", "name of a two-range export");
	{
		struct vb_range far = { 0xfffffffffffff000ULL, 0x1000 };

		vb_dmabuf_name("0000:03:00.0", 2, &far, 1, name, sizeof(name));
		is_int(strlen(name), 31, "name cut to the kernel's 31 characters");
	}
}

static void test_errnos(void)
{
	ok(vb_export_errno_explain(ENOTTY) && strstr(vb_export_errno_explain(ENOTTY), "vfiobuf doctor"),
	   "ENOTTY hints doctor");
	ok(vb_export_errno_explain(EOPNOTSUPP) != NULL, "EOPNOTSUPP explained");
	ok(vb_export_errno_explain(EOVERFLOW) != NULL, "EOVERFLOW explained");
	ok(vb_export_errno_explain(ENODEV) != NULL, "ENODEV explained");
	ok(vb_export_errno_explain(EINVAL) != NULL, "EINVAL explained");
	ok(vb_export_errno_explain(EXDEV) == NULL, "unknown errno: NULL");
	is_int(vb_export_errno_exit(ENOTTY), VB_EXIT_NOTSUP, "ENOTTY exits 5");
	is_int(vb_export_errno_exit(EOPNOTSUPP), VB_EXIT_NOTSUP, "EOPNOTSUPP exits 5");
	is_int(vb_export_errno_exit(EINVAL), VB_EXIT_USAGE, "EINVAL exits 2");
	is_int(vb_export_errno_exit(EOVERFLOW), VB_EXIT_USAGE, "EOVERFLOW exits 2");
	is_int(vb_export_errno_exit(EBUSY), VB_EXIT_BUSY, "EBUSY exits 6");
}

/* A long bad range is echoed marked as cut, never cut silently. */
static void test_long_range_text(void)
{
	char text[200] = "0x1000:";
	struct vb_range r;
	struct vb_err e = { 0 };

	memset(text + 7, 'z', 150);
	text[157] = '\0';
	is_int(vb_range_parse(text, &r, &e), -1, "a long bad length is refused");
	ok(strncmp(e.msg, "range '0x1000:zzz", 17) == 0 && strstr(e.msg, "zzz...': ") != NULL,
	   "the echoed range is marked cut: %s", e.msg);
}

int main(void)
{
	test_long_range_text();
	test_parse_size();
	test_parse_range();
	test_validate();
	test_format();
	test_errnos();
	return tap_done();
}
