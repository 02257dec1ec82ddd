/* doctor_prom: doctor's results as Prometheus metrics.  See doctor_prom.h. */
#include "doctor_prom.h"

#include <string.h>

static bool same_check(const struct vb_check *a, const struct vb_check *b)
{
	return !strcmp(a->name, b->name) && !strcmp(a->device, b->device);
}

/* The worst status of the checks like c->v[i], or -1 when one came
 * before i (that one stands for them all). */
static int worst_status(const struct vb_checks *c, size_t i)
{
	enum vb_check_status worst = c->v[i].status;

	for (size_t j = 0; j < c->n; j++) {
		if (j == i || !same_check(&c->v[i], &c->v[j]))
			continue;
		if (j < i)
			return -1;
		if (c->v[j].status > worst)
			worst = c->v[j].status;
	}
	return (int)worst;
}

/* One sample of name per distinct check, the value computed from its
 * worst status. */
static void per_check(struct vb_prom *p, const struct vb_checks *c, const char *name,
		      bool severity)
{
	for (size_t i = 0; i < c->n; i++) {
		int st = worst_status(c, i);
		struct vb_prom_label l[] = { { "check", c->v[i].name }, { "bdf", c->v[i].device } };

		if (st < 0)
			continue;
		vb_prom_sample(p, name, l, 2,
			       severity ? (uint64_t)st : (uint64_t)(st != VB_CHECK_FAIL));
	}
}

static const char *fact(const char *v)
{
	return v[0] ? v : "unknown";
}

void vb_doctor_prom(const struct vb_checks *c, const struct vb_host_facts *f, struct vb_prom *p)
{
	struct vb_prom_label info[] = {
		{ "kernel", fact(f->kernel) },        { "dmabuf_export", fact(f->dmabuf_export) },
		{ "p2pdma", fact(f->p2pdma) },        { "iommufd", fact(f->iommufd) },
		{ "vfio_cdev", fact(f->vfio_cdev) },
	};
	uint64_t failed = 0;

	vb_prom_family(p, "vfiobuf_doctor_check_ok", "gauge",
		       "1 when the vfiobuf doctor check passed (ok, info or warn), 0 when it failed");
	per_check(p, c, "vfiobuf_doctor_check_ok", false);
	vb_prom_family(p, "vfiobuf_doctor_check_severity", "gauge",
		       "The vfiobuf doctor check's status: 0 ok, 1 info, 2 warn, 3 fail");
	per_check(p, c, "vfiobuf_doctor_check_severity", true);
	for (size_t i = 0; i < c->n; i++)
		failed += worst_status(c, i) == VB_CHECK_FAIL;
	vb_prom_family(p, "vfiobuf_doctor_checks_failed", "gauge",
		       "How many vfiobuf doctor checks failed (doctor exits 1 when any did)");
	vb_prom_sample(p, "vfiobuf_doctor_checks_failed", NULL, 0, failed);
	vb_prom_family(p, "vfiobuf_host_info", "gauge",
		       "The kernel release and its VFIO dma-buf export, P2PDMA, iommufd and VFIO "
		       "cdev config (y, m, n; unknown without a kernel config)");
	vb_prom_sample(p, "vfiobuf_host_info", info, sizeof(info) / sizeof(info[0]), 1);
	vb_prom_family(p, "vfiobuf_host_iommu_groups", "gauge", "IOMMU groups the kernel has");
	vb_prom_sample(p, "vfiobuf_host_iommu_groups", NULL, 0,
		       f->iommu_groups > 0 ? (uint64_t)f->iommu_groups : 0);
}
