/* libFuzzer target: the /proc and host-file parsers, over a fake root
 * generated from the input (a tree description, see fuzz_tree.h):
 *  - /proc/mounts and /proc/swaps (bind_safety.c), through
 *    vb_device_in_use on 0000:04:00.0 whose block device nvme0n1 the
 *    harness always creates (the input adds or overrides anything);
 *  - /proc/cpuinfo (topo.c vb_cpu_info_read);
 *  - doctor's host checks: /proc/sys/kernel/osrelease, /boot/config-*,
 *    /proc/config.gz (gzip), /lib/modules/REL/modules.dep and
 *    modules.builtin, /proc/cmdline, IOMMU groups; vb_kconfig_value and
 *    vb_kernel_version_parse on the files' text;
 *  - LISTEN_PID/LISTEN_FDS of socket activation (sdnotify.c), taken from
 *    the files ROOT/env/LISTEN_PID and ROOT/env/LISTEN_FDS.
 * Properties (trap on violation): the in-use count is the number of
 * whole mounts/swaps lines whose source is the disk or one of its
 * partitions; the CPU vendor and family are those of the first
 * vendor_id / cpu family lines; a config value is the text after
 * NAME= on the first such line; every doctor check has a name, a valid
 * status and a message; socket activation refuses or returns fd 3. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind_safety.h"
#include "doctor.h"
#include "fuzz_tree.h"
#include "sdnotify.h"
#include "topo.h"

#define DEV "sys/devices/pci0000:00/0000:00:1d.0/0000:04:00.0"

/* The whole text of ROOT/rel (NUL-terminated, malloc'd), "" if absent. */
static char *slurp(const char *root, const char *rel, size_t *len)
{
	char path[PATH_MAX];
	FILE *f;
	char *buf = NULL;
	size_t cap = 0;

	*len = 0;
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r");
	if (f) {
		FILE *m = open_memstream(&buf, &cap);
		char chunk[4096];
		size_t n;

		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, n, m);
		fclose(m);
		fclose(f);
		*len = cap;
	}
	if (!buf)
		buf = calloc(1, 1);
	if (!buf)
		abort();
	return buf;
}

/* "/dev/nvme0n1", "/dev/nvme0n1p2", "/dev/nvme0n12" are on nvme0n1 */
static bool on_disk(const char *word)
{
	const char *rest;

	if (strncmp(word, "/dev/nvme0n1", 12) != 0)
		return false;
	rest = word + 12;
	rest += *rest == 'p';
	rest += strspn(rest, "0123456789");
	return *rest == '\0';
}

/* Lines of text (whole lines, any length) whose first word is on the
 * disk and that have at least min_words words; *odd when a line is one
 * a fixed-size line reading would cut (a user's FUSE mount on a long path
 * makes one: the tail must not count as a line); *nul when the
 * text has a NUL byte (the kernel never writes one: not compared). */
static int count_lines(const char *text, size_t len, int min_words, bool *odd, bool *nul)
{
	int count = 0;
	const char *p = text, *end = text + len;

	if (strlen(text) != len)
		*nul = true;
	while (p < end && *p) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = strndup(p, l), *save = NULL, *w1, *w2;

		if (!line)
			abort();
		if (l >= 1023)
			*odd = true;
		w1 = strtok_r(line, " \t\n\v\f\r", &save);
		w2 = w1 ? strtok_r(NULL, " \t\n\v\f\r", &save) : NULL;
		if ((w1 && strlen(w1) > 511) || (w2 && strlen(w2) > 511))
			*odd = true;
		if (w1 && (min_words < 2 || w2) && on_disk(w1))
			count++;
		free(line);
		p += l + 1;
	}
	return count;
}

static bool disk_below_device(const char *root)
{
	char a[PATH_MAX], b[PATH_MAX], ra[PATH_MAX], rb[PATH_MAX];
	size_t l;

	snprintf(a, sizeof(a), "%s/sys/bus/pci/devices/0000:04:00.0", root);
	snprintf(b, sizeof(b), "%s/sys/class/block/nvme0n1", root);
	if (!realpath(a, ra) || !realpath(b, rb))
		return false;
	l = strlen(ra);
	return strncmp(ra, rb, l) == 0 && rb[l] == '/';
}

/* Leave mounts and swaps of nvme0n1 the only reasons the device can be
 * in use: remove other block devices, holders, net interfaces, boot_vga. */
static void only_mount_reasons(const char *root)
{
	char path[PATH_MAX], dev[PATH_MAX];
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), "%s/sys/block", root);
	ft_rmroot(path);
	snprintf(path, sizeof(path), "%s/sys/class/net", root);
	ft_rmroot(path);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:04:00.0", root);
	if (realpath(path, dev) && strlen(dev) < sizeof(path) - 16) {
		snprintf(path, sizeof(path), "%s/boot_vga", dev);
		ft_rmroot(path);
	}
	snprintf(path, sizeof(path), "%s/sys/class/block", root);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		char one[PATH_MAX + 256];

		if (de->d_name[0] == '.' || strcmp(de->d_name, "nvme0n1") == 0)
			continue;
		snprintf(one, sizeof(one), "%s/%s", path, de->d_name);
		ft_rmroot(one);
	}
	if (d)
		closedir(d);
}

static void check_in_use(const struct vb_sys *s, const char *root)
{
	char *why = NULL;
	size_t ml, sl;
	char *mounts = slurp(root, "proc/mounts", &ml), *swaps = slurp(root, "proc/swaps", &sl);
	bool odd = false, nul = false;
	int want = count_lines(mounts, ml, 2, &odd, &nul) + count_lines(swaps, sl, 1, &odd, &nul);
	int got = vb_device_in_use(s, "0000:04:00.0", &why);

	CHECK(got >= 0 && why);
	free(why);
	only_mount_reasons(root);
	got = vb_device_in_use(s, "0000:04:00.0", &why);
	CHECK(got >= 0 && why);
	free(why);
	/* the mounts count only while the disk is still below the device */
	if (!nul && disk_below_device(root))
		CHECK(got == want);
	free(mounts);
	free(swaps);
}

static void check_cpuinfo(const struct vb_sys *s, const char *root)
{
	struct vb_cpu_info c;
	size_t len;
	char *text = slurp(root, "proc/cpuinfo", &len), *save = NULL;
	char vendor[32] = "";
	int family = -1;
	bool odd = strlen(text) != len;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');

		odd |= strlen(line) >= 255;
		if (!colon)
			continue;
		if (!strncmp(line, "vendor_id", 9) && !vendor[0])
			sscanf(colon + 1, " %31s", vendor);
		else if (!strncmp(line, "cpu family", 10) && family < 0)
			family = atoi(colon + 1);
	}
	/* compared on text the kernel can write: no NUL, lines < 255 bytes
	 * (vendor_id and cpu family come before the long flags line) */
	if (vb_cpu_info_read(s, &c) == 0 && !odd) {
		CHECK(strcmp(c.vendor, vendor) == 0);
		CHECK(c.family == family || (family < 0 && c.family < 0));
	}
	vb_cpu_p2p_capable(&c);
	free(text);
}

static void check_kconfig(const char *text)
{
	static const char *const names[] = { "CONFIG_VFIO_PCI_DMABUF", "CONFIG_PCI_P2PDMA",
					     "CONFIG_IOMMUFD" };
	char buf[16];
	int major, minor;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = vb_kconfig_value(text, names[i], buf, sizeof(buf));
		size_t l = strlen(names[i]);
		const char *ref = NULL;

		for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
			if (!strncmp(p, names[i], l) && p[l] == '=') {
				ref = p + l + 1;
				break;
			}
		CHECK(!v == !ref);
		if (v) {
			size_t rl = strcspn(ref, "\n");

			CHECK(strlen(v) == (rl < sizeof(buf) ? rl : sizeof(buf) - 1));
			CHECK(!strncmp(v, ref, strlen(v)));
		}
	}
	if (vb_kernel_version_parse(text, &major, &minor) == 0)
		CHECK(major >= 0 && minor >= 0);
}

static void check_doctor(const struct vb_sys *s, const char *root)
{
	struct vb_checks c = { 0 };
	size_t len;
	char *rel = slurp(root, "proc/sys/kernel/osrelease", &len);
	char path[256];

	vb_doctor_host(s, &c);
	CHECK(c.n > 0);
	for (size_t i = 0; i < c.n; i++) {
		CHECK(c.v[i].name[0] && memchr(c.v[i].name, '\0', sizeof(c.v[i].name)));
		CHECK(vb_check_status_name(c.v[i].status) != NULL);
		CHECK(c.v[i].message[0] && memchr(c.v[i].message, '\0', sizeof(c.v[i].message)));
		CHECK(memchr(c.v[i].hint, '\0', sizeof(c.v[i].hint)));
	}
	vb_checks_free(&c);
	check_kconfig(rel);
	rel[strcspn(rel, "\n/")] = '\0';
	snprintf(path, sizeof(path), "boot/config-%.200s", rel);
	free(rel);
	rel = slurp(root, path, &len);
	check_kconfig(rel);
	free(rel);
}

static void check_activation(const char *root)
{
	size_t l1, l2;
	char *pid = slurp(root, "env/LISTEN_PID", &l1), *fds = slurp(root, "env/LISTEN_FDS", &l2);
	struct vb_err e = { 0 };
	int fd;

	if (!l1 && !l2)
		goto out;
	if (strcmp(pid, "self") == 0) {
		free(pid);
		if (asprintf(&pid, "%d", (int)getpid()) < 0)
			abort();
	}
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", fds, 1);
	fd = vb_sd_listen_fd(&e);
	CHECK(fd == -1 || (fd == -2 && e.msg[0]) || fd == 3);
	CHECK(!getenv("LISTEN_PID") && !getenv("LISTEN_FDS"));
out:
	free(pid);
	free(fds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fds;
	char root[PATH_MAX], sysdir[PATH_MAX + 8];
	struct vb_sys s;
	struct vb_err e = { 0 };

	fds = ft_lowest_free_fd();
	ft_mkroot(root, sizeof(root));
	snprintf(sysdir, sizeof(sysdir), "%s/sys", root);
	ft_write(root, DEV "/nvme/nvme0/nvme0n1/dev", "259:0\n", 6);
	ft_link(root, "sys/bus/pci/devices/0000:04:00.0",
		"../../../devices/pci0000:00/0000:00:1d.0/0000:04:00.0");
	ft_link(root, "sys/class/block/nvme0n1",
		"../../devices/pci0000:00/0000:00:1d.0/0000:04:00.0/nvme/nvme0/nvme0n1");
	ft_build(root, (const char *)data, size);
	if (vb_sys_init(&s, sysdir, &e) == 0) {
		check_in_use(&s, root);
		check_cpuinfo(&s, root);
		check_doctor(&s, root);
		check_activation(root);
	}
	ft_rmroot(root);
	CHECK(ft_lowest_free_fd() == fds); /* no descriptor leaked */
	return 0;
}
