/* jtext: JSON text written directly into a growing buffer, byte for byte
 * what jansson's json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) gives
 * for the same value built with jansson (strings as vb_proto_text makes
 * them: a byte that is not UTF-8 becomes U+FFFD; reals as jansson prints
 * them).  For a message made once per process, where building jansson
 * objects costs more than the message: vfiobuf export's description,
 * which under emulation paid for every instruction of jansson that ran
 * (unit-tested against jansson in test_jtext). */
#ifndef VB_JTEXT_H
#define VB_JTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid
 * (overlong forms, surrogates and code points over U+10FFFF included). */
size_t vb_utf8_seq(const unsigned char *s, size_t n);

/* The bytes a JSON string escapes (controls, '"', '\\'; NUL ends it). */
extern const bool vb_json_escaped[256];
/* The escape jansson writes for such a byte ch (not NUL) into out (8
 * bytes): "\\n", "\\u001F"...; its length. */
size_t vb_json_escape(unsigned char ch, char out[8]);

#define VB_JT_DEPTH 8

struct vb_jtext {
	char *p;
	size_t len, cap;
	bool failed;              /* out of memory, or nested too deep */
	unsigned depth;
	bool first[VB_JT_DEPTH];  /* nothing written yet at this depth */
};

void vb_jt_init(struct vb_jtext *t);
void vb_jt_object(struct vb_jtext *t);   /* { */
void vb_jt_array(struct vb_jtext *t);    /* [ */
void vb_jt_end_object(struct vb_jtext *t);
void vb_jt_end_array(struct vb_jtext *t);
/* "key": (inside an object), or the comma between array elements. */
void vb_jt_key(struct vb_jtext *t, const char *key);
void vb_jt_string(struct vb_jtext *t, const char *s); /* NULL: null */
void vb_jt_int(struct vb_jtext *t, int64_t v);
void vb_jt_real(struct vb_jtext *t, double v);
void vb_jt_null(struct vb_jtext *t);
/* The text, NUL-terminated (malloc'd, the caller frees); NULL when out of
 * memory.  t is empty again afterwards. */
char *vb_jt_take(struct vb_jtext *t, size_t *len);
void vb_jt_free(struct vb_jtext *t);

#endif
