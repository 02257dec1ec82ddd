/* Helpers for the fuzz targets that read files: a private fake root per
 * input (mkdtemp under $FUZZ_TMPDIR, else /dev/shm, else $TMPDIR; removed
 * afterwards), files and symlinks generated from the input, and splitting an input into sections.
 *
 * Tree description (text, one entry per line start):
 *   @rel/path          a regular file; its content is every following line
 *                      up to the next line starting with '@' or '>'
 *                      (the newline before that line is not part of it)
 *   >rel/path target   a symlink to target
 * Paths are relative to the fake root; parents are created as real
 * directories.  Entries whose path is absolute, has "." or ".." or passes
 * through a link, and links whose target is absolute or has ".." after a
 * name, are skipped: the harness never writes, and no link points, outside
 * its own directory.
 *
 * Everything is static: each target includes this once.  Build with
 * -D_GNU_SOURCE (memmem, nftw). */
#ifndef VB_FUZZ_TREE_H
#define VB_FUZZ_TREE_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A property of the code under test: on violation, say which and trap. */
#define CHECK(c)                                                                   \
	do {                                                                       \
		if (!(c)) {                                                        \
			fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, \
				__LINE__, #c);                                     \
			__builtin_trap();                                          \
		}                                                                  \
	} while (0)

/* Not every target uses every helper. */
#define FT_FN static __attribute__((unused))

struct ft_piece {
	const char *p;
	size_t n;
};

/* Findings reported to the owners of src/ but not fixed yet (each has a
 * reproducer in tests/fuzz/repro/): with FUZZ_SKIP_KNOWN=all, or a comma
 * separated list of their names, a target skips the inputs that show one,
 * to look for others (bench/fuzz/run --skip-known).  The smoke run of make
 * check sets nothing: a known finding fails it until it is fixed. */
FT_FN bool ft_skip_known(const char *name)
{
	const char *v = getenv("FUZZ_SKIP_KNOWN");
	size_t l = strlen(name);

	if (!v || !*v)
		return false;
	if (strcmp(v, "all") == 0)
		return true;
	for (const char *p = v; (p = strstr(p, name)); p += l)
		if ((p == v || p[-1] == ',') && (p[l] == ',' || p[l] == '\0'))
			return true;
	return false;
}

/* The lowest free descriptor: the same before and after an input, or
 * the code under test leaked one. */
FT_FN int ft_lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		abort();
	close(fd);
	return fd;
}

/* A fresh private directory: buf receives its path. */
FT_FN int ft_mkroot(char *buf, size_t n)
{
	const char *tmp = getenv("FUZZ_TMPDIR");

	/* tmpfs first: a disk-backed /tmp makes a target 100 times slower */
	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	if ((size_t)snprintf(buf, n, "%s/vbfuzz.XXXXXX", tmp) >= n || !mkdtemp(buf))
		abort(); /* the harness itself cannot work */
	return 0;
}

FT_FN int ft_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Remove the fake root and everything in it (not following links). */
FT_FN void ft_rmroot(const char *root)
{
	nftw(root, ft_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* mkdir -p of rel's parent directories below root. */
FT_FN int ft_mkparents(const char *root, const char *rel)
{
	char path[PATH_MAX];
	size_t rl = strlen(root);

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >= sizeof(path))
		return -1;
	for (char *p = path + rl + 1; (p = strchr(p, '/')); p++) {
		struct stat st;

		*p = '\0';
		/* a real directory, never through a link the input made: link
		 * targets are checked against the textual depth */
		if ((mkdir(path, 0755) < 0 && errno != EEXIST) || lstat(path, &st) < 0 ||
		    !S_ISDIR(st.st_mode)) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

/* Depth of rel's directory (number of components before the last one),
 * or -1 when rel is absolute, empty or has "." / ".." / empty components. */
FT_FN int ft_rel_depth(const char *rel)
{
	int depth = 0;
	const char *c = rel;

	if (!*rel || *rel == '/')
		return -1;
	for (;;) {
		size_t l = strcspn(c, "/");

		if (l == 0 || (l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
			return -1;
		if (!c[l])
			return depth;
		depth++;
		c += l + 1;
	}
}

/* Does a link target, from a real directory at depth, stay below the
 * root?  ".." only leads (it would climb out of a link otherwise); the
 * names after it may be links, made under the same rule. */
FT_FN bool ft_target_inside(const char *target, int depth)
{
	const char *c = target;
	bool named = false;

	if (!*target || *target == '/')
		return false;
	while (*c) {
		size_t l = strcspn(c, "/");

		if (l == 2 && c[0] == '.' && c[1] == '.') {
			if (named || --depth < 0)
				return false;
		} else if (l && !(l == 1 && c[0] == '.')) {
			named = true;
		}
		c += l;
		c += *c == '/';
	}
	return true;
}

FT_FN void ft_write(const char *root, const char *rel, const char *data, size_t n)
{
	char path[PATH_MAX];
	int fd;

	if (ft_rel_depth(rel) < 0 || ft_mkparents(root, rel) < 0 ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >= sizeof(path))
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	while (n > 0) {
		ssize_t w = write(fd, data, n);

		if (w <= 0)
			break;
		data += w;
		n -= (size_t)w;
	}
	close(fd);
}

FT_FN void ft_link(const char *root, const char *rel, const char *target)
{
	char path[PATH_MAX];
	int depth = ft_rel_depth(rel);

	if (depth < 0 || !ft_target_inside(target, depth) || ft_mkparents(root, rel) < 0 ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >= sizeof(path))
		return;
	if (symlink(target, path) < 0 && errno == EEXIST) {
		unlink(path);
		if (symlink(target, path) < 0)
			return;
	}
}

/* The line [p, end) up to (not including) '\n', as a NUL-terminated copy
 * in buf (cut to n-1 bytes; NUL bytes end it early). */
FT_FN void ft_line(const char *p, const char *end, char *buf, size_t n)
{
	size_t l = 0;

	while (p + l < end && p[l] != '\n' && p[l] && l + 1 < n)
		l++;
	memcpy(buf, p, l);
	buf[l] = '\0';
}

/* Build the tree described by data (see the top of this file) below root. */
FT_FN void ft_build(const char *root, const char *data, size_t size)
{
	const char *p = data, *end = data + size;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *next = eol ? eol + 1 : end;

		if (*p == '@') {
			char rel[512];
			const char *body = next, *stop = next;

			ft_line(p + 1, end, rel, sizeof(rel));
			/* content: up to a line that starts another entry */
			while (stop < end && *stop != '@' && *stop != '>') {
				const char *nl = memchr(stop, '\n', (size_t)(end - stop));

				stop = nl ? nl + 1 : end;
			}
			ft_write(root, rel, body,
				 (size_t)(stop - body) - (stop > body && stop < end && stop[-1] == '\n'));
			next = stop;
		} else if (*p == '>') {
			char line[1024], *sp;

			ft_line(p + 1, end, line, sizeof(line));
			sp = strchr(line, ' ');
			if (sp) {
				*sp = '\0';
				ft_link(root, line, sp + 1);
			}
		}
		p = next;
	}
}

/* Split data at each occurrence of sep into at most max pieces (the last
 * one takes the rest).  Returns how many pieces were filled; missing ones
 * are empty. */
FT_FN size_t ft_split(const uint8_t *data, size_t size, const char *sep, struct ft_piece *out,
		       size_t max)
{
	size_t sl = strlen(sep), k = 0;
	const char *p = (const char *)data, *end = p + size;

	for (size_t i = 0; i < max; i++)
		out[i] = (struct ft_piece){ "", 0 };
	while (k + 1 < max) {
		const char *hit = sl && (size_t)(end - p) >= sl ? memmem(p, (size_t)(end - p), sep, sl)
							      : NULL;

		if (!hit)
			break;
		out[k++] = (struct ft_piece){ p, (size_t)(hit - p) };
		p = hit + sl;
	}
	out[k++] = (struct ft_piece){ p, (size_t)(end - p) };
	return k;
}

/* A NUL-terminated malloc'd copy of a piece (the caller frees). */
FT_FN char *ft_strdup(struct ft_piece pc)
{
	char *s = malloc(pc.n + 1);

	if (!s)
		abort();
	memcpy(s, pc.p, pc.n);
	s[pc.n] = '\0';
	return s;
}

#endif
