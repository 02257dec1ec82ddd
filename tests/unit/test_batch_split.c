/* Unit tests for batch_split.c: bpftool-style splitting of batch lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_split.h"
#include "tap.h"

/* The words joined as [a][b]..., or "ERR: message". */
static const char *split(const char *line, size_t len, char *buf, size_t n)
{
	struct vb_words w;
	struct vb_err e = { 0 };
	size_t used = 0;

	buf[0] = '\0';
	if (vb_batch_split(line, len, &w, &e) < 0) {
		snprintf(buf, n, "ERR: %s", e.msg);
		vb_words_free(&w);
		return buf;
	}
	for (int i = 0; i < w.argc; i++)
		used += (size_t)snprintf(buf + used, n - used, "[%s]", w.argv[i]);
	if (!w.argv || w.argv[w.argc] != NULL)
		snprintf(buf, n, "argv not NULL-terminated");
	vb_words_free(&w);
	return buf;
}

#define S(line) split(line, strlen(line), buf, sizeof(buf))

int main(void)
{
	char buf[1024];
	struct vb_words w;
	struct vb_err e = { 0 };

	is_str(S("list -j"), "[list][-j]", "blanks separate words");
	is_str(S("  show\t 0000:03:00.0  \r\n"), "[show][0000:03:00.0]", "leading, trailing, tab, CRLF");
	is_str(S(""), "", "empty line: no words");
	is_str(S("   \t"), "", "blank line: no words");
	is_str(S("# a comment"), "", "comment line");
	is_str(S("list # trailing comment"), "[list]", "comment after words");
	is_str(S("show a#b"), "[show][a#b]", "# inside a word is plain");
	is_str(S("show '#x'"), "[show][#x]", "# inside quotes is plain");
	is_str(S("show \\#x"), "[show][#x]", "escaped # is plain");
	is_str(S("a 'b c' d"), "[a][b c][d]", "single quotes keep blanks");
	is_str(S("a \"b c\" d"), "[a][b c][d]", "double quotes keep blanks");
	is_str(S("a 'x\\y' \"p\\q\""), "[a][x\\y][p\\q]", "backslash literal in quotes (but \\\" \\\\)");
	is_str(S("a \"say \\\"hi\\\" \\\\o/\""), "[a][say \"hi\" \\o/]", "\\\" and \\\\ in double quotes");
	is_str(S("a 'it''s'"), "[a][its]", "adjacent quotes join");
	is_str(S("a'b'\"c\"d"), "[abcd]", "quotes join with what touches them");
	is_str(S("show '' x"), "[show][][x]", "'' is an empty word");
	is_str(S("show \"\""), "[show][]", "\"\" is an empty word");
	is_str(S("a\\ b c"), "[a b][c]", "escaped blank joins");
	is_str(S("show $HOME ~ * ? `id` $(id)"), "[show][$HOME][~][*][?][`id`][$(id)]",
	       "no expansion of any kind");
	is_str(S("show 'open"), "ERR: unterminated ' quote (column 6)", "unterminated single quote");
	is_str(S("show \"open"), "ERR: unterminated \" quote (column 6)", "unterminated double quote");
	is_str(S("show x\\"), "ERR: the line ends in a backslash (column 7)", "trailing backslash");
	is_str(split("show a\0b", 8, buf, sizeof(buf)), "ERR: a NUL byte in the line (column 7)",
	       "a NUL byte is an error, not the end of the line");
	is_str(split("list -jXX", 7, buf, sizeof(buf)), "[list][-j]", "only len bytes are read");

	{ /* many words: no fixed limit */
		char line[6000] = "";
		size_t l = 0;

		for (int i = 0; i < 1000; i++)
			l += (size_t)snprintf(line + l, sizeof(line) - l, "w%d ", i);
		is_int(vb_batch_split(line, l, &w, &e), 0, "1000 words split");
		is_int(w.argc, 1000, "all 1000 words kept");
		is_str(w.argv[999], "w999", "the last one intact");
		vb_words_free(&w);
	}
	is_int(vb_batch_split("x 'y", 4, &w, &e), -1, "error returns -1");
	is_int(e.exit_code, VB_EXIT_USAGE, "a malformed line is a usage error");
	ok(w.argc == 0 && !w.argv && !w.buf, "nothing left allocated after an error");
	vb_words_free(&w);
	return tap_done();
}
