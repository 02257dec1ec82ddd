/* doctor_prom: doctor's results as Prometheus metrics (doctor --format
 * prom), for a job that drops them into node_exporter's textfile
 * collector directory (pure). */
#ifndef VB_DOCTOR_PROM_H
#define VB_DOCTOR_PROM_H

#include "doctor.h"
#include "prom.h"

/* vfiobuf_doctor_check_ok{check,bdf} (1 unless the check failed),
 * vfiobuf_doctor_check_severity{check,bdf} (0 ok, 1 info, 2 warn, 3 fail),
 * one sample per check and device (a check met twice, as with a device
 * named twice, counts once, at its worst), vfiobuf_doctor_checks_failed,
 * and the facts: vfiobuf_host_info{kernel,dmabuf_export,p2pdma,iommufd,
 * vfio_cdev} 1 (a value not read: "unknown") and vfiobuf_host_iommu_groups. */
void vb_doctor_prom(const struct vb_checks *c, const struct vb_host_facts *f, struct vb_prom *p);

#endif
