/* numfmt: integers as text without stdio, for the daemon's per-request
 * path (a BDF, a dma-buf name, a reply's numbers).  snprintf costs a
 * FILE set-up and a format interpreter per call, about 1,500 instructions
 * for a short number: under the lab's TCG that was a third of the daemon's
 * work per request (bench/broker).  Pure; output as printf's. */
#ifndef VFIOBUF_NUMFMT_H
#define VFIOBUF_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

/* Room for any of the numbers below, NUL included. */
#define VB_NUM_MAX 24

/* v as "%llu" / "%lld" into buf (VB_NUM_MAX bytes); returns the length. */
size_t vb_fmt_udec(char *buf, uint64_t v);
size_t vb_fmt_sdec(char *buf, int64_t v);

/* v as "%0*llx" (lowercase, at least width digits, width <= 16) into buf
 * (VB_NUM_MAX bytes); returns the length. */
size_t vb_fmt_hex(char *buf, uint64_t v, unsigned width);

#endif
