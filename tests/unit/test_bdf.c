/* Unit tests for bdf.c: address parsing/formatting and -d/-c selectors. */
#include <string.h>

#include "bdf.h"
#include "tap.h"

static const char *roundtrip(const char *in, char *buf)
{
	struct vb_bdf b;

	if (vb_bdf_parse(in, &b) < 0)
		return "(invalid)";
	return vb_bdf_format(&b, buf);
}

int main(void)
{
	char buf[VB_BDF_STRLEN];
	struct vb_selector sel = { 0 };
	struct vb_bdf a, b;

	is_str(roundtrip("0000:03:00.0", buf), "0000:03:00.0", "full BDF");
	is_str(roundtrip("03:00.0", buf), "0000:03:00.0", "short BDF means domain 0");
	is_str(roundtrip("3:1f.7", buf), "0000:03:1f.7", "one-digit bus, max dev/fn");
	is_str(roundtrip("10000:e0:00.0", buf), "10000:e0:00.0", "VMD-style 5-digit domain");
	is_str(roundtrip("0000:AB:0c.1", buf), "0000:ab:0c.1", "upper-case hex");
	is_str(roundtrip("0000:03:20.0", buf), "(invalid)", "device 0x20 is out of range");
	is_str(roundtrip("0000:03:00.8", buf), "(invalid)", "function 8 is out of range");
	is_str(roundtrip("03:00", buf), "(invalid)", "missing function");
	is_str(roundtrip("03:00.0x", buf), "(invalid)", "trailing junk");
	ok(vb_bdf_is_canonical("0000:03:00.0"), "canonical address");
	ok(vb_bdf_is_canonical("10000:e0:00.0"), "canonical 5-digit domain");
	ok(!vb_bdf_is_canonical("03:00.0"), "short form is not canonical");
	ok(!vb_bdf_is_canonical("0000:AB:00.0"), "upper case is not canonical");
	ok(!vb_bdf_is_canonical("/run/vfiobuf.sock") && !vb_bdf_is_canonical(""),
	   "a path or nothing is no address");
	is_str(roundtrip("zz:00.0", buf), "(invalid)", "non-hex bus");
	is_str(roundtrip("", buf), "(invalid)", "empty");
	is_str(roundtrip("0000:100:00.0", buf), "(invalid)", "three-digit bus");
	is_str(roundtrip("123456789:00:00.0", buf), "(invalid)", "domain wider than 32 bits");
	is_str(roundtrip("10000000:00:00.7", buf), "10000000:00:00.7",
	       "8-digit domain keeps its function digit");
	is_str(roundtrip("ffffffff:ff:1f.7", buf), "ffffffff:ff:1f.7", "the longest address fits");
	{
		char b0[VB_BDF_STRLEN], b7[VB_BDF_STRLEN];

		ok(strcmp(roundtrip("10000000:00:00.0", b0), roundtrip("10000000:00:00.7", b7)) != 0,
		   "functions 0 and 7 of an 8-digit domain stay different names");
	}

	vb_bdf_parse("0000:03:00.0", &a);
	vb_bdf_parse("0001:00:00.0", &b);
	ok(vb_bdf_compare(&a, &b) < 0, "domain orders before bus");
	ok(vb_bdf_equal(&a, &a) && !vb_bdf_equal(&a, &b), "equality");

	is_int(vb_selector_parse_ids(&sel, "1b36:0010"), 0, "-d vendor:device");
	ok(vb_selector_match(&sel, 0x1b36, 0x0010, 0x010802), "-d matches");
	ok(!vb_selector_match(&sel, 0x1b36, 0x0011, 0x010802), "-d rejects other device");
	sel = (struct vb_selector){ 0 };
	is_int(vb_selector_parse_ids(&sel, ":0010"), 0, "-d :device");
	ok(vb_selector_match(&sel, 0x8086, 0x0010, 0), "-d :device ignores vendor");
	is_int(vb_selector_parse_ids(&sel, ":"), -1, "-d : is empty");
	is_int(vb_selector_parse_ids(&sel, "12345:1"), -1, "-d vendor too wide");
	is_int(vb_selector_parse_ids(&sel, "1b36"), -1, "-d without colon");
	sel = (struct vb_selector){ 0 };
	is_int(vb_selector_parse_class(&sel, "01"), 0, "-c base class");
	ok(vb_selector_match(&sel, 1, 1, 0x010802), "-c 01 matches NVMe");
	ok(!vb_selector_match(&sel, 1, 1, 0x020000), "-c 01 rejects Ethernet");
	sel = (struct vb_selector){ 0 };
	is_int(vb_selector_parse_class(&sel, "0108"), 0, "-c class+subclass");
	ok(vb_selector_match(&sel, 1, 1, 0x010802), "-c 0108 matches NVMe");
	ok(!vb_selector_match(&sel, 1, 1, 0x010601), "-c 0108 rejects SATA");
	is_int(vb_selector_parse_class(&sel, "010"), -1, "-c odd length");
	is_int(vb_selector_parse_class(&sel, "0x01"), -1, "-c with 0x prefix");
	return tap_done();
}
