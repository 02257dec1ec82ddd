/* json_out: one call site prints a field either as human text or as JSON,
 * so the two outputs never drift apart (the idea of iproute2's json_print,
 * with an explicit output context instead of globals).
 *
 *   out_open_object(o, NULL);
 *   out_str(o, "driver", "driver %s\n", d->driver);   // text: printf(fmt, v)
 *   out_uint(o, "size", NULL, size);                  // JSON only
 *   out_text(o, "\n");                                // text only
 *   out_close_object(o);
 *
 * key == NULL: text only.  fmt == NULL: JSON only.  Inside a JSON array
 * pass OUT_ITEM ("") as the key to append an element.  In JSON mode the tree is
 * built with jansson and written by out_free() (or replaced by the error
 * object of out_error()).
 *
 * Streaming: after out_stream() the same calls write each field at once
 * (the same bytes the tree would give, compact or pretty), so an output of
 * millions of objects takes no memory.  Call it before the top-level value,
 * once every error that could replace the output is ruled out: what is
 * streamed cannot be taken back (out_error then only says it on stderr).
 */
#ifndef VB_JSON_OUT_H
#define VB_JSON_OUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "vb_error.h"

struct vb_out;

#define OUT_ITEM "" /* key for an element of the enclosing JSON array */

struct vb_out *out_new(FILE *fp, bool json, bool pretty);
void out_free(struct vb_out *o); /* flushes what is pending */
bool out_is_json(const struct vb_out *o);
/* From here on, JSON is written as it is made (see above).  No-op in text
 * mode or inside an open container. */
void out_stream(struct vb_out *o);
FILE *out_fp(const struct vb_out *o);

void out_open_object(struct vb_out *o, const char *key);
void out_close_object(struct vb_out *o);
void out_open_array(struct vb_out *o, const char *key);
void out_close_array(struct vb_out *o);

void out_str(struct vb_out *o, const char *key, const char *fmt, const char *val);
void out_int(struct vb_out *o, const char *key, const char *fmt, long long val);
void out_uint(struct vb_out *o, const char *key, const char *fmt, unsigned long long val);
void out_bool(struct vb_out *o, const char *key, const char *fmt, bool val);
void out_null(struct vb_out *o, const char *key, const char *fmt);
/* A string, or JSON null (text: printed as "-") when val is NULL or "". */
void out_str_or_null(struct vb_out *o, const char *key, const char *fmt, const char *val);
/* Attach a prebuilt JSON value (reference stolen).  JSON mode only. */
void out_json(struct vb_out *o, const char *key, json_t *val);
/* Text-only printf. */
void out_text(struct vb_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Drop whatever JSON is pending (used before printing an error object). */
void out_discard(struct vb_out *o);

/* Print an error: one line on stderr ("vfiobuf: DEV: msg: strerror"), and in
 * JSON mode {"error":{message,errno,errno_name,bdf,socket,exit_code}} on stdout.
 * Returns e->exit_code (VB_EXIT_FAIL when unset). */
int out_error(struct vb_out *o, const struct vb_err *e);

#endif
