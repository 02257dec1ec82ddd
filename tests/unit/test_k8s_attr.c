/* Unit tests for k8s_attr.c: Kubernetes' standard DRA attributes on a
 * temporary sysfs tree.  The expected values follow Kubernetes'
 * deviceattribute helper (pci_linux.go, numa_linux.go): its BDF regular
 * expression, its lexical resolution of the bus/pci/devices link, Go's
 * path.Clean and strconv.Atoi. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "k8s_attr.h"
#include "tap.h"

static char top[64];

static void mkdirs(const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	for (char *p = path + strlen(top) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	mkdir(path, 0755);
}

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX + 80];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A function at sys/<devpath>, linked from bus/pci/devices/<bdf> by
 * target (relative, as the kernel makes them, unless given). */
static void add(const char *bdf, const char *devpath, const char *target, const char *numa)
{
	char rel[PATH_MAX / 2], link[PATH_MAX], t[PATH_MAX / 2];

	snprintf(rel, sizeof(rel), "sys/%s", devpath);
	mkdirs(rel);
	if (numa) {
		snprintf(rel, sizeof(rel), "sys/%s/numa_node", devpath);
		put(rel, numa);
	}
	if (!target) {
		snprintf(t, sizeof(t), "../../../%s", devpath);
		target = t;
	}
	snprintf(link, sizeof(link), "%s/sys/bus/pci/devices/%s", top, bdf);
	if (symlink(target, link) < 0)
		printf("# symlink %s: %s\n", link, strerror(errno));
}

static void test_bdf(void)
{
	ok(vb_k8s_bdf_valid("0000:41:00.0"), "a BDF");
	ok(vb_k8s_bdf_valid("0123:45:1e.7"), "hex digits");
	ok(!vb_k8s_bdf_valid("10000:e0:00.0"), "a 5-digit domain (Intel VMD) is refused");
	ok(!vb_k8s_bdf_valid("0000:41:00.0 "), "trailing space");
	ok(!vb_k8s_bdf_valid("0000:4A:00.0"), "upper case");
	ok(!vb_k8s_bdf_valid("41:00.0"), "no domain");
	ok(!vb_k8s_bdf_valid(""), "empty");
	ok(vb_k8s_bdf_valid("0000:00:ff.f"), "the expression only counts digits");
}

static void test_atoi(void)
{
	long long v = 99;

	ok(vb_k8s_atoi("1\n", 2, &v) == 0 && v == 1, "\"1\\n\"");
	ok(vb_k8s_atoi(" +07 ", 5, &v) == 0 && v == 7, "sign and leading zeros");
	ok(vb_k8s_atoi("-1", 2, &v) == 0 && v == -1, "-1");
	ok(vb_k8s_atoi("9223372036854775807", 19, &v) == 0 && v == 9223372036854775807LL, "int64 max");
	ok(vb_k8s_atoi("-9223372036854775808", 20, &v) == 0 && v == (-9223372036854775807LL - 1),
	   "int64 min");
	ok(vb_k8s_atoi("9223372036854775808", 19, &v) < 0, "out of range");
	ok(vb_k8s_atoi("", 0, &v) < 0, "empty");
	ok(vb_k8s_atoi("-", 1, &v) < 0, "a sign alone");
	ok(vb_k8s_atoi("1 2", 3, &v) < 0, "inner space");
	ok(vb_k8s_atoi("1\0", 2, &v) < 0, "a NUL byte");
	ok(vb_k8s_atoi("0x1", 3, &v) < 0, "hex");
	ok(vb_k8s_atoi("1_0", 3, &v) < 0, "underscores");
}

static void test_clean(void)
{
	static const char *const cases[][2] = {
		{ "bus/pci/devices/../../../devices/pci0000:00/0000:00:01.0", "devices/pci0000:00/0000:00:01.0" },
		{ "bus/pci/devices/../../../../devices/x", "../devices/x" },
		{ "a//b/./c/", "a/b/c" },
		{ "", "." },
		{ "..", ".." },
		{ "../../a/..", "../.." },
		{ "/../a", "/a" },
		{ "/", "/" },
		{ "a/../..", ".." },
		{ "/a/b/../../..", "/" },
		{ "abc/./../def", "def" },
	};
	char buf[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", cases[i][0]);
		vb_k8s_clean_path(buf);
		is_str(buf, cases[i][1], "Clean(\"%s\")", cases[i][0]);
	}
}

static void test_attrs(void)
{
	char sysdir[PATH_MAX];
	struct vb_sys s;
	struct vb_err e = { 0 };
	struct vb_k8s_attrs a;

	mkdirs("sys/bus/pci/devices");
	add("0000:41:00.0", "devices/pci0000:40/0000:40:01.1/0000:41:00.0", NULL, "1\n");
	/* a domain below a nested root (VMD-style, here with a 4-digit domain) */
	add("0001:e1:00.0", "devices/pci0000:00/0000:00:0e.0/pci0001:e0/0001:e0:1d.0/0001:e1:00.0",
	    NULL, "0\n");
	/* the VMD domain as Linux numbers it: 5 digits */
	add("10000:e1:00.0", "devices/pci0000:00/0000:00:0e.0/pci10000:e0/10000:e0:1d.0/10000:e1:00.0",
	    NULL, "0\n");
	/* Hyper-V: the root bus hangs below ACPI nodes */
	add("0001:00:00.0", "devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/pci0001:00/0001:00:00.0",
	    NULL, "-1\n");
	add("0000:00:02.0", "devices/pci0000:00/0000:00:02.0", NULL, "garbage\n");
	snprintf(sysdir, sizeof(sysdir), "%s/sys/devices/pci0000:00/0000:00:03.0", top);
	add("0000:00:03.0", "devices/pci0000:00/0000:00:03.0", sysdir, NULL); /* absolute */
	add("0000:00:04.0", "devices/pci0000:00/0000:00:05.0", NULL, NULL);   /* a name mismatch */

	snprintf(sysdir, sizeof(sysdir), "%s/sys", top);
	is_int(vb_sys_init(&s, sysdir, &e), 0, "fixture root");

	vb_k8s_attrs_read(&s, "0000:41:00.0", &a);
	ok(a.pci_bus_id.present, "pciBusID published");
	is_str(a.pci_bus_id.str, "0000:41:00.0", "pciBusID is the BDF");
	ok(a.pcie_root.present, "pcieRoot published");
	is_str(a.pcie_root.str, "pci0000:40", "pcieRoot: first component under devices/");
	ok(a.numa_node.present && a.numa_node.num == 1, "numaNode 1");

	vb_k8s_attrs_read(&s, "0001:e1:00.0", &a);
	is_str(a.pcie_root.str, "pci0000:00", "nested root: the outer root, not pci0001:e0");

	vb_k8s_attrs_read(&s, "10000:e1:00.0", &a);
	ok(!a.pci_bus_id.present && !a.pcie_root.present && !a.numa_node.present,
	   "5-digit domain: no attribute at all");
	ok(strstr(a.pcie_root.reason, "invalid PCI Bus ID format") != NULL, "reason: %s", a.pcie_root.reason);

	vb_k8s_attrs_read(&s, "0001:00:00.0", &a);
	ok(!a.pcie_root.present, "a root below ACPI nodes: no pcieRoot");
	ok(strstr(a.pcie_root.reason, "devices/LNXSYSTM:00") != NULL, "reason names the path: %s",
	   a.pcie_root.reason);
	ok(!a.numa_node.present, "numa_node -1: numaNode not published");
	ok(strstr(a.numa_node.reason, "no NUMA affinity") != NULL, "reason: %s", a.numa_node.reason);

	vb_k8s_attrs_read(&s, "0000:00:02.0", &a);
	is_str(a.pcie_root.str, "pci0000:00", "root-bus function: its root");
	ok(!a.numa_node.present && strstr(a.numa_node.reason, "not an integer"), "garbage numa_node");

	vb_k8s_attrs_read(&s, "0000:00:03.0", &a);
	ok(!a.pcie_root.present, "an absolute link target fails, as in Kubernetes' sysfs FS");
	ok(!a.numa_node.present && strstr(a.numa_node.reason, "cannot read"), "no numa_node file");

	vb_k8s_attrs_read(&s, "0000:00:04.0", &a);
	ok(!a.pcie_root.present && strstr(a.pcie_root.reason, "does not end with"),
	   "a link to another function's directory: %s", a.pcie_root.reason);

	vb_k8s_attrs_read(&s, "0000:00:09.0", &a);
	ok(a.pci_bus_id.present, "absent function: pciBusID is only the format check");
	ok(!a.pcie_root.present && strstr(a.pcie_root.reason, "cannot read the symlink"),
	   "absent function: no pcieRoot");
}

int main(void)
{
	char tmpl[] = "/tmp/vb-k8s-XXXXXX";
	char cmd[128];

	if (!mkdtemp(tmpl)) {
		ok(0, "temporary directory");
		return tap_done();
	}
	snprintf(top, sizeof(top), "%s", tmpl);
	test_bdf();
	test_atoi();
	test_clean();
	test_attrs();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", top);
	return tap_done();
}
