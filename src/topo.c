/* topo: building the P2P model from the inventory (see topo.h). */
#include "topo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vb_cpu_info_read(const struct vb_sys *s, struct vb_cpu_info *c)
{
	char path[PATH_MAX], line[256];
	FILE *f;

	memset(c, 0, sizeof(*c));
	c->family = -1;
	if (vb_sys_is_dump(s))
		return -1; /* an lspci dump says nothing of the CPU: unknown */
	if (vb_root_path(s, path, sizeof(path), "/proc/cpuinfo") < 0)
		return -1;
	f = fopen(path, "r");
	if (!f)
		return -1;
	c->known = true;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		if (strncmp(line, "vendor_id", 9) == 0 && !c->vendor[0])
			sscanf(colon + 1, " %31s", c->vendor);
		else if (strncmp(line, "cpu family", 10) == 0 && c->family < 0)
			c->family = atoi(colon + 1);
		if (c->vendor[0] && c->family >= 0)
			break;
	}
	fclose(f);
	return 0;
}

bool vb_cpu_p2p_capable(const struct vb_cpu_info *c)
{
	return strcmp(c->vendor, "AuthenticAMD") == 0 && c->family >= 0x17;
}

int vb_topo_index(const struct vb_topo *t, const struct vb_bdf *bdf)
{
	const struct vb_device *d = vb_devlist_find(&t->devs, bdf);

	return d ? (int)(d - t->devs.v) : -1;
}

static enum vb_p2p_acs acs_of(const struct vb_device *d)
{
	switch (d->acs) {
	case VB_ACS_PRESENT:
		return d->acs_ctrl & VB_ACS_REDIR_MASK ? VB_P2P_ACS_REDIRECT : VB_P2P_ACS_NONE;
	case VB_ACS_ABSENT:
		return VB_P2P_ACS_NONE;
	default:
		return VB_P2P_ACS_UNKNOWN;
	}
}

static int bridge_index(struct vb_p2p_model *m, const char *name)
{
	for (size_t i = 0; i < m->nbridges; i++)
		if (strcmp(m->bridges[i].name, name) == 0)
			return (int)i;
	snprintf(m->bridges[m->nbridges].name, sizeof(m->bridges[0].name), "%s", name);
	return (int)m->nbridges++;
}

/* The kernel checks the first device on the host bridge's root bus: used
 * only if it is devfn 00.0 or a root port.  Devices are sorted by BDF, so
 * the first one seen on a bridge's root bus is the lowest devfn. */
static void note_root_device(struct vb_p2p_host_bridge *hb, const struct vb_device *d)
{
	if (hb->root_name[0] || d->has_parent || d->is_vf)
		return;
	snprintf(hb->root_name, sizeof(hb->root_name), "%s", d->name);
	hb->has_root = (d->bdf.dev == 0 && d->bdf.func == 0) || d->pcie_type == 4;
	hb->vendor = d->vendor_id;
	hb->device = d->device_id;
}

int vb_topo_build(struct vb_topo *t, struct vb_devlist *devs, const struct vb_cpu_info *cpu,
		  struct vb_err *e)
{
	struct vb_p2p_model *m = &t->model;

	memset(t, 0, sizeof(*t));
	t->devs = *devs;
	devs->v = NULL;
	devs->n = 0;
	t->cpu = *cpu;
	m->n = t->devs.n;
	m->nodes = calloc(m->n ? m->n : 1, sizeof(*m->nodes));
	m->bridges = calloc(m->n ? m->n : 1, sizeof(*m->bridges));
	if (!m->nodes || !m->bridges) {
		vb_topo_free(t);
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	}
	m->cpu_p2p = vb_cpu_p2p_capable(cpu);
	m->cpu_unknown = !cpu->known;
	for (size_t i = 0; i < m->n; i++) {
		const struct vb_device *d = &t->devs.v[i];
		struct vb_p2p_node *nd = &m->nodes[i];

		snprintf(nd->name, sizeof(nd->name), "%s", d->name);
		nd->up = d->has_parent ? vb_topo_index(t, &d->parent) : -1;
		nd->acs = acs_of(d);
		nd->host_bridge = bridge_index(m, d->host_bridge);
		note_root_device(&m->bridges[nd->host_bridge], d);
	}
	if (vb_p2p_model_finish(m) < 0) {
		vb_topo_free(t);
		return vb_err_set(e, VB_EXIT_FAIL, ELOOP, NULL,
				  "the PCI hierarchy in sysfs is deeper than %d levels or loops",
				  VB_P2P_MAX_DEPTH);
	}
	return 0;
}

int vb_topo_load(const struct vb_sys *s, unsigned pci_flags, struct vb_topo *t,
		 struct vb_err *e)
{
	struct vb_pci *p = vb_pci_open(s, pci_flags | VB_PCI_CONFIG, e);
	struct vb_devlist devs = { 0 };
	struct vb_cpu_info cpu;
	int rc;

	memset(t, 0, sizeof(*t));
	if (!p)
		return -1;
	rc = vb_pci_scan(p, &devs, e);
	vb_pci_close(p);
	if (rc < 0)
		return -1;
	vb_cpu_info_read(s, &cpu);
	return vb_topo_build(t, &devs, &cpu, e);
}

void vb_topo_free(struct vb_topo *t)
{
	vb_devlist_free(&t->devs);
	vb_p2p_model_free(&t->model);
}
