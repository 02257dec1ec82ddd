/* ranges: parsing and validation of BAR ranges (see ranges.h).  Pure. */
#include "ranges.h"
#include "numfmt.h"
#include "vfio_uapi.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int digit_value(char c, unsigned base)
{
	int v;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	else
		return -1;
	return (unsigned)v < base ? v : -1;
}

static int suffix_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	case 't': case 'T': return 40;
	default: return -1;
	}
}

int vb_parse_size(const char *text, const char *what, uint64_t *out, struct vb_err *e)
{
	const char *p = text;
	unsigned base = 10;
	uint64_t v = 0;
	int shift = 0, ndigits = 0, d;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (; (d = digit_value(*p, base)) >= 0; p++, ndigits++) {
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return vb_err_set(e, VB_EXIT_USAGE, ERANGE, NULL,
					  "%s '%s' does not fit in 64 bits", what, text);
		v = v * base + (uint64_t)d;
	}
	if (ndigits == 0)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL,
				  "%s '%s' is not a number (decimal, 0x hex, optional K/M/G/T suffix)",
				  what, text);
	if (*p) {
		shift = suffix_shift(*p);
		if (shift < 0 || p[1])
			return vb_err_set(e, VB_EXIT_USAGE, 0, NULL,
					  "%s '%s': unexpected '%s' (suffixes: K, M, G, T)", what,
					  text, p);
		if (v > (UINT64_MAX >> shift))
			return vb_err_set(e, VB_EXIT_USAGE, ERANGE, NULL,
					  "%s '%s' does not fit in 64 bits", what, text);
		v <<= shift;
	}
	*out = v;
	return 0;
}

int vb_range_parse(const char *text, struct vb_range *out, struct vb_err *e)
{
	const char *colon = strchr(text, ':');
	char off[64];
	size_t olen;

	if (!colon || strchr(colon + 1, ':'))
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL,
				  "range '%s' is not OFFSET:LENGTH (e.g. 0x1000:64K)", text);
	olen = (size_t)(colon - text);
	if (olen >= sizeof(off))
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "range '%.80s...' is too long", text);
	memcpy(off, text, olen);
	off[olen] = '\0';
	if (vb_parse_size(off, "range offset", &out->offset, e) < 0 ||
	    vb_parse_size(colon + 1, "range length", &out->length, e) < 0) {
		/* Say which range the value came from. */
		char inner[sizeof(e->msg)];

		if (e) {
			struct vb_err why = *e;

			snprintf(inner, sizeof(inner), "%s", why.msg);
			/* the range echoed whole or marked cut; a message too
			 * long for the record ends in "..." (vb_err_set) */
			vb_err_set(e, why.exit_code, why.errnum, NULL, "range '%.64s%s': %s", text,
				   strlen(text) > 64 ? "..." : "", inner);
		}
		return -1;
	}
	return 0;
}

struct vb_range vb_range_whole(const struct vb_bar_info *bar)
{
	struct vb_range r = { 0, bar->present ? bar->size : 0 };

	return r;
}

const char *vb_range_format(const struct vb_range *r, char *buf, size_t n)
{
	snprintf(buf, n, "0x%llx:0x%llx", (unsigned long long)r->offset,
		 (unsigned long long)r->length);
	return buf;
}

const char *vb_ranges_format(const struct vb_range *r, size_t nr, char *buf, size_t n)
{
	size_t len = 0;

	if (n == 0)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < nr; i++) {
		char one[48];
		int w;

		vb_range_format(&r[i], one, sizeof(one));
		w = snprintf(buf + len, n - len, "%s%s", i ? "," : "", one);
		if (w < 0 || (size_t)w >= n - len) {
			if (n >= 4)
				memcpy(buf + n - 4, "...", 4);
			return buf;
		}
		len += (size_t)w;
	}
	return buf;
}

static int range_error(struct vb_err *e, const char *device, size_t i, size_t nr,
		       const struct vb_range *r, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* "range 2 (0x1000:0x0): <reason>", or "range 0x1000:0x0: ..." when alone. */
static int range_error(struct vb_err *e, const char *device, size_t i, size_t nr,
		       const struct vb_range *r, const char *fmt, ...)
{
	char reason[384], which[96], txt[48];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	vb_range_format(r, txt, sizeof(txt));
	if (nr > 1)
		snprintf(which, sizeof(which), "range %zu (%s)", i + 1, txt);
	else
		snprintf(which, sizeof(which), "range %s", txt);
	return vb_err_set(e, VB_EXIT_USAGE, 0, device, "%s: %s", which, reason);
}

static int check_bar(const char *device, int bar_index, const struct vb_bar_info *bar,
		     struct vb_err *e)
{
	if (bar_index < 0 || bar_index >= VB_BAR_COUNT)
		return vb_err_set(e, VB_EXIT_USAGE, 0, device,
				  "BAR %d is out of range (BARs are 0 to 5)", bar_index);
	if (!bar || !bar->present || bar->size == 0)
		return vb_err_set(e, VB_EXIT_USAGE, 0, device,
				  "BAR %d is not implemented (size 0) on this device", bar_index);
	if (bar->is_io)
		return vb_err_set(e, VB_EXIT_USAGE, 0, device,
				  "BAR %d is an I/O-port BAR; only memory BARs can be exported",
				  bar_index);
	return 0;
}

static int check_alignment(const char *device, const struct vb_range *r, size_t nr,
			   uint64_t page_size, struct vb_err *e)
{
	uint64_t mask = page_size - 1;

	for (size_t i = 0; i < nr; i++) {
		if (r[i].length == 0)
			return range_error(e, device, i, nr, &r[i], "length is zero");
		if (r[i].offset & mask)
			return range_error(e, device, i, nr, &r[i],
					   "offset 0x%llx is not a multiple of the page size (%llu)",
					   (unsigned long long)r[i].offset,
					   (unsigned long long)page_size);
		if (r[i].length & mask)
			return range_error(e, device, i, nr, &r[i],
					   "length 0x%llx is not a multiple of the page size (%llu)",
					   (unsigned long long)r[i].length,
					   (unsigned long long)page_size);
	}
	return 0;
}

static int check_total(const char *device, const struct vb_range *r, size_t nr,
		       uint64_t *total, struct vb_err *e)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < nr; i++) {
		if (r[i].length > UINT64_MAX - sum)
			return vb_err_set(e, VB_EXIT_USAGE, 0, device,
					  "the lengths of the ranges add up to more than 2^64 bytes");
		sum += r[i].length;
	}
	if (sum >> 63)
		return vb_err_set(e, VB_EXIT_USAGE, 0, device,
				  "the lengths of the ranges add up to 0x%llx bytes (2^63 or more)",
				  (unsigned long long)sum);
	*total = sum;
	return 0;
}

static int check_inside(const char *device, int bar_index, const struct vb_bar_info *bar,
			const struct vb_range *r, size_t nr, struct vb_err *e)
{
	for (size_t i = 0; i < nr; i++) {
		/* The kernel adds the BAR's address first: start+offset, then
		 * +length, each must not wrap (EOVERFLOW). */
		if (r[i].offset > UINT64_MAX - bar->start ||
		    r[i].length > UINT64_MAX - bar->start - r[i].offset)
			return range_error(e, device, i, nr, &r[i],
					   "offset + length overflows 64 bits");
		if (r[i].offset >= bar->size || r[i].length > bar->size - r[i].offset)
			return range_error(e, device, i, nr, &r[i],
					   "ends at 0x%llx, past the end of BAR %d (0x%llx bytes)",
					   (unsigned long long)(r[i].offset + r[i].length),
					   bar_index, (unsigned long long)bar->size);
	}
	return 0;
}

int vb_ranges_validate(const char *device, int bar_index, const struct vb_bar_info *bar,
		       const struct vb_range *r, size_t nr, uint64_t page_size,
		       uint64_t *total, struct vb_err *e)
{
	uint64_t sum = 0;

	if (page_size == 0 || (page_size & (page_size - 1)))
		return vb_err_set(e, VB_EXIT_FAIL, EINVAL, device,
				  "page size %llu is not a power of two",
				  (unsigned long long)page_size);
	if (nr == 0)
		return vb_err_set(e, VB_EXIT_USAGE, 0, device, "no range given");
	if (nr > VB_RANGES_MAX)
		return vb_err_set(e, VB_EXIT_USAGE, 0, device,
				  "%zu ranges given, at most %d are allowed", nr, VB_RANGES_MAX);
	if (check_bar(device, bar_index, bar, e) < 0)
		return -1;
	if (nr == 1 && r[0].offset == 0 && r[0].length == bar->size && (bar->size & (page_size - 1)))
		return vb_err_set(e, VB_EXIT_USAGE, 0, device,
				  "BAR %d is 0x%llx bytes, not a multiple of the page size (%llu): "
				  "it cannot be exported whole",
				  bar_index, (unsigned long long)bar->size,
				  (unsigned long long)page_size);
	if (check_alignment(device, r, nr, page_size, e) < 0 ||
	    check_total(device, r, nr, &sum, e) < 0 ||
	    check_inside(device, bar_index, bar, r, nr, e) < 0)
		return -1;
	if (total)
		*total = sum;
	return 0;
}

/* Append what fits of s[0..k) to buf (cap bytes, NUL kept out of len). */
/* "%s/bar%d+0x%llx" and "#%zu" for more than one range, truncated as
 * snprintf truncates; without stdio (numfmt.h says why): the daemon names
 * every buffer it exports.  Written whole into a local buffer, then cut. */
const char *vb_dmabuf_name(const char *device, int bar_index, const struct vb_range *r,
			   size_t nr, char *buf, size_t n)
{
	char full[VB_DMABUF_NAME_LEN + 4 * VB_NUM_MAX];
	size_t dl = strnlen(device, VB_DMABUF_NAME_LEN), len = dl;

	if (n == 0)
		return buf;
	if (n > VB_DMABUF_NAME_LEN)
		n = VB_DMABUF_NAME_LEN; /* the kernel's DMA_BUF_NAME_LEN, NUL included */
	memcpy(full, device, dl);
	memcpy(full + len, "/bar", 4);
	len += 4;
	len += vb_fmt_sdec(full + len, bar_index);
	memcpy(full + len, "+0x", 3);
	len += 3;
	len += vb_fmt_hex(full + len, nr ? r[0].offset : 0, 1);
	if (nr > 1) {
		full[len++] = '#';
		len += vb_fmt_udec(full + len, nr);
	}
	if (len > n - 1)
		len = n - 1;
	memcpy(buf, full, len);
	buf[len] = '\0';
	return buf;
}

struct errno_explain {
	int errnum;
	const char *text;
};

static const struct errno_explain export_errnos[] = {
	{ ENOTTY, "this kernel has no VFIO dma-buf export (needs Linux 6.19 or later with "
		  "CONFIG_VFIO_PCI_DMABUF, i.e. PCI_P2PDMA; run 'vfiobuf doctor')" },
	{ EOPNOTSUPP, "the device's VFIO driver implements no dma-buf export (in Linux 7.3 "
		      "only vfio-pci and nvgrace_gpu_vfio_pci do): bind it with --driver vfio-pci" },
	{ EINVAL, "the kernel refused the request: a range is empty, unaligned or past the "
		  "end of the BAR, the BAR is not a memory BAR, or the device has no P2P "
		  "provider (non-mappable BARs)" },
	{ ENODEV, "the BAR cannot be exported (not BAR 0-5, empty, or not reserved by "
		  "vfio-pci when the device was opened) or the device is being removed" },
	{ EOVERFLOW, "BAR address + offset + length overflows 64 bits" },
	{ ENOMEM, "too many ranges for one kernel allocation, or out of memory" },
	{ EMFILE, "this process has too many open files" },
	{ ENFILE, "the system has too many open files" },
	{ EFAULT, "the kernel could not read the request (a bug in vfiobuf)" },
	{ ENOENT, "the vfio_pci_core module is going away" },
};

const char *vb_export_errno_explain(int errnum)
{
	for (size_t i = 0; i < sizeof(export_errnos) / sizeof(export_errnos[0]); i++)
		if (export_errnos[i].errnum == errnum)
			return export_errnos[i].text;
	return NULL;
}

int vb_export_errno_exit(int errnum)
{
	switch (errnum) {
	case EINVAL:
	case EOVERFLOW:
		return VB_EXIT_USAGE;
	case ENODEV:
		return VB_EXIT_NOTSUP;
	default:
		return vb_exit_from_errno(errnum);
	}
}

const char *vb_size_format(unsigned long long bytes, char *buf, size_t n)
{
	static const char units[] = "KMGTPE";
	int u = -1;
	unsigned long long v = bytes;

	if (bytes < 1024 || bytes % 1024) {
		snprintf(buf, n, "%llu", bytes);
		return buf;
	}
	while (v >= 1024 && v % 1024 == 0 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, n, "%llu%c", v, units[u]);
	return buf;
}
