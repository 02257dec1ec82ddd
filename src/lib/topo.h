/* topo: the P2P topology model of a system, built from the device inventory
 * (pci_model) and /proc/cpuinfo, both read through struct vb_sys. */
#ifndef VB_TOPO_H
#define VB_TOPO_H

#include "p2p.h"
#include "pci_model.h"
#include "sysfs.h"
#include "vb_error.h"

struct vb_cpu_info {
	char vendor[32]; /* "AuthenticAMD" */
	int family;      /* -1 when unknown */
	bool known;      /* cpuinfo was read (never from an lspci dump) */
};

struct vb_topo {
	struct vb_devlist devs;      /* node i of the model is devs.v[i] */
	struct vb_p2p_model model;
	struct vb_cpu_info cpu;
	const char *config_gap;      /* why config past 64 bytes may be missing:
					vb_sys_config_gap() of the source */
};

/* Why an input of function i was not read: "needs root", "not captured",
 * or "not in bus/pci/devices" for a bridge taken from a sysfs path. */
const char *vb_topo_missing_reason(const struct vb_topo *t, int i);

/* Scan the bus (with extended config for ACS) and build the model. */
int vb_topo_load(const struct vb_sys *s, unsigned pci_flags, struct vb_topo *t,
		 struct vb_err *e);
/* The same for top (a BDF) and the functions below it in sysfs, with the
 * bridges above it: all that the P2P domain of a function below top
 * depends on, when top is the topmost bridge of its path. */
int vb_topo_load_under(const struct vb_sys *s, unsigned pci_flags, const char *top,
		       struct vb_topo *t, struct vb_err *e);
void vb_topo_free(struct vb_topo *t);

/* Node index of a BDF, or -1. */
int vb_topo_index(const struct vb_topo *t, const struct vb_bdf *bdf);

/* vendor_id and cpu family of the first processor in cpuinfo (a parser of
 * a file a capture may hold: tests/fuzz/fuzz_proc.c drives it). */
int vb_cpu_info_read(const struct vb_sys *s, struct vb_cpu_info *c);
/* The kernel's cpu_supports_p2pdma(): x86 AMD family >= 0x17. */
bool vb_cpu_p2p_capable(const struct vb_cpu_info *c);

#endif
