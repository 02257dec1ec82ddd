/* bind_safety: in-use checks before a driver is taken away (see bind_safety.h). */
#include "bind_safety.h"

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reasons {
	char *buf;
	size_t n, len;
	int count;
};

static void add(struct reasons *r, const char *fmt, const char *a, const char *b)
{
	if (r->len < r->n) {
		r->len += (size_t)snprintf(r->buf + r->len, r->n - r->len, "%s", r->count ? "; " : "");
		if (r->len < r->n)
			r->len += (size_t)snprintf(r->buf + r->len, r->n - r->len, fmt, a, b);
	}
	r->count++;
}

/* Is the sysfs object at link (a class entry) below the device directory? */
static bool below(const char *devreal, const char *link)
{
	char real[PATH_MAX];
	size_t l = strlen(devreal);

	return realpath(link, real) && strncmp(real, devreal, l) == 0 && real[l] == '/';
}

/* "/dev/nvme0n1p2" belongs to block device "nvme0n1" */
static bool dev_is_on(const char *source, const char *blk)
{
	size_t l = strlen(blk);
	const char *rest;

	if (strncmp(source, "/dev/", 5) != 0 || strncmp(source + 5, blk, l) != 0)
		return false;
	rest = source + 5 + l;
	if (*rest == 'p')
		rest++;
	while (isdigit((unsigned char)*rest))
		rest++;
	return *rest == '\0';
}

static void check_mounts(const struct vb_sys *s, const char *blk, struct reasons *r)
{
	char path[PATH_MAX], line[1024];
	FILE *f;

	if (vb_root_path(s, path, sizeof(path), "/proc/mounts") == 0 && (f = fopen(path, "r"))) {
		while (fgets(line, sizeof(line), f)) {
			char src[512], mnt[512];

			if (sscanf(line, "%511s %511s", src, mnt) == 2 && dev_is_on(src, blk))
				add(r, strcmp(mnt, "/") == 0 ? "%s holds the root filesystem%s"
							      : "%s is mounted on %s",
				    src, strcmp(mnt, "/") == 0 ? "" : mnt);
		}
		fclose(f);
	}
	if (vb_root_path(s, path, sizeof(path), "/proc/swaps") == 0 && (f = fopen(path, "r"))) {
		while (fgets(line, sizeof(line), f)) {
			char src[512];

			if (sscanf(line, "%511s", src) == 1 && dev_is_on(src, blk))
				add(r, "%s is active swap%s", src, "");
		}
		fclose(f);
	}
}

static void check_holders(const struct vb_sys *s, const char *blk, struct reasons *r)
{
	char path[PATH_MAX];
	DIR *d;
	struct dirent *de;

	if (vb_sys_path(s, path, sizeof(path), "block/%s/holders", blk) < 0 || !(d = opendir(path)))
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			add(r, "%s is held by %s", blk, de->d_name);
	closedir(d);
}

static void check_class(const struct vb_sys *s, const char *devreal, const char *cls,
			struct reasons *r)
{
	char dir[PATH_MAX], link[PATH_MAX + 256];
	DIR *d;
	struct dirent *de;

	if (vb_sys_path(s, dir, sizeof(dir), "class/%s", cls) < 0 || !(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		char val[64];

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		if (!below(devreal, link))
			continue;
		if (strcmp(cls, "block") == 0) {
			check_mounts(s, de->d_name, r);
			check_holders(s, de->d_name, r);
		} else if (vb_sys_read(s, val, sizeof(val), "class/net/%s/flags", de->d_name) > 0 &&
			   (strtoul(val, NULL, 0) & 0x1)) {
			add(r, "network interface %s is up%s", de->d_name, "");
		}
	}
	closedir(d);
}

int vb_device_in_use(const struct vb_sys *s, const char *bdf, char *buf, size_t n)
{
	struct reasons r = { buf, n, 0, 0 };
	char link[PATH_MAX], devreal[PATH_MAX], val[16];

	buf[0] = '\0';
	if (vb_sys_path(s, link, sizeof(link), "bus/pci/devices/%s", bdf) < 0 ||
	    !realpath(link, devreal))
		return 0;
	if (vb_sys_read(s, val, sizeof(val), "bus/pci/devices/%s/boot_vga", bdf) > 0 &&
	    strcmp(val, "1") == 0)
		add(&r, "it is the boot VGA device%s%s", "", "");
	check_class(s, devreal, "block", &r);
	check_class(s, devreal, "net", &r);
	return r.count;
}
