/* Unit tests for sysfs.c: the --sysfs-root rule and attribute I/O on a
 * temporary tree. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysfs.h"
#include "tap.h"

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

int main(void)
{
	char tmpl[] = "/tmp/vb-sysfs-XXXXXX", *top = mkdtemp(tmpl);
	char sysdir[PATH_MAX], path[PATH_MAX], buf[64], expect[PATH_MAX];
	struct vb_sys s;
	struct vb_err e = { 0 };

	ok(top != NULL, "temporary directory");
	snprintf(sysdir, sizeof(sysdir), "%s/sys/", top);
	mkdir(sysdir, 0755);
	snprintf(path, sizeof(path), "%s/sys/bus", top);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys/bus/vendor", top);
	put(path, "0x1b36\n");
	snprintf(path, sizeof(path), "%s/sys/bus/drv", top);
	ok(symlink("../../drivers/nvme", path) == 0, "a driver link");

	is_int(vb_sys_init(&s, NULL, &e), 0, "real /sys");
	is_str(s.sysfs, "/sys", "real sysfs path");
	ok(!s.fake && !vb_sys_is_dump(&s), "neither a fake root nor a dump");
	vb_root_path(&s, path, sizeof(path), "/proc/cpuinfo");
	is_str(path, "/proc/cpuinfo", "real /proc");

	is_int(vb_sys_init(&s, sysdir, &e), 0, "fixture root (trailing slash)");
	snprintf(expect, sizeof(expect), "%s/sys", top);
	is_str(s.sysfs, expect, "trailing slash stripped");
	is_str(s.root, top, "fake root is the parent of the sysfs root");
	ok(s.fake, "marked as a fake root");
	vb_root_path(&s, path, sizeof(path), "/run/vfiobuf/state.json");
	snprintf(expect, sizeof(expect), "%s/run/vfiobuf/state.json", top);
	is_str(path, expect, "/run follows the fake root");
	vb_sys_path(&s, path, sizeof(path), "bus/pci/devices/%s", "0000:03:00.0");
	snprintf(expect, sizeof(expect), "%s/sys/bus/pci/devices/0000:03:00.0", top);
	is_str(path, expect, "sysfs paths under the root");

	is_int(vb_sys_read(&s, buf, sizeof(buf), "bus/vendor"), 6, "read strips the newline");
	is_str(buf, "0x1b36", "attribute value");
	is_int(vb_sys_read(&s, buf, sizeof(buf), "bus/missing"), -ENOENT, "missing attribute");
	is_int(vb_sys_readlink_base(&s, buf, sizeof(buf), "bus/drv"), 4, "link basename");
	is_str(buf, "nvme", "driver name from a link");
	is_int(vb_sys_write(&s, "vfio-pci\n", "bus/vendor"), 0, "write");
	vb_sys_read(&s, buf, sizeof(buf), "bus/vendor");
	is_str(buf, "vfio-pci", "written value read back");
	ok(vb_sys_exists(&s, "bus/vendor") && !vb_sys_exists(&s, "bus/nope"), "exists");

	is_int(vb_sys_init(&s, "/nonexistent/sys", &e), -1, "missing root fails");
	is_int(e.exit_code, VB_EXIT_USAGE, "as a usage error");
	is_int(e.errnum, ENOENT, "with ENOENT");
	snprintf(path, sizeof(path), "%s/sys/bus/vendor", top);
	is_int(vb_sys_init(&s, path, &e), -1, "a file is not a root");
	is_int(e.errnum, ENOTDIR, "ENOTDIR");

	snprintf(path, sizeof(path), "rm -rf '%s'", top);
	if (system(path) != 0)
		return 1;
	return tap_done();
}
