/* prom: the Prometheus text exposition format (0.0.4), as node_exporter's
 * textfile collector reads it: metric families with HELP and TYPE lines,
 * samples with escaped label values, no timestamps.  The text is built in
 * memory (grows as needed; an allocation failure is remembered, never a
 * silently cut text), then written atomically into a trusted directory. */
#ifndef VB_PROM_H
#define VB_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vb_error.h"

struct vb_prom {
	char *text;
	size_t len, cap;
	bool oom; /* an append failed: the text is incomplete, do not use it */
};

struct vb_prom_label {
	const char *name;  /* [a-zA-Z_][a-zA-Z0-9_]* (the caller's constant) */
	const char *value; /* any bytes: escaped, invalid UTF-8 replaced by U+FFFD */
};

void vb_prom_init(struct vb_prom *p);
void vb_prom_free(struct vb_prom *p);

/* "# HELP name help" and "# TYPE name type" (type: counter, gauge...);
 * help is escaped (backslash, newline). */
void vb_prom_family(struct vb_prom *p, const char *name, const char *type, const char *help);

/* One sample line: name{l1="v1",...} value (nl labels; none: no braces). */
void vb_prom_sample(struct vb_prom *p, const char *name, const struct vb_prom_label *l,
		    size_t nl, uint64_t value);

/* Append v as a label value, escaped as the format says (\\, \", \n) and
 * made valid UTF-8 (exposed for the tests). */
void vb_prom_label_value(struct vb_prom *p, const char *v);

/* Write text to path atomically for a reader that may look at any time:
 * a temporary file ".NAME.tmp" in path's directory (created 0644, never
 * through a link, whatever the umask), written, fsync'd, renamed over
 * path, the directory fsync'd.  The directory is opened as
 * vb_trusted_dir_open (policy.h) does: no link followed on the way, and
 * it must be root's (or ours) and writable by nobody else, so that a
 * directory someone else controls never receives root's files.  Returns
 * 0, or -1 with e (exit 4 for an untrusted directory). */
int vb_prom_write_file(const char *path, const char *text, size_t len, struct vb_err *e);

#endif
