/* Unit tests for snapshot_tar.c: the writer and the strict reader round
 * trip (gzip and plain, long names through pax), the reader's refusals
 * (limits, truncation, checksums, pax records, link targets) and the
 * tree removal that never follows a symlink. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "snapshot_tar.h"
#include "tap.h"

#define LONG_DIR "top/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:01.0/0000:03:00.0/0000:04:00.0/0000:05:00.0/0000:06:00.0"

static char *read_all(int fd, size_t *len)
{
	struct stat st;
	char *buf;

	if (fstat(fd, &st) < 0 || !(buf = malloc((size_t)st.st_size + 1)))
		return NULL;
	*len = (size_t)pread(fd, buf, (size_t)st.st_size, 0);
	return buf;
}

/* An archive with a long name, a long link target, an empty 0200 file. */
static char *make_archive(size_t *len)
{
	FILE *f = tmpfile();
	struct vb_err e = { 0 };
	struct vb_tar_writer *w = vb_tar_writer_new(fileno(f), 1700000000, &e);
	char *buf;

	ok(w != NULL, "writer starts");
	ok(vb_tar_add_dir(w, "top", 0755, &e) == 0, "dir");
	ok(vb_tar_add_dir(w, LONG_DIR, 0755, &e) == 0, "dir with a name over 100 bytes");
	ok(vb_tar_add_file(w, LONG_DIR "/vendor", 0444, "0x8086\n", 7, &e) == 0, "file");
	ok(vb_tar_add_file(w, LONG_DIR "/reset", 0200, NULL, 0, &e) == 0, "empty write-only file");
	ok(vb_tar_add_dir(w, "top/sys/bus/pci/devices", 0755, &e) == 0, "dir");
	ok(vb_tar_add_symlink(w, "top/sys/bus/pci/devices/0000:04:00.0",
			      "../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:01.0/"
			      "0000:03:00.0/0000:04:00.0/0000:05:00.0/0000:06:00.0", &e) == 0,
	   "symlink with a target over 100 bytes");
	ok(vb_tar_writer_finish(w, &e) == 0, "writer finishes");
	buf = read_all(fileno(f), len);
	fclose(f);
	return buf;
}

static char *gunzip(const char *gz, size_t len, size_t *out)
{
	z_stream z = { 0 };
	size_t cap = 1 << 20;
	char *buf = malloc(cap);

	inflateInit2(&z, 16 + MAX_WBITS);
	z.next_in = (unsigned char *)gz;
	z.avail_in = (uInt)len;
	z.next_out = (unsigned char *)buf;
	z.avail_out = (uInt)cap;
	inflate(&z, Z_FINISH);
	*out = z.total_out;
	inflateEnd(&z);
	return buf;
}

static int fresh_dir(char *path)
{
	strcpy(path, "/tmp/vb-tar-test-XXXXXX");
	if (!mkdtemp(path))
		return -1;
	return open(path, O_RDONLY | O_DIRECTORY);
}

static void check_tree(const char *dir, const char *what)
{
	char p[PATH_MAX], buf[256];
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/" LONG_DIR "/vendor", dir);
	fd = open(p, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	is_str(buf, "0x8086\n", "%s: file content under a long name", what);
	snprintf(p, sizeof(p), "%s/" LONG_DIR "/reset", dir);
	ok(stat(p, &st) == 0 && st.st_size == 0 && (st.st_mode & 0777) == 0200,
	   "%s: write-only file keeps its mode", what);
	snprintf(p, sizeof(p), "%s/top/sys/bus/pci/devices/0000:04:00.0", dir);
	n = readlink(p, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	ok(n > 100 && strstr(buf, "0000:05:00.0/0000:06:00.0"), "%s: long symlink target", what);
	snprintf(p, sizeof(p), "%s/top/sys/bus/pci/devices/0000:04:00.0/vendor", dir);
	ok(stat(p, &st) == 0, "%s: the link resolves inside the tree", what);
}

static int extract(const char *buf, size_t len, const struct vb_tar_limits *lim,
		   struct vb_err *e, struct vb_tar_stats *st)
{
	char dir[64];
	int fd = fresh_dir(dir), rc;

	vb_err_clear(e);
	rc = vb_tar_extract(buf, len, fd, lim, st, e);
	close(fd);
	vb_remove_tree(dir);
	return rc;
}

static void test_round_trip(void)
{
	size_t len = 0, rawlen = 0;
	char *gz = make_archive(&len), *raw, dir[64];
	struct vb_tar_stats st;
	struct vb_err e = { 0 };
	int fd;

	ok(gz && len > 20 && (unsigned char)gz[0] == 0x1f, "archive is gzip");
	fd = fresh_dir(dir);
	is_int(vb_tar_extract(gz, len, fd, &vb_tar_default_limits, &st, &e), 0, "gzip extracts");
	is_int(st.files, 2, "two files");
	is_int(st.links, 1, "one link");
	is_int(st.dirs, 3, "three dirs");
	check_tree(dir, "gzip");
	close(fd);
	is_int(vb_remove_tree(dir), 0, "tree removed");
	ok(access(dir, F_OK) < 0, "nothing left");

	raw = gunzip(gz, len, &rawlen);
	ok(rawlen % 512 == 0 && rawlen >= 512 * 8, "plain tar is whole blocks");
	fd = fresh_dir(dir);
	is_int(vb_tar_extract(raw, rawlen, fd, &vb_tar_default_limits, &st, &e), 0,
	       "plain tar extracts");
	check_tree(dir, "plain");
	close(fd);
	vb_remove_tree(dir);

	/* refusals */
	{
		struct vb_tar_limits lim = vb_tar_default_limits;

		lim.max_file = 6;
		ok(extract(gz, len, &lim, &e, &st) < 0 && e.exit_code == VB_EXIT_USAGE &&
			   strstr(e.msg, "more than the 6 allowed"),
		   "a file over max_file is refused (%s)", e.msg);
		lim = vb_tar_default_limits;
		lim.max_total = 2048;
		ok(extract(gz, len, &lim, &e, &st) < 0 && strstr(e.msg, "unpacks to more than"),
		   "max_total bounds the unpacked bytes (%s)", e.msg);
		lim = vb_tar_default_limits;
		lim.max_entries = 3;
		ok(extract(gz, len, &lim, &e, &st) < 0 && strstr(e.msg, "more than 3 entries"),
		   "max_entries bounds the headers (%s)", e.msg);
		lim = vb_tar_default_limits;
		lim.max_depth = 5;
		ok(extract(gz, len, &lim, &e, &st) < 0 && strstr(e.msg, "nested too deep"),
		   "max_depth bounds the components (%s)", e.msg);
	}
	ok(extract(gz, len / 2, &vb_tar_default_limits, &e, &st) < 0 &&
		   e.exit_code == VB_EXIT_USAGE,
	   "a gzip archive cut in half is refused (%s)", e.msg);
	ok(extract(raw, 512 * 3 + 100, &vb_tar_default_limits, &e, &st) < 0 &&
		   strstr(e.msg, "truncated"),
	   "a plain tar cut short is refused (%s)", e.msg);
	raw[148] ^= 1;
	ok(extract(raw, rawlen, &vb_tar_default_limits, &e, &st) < 0 && strstr(e.msg, "checksum"),
	   "a bad header checksum is refused (%s)", e.msg);
	ok(extract("", 0, &vb_tar_default_limits, &e, &st) < 0, "an empty archive is refused");
	ok(extract("hello, this is not a tar", 24, &vb_tar_default_limits, &e, &st) < 0,
	   "text is refused");
	free(raw);
	free(gz);
}

/* A plain tar: one 'x' header with the given pax records, then a file. */
static void test_pax(const char *records, bool good, const char *what)
{
	char *buf = calloc(1, 512 * 8);
	size_t n = strlen(records);
	struct vb_tar_stats st;
	struct vb_err e = { 0 };

	for (int k = 0; k < 2; k++) {
		char *h = buf + (k ? 1024 : 0);
		unsigned sum = 0;

		strcpy(h, k ? "name" : "PaxHeaders/x");
		strcpy(h + 100, "0000644");
		snprintf(h + 124, 12, "%011o", k ? 0 : (unsigned)n);
		h[156] = k ? '0' : 'x';
		memcpy(h + 257, "ustar\0" "00", 8);
		memset(h + 148, ' ', 8);
		for (int i = 0; i < 512; i++)
			sum += (unsigned char)h[i];
		snprintf(h + 148, 8, "%06o", sum);
	}
	memcpy(buf + 512, records, n);
	if (good)
		is_int(extract(buf, 512 * 8, &vb_tar_default_limits, &e, &st), 0, "pax: %s", what);
	else
		ok(extract(buf, 512 * 8, &vb_tar_default_limits, &e, &st) < 0 &&
			   e.exit_code == VB_EXIT_USAGE,
		   "pax refused: %s (%s)", what, e.msg);
	free(buf);
}

static void test_link_targets(void)
{
	const char *why = NULL;

	ok(vb_tar_link_target_ok("../../bus/pci/drivers/nvme", 3, NULL), "sysfs driver link");
	ok(vb_tar_link_target_ok("..", 1, NULL), "'..' from depth 1 is the top");
	ok(!vb_tar_link_target_ok("../../x", 1, &why) && strstr(why, "climbs"), "climbing: %s", why);
	ok(!vb_tar_link_target_ok("/etc/passwd", 9, &why) && strstr(why, "absolute"), "absolute");
	ok(!vb_tar_link_target_ok("a/../../x", 9, &why) && strstr(why, "after a name"),
	   "'..' after a name: %s", why);
	ok(!vb_tar_link_target_ok("./a", 9, &why), "'.' component");
	ok(!vb_tar_link_target_ok("a//b", 9, &why), "empty component");
	ok(!vb_tar_link_target_ok("a/", 9, &why), "trailing slash");
	ok(!vb_tar_link_target_ok("", 9, &why), "empty target");
}

static void test_remove_tree(void)
{
	char outside[64], dir[64], p[PATH_MAX];
	int fd;

	strcpy(outside, "/tmp/vb-tar-out-XXXXXX");
	ok(mkdtemp(outside) != NULL, "a directory outside the tree");
	snprintf(p, sizeof(p), "%s/keep", outside);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	fd = fresh_dir(dir);
	snprintf(p, sizeof(p), "%s/a/b", dir);
	mkdirat(fd, "a", 0700);
	mkdirat(fd, "a/b", 0500); /* not writable: removal still works as owner */
	ok(symlinkat(outside, fd, "a/out") == 0, "a link out of the tree");
	close(fd);
	is_int(vb_remove_tree(dir), 0, "tree with a read-only dir and a link out removed");
	snprintf(p, sizeof(p), "%s/keep", outside);
	ok(access(p, F_OK) == 0, "the link's target was not touched");
	vb_remove_tree(outside);
}

int main(void)
{
	test_round_trip();
	test_pax("14 path=a/b/c\n", true, "a path record");
	test_pax("16 path=../../x\n", false, "a path with '..'");
	test_pax("99 path=a\n", false, "a length past the end");
	test_pax("6 p=a\n", true, "an unknown key is ignored");
	test_pax("8 path=\n", false, "an empty path for a file");
	test_pax("12 size=abc\n", false, "a non-numeric size");
	test_pax("x path=a\n", false, "no length");
	test_pax("10 patha\n\n", false, "no '='");
	test_link_targets();
	test_remove_tree();
	return tap_done();
}
