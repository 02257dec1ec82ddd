/* batch_split: split one line of a `vfiobuf --batch` file into words, the
 * way bpftool's batch mode does.  Pure: no I/O, no expansion.
 *
 * Rules (documented in vfiobuf(1), BATCH MODE):
 *   - blanks (space, tab, CR, LF, VT, FF) separate words;
 *   - 'single quotes' keep everything inside literally;
 *   - "double quotes" keep everything literally except \" and \\;
 *   - outside quotes a backslash makes the next character literal;
 *   - a # that begins a word starts a comment to the end of the line;
 *   - quotes join with what touches them (a'b'"c" is one word abc), and
 *     '' is an empty word;
 *   - no globbing, no $VAR, ~ or `command` expansion: $ * ? ~ ` are plain;
 *   - an unterminated quote, a backslash ending the line or a NUL byte is
 *     an error.
 */
#ifndef VB_BATCH_SPLIT_H
#define VB_BATCH_SPLIT_H

#include <stddef.h>

#include "vb_error.h"

struct vb_words {
	int argc;
	char **argv; /* argc words, then NULL */
	char *buf;   /* the words' storage */
};

/* Split len bytes of line (need not be NUL-terminated) into w.  Returns 0
 * (w->argc is 0 for a blank or comment-only line), or -1 with e filled
 * (exit code 2, the reason and byte column in the message) and w empty.
 * Free w with vb_words_free() either way. */
int vb_batch_split(const char *line, size_t len, struct vb_words *w, struct vb_err *e);
void vb_words_free(struct vb_words *w);

#endif
