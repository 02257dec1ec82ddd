/* batch_split: bpftool-style word splitting for batch files (see batch_split.h). */
#include "batch_split.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int add_word(struct vb_words *w, char *word, size_t *cap)
{
	if ((size_t)w->argc + 2 > *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		char **nv = realloc(w->argv, ncap * sizeof(*nv));

		if (!nv)
			return -1;
		w->argv = nv;
		*cap = ncap;
	}
	w->argv[w->argc++] = word;
	w->argv[w->argc] = NULL;
	return 0;
}

static int fail(struct vb_words *w, struct vb_err *e, int code, int errnum, const char *what,
		size_t col)
{
	vb_words_free(w);
	return vb_err_set(e, code, errnum, NULL, "%s (column %zu)", what, col + 1);
}

int vb_batch_split(const char *line, size_t len, struct vb_words *w, struct vb_err *e)
{
	size_t i = 0, cap = 0, out = 0, start = 0, opened = 0;
	char quote = 0;
	bool in_word = false;

	memset(w, 0, sizeof(*w));
	/* every word ends in a NUL of its own: at most 2 bytes per input byte */
	if (len > (SIZE_MAX - 2) / 2 || !(w->buf = malloc(2 * len + 2)) ||
	    !(w->argv = calloc(cap = 8, sizeof(*w->argv))))
		return fail(w, e, VB_EXIT_FAIL, ENOMEM, "out of memory", 0);
	if (memchr(line, '\0', len))
		return fail(w, e, VB_EXIT_USAGE, 0, "a NUL byte in the line",
			    (size_t)((const char *)memchr(line, '\0', len) - line));
	for (; i < len; i++) {
		char c = line[i];

		if (quote == '\'') {
			if (c == '\'')
				quote = 0;
			else
				w->buf[out++] = c;
			continue;
		}
		if (quote == '"') {
			if (c == '"')
				quote = 0;
			else if (c == '\\' && i + 1 < len && (line[i + 1] == '"' || line[i + 1] == '\\'))
				w->buf[out++] = line[++i];
			else
				w->buf[out++] = c;
			continue;
		}
		if (is_blank(c)) {
			if (in_word) {
				w->buf[out++] = '\0';
				if (add_word(w, w->buf + start, &cap) < 0)
					return fail(w, e, VB_EXIT_FAIL, ENOMEM, "out of memory", i);
				in_word = false;
			}
			continue;
		}
		if (!in_word) {
			if (c == '#')
				break; /* a comment */
			in_word = true;
			start = out;
		}
		if (c == '\'' || c == '"') {
			quote = c; /* joins the word it touches */
			opened = i;
		} else if (c == '\\') {
			if (i + 1 == len)
				return fail(w, e, VB_EXIT_USAGE, 0, "the line ends in a backslash", i);
			w->buf[out++] = line[++i];
		} else {
			w->buf[out++] = c;
		}
	}
	if (quote)
		return fail(w, e, VB_EXIT_USAGE, 0,
			    quote == '"' ? "unterminated \" quote" : "unterminated ' quote", opened);
	if (in_word) {
		w->buf[out++] = '\0';
		if (add_word(w, w->buf + start, &cap) < 0)
			return fail(w, e, VB_EXIT_FAIL, ENOMEM, "out of memory", len);
	}
	return 0;
}

void vb_words_free(struct vb_words *w)
{
	free(w->argv);
	free(w->buf);
	memset(w, 0, sizeof(*w));
}
