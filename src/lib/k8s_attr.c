/* k8s_attr: Kubernetes' standard DRA attributes (see k8s_attr.h). */
#include "k8s_attr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* DDDD:BB:DD.F, lower-case hex only, nothing more. */
bool vb_k8s_bdf_valid(const char *bdf)
{
	static const char shape[] = "xxxx:xx:xx.x";

	if (!bdf || strlen(bdf) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++) {
		if (shape[i] == 'x' ? !lower_hex(bdf[i]) : bdf[i] != shape[i])
			return false;
	}
	return true;
}

static bool ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int vb_k8s_atoi(const char *p, size_t n, long long *out)
{
	bool neg = false;
	uint64_t v = 0, limit;
	size_t i = 0;

	while (n > 0 && ascii_space(p[n - 1]))
		n--;
	while (i < n && ascii_space(p[i]))
		i++;
	if (i < n && (p[i] == '+' || p[i] == '-'))
		neg = p[i++] == '-';
	if (i == n)
		return -1; /* no digits */
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		unsigned dgt;

		if (p[i] < '0' || p[i] > '9')
			return -1;
		dgt = (unsigned)(p[i] - '0');
		if (v > (limit - dgt) / 10)
			return -1; /* out of range */
		v = v * 10 + dgt;
	}
	*out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(long long)v) : (long long)v;
	return 0;
}

void vb_k8s_clean_path(char *p)
{
	size_t n = strlen(p), r = 0, w = 0, floor = 0;
	bool rooted = n > 0 && p[0] == '/';

	/* w never passes r, so the cleaned path is written over the input */
	if (rooted) {
		w = r = floor = 1;
	}
	while (r < n) {
		bool end1 = r + 1 == n || p[r + 1] == '/';

		if (p[r] == '/') {
			r++; /* empty component */
		} else if (p[r] == '.' && end1) {
			r++; /* "." */
		} else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
			r += 2;
			if (w > floor) {
				/* back over the last component and its slash */
				w--;
				while (w > floor && p[w] != '/')
					w--;
			} else if (!rooted) {
				/* nothing left to cancel: the path climbs */
				if (w > 0)
					p[w++] = '/';
				p[w++] = '.';
				p[w++] = '.';
				floor = w;
			}
		} else {
			if (w != (rooted ? 1u : 0u))
				p[w++] = '/';
			while (r < n && p[r] != '/')
				p[w++] = p[r++];
		}
	}
	if (w == 0)
		p[w++] = '.';
	p[w] = '\0';
}

static void fail(struct vb_k8s_attr *a, const char *fmt, const char *arg, const char *arg2)
{
	a->present = false;
	snprintf(a->reason, sizeof(a->reason), fmt, arg, arg2);
}

/* The first component under devices/ of bus/pci/devices/<bdf>'s target. */
static void pcie_root(const struct vb_sys *s, const char *bdf, struct vb_k8s_attr *a)
{
	char link[PATH_MAX], target[PATH_MAX], path[PATH_MAX + 32];
	const char *base, *root, *end;
	ssize_t n;

	if (vb_sys_path(s, link, sizeof(link), "bus/pci/devices/%s", bdf) < 0)
		return fail(a, "sysfs path too long", "", "");
	n = readlink(link, target, sizeof(target));
	if (n < 0)
		return fail(a, "cannot read the symlink bus/pci/devices/%s: %s", bdf, strerror(errno));
	if ((size_t)n >= sizeof(target))
		return fail(a, "the symlink bus/pci/devices/%s%s is too long", bdf, "");
	target[n] = '\0';
	if (target[0] == '/')
		snprintf(path, sizeof(path), "%s", target);
	else
		snprintf(path, sizeof(path), "bus/pci/devices/%s", target);
	vb_k8s_clean_path(path);
	if (strncmp(path, "devices/pci", strlen("devices/pci")) != 0)
		return fail(a, "symlink target does not start with devices/pci: %.200s%s", path, "");
	base = strrchr(path, '/');
	if (strcmp(base + 1, bdf) != 0)
		return fail(a, "symlink target does not end with %s: %.200s", bdf, path);
	root = path + strlen("devices/");
	end = strchr(root, '/');
	if (!end)
		end = root + strlen(root); /* not reached: the base is the BDF */
	a->present = true;
	snprintf(a->str, sizeof(a->str), "%.*s", (int)(end - root), root);
}

/* A sysfs attribute whole (a page at most), for Atoi. */
static int read_small(const char *path, char *buf, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	*len = 0;
	if (fd < 0)
		return -errno;
	while (*len < cap && (got = read(fd, buf + *len, cap - *len)) != 0) {
		if (got < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			close(fd);
			return -err;
		}
		*len += (size_t)got;
	}
	close(fd);
	return *len == cap ? -EFBIG : 0;
}

static void numa_node(const struct vb_sys *s, const char *bdf, struct vb_k8s_attr *a)
{
	char path[PATH_MAX], buf[4097];
	size_t len;
	long long v;
	int rc;

	if (vb_sys_path(s, path, sizeof(path), "bus/pci/devices/%s/numa_node", bdf) < 0)
		return fail(a, "sysfs path too long", "", "");
	rc = read_small(path, buf, sizeof(buf), &len);
	if (rc < 0)
		return fail(a, "cannot read bus/pci/devices/%s/numa_node: %s", bdf, strerror(-rc));
	if (vb_k8s_atoi(buf, len, &v) < 0)
		return fail(a, "numa_node of %s is not an integer%s", bdf, "");
	if (v < 0)
		return fail(a, "no NUMA affinity (numa_node %s): not published%s",
			    v == -1 ? "-1" : "negative", "");
	a->present = true;
	a->num = v;
}

void vb_k8s_attrs_read(const struct vb_sys *s, const char *bdf, struct vb_k8s_attrs *a)
{
	memset(a, 0, sizeof(*a));
	if (!vb_k8s_bdf_valid(bdf)) {
		const char *why = "invalid PCI Bus ID format: %s%s";

		fail(&a->pci_bus_id, why, bdf, "");
		fail(&a->pcie_root, why, bdf, "");
		fail(&a->numa_node, why, bdf, "");
		return;
	}
	a->pci_bus_id.present = true;
	snprintf(a->pci_bus_id.str, sizeof(a->pci_bus_id.str), "%s", bdf);
	if (vb_sys_is_dump(s)) {
		fail(&a->pcie_root, "an lspci dump has no sysfs link%s%s", "", "");
		fail(&a->numa_node, "an lspci dump has no numa_node%s%s", "", "");
		return;
	}
	pcie_root(s, bdf, &a->pcie_root);
	numa_node(s, bdf, &a->numa_node);
}
