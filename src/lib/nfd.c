/* nfd: Node Feature Discovery labels.  See nfd.h. */
#include "nfd.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "p2p.h"
#include "p2p_domain.h"

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool label_char(char c)
{
	return alnum(c) || c == '-' || c == '_' || c == '.';
}

bool vb_nfd_value_valid(const char *v)
{
	size_t n = strlen(v);

	if (n == 0)
		return true;
	if (n > VB_NFD_VALUE_MAX || !alnum(v[0]) || !alnum(v[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!label_char(v[i]))
			return false;
	return true;
}

bool vb_nfd_name_valid(const char *name)
{
	return name[0] && vb_nfd_value_valid(name);
}

int vb_nfd_value_encode(const char *text, char *out, size_t n)
{
	size_t len = strlen(text);

	if (len >= n || len > VB_NFD_VALUE_MAX)
		return -1;
	for (size_t i = 0; i <= len; i++) {
		char c = text[i];

		out[i] = c == '\0' || label_char(c) ? c : c == ':' || c == '/' ? '-' : '_';
	}
	if (!vb_nfd_value_valid(out)) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/* Append to a growing text, refusing to reach VB_NFD_FILE_MAX. */
struct text {
	char *buf;
	size_t len;
	bool full;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (t->full)
		return;
	va_start(ap, fmt);
	w = vsnprintf(t->buf + t->len, VB_NFD_FILE_MAX - t->len, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= VB_NFD_FILE_MAX - t->len)
		t->full = true;
	else
		t->len += (size_t)w;
}

char *vb_nfd_format(const struct vb_nfd_label *labels, size_t n, time_t expiry, size_t *len,
		    struct vb_err *e)
{
	struct text t = { malloc(VB_NFD_FILE_MAX), 0, false };
	char when[32];
	struct tm tm;

	if (!t.buf) {
		vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
		return NULL;
	}
	if (!gmtime_r(&expiry, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		free(t.buf);
		vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "expiry time %lld is out of range",
			   (long long)expiry);
		return NULL;
	}
	put(&t, "# vfiobuf topology --format nfd: PCI P2P and VFIO dma-buf facts of this node\n");
	put(&t, "# +expiry-time=%s\n", when);
	for (size_t i = 0; i < n; i++) {
		if (!vb_nfd_name_valid(labels[i].name) || !vb_nfd_value_valid(labels[i].value)) {
			free(t.buf);
			vb_err_set(e, VB_EXIT_FAIL, 0, NULL, "invalid node label %s%s=%s",
				   VB_NFD_PREFIX, labels[i].name, labels[i].value);
			return NULL;
		}
		put(&t, "%s%s=%s\n", VB_NFD_PREFIX, labels[i].name, labels[i].value);
	}
	if (t.full) {
		free(t.buf);
		vb_err_set(e, VB_EXIT_FAIL, EFBIG, NULL,
			   "the feature file would reach NFD's limit of %d bytes", VB_NFD_FILE_MAX);
		return NULL;
	}
	*len = t.len;
	return t.buf;
}

static const struct vb_check *find_check(const struct vb_checks *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!c->v[i].device[0] && !strcmp(c->v[i].name, name))
			return &c->v[i];
	return NULL;
}

/* As the doctor judges it: false when the kernel is too old or its config
 * lacks VFIO_PCI_DMABUF, true when both checks pass, unknown otherwise (no
 * config read, a backport, an unreadable version). */
static enum vb_nfd_tristate dmabuf_fact(const struct vb_checks *c)
{
	const struct vb_check *k = find_check(c, "kernel"), *x = find_check(c, "dmabuf-export");

	if ((k && k->status == VB_CHECK_FAIL) || (x && x->status == VB_CHECK_FAIL))
		return VB_NFD_FALSE;
	if (k && k->status == VB_CHECK_OK && x && x->status == VB_CHECK_OK)
		return VB_NFD_TRUE;
	return VB_NFD_UNKNOWN;
}

/* Does some PCI function carry a VFIO cdev (vfio-dev/)?  Only functions on
 * a VFIO driver do, so absence proves nothing. */
static bool any_vfio_cdev(const struct vb_sys *s)
{
	return vb_sys_find_function_with(s, "vfio-dev", NULL, 0);
}

/* The way vfiobuf opens a device here by default (vfio_dev.c's auto mode):
 * cdev + iommufd when /dev/iommu exists and the kernel has VFIO device
 * cdevs, the group + container way otherwise; "none" without an IOMMU. */
static const char *iommu_mode_fact(const struct vb_sys *s, const struct vb_checks *c)
{
	const struct vb_check *groups = find_check(c, "iommu"), *dev = find_check(c, "dev-iommu");
	const struct vb_check *cdev = find_check(c, "vfio-cdev");

	if (!groups)
		return "unknown";
	if (groups->status == VB_CHECK_FAIL)
		return "none";
	if (!dev || dev->status == VB_CHECK_INFO) /* /dev/iommu is missing */
		return "group";
	if (cdev)
		return cdev->status == VB_CHECK_OK ? "cdev" : "group";
	return any_vfio_cdev(s) ? "cdev" : "unknown"; /* no kernel config read */
}

void vb_nfd_host_facts(const struct vb_sys *s, struct vb_nfd_facts *f)
{
	struct vb_checks c = { 0 };

	f->dmabuf_export = VB_NFD_UNKNOWN;
	f->iommu_mode = "unknown";
	if (vb_sys_is_dump(s))
		return;
	vb_doctor_host(s, &c);
	f->dmabuf_export = dmabuf_fact(&c);
	f->iommu_mode = iommu_mode_fact(s, &c);
	vb_checks_free(&c);
}

void vb_nfd_pair_facts(const struct vb_topo *t, const int *eps, int neps,
		       struct vb_nfd_facts *f)
{
	bool redirect = false, unknown_acs = false;
	struct vb_p2p_result r;

	f->endpoints = neps;
	f->bus_addr_pairs_min = 0;
	f->uncertain_pairs = 0;
	for (int i = 0; i < neps; i++)
		for (int j = i + 1; j < neps; j++) {
			vb_p2p_pair(&t->model, eps[i], eps[j], &r);
			if (r.uncertain)
				f->uncertain_pairs++;
			else if (r.verdict == VB_P2P_BUS_ADDR)
				f->bus_addr_pairs_min++;
			redirect |= r.nredir > 0;
			unknown_acs |= r.nunknown > 0;
		}
	f->acs_redirect = redirect ? VB_NFD_TRUE : unknown_acs ? VB_NFD_UNKNOWN : VB_NFD_FALSE;
}

/* Endpoints per domain head among the selected ones; groups of 2 or more.
 * Returns -1 when out of memory (the facts stay unknown). */
static int count_groups(const struct vb_topo *t, const struct vb_p2p_domain *dom, const int *eps,
			int neps, struct vb_nfd_facts *f)
{
	size_t n = t->model.n;
	int *size = calloc(n + 1, sizeof(int)), best = -1;
	bool uncertain = false;

	if (!size)
		return -1;
	for (int i = 0; i < neps; i++) {
		const struct vb_p2p_domain *d = &dom[eps[i]];

		uncertain |= d->uncertain;
		if (d->kind == VB_P2P_DOMAIN_BRIDGE && d->head >= 0 && (size_t)d->head < n)
			size[d->head]++;
	}
	f->p2p_groups = 0;
	for (size_t h = 0; h < n; h++) {
		if (size[h] < 2)
			continue;
		f->p2p_groups++;
		if (best < 0 || size[h] > size[best])
			best = (int)h;
	}
	f->p2p_largest = best < 0 ? 0 : size[best];
	f->p2p_largest_name[0] = '\0';
	if (best >= 0 && vb_nfd_value_encode(t->model.nodes[best].name, f->p2p_largest_name,
					     sizeof(f->p2p_largest_name)) < 0)
		f->p2p_largest = -1; /* a name no label can carry: say unknown, never cut */
	if (uncertain)
		f->p2p_groups = f->p2p_largest = -1;
	free(size);
	return 0;
}

void vb_nfd_group_facts(const struct vb_topo *t, const int *eps, int neps,
			struct vb_nfd_facts *f)
{
	size_t n = t->model.n;
	bool *endpoint = calloc(n + 1, sizeof(bool));
	struct vb_p2p_domain *dom = calloc(n + 1, sizeof(*dom));

	f->p2p_groups = f->p2p_largest = -1;
	if (endpoint && dom) {
		for (int i = 0; i < neps; i++)
			endpoint[eps[i]] = true;
		if (vb_p2p_domains(&t->model, endpoint, dom) == 0)
			count_groups(t, dom, eps, neps, f);
	}
	free(endpoint);
	free(dom);
}

static const char *tristate(enum vb_nfd_tristate v)
{
	return v == VB_NFD_TRUE ? "true" : v == VB_NFD_FALSE ? "false" : "unknown";
}

static void set(struct vb_nfd_label *l, const char *name, const char *value)
{
	l->name = name;
	snprintf(l->value, sizeof(l->value), "%s", value);
}

static void set_count(struct vb_nfd_label *l, const char *name, long v)
{
	l->name = name;
	if (v < 0)
		snprintf(l->value, sizeof(l->value), "unknown");
	else
		snprintf(l->value, sizeof(l->value), "%ld", v);
}

size_t vb_nfd_labels(const struct vb_nfd_facts *f, struct vb_nfd_label *out)
{
	size_t n = 0;

	set(&out[n++], "dmabuf-export", tristate(f->dmabuf_export));
	set(&out[n++], "iommu-mode", f->iommu_mode);
	set_count(&out[n++], "endpoints", f->endpoints);
	set_count(&out[n++], "p2p-groups", f->p2p_groups);
	set_count(&out[n++], "p2p-largest-group-endpoints", f->p2p_largest);
	set(&out[n++], "p2p-largest-group",
	    f->p2p_largest < 0 ? "unknown" : f->p2p_largest_name[0] ? f->p2p_largest_name : "none");
	set_count(&out[n++], "bus-addr-pairs", f->uncertain_pairs ? -1 : f->bus_addr_pairs_min);
	set_count(&out[n++], "bus-addr-pairs-min", f->bus_addr_pairs_min);
	set_count(&out[n++], "uncertain-pairs", f->uncertain_pairs);
	set(&out[n++], "acs-redirect", tristate(f->acs_redirect));
	return n;
}
