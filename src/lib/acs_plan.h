/* acs_plan: the fewest ACS redirect bits to clear so that given endpoints
 * reach each other by bus address (the kernel's BUS_ADDR verdict), the two
 * kernel parameters and the setpci commands that clear them, and the IOMMU
 * isolation it costs.  Pure: a topology model in, a plan out, no I/O.
 *
 * Linux 7.3 rules it follows:
 * - P2P (drivers/pci/p2pdma.c, pci_bridge_has_acs_redir): a function on a
 *   pair's path redirects when its ACS control has RR, CR or EC set.  A pair
 *   with a common upstream device is BUS_ADDR iff no function on its path
 *   redirects; a pair without one never is (thru-host-bridge at best).
 *   Every redirecting function on a bus-addr-capable pair's path is needed,
 *   so the union over the pairs is the minimal set, and it is unique.
 * - Boot parameters (drivers/pci/pci.c, pci_enable_acs): for a listed
 *   device the control register becomes (firmware value & ~mask) |
 *   (flags & mask); disable_acs_redir is applied first with mask RR|CR|EC,
 *   then config_acs, which starts from the firmware value again, so for a
 *   device in both lists config_acs alone decides.  Bits the kernel itself
 *   enables at boot (SV, RR, CR, UF with an IOMMU) fall back to firmware's
 *   value for a listed device unless config_acs forces them: the config_acs
 *   flags here force every other capable bit to its current value.
 * - IOMMU groups (drivers/iommu/iommu.c, pci_device_group): a function
 *   joins the group of the bridge above it unless the path from that bridge
 *   to the root bus has ACS SV|RR|CR|UF enabled (bits the port lacks count
 *   as enabled); functions of one multifunction device without that ACS
 *   share a group.  Device-specific ACS quirks and DMA aliases are not
 *   modelled, so the cost is an estimate.
 */
#ifndef VB_ACS_PLAN_H
#define VB_ACS_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "topo.h"

/* ACS control/capability bits (PCI_ACS_*) */
#define VB_ACS_SV 0x0001
#define VB_ACS_TB 0x0002
#define VB_ACS_UF 0x0010
#define VB_ACS_DT 0x0040
#define VB_ACS_ALL_BITS 0x007f /* the seven bits config_acs accepts */
/* what pci_device_group() needs for isolation (REQ_ACS_FLAGS) */
#define VB_ACS_ISOLATION_MASK (VB_ACS_SV | VB_ACS_RR | VB_ACS_CR | VB_ACS_UF)

enum vb_tristate { VB_NO = 0, VB_YES = 1, VB_UNKNOWN = 2 };

/* A function on the P2P path of at least one pair with a common upstream. */
struct vb_acs_port {
	int node;           /* index into the topology */
	bool redirect;      /* ACS read and RR, CR or EC set */
	bool unknown;       /* ACS not read (needs root, not captured) */
	bool planned;       /* in the minimal set */
	uint16_t clear;     /* the redirect bits to clear (planned only) */
	uint16_t new_ctrl;  /* control after the change (planned only) */
	int npairs;         /* pairs whose path it is on */
};

struct vb_acs_pair {
	int a, b;                       /* topology indexes, a < b in endpoint order */
	bool common;                    /* has a common upstream device */
	enum vb_p2p_verdict before, after;
	bool uncertain_before, uncertain_after;
};

/* IOMMU groups that would become one. */
struct vb_acs_merge {
	int *groups;        /* the kernel's current group numbers, ascending */
	size_t ngroups;
	int *members;       /* every function of the merged group (topology indexes) */
	size_t nmembers;
	int *ports;         /* planned ports that cause it */
	size_t nports;
};

struct vb_acs_plan {
	int *endpoints;
	size_t nendpoints;
	struct vb_acs_port *ports;   /* sorted by topology index */
	size_t nports;
	struct vb_acs_pair *pairs;   /* every unordered pair of endpoints */
	size_t npairs;
	size_t nplanned;
	bool uncertain;              /* an input on a path was not read */
	bool verified;               /* every pair with a common upstream is bus-addr
					after the change (recomputed on a copy) */
	/* isolation */
	bool iommu;                  /* the functions have IOMMU groups */
	bool groups_estimated;       /* always: quirks and aliases not modelled */
	enum vb_tristate model_matches_kernel; /* simulated current groups equal the
						  kernel's (unknown: inputs missing) */
	struct vb_acs_merge *merges; /* by lowest group number */
	size_t nmerges;
};

/* Plan for the given endpoints (topology indexes, at least one).  Returns 0,
 * or -1 with e set (out of memory, bad index). */
int vb_acs_plan_make(const struct vb_topo *t, const int *endpoints, size_t n,
		     struct vb_acs_plan *p, struct vb_err *e);
void vb_acs_plan_free(struct vb_acs_plan *p);

/* The port entry of a node, or NULL. */
const struct vb_acs_port *vb_acs_plan_port(const struct vb_acs_plan *p, int node);

/* config_acs flags for a planned port: seven characters, bit 6 (DT) first,
 * '0' for the redirect bits to clear, the current value for the other bits
 * the port is capable of, 'x' for the rest.  buf holds >= 8 bytes. */
const char *vb_acs_config_flags(const struct vb_device *d, const struct vb_acs_port *port,
				char *buf, size_t n);

/* "pci=disable_acs_redir=A;B" / "pci=config_acs=FLAGS@A;FLAGS@B" into a
 * malloc'd string ("" when nothing is planned), or NULL (out of memory). */
char *vb_acs_param_disable_redir(const struct vb_topo *t, const struct vb_acs_plan *p);
char *vb_acs_param_config(const struct vb_topo *t, const struct vb_acs_plan *p);

/* "setpci -s BDF ECAP_ACS+6.w=0000:MASK" for planned port i, into buf. */
const char *vb_acs_setpci(const struct vb_topo *t, const struct vb_acs_port *port, char *buf,
			  size_t n);

/* pci_acs_enabled(dev, SV|RR|CR|UF) for function i with control ctrl (the
 * kernel's per-type rules, no quirks). */
enum vb_tristate vb_acs_isolates(const struct vb_device *d, uint16_t ctrl);

/* The value of the last pci=...NAME=VALUE on a kernel command line (NAME
 * "config_acs" or "disable_acs_redir"; pci= options may be joined by
 * commas), copied into out; false when there is none.  The kernel keeps
 * only the last one of each. */
bool vb_acs_cmdline_param(const char *cmdline, const char *name, char *out, size_t n);

/* The text of a GRUB drop-in setting the parameter (from
 * vb_acs_param_config), malloc'd, or NULL. */
char *vb_acs_grub_dropin_text(const char *param, const char *what);

#endif
