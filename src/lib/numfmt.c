/* numfmt: integers as text without stdio (see numfmt.h). */
#include "numfmt.h"

#include <string.h>

/* The digits are counted first and written in place from the last, two
 * at a time from a table: no copy, half the divisions (the broker writes
 * half a dozen numbers per reply). */
size_t vb_fmt_udec(char *buf, uint64_t v)
{
	static const char pairs[] = "00010203040506070809101112131415161718192021222324"
				    "25262728293031323334353637383940414243444546474849"
				    "50515253545556575859606162636465666768697071727374"
				    "75767778798081828384858687888990919293949596979899";
	size_t n = 1, at;

	for (uint64_t t = v; t >= 10; t /= 10)
		n++;
	buf[n] = '\0';
	at = n;
	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;

		v /= 100;
		buf[--at] = pairs[d + 1];
		buf[--at] = pairs[d];
	}
	if (v >= 10) {
		buf[--at] = pairs[v * 2 + 1];
		buf[--at] = pairs[v * 2];
	} else {
		buf[--at] = (char)('0' + v);
	}
	return n;
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
