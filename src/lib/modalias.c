/* modalias: the vfio_pci: aliases and vfio_pci_core users of the kernel's
 * module index, and the most specific alias for a function (see modalias.h). */
#include "modalias.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define VFIO_PREFIX "vfio_pci:"
#define PCI_PREFIX "pci:"

void vb_module_name_norm(char *name)
{
	for (; *name; name++)
		if (*name == '-')
			*name = '_';
}

static bool module_name_ok(const char *p, size_t n)
{
	if (n == 0 || n > VB_MODULE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(p[i] == '_' || p[i] == '-' || (p[i] >= '0' && p[i] <= '9') ||
		      (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')))
			return false;
	return true;
}

/* The next line of text[*pos..len): its start and length (no newline). */
static bool next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
	const char *nl;

	if (*pos >= len)
		return false;
	*line = text + *pos;
	nl = memchr(*line, '\n', len - *pos);
	*n = nl ? (size_t)(nl - *line) : len - *pos;
	*pos += *n + (nl ? 1 : 0);
	return true;
}

/* The next whitespace-separated word of line[*pos..n). */
static bool next_word(const char *line, size_t n, size_t *pos, const char **w, size_t *wn)
{
	while (*pos < n && (line[*pos] == ' ' || line[*pos] == '\t' || line[*pos] == '\r'))
		(*pos)++;
	if (*pos >= n)
		return false;
	*w = line + *pos;
	while (*pos < n && line[*pos] != ' ' && line[*pos] != '\t' && line[*pos] != '\r')
		(*pos)++;
	*wn = (size_t)(line + *pos - *w);
	return true;
}

static int add_alias(struct vb_modindex *m, const char *pat, size_t pn, const char *mod,
		     size_t mn, struct vb_err *e)
{
	struct vb_vfio_alias *a;

	if (m->nalias == m->alias_cap) {
		size_t ncap = m->alias_cap ? 2 * m->alias_cap : 16;
		struct vb_vfio_alias *na = realloc(m->alias, ncap * sizeof(*na));

		if (!na)
			return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
		m->alias = na;
		m->alias_cap = ncap;
	}
	a = &m->alias[m->nalias];
	if (!(a->pattern = strndup(pat, pn)))
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	memcpy(a->module, mod, mn);
	a->module[mn] = '\0';
	vb_module_name_norm(a->module);
	m->nalias++;
	return 0;
}

int vb_modalias_parse(struct vb_modindex *m, const char *text, size_t len, struct vb_err *e)
{
	const char *line, *w[4];
	size_t pos = 0, n, wn[4];

	while (next_line(text, len, &pos, &line, &n)) {
		size_t lp = 0;
		int k = 0;

		while (k < 4 && next_word(line, n, &lp, &w[k], &wn[k]))
			k++;
		if (k == 0 || w[0][0] == '#')
			continue;
		if (k != 3 || wn[0] != 5 || memcmp(w[0], "alias", 5) != 0 ||
		    memchr(w[1], '\0', wn[1]) || !module_name_ok(w[2], wn[2])) {
			m->bad_lines++;
			continue;
		}
		if (wn[1] <= strlen(VFIO_PREFIX) || memcmp(w[1], VFIO_PREFIX, strlen(VFIO_PREFIX)))
			continue;
		if (add_alias(m, w[1] + strlen(VFIO_PREFIX), wn[1] - strlen(VFIO_PREFIX), w[2], wn[2],
			      e) < 0)
			return -1;
	}
	return 0;
}

/* "kernel/drivers/vfio/pci/vfio-pci-core.ko.xz" -> "vfio_pci_core" into out
 * (VB_MODULE_NAME_MAX + 1); false when it is no module path. */
static bool module_of_path(const char *p, size_t n, char *out)
{
	const char *base = p, *dot;
	size_t bn;

	for (size_t i = 0; i < n; i++)
		if (p[i] == '/')
			base = p + i + 1;
	bn = (size_t)(p + n - base);
	dot = memmem(base, bn, ".ko", 3);
	if (!dot || !module_name_ok(base, (size_t)(dot - base)))
		return false;
	memcpy(out, base, (size_t)(dot - base));
	out[dot - base] = '\0';
	vb_module_name_norm(out);
	return true;
}

static int add_vfio_mod(struct vb_modindex *m, const char *mod, struct vb_err *e)
{
	if (m->nvfio == m->vfio_cap) {
		size_t ncap = m->vfio_cap ? 2 * m->vfio_cap : 16;
		char(*nv)[VB_MODULE_NAME_MAX + 1] = realloc(m->vfio_mods, ncap * sizeof(*nv));

		if (!nv)
			return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
		m->vfio_mods = nv;
		m->vfio_cap = ncap;
	}
	snprintf(m->vfio_mods[m->nvfio++], VB_MODULE_NAME_MAX + 1, "%s", mod);
	return 0;
}

int vb_moddep_parse(struct vb_modindex *m, const char *text, size_t len, struct vb_err *e)
{
	const char *line, *w;
	size_t pos = 0, n, wn;

	while (next_line(text, len, &pos, &line, &n)) {
		char mod[VB_MODULE_NAME_MAX + 1], dep[VB_MODULE_NAME_MAX + 1];
		const char *colon = memchr(line, ':', n);
		size_t lp;
		bool on_core = false;

		if (n == 0 || line[0] == '#')
			continue;
		if (!colon || !module_of_path(line, (size_t)(colon - line), mod)) {
			m->bad_lines++;
			continue;
		}
		lp = (size_t)(colon - line) + 1;
		while (!on_core && next_word(line, n, &lp, &w, &wn))
			on_core = module_of_path(w, wn, dep) && strcmp(dep, "vfio_pci_core") == 0;
		if (on_core && add_vfio_mod(m, mod, e) < 0)
			return -1;
	}
	return 0;
}

bool vb_modindex_on_vfio_core(const struct vb_modindex *m, const char *module)
{
	char norm[VB_MODULE_NAME_MAX + 1];

	if (!module || strlen(module) > VB_MODULE_NAME_MAX)
		return false;
	snprintf(norm, sizeof(norm), "%s", module);
	vb_module_name_norm(norm);
	for (size_t i = 0; i < m->nvfio; i++)
		if (strcmp(m->vfio_mods[i], norm) == 0)
			return true;
	return false;
}

bool vb_modindex_has_vfio_alias(const struct vb_modindex *m, const char *module)
{
	char norm[VB_MODULE_NAME_MAX + 1];

	if (!module || strlen(module) > VB_MODULE_NAME_MAX)
		return false;
	snprintf(norm, sizeof(norm), "%s", module);
	vb_module_name_norm(norm);
	for (size_t i = 0; i < m->nalias; i++)
		if (strcmp(m->alias[i].module, norm) == 0)
			return true;
	return false;
}

int vb_modalias_wildcards(const char *pattern)
{
	int n = 0;

	for (; *pattern; pattern++)
		n += *pattern == '*';
	return n;
}

static bool listed(const char *const *only, const char *module)
{
	if (!only)
		return true;
	for (; *only; only++)
		if (strcmp(*only, module) == 0)
			return true;
	return false;
}

int vb_modindex_best(const struct vb_modindex *m, const char *modalias, const char *const *only)
{
	int best = -1, best_wild = 0;
	size_t best_lit = 0;

	if (strncmp(modalias, PCI_PREFIX, strlen(PCI_PREFIX)) != 0)
		return -1;
	modalias += strlen(PCI_PREFIX);
	for (size_t i = 0; i < m->nalias; i++) {
		const struct vb_vfio_alias *a = &m->alias[i];
		int wild;
		size_t lit;

		if (strcmp(a->module, "vfio_pci") == 0 || !listed(only, a->module) ||
		    fnmatch(a->pattern, modalias, 0) != 0)
			continue;
		wild = vb_modalias_wildcards(a->pattern);
		lit = strlen(a->pattern) - (size_t)wild;
		if (best < 0 || wild < best_wild || (wild == best_wild && lit > best_lit)) {
			best = (int)i;
			best_wild = wild;
			best_lit = lit;
		}
	}
	return best;
}

/* Read a whole trusted file into *buf (malloc'd, *len bytes).  1 when read,
 * 0 when absent or untrusted (why in m->problem), -1 out of memory. */
static int read_index_file(const struct vb_sys *s, struct vb_modindex *m, const char *name,
			   char **buf, size_t *len, struct vb_err *e)
{
	char path[PATH_MAX];
	struct stat st;
	size_t got = 0;
	int fd;

	*buf = NULL;
	*len = 0;
	if (vb_root_path(s, path, sizeof(path), "/lib/modules/%s/%s", m->kver, name) < 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (!s->fake && (st.st_uid != 0 || (st.st_mode & 022))) ||
	    st.st_size > VB_MODALIAS_MAX) {
		if (!m->problem[0])
			snprintf(m->problem, sizeof(m->problem), "%s: %s", path,
				 fd < 0 ? strerror(errno)
				 : !S_ISREG(st.st_mode) ? "not a regular file"
				 : st.st_size > VB_MODALIAS_MAX ? "larger than 64 MiB"
				 : "not root's, or writable by others: not trusted");
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (!(*buf = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	}
	got = vb_read_full(fd, *buf, (size_t)st.st_size);
	close(fd);
	*len = got;
	return 1;
}

static void find_release(const struct vb_sys *s, char *kver, size_t n)
{
	char path[PATH_MAX];
	struct utsname u;

	kver[0] = '\0';
	if (vb_root_path(s, path, sizeof(path), "/proc/sys/kernel/osrelease") == 0 &&
	    vb_read_file(path, kver, n) > 0 && !strchr(kver, '/') && strcmp(kver, "..") &&
	    strcmp(kver, "."))
		return;
	kver[0] = '\0';
	if (uname(&u) == 0)
		snprintf(kver, n, "%s", u.release);
}

int vb_modindex_load(const struct vb_sys *s, struct vb_modindex *m, struct vb_err *e)
{
	char *buf;
	size_t len;
	int rc;

	memset(m, 0, sizeof(*m));
	find_release(s, m->kver, sizeof(m->kver));
	snprintf(m->alias_path, sizeof(m->alias_path), "/lib/modules/%s/modules.alias", m->kver);
	if (!m->kver[0]) {
		snprintf(m->problem, sizeof(m->problem), "the kernel release is unknown");
		return 0;
	}
	rc = read_index_file(s, m, "modules.alias", &buf, &len, e);
	if (rc > 0) {
		m->have_alias = true;
		rc = vb_modalias_parse(m, buf, len, e);
		free(buf);
	}
	if (rc < 0)
		return -1;
	rc = read_index_file(s, m, "modules.dep", &buf, &len, e);
	if (rc > 0) {
		m->have_dep = true;
		rc = vb_moddep_parse(m, buf, len, e);
		free(buf);
	}
	return rc < 0 ? -1 : 0;
}

void vb_modindex_free(struct vb_modindex *m)
{
	for (size_t i = 0; i < m->nalias; i++)
		free(m->alias[i].pattern);
	free(m->alias);
	free(m->vfio_mods);
	memset(m, 0, sizeof(*m));
}

static int read_hex_attr(const struct vb_sys *s, const char *bdf, const char *attr,
			 unsigned long *v)
{
	char buf[32], *end;
	int rc = vb_sys_read(s, buf, sizeof(buf), "bus/pci/devices/%s/%s", bdf, attr);

	if (rc < 0)
		return rc;
	errno = 0;
	*v = strtoul(buf, &end, 16);
	return errno || end == buf || *end ? -EINVAL : 0;
}

int vb_device_modalias(const struct vb_sys *s, const char *bdf, char *buf, size_t n)
{
	unsigned long ven, dev, sv, sd, cls;
	int rc = vb_sys_read(s, buf, n, "bus/pci/devices/%s/modalias", bdf);

	if (rc > 0 && (size_t)rc < n - 1)
		return 0;
	if (rc > 0)
		return -ENAMETOOLONG;
	if ((rc = read_hex_attr(s, bdf, "vendor", &ven)) < 0 ||
	    (rc = read_hex_attr(s, bdf, "device", &dev)) < 0 ||
	    (rc = read_hex_attr(s, bdf, "subsystem_vendor", &sv)) < 0 ||
	    (rc = read_hex_attr(s, bdf, "subsystem_device", &sd)) < 0 ||
	    (rc = read_hex_attr(s, bdf, "class", &cls)) < 0)
		return rc;
	if (ven > 0xffff || dev > 0xffff || sv > 0xffff || sd > 0xffff || cls > 0xffffff)
		return -EINVAL;
	rc = snprintf(buf, n, "pci:v%08lXd%08lXsv%08lXsd%08lXbc%02lXsc%02lXi%02lX", ven, dev, sv,
		      sd, cls >> 16, (cls >> 8) & 0xff, cls & 0xff);
	return rc > 0 && (size_t)rc < n ? 0 : -ENAMETOOLONG;
}
