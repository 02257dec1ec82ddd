/* bind_safety: in-use checks before a driver is taken away (see bind_safety.h). */
#include "bind_safety.h"

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reasons {
	FILE *f; /* a memstream: as long as the reasons are */
	int count;
};

/* The formats come from this file: each takes two strings. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void add(struct reasons *r, const char *fmt, const char *a, const char *b)
{
	fputs(r->count ? "; " : "", r->f);
	fprintf(r->f, fmt, a, b);
	r->count++;
}
#pragma GCC diagnostic pop

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
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0;
	FILE *f;

	/* getline and %ms: a mount point of any length is read whole */
	if (vb_root_path(s, path, sizeof(path), "/proc/mounts") == 0 && (f = fopen(path, "re"))) {
		while (getline(&line, &cap, f) >= 0) {
			char *src = NULL, *mnt = NULL;

			if (sscanf(line, "%ms %ms", &src, &mnt) == 2 && dev_is_on(src, blk))
				add(r, strcmp(mnt, "/") == 0 ? "%s holds the root filesystem%s"
							      : "%s is mounted on %s",
				    src, strcmp(mnt, "/") == 0 ? "" : mnt);
			free(src);
			free(mnt);
		}
		fclose(f);
	}
	if (vb_root_path(s, path, sizeof(path), "/proc/swaps") == 0 && (f = fopen(path, "re"))) {
		while (getline(&line, &cap, f) >= 0) {
			char *src = NULL;

			if (sscanf(line, "%ms", &src) == 1 && dev_is_on(src, blk))
				add(r, "%s is active swap%s", src, "");
			free(src);
		}
		fclose(f);
	}
	free(line);
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

int vb_device_in_use(const struct vb_sys *s, const char *bdf, char **why)
{
	struct reasons r = { NULL, 0 };
	char link[PATH_MAX], devreal[PATH_MAX], val[16];
	size_t len = 0;

	*why = NULL;
	r.f = open_memstream(why, &len);
	if (!r.f)
		return -1;
	if (vb_sys_path(s, link, sizeof(link), "bus/pci/devices/%s", bdf) == 0 &&
	    realpath(link, devreal)) {
		if (vb_sys_read(s, val, sizeof(val), "bus/pci/devices/%s/boot_vga", bdf) > 0 &&
		    strcmp(val, "1") == 0)
			add(&r, "it is the boot VGA device%s%s", "", "");
		check_class(s, devreal, "block", &r);
		check_class(s, devreal, "net", &r);
	}
	if (fclose(r.f) != 0) {
		free(*why);
		*why = NULL;
		return -1;
	}
	return r.count;
}
