/* libFuzzer target: the sysfs readers over a tree generated from the input
 * (see fuzz_tree.h for its format) in a private temp dir that stands for
 * the fake root (ROOT/sys is the sysfs root): vb_pci_read_bar (`resource`
 * parsing), vb_sys_readlink_base, vb_sys_iommu_group, vb_sys_read,
 * vb_persist_list, the in-use checks of bind_safety.c (class links,
 * /proc/mounts, /proc/swaps, holders, net flags) and vb_doctor_device
 * (group members' drivers, BARs), for 0000:03:00.0 and every
 * name under sys/bus/pci/devices.  Properties (trap on violation): a BAR
 * read as present has size > 0 and end = start + size - 1 without wrap,
 * its index and flags as asked; a link base or attribute fits the buffer
 * and its length is what is returned; a group is -1 or the number its
 * link names; reasons fit their buffer and are counted; doctor's
 * per-device checks (no probe) are each named, with a status and message. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind_safety.h"
#include "bind_state.h"
#include "doctor.h"
#include "fuzz_tree.h"
#include "pci_model.h"
#include "sysfs.h"

/* doctor's per-device checks (driver, IOMMU group viability, BARs), no
 * VFIO probe: each check named, with a valid status and a message */
static void check_doctor(const struct vb_sys *s, const char *bdf)
{
	struct vb_doctor_opts o = { .probe = false };
	struct vb_checks c = { 0 };
	struct vb_err e = { 0 };

	if (vb_doctor_device(s, bdf, &o, &c, &e) < 0)
		CHECK(e.msg[0] && e.exit_code == VB_EXIT_NOTFOUND);
	for (size_t i = 0; i < c.n; i++) {
		CHECK(c.v[i].name[0] && memchr(c.v[i].name, '\0', sizeof(c.v[i].name)));
		CHECK(vb_check_status_name(c.v[i].status) != NULL);
		CHECK(c.v[i].message[0] && memchr(c.v[i].message, '\0', sizeof(c.v[i].message)));
	}
	vb_checks_free(&c);
}

static void check_device(const struct vb_sys *s, const char *bdf)
{
	static const char *const links[] = { "driver", "physfn", "iommu_group", "subsystem" };
	static const char *const attrs[] = { "vendor", "class", "driver_override", "boot_vga" };
	char buf[64], small[8], *why = NULL;
	struct vb_err e = { 0 };
	struct vb_bar bar;
	bool present;
	int n, group;

	for (int i = 0; i <= VB_MAX_BARS; i++) {
		if (vb_pci_read_bar(s, bdf, i, &bar, &present, &e) < 0) {
			CHECK(e.msg[0] && !present);
			e = (struct vb_err){ 0 };
			continue;
		}
		if (present) {
			uint64_t end;

			CHECK(bar.index == i && bar.size > 0);
			CHECK(!__builtin_add_overflow(bar.start, bar.size - 1, &end));
		}
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		n = vb_sys_readlink_base(s, buf, sizeof(buf), "bus/pci/devices/%s/%s", bdf, links[i]);
		CHECK(n < 0 || ((size_t)n < sizeof(buf) && strlen(buf) == (size_t)n));
		n = vb_sys_readlink_base(s, small, sizeof(small), "bus/pci/devices/%s/%s", bdf,
					 links[i]);
		CHECK(n < 0 || ((size_t)n < sizeof(small) && strlen(small) == (size_t)n));
	}
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		n = vb_sys_read(s, small, sizeof(small), "bus/pci/devices/%s/%s", bdf, attrs[i]);
		CHECK(n < 0 || ((size_t)n < sizeof(small) && strlen(small) <= (size_t)n));
	}
	group = vb_sys_iommu_group(s, bdf);
	CHECK(group >= -1);
	if (group >= 0) {
		CHECK(vb_sys_readlink_base(s, buf, sizeof(buf), "bus/pci/devices/%s/iommu_group",
					   bdf) > 0);
		CHECK(strtol(buf, NULL, 10) == group);
	}
	n = vb_device_in_use(s, bdf, &why);
	CHECK(n >= -1 && (n < 0 || (why && (n > 0) == (why[0] != '\0'))));
	free(why);
	check_doctor(s, bdf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fds;
	char root[PATH_MAX], sysdir[PATH_MAX + 8];
	struct vb_persist_entry *bdfs = NULL;
	struct vb_sys s;
	struct vb_err e = { 0 };
	DIR *d;
	struct dirent *de;
	int count = 0;

	fds = ft_lowest_free_fd();
	ft_mkroot(root, sizeof(root));
	snprintf(sysdir, sizeof(sysdir), "%s/sys", root);
	mkdir(sysdir, 0755);
	ft_build(root, (const char *)data, size);
	if (vb_sys_init(&s, sysdir, &e) == 0) {
		check_device(&s, "0000:03:00.0");
		snprintf(sysdir, sizeof(sysdir), "%s/sys/bus/pci/devices", root);
		d = opendir(sysdir);
		while (d && count < 8 && (de = readdir(d)))
			if (de->d_name[0] != '.' && strlen(de->d_name) < 60) {
				check_device(&s, de->d_name);
				count++;
			}
		if (d)
			closedir(d);
		e = (struct vb_err){ 0 };
		count = vb_persist_list(&s, &bdfs, &e);
		CHECK(count >= 0 || e.msg[0]);
		for (int i = 0; i < count; i++)
			CHECK(bdfs[i].bdf.dev <= 31 && bdfs[i].bdf.func <= 7 && bdfs[i].driver[0]);
		free(bdfs);
	}
	ft_rmroot(root);
	CHECK(ft_lowest_free_fd() == fds); /* no descriptor leaked */
	return 0;
}
