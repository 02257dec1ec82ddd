/* Unit tests for nfd.c (label names and values as Kubernetes accepts them,
 * the value encoding, the feature file and its 64 KiB bound),
 * atomic_file.c (dotfile + rename, a symlink at the target replaced) and
 * cdi.c's socket path checks (the spec itself: tests/cdi.bats). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "cdi.h"
#include "nfd.h"
#include "tap.h"

static const char *encoded(const char *text, char *buf, size_t n)
{
	return vb_nfd_value_encode(text, buf, n) == 0 ? buf : "(refused)";
}

static void test_valid(void)
{
	char long64[65];

	memset(long64, 'a', 64);
	long64[64] = '\0';
	ok(vb_nfd_value_valid(""), "an empty value is valid");
	ok(vb_nfd_value_valid("true") && vb_nfd_value_valid("0000-40-01.0"), "plain values");
	ok(!vb_nfd_value_valid("pci0000:40"), "':' is not allowed in a value");
	ok(!vb_nfd_value_valid("-x") && !vb_nfd_value_valid("x.") && !vb_nfd_value_valid("_"),
	   "values begin and end with a letter or digit");
	ok(!vb_nfd_value_valid(long64), "64 characters is one too many");
	long64[63] = '\0';
	ok(vb_nfd_value_valid(long64), "63 characters is the most");
	ok(!vb_nfd_name_valid(""), "an empty name is not valid");
	ok(vb_nfd_name_valid("bus-addr-pairs") && !vb_nfd_name_valid("a b"), "names");
}

static void test_encode(void)
{
	char buf[64], tiny[4];

	is_str(encoded("pci0000:40", buf, sizeof(buf)), "pci0000-40", "host bridge name encoded");
	is_str(encoded("0000:40:01.0", buf, sizeof(buf)), "0000-40-01.0", "BDF encoded");
	is_str(encoded("7.3.4+deb13", buf, sizeof(buf)), "7.3.4_deb13", "'+' becomes '_'");
	is_str(encoded(":40", buf, sizeof(buf)), "(refused)", "a value that would begin with '-'");
	ok(vb_nfd_value_encode("pci0000:40", tiny, sizeof(tiny)) < 0, "never a cut value");
	is_str(encoded("", buf, sizeof(buf)), "", "empty stays empty");
}

static void test_format(void)
{
	struct vb_nfd_label l[2] = { { "dmabuf-export", "true" }, { "endpoints", "12" } };
	struct vb_err e = { 0 };
	size_t len = 0;
	char *text = vb_nfd_format(l, 2, 0, &len, &e);

	ok(text != NULL, "formatted");
	ok(text && strstr(text, "\n# +expiry-time=1970-01-01T00:00:00Z\n"), "expiry in RFC 3339 UTC");
	ok(text && strstr(text, "\nvfiobuf.feature.node.kubernetes.io/dmabuf-export=true\n"
				"vfiobuf.feature.node.kubernetes.io/endpoints=12\n"),
	   "one prefixed name=value line per label");
	is_int(len, text ? strlen(text) : 0, "length returned");
	free(text);

	snprintf(l[1].value, sizeof(l[1].value), "pci0000:40");
	text = vb_nfd_format(l, 2, 0, &len, &e);
	ok(!text && strstr(e.msg, "invalid node label vfiobuf.feature.node.kubernetes.io/endpoints=pci0000:40"),
	   "an invalid value is refused, named: %s", e.msg);
	free(text);
}

static void test_format_bound(void)
{
	size_t n = 1000, len = 0;
	struct vb_nfd_label *l = calloc(n, sizeof(*l));
	struct vb_err e = { 0 };
	char *text;

	for (size_t i = 0; i < n; i++) {
		l[i].name = "a-label-name-that-is-long-enough-to-fill-the-file";
		memset(l[i].value, 'v', VB_NFD_VALUE_MAX);
	}
	text = vb_nfd_format(l, n, 0, &len, &e);
	ok(!text && e.errnum == EFBIG, "a file that would reach 64 KiB is refused: %s", e.msg);
	free(text);
	text = vb_nfd_format(l, 100, 0, &len, &e);
	ok(text && len < VB_NFD_FILE_MAX, "100 such labels fit (%zu bytes)", len);
	free(text);
	free(l);
}

static void test_labels_fixed(void)
{
	struct vb_nfd_facts f = { .dmabuf_export = VB_NFD_TRUE, .iommu_mode = "cdev", .endpoints = 3392,
				  .p2p_groups = -1, .p2p_largest = -1, .bus_addr_pairs_min = 384,
				  .acs_redirect = VB_NFD_UNKNOWN };
	struct vb_nfd_label l[VB_NFD_MAX_LABELS];
	size_t n = vb_nfd_labels(&f, l);

	is_int(n, VB_NFD_MAX_LABELS, "a fixed set of labels");
	is_str(l[3].value, "unknown", "p2p-groups not known");
	is_str(l[5].value, "unknown", "nor the largest group");
	is_str(l[6].value, "384", "bus-addr-pairs exact when no pair is uncertain");
	f.uncertain_pairs = 7;
	n = vb_nfd_labels(&f, l);
	is_str(l[6].value, "unknown", "bus-addr-pairs unknown when some pair is uncertain");
	is_str(l[7].value, "384", "bus-addr-pairs-min still the certain count");
	is_str(l[9].value, "unknown", "acs-redirect unknown");
}

static void test_atomic(void)
{
	char tmpl[] = "/tmp/vb-nfd-XXXXXX", *dir = mkdtemp(tmpl);
	char path[256], victim[256], buf[64] = "";
	struct vb_err e = { 0 };
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/vfiobuf", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	ok(vb_atomic_write(path, "a=1\n", 4, 0644, &e) == 0, "written");
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644 && st.st_size == 4, "mode and size");
	fd = open(victim, O_WRONLY | O_CREAT, 0600);
	close(fd);
	unlink(path);
	ok(symlink(victim, path) == 0, "target swapped for a symlink");
	ok(vb_atomic_write(path, "b=2\n", 4, 0644, &e) == 0, "written again");
	ok(lstat(path, &st) == 0 && S_ISREG(st.st_mode), "the symlink was replaced by the file");
	ok(stat(victim, &st) == 0 && st.st_size == 0, "what it pointed to is untouched");
	fd = open(path, O_RDONLY);
	ok(fd >= 0 && read(fd, buf, sizeof(buf) - 1) == 4 && !strcmp(buf, "b=2\n"), "new text");
	if (fd >= 0)
		close(fd);
	snprintf(buf, sizeof(buf), "%s/none/x", dir);
	ok(vb_atomic_write(buf, "", 0, 0644, &e) < 0 && e.errnum == ENOENT &&
	   strstr(e.msg, "none"), "a missing directory named: %s", e.msg);
	snprintf(buf, sizeof(buf), "%s/sub", dir);
	mkdir(buf, 0755);
	ok(vb_atomic_write(buf, "c=3\n", 4, 0644, &e) < 0 && e.errnum == EISDIR,
	   "a directory at the target is not replaced: %s", e.msg);
	rmdir(buf);
	unlink(path);
	unlink(victim);
	ok(rmdir(dir) == 0, "no temporary file left behind");
}

static const char *cdi_refusal(const char *socket, struct vb_err *e)
{
	size_t len;
	char *text = vb_cdi_spec(socket, &len, e);

	if (text) {
		free(text);
		return "(accepted)";
	}
	return e->msg;
}

static void test_cdi_paths(void)
{
	struct vb_err e = { 0 };
	char longp[120];

	is_str(cdi_refusal("/run/vfiobuf/vfiobuf.sock", &e), "(accepted)", "the default path");
	is_str(cdi_refusal("run/x.sock", &e), "the socket path must be absolute", "relative");
	is_str(e.socket, "run/x.sock", "the error names the socket");
	ok(strstr(cdi_refusal("/run/../etc/x", &e), "must be normal") != NULL, "'..' refused");
	ok(strstr(cdi_refusal("/run/./x", &e), "must be normal") != NULL, "'.' refused");
	ok(strstr(cdi_refusal("/run//x", &e), "must be normal") != NULL, "'//' refused");
	ok(strstr(cdi_refusal("/run/x/", &e), "must be normal") != NULL, "trailing '/' refused");
	ok(strstr(cdi_refusal("/run/a\nb", &e), "control character") != NULL, "newline refused");
	ok(strstr(cdi_refusal("/run/\xff", &e), "not UTF-8") != NULL, "non-UTF-8 refused");
	memset(longp, 'a', sizeof(longp));
	longp[0] = '/';
	longp[108] = '\0';
	is_str(cdi_refusal(longp, &e), "the socket path must be shorter than 108 bytes", "108 bytes");
	longp[107] = '\0';
	is_str(cdi_refusal(longp, &e), "(accepted)", "107 bytes fit sun_path, as fdpass.c takes them");
	is_str(cdi_refusal("/run/..x/.y", &e), "(accepted)", "names merely starting with '.' are fine");
}

int main(void)
{
	test_valid();
	test_encode();
	test_format();
	test_format_bound();
	test_labels_fixed();
	test_atomic();
	test_cdi_paths();
	return tap_done();
}
