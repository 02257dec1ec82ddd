/* numfmt: integers as text without stdio (see numfmt.h). */
#include "numfmt.h"

#include <string.h>

size_t vb_fmt_udec(char *buf, uint64_t v)
{
	char tmp[VB_NUM_MAX];
	size_t at = sizeof(tmp);

	do {
		tmp[--at] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(buf, tmp + at, sizeof(tmp) - at);
	buf[sizeof(tmp) - at] = '\0';
	return sizeof(tmp) - at;
}

size_t vb_fmt_sdec(char *buf, int64_t v)
{
	if (v >= 0)
		return vb_fmt_udec(buf, (uint64_t)v);
	buf[0] = '-';
	/* -(v + 1) + 1: INT64_MIN negated without overflow */
	return 1 + vb_fmt_udec(buf + 1, (uint64_t)(-(v + 1)) + 1);
}

size_t vb_fmt_hex(char *buf, uint64_t v, unsigned width)
{
	static const char digits[] = "0123456789abcdef";
	char rev[VB_NUM_MAX];
	size_t n = 0;

	if (width > 16)
		width = 16;
	do {
		rev[n++] = digits[v & 0xf];
		v >>= 4;
	} while (v);
	while (n < width)
		rev[n++] = '0';
	for (size_t i = 0; i < n; i++)
		buf[i] = rev[n - 1 - i];
	buf[n] = '\0';
	return n;
}
